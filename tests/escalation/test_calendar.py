"""Working-hours deadlines: Easter, Dutch holidays, opening hours, weekends and clock changes.

Expected moments are written in UTC on purpose: a deadline that is right in local time but
stored with the wrong offset (the usual DST bug) fails here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcc.escalation.calendar import (
    OpeningHours,
    WorkingCalendar,
    dutch_public_holidays,
    easter_sunday,
)
from kcc.localtime import LOCAL_TIMEZONE

CALENDAR = WorkingCalendar()
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Dutch wall-clock moment."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TIMEZONE)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC moment."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- Easter and holidays ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),  # the latest possible date
        (2285, date(2285, 3, 22)),  # the earliest possible date
    ],
)
def test_easter_sunday(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected


def test_easter_before_the_gregorian_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="Gregorian"):
        easter_sunday(1500)


def test_dutch_public_holidays_2026() -> None:
    assert dutch_public_holidays(2026) == {
        date(2026, 1, 1): "Nieuwjaarsdag",
        date(2026, 4, 5): "Eerste Paasdag",
        date(2026, 4, 6): "Tweede Paasdag",
        date(2026, 4, 27): "Koningsdag",
        date(2026, 5, 5): "Bevrijdingsdag",
        date(2026, 5, 14): "Hemelvaartsdag",
        date(2026, 5, 24): "Eerste Pinksterdag",
        date(2026, 5, 25): "Tweede Pinksterdag",
        date(2026, 12, 25): "Eerste Kerstdag",
        date(2026, 12, 26): "Tweede Kerstdag",
    }


def test_kings_day_moves_to_saturday_when_27_april_is_a_sunday() -> None:
    holidays_2025 = dutch_public_holidays(2025)

    assert holidays_2025[date(2025, 4, 26)] == "Koningsdag"
    assert date(2025, 4, 27) not in holidays_2025


def test_liberation_day_every_year_or_only_in_lustrum_years() -> None:
    assert date(2026, 5, 5) in dutch_public_holidays(2026)
    assert date(2026, 5, 5) not in dutch_public_holidays(2026, liberation_day_every_year=False)
    assert date(2025, 5, 5) in dutch_public_holidays(2025, liberation_day_every_year=False)
    assert date(2030, 5, 5) in dutch_public_holidays(2030, liberation_day_every_year=False)


def test_good_friday_only_when_asked() -> None:
    assert date(2026, 4, 3) not in dutch_public_holidays(2026)
    assert dutch_public_holidays(2026, good_friday=True)[date(2026, 4, 3)] == "Goede Vrijdag"


def test_two_holidays_on_one_day_keep_both_names() -> None:
    assert dutch_public_holidays(2016)[date(2016, 5, 5)] == "Bevrijdingsdag en Hemelvaartsdag"


def test_changing_the_returned_holidays_does_not_change_the_cache() -> None:
    dutch_public_holidays(2026).clear()

    assert len(dutch_public_holidays(2026)) == 10


# --- Opening hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weekdays", "expected"),
    [
        ("08:30-17:00", "ma-vr", OpeningHours()),
        ("8:00 - 20:00", "ma-za", OpeningHours(time(8), time(20), frozenset(range(6)))),
        ("09:00-12:30", "ma,wo,vr", OpeningHours(time(9), time(12, 30), frozenset({0, 2, 4}))),
        ("7.00-19.00", "MA-VR, za", OpeningHours(time(7), time(19), frozenset(range(6)))),
        ("00:00-23:59", "ma-zo", OpeningHours(time(0), time(23, 59), frozenset(range(7)))),
    ],
)
def test_opening_hours_parse(text: str, weekdays: str, expected: OpeningHours) -> None:
    assert OpeningHours.parse(text, weekdays=weekdays) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must look like 08:30-17:00"),
        ("08:30", "must look like 08:30-17:00"),
        ("8-17", "must look like 08:30-17:00"),
        ("acht tot vijf", "must look like 08:30-17:00"),
        ("17:00-08:30", "close after they open"),
        ("08:30-08:30", "close after they open"),
        ("25:00-26:00", "not a time of day"),
        ("08:60-17:00", "not a time of day"),
    ],
)
def test_opening_hours_parse_refuses_bad_hours(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OpeningHours.parse(text)


@pytest.mark.parametrize(
    ("weekdays", "message"),
    [
        ("", "at least one opening day"),
        ("mo-fr", "Unknown day 'mo'"),
        ("ma-", "Unknown day ''"),
        ("ma;di", "Unknown day 'ma;di'"),
        ("vr-ma", "runs backwards"),
    ],
)
def test_opening_hours_parse_refuses_bad_weekdays(weekdays: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OpeningHours.parse("08:30-17:00", weekdays=weekdays)


@pytest.mark.parametrize(
    "arguments",
    [
        {"opens": time(17), "closes": time(8)},
        {"weekdays": frozenset()},
        {"weekdays": frozenset({7})},
    ],
)
def test_opening_hours_refuse_impossible_values(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        OpeningHours(**arguments)  # type: ignore[arg-type]


def test_hours_per_day() -> None:
    assert OpeningHours().hours_per_day == 8.5
    assert OpeningHours.parse("09:00-12:30").hours_per_day == 3.5


# --- Working days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 4, 14), None),
        (date(2026, 4, 11), "weekend"),
        (date(2026, 4, 27), "Koningsdag"),
        (date(2026, 4, 6), "Tweede Paasdag"),
        (date(2027, 12, 25), "Eerste Kerstdag"),  # a Saturday: the holiday name wins
    ],
)
def test_closed_reason(day: date, reason: str | None) -> None:
    assert CALENDAR.closed_reason(day) == reason
    assert CALENDAR.is_working_day(day) is (reason is None)


def test_liberation_day_is_a_working_day_outside_lustrum_years_when_configured() -> None:
    calendar = WorkingCalendar(liberation_day_every_year=False)

    assert calendar.is_working_day(date(2026, 5, 5))
    assert calendar.closed_reason(date(2025, 5, 5)) == "Bevrijdingsdag"


def test_extra_closed_days_are_respected() -> None:
    calendar = WorkingCalendar(extra_closed_days=frozenset({date(2026, 4, 15)}))

    assert calendar.closed_reason(date(2026, 4, 15)) == "gesloten"
    # 2 hours on Tuesday, Wednesday closed, 2 hours on Thursday.
    assert calendar.add_working_hours(local(2026, 4, 14, 15), 4) == utc(2026, 4, 16, 8, 30)
    assert calendar.working_hours_between(local(2026, 4, 14, 15), local(2026, 4, 16, 10, 30)) == 4


# --- Adding working hours ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        pytest.param(local(2026, 4, 14, 10), 3, utc(2026, 4, 14, 11), id="within a day"),
        pytest.param(local(2026, 4, 14, 15), 4, utc(2026, 4, 15, 8, 30), id="across a night"),
        pytest.param(local(2026, 4, 17, 16), 2, utc(2026, 4, 20, 7, 30), id="across a weekend"),
        pytest.param(local(2026, 4, 3, 16), 2, utc(2026, 4, 7, 7, 30), id="across Easter Monday"),
        pytest.param(local(2026, 4, 24, 16), 2, utc(2026, 4, 28, 7, 30), id="across Koningsdag"),
        pytest.param(local(2026, 4, 24, 16), 10, utc(2026, 4, 29, 7), id="over Koningsdag"),
        pytest.param(local(2026, 4, 11, 12), 1, utc(2026, 4, 13, 7, 30), id="from a Saturday"),
        pytest.param(local(2026, 4, 14, 7), 1, utc(2026, 4, 14, 7, 30), id="before opening"),
        pytest.param(local(2026, 4, 14, 18), 1, utc(2026, 4, 15, 7, 30), id="after closing"),
        pytest.param(local(2026, 4, 14, 8, 30), 8.5, utc(2026, 4, 14, 15), id="ends at closing"),
        pytest.param(local(2026, 4, 14, 10), 0.25, utc(2026, 4, 14, 8, 15), id="quarter hour"),
        # Friday 16:00 CET is 15:00 UTC; Monday 09:30 CEST is 07:30 UTC (not 08:30).
        pytest.param(local(2026, 3, 27, 16), 2, utc(2026, 3, 30, 7, 30), id="into summer time"),
        # Friday 16:00 CEST is 14:00 UTC; Monday 09:30 CET is 08:30 UTC (not 07:30).
        pytest.param(local(2026, 10, 23, 16), 2, utc(2026, 10, 26, 8, 30), id="into winter time"),
        # 8.5 h Friday 2 January, then 46 whole days to Monday 9 March, then half an hour.
        pytest.param(local(2026, 1, 1, 9), 400, utc(2026, 3, 10, 8), id="400 hours"),
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    deadline = CALENDAR.add_working_hours(start, hours)

    assert deadline == expected
    assert deadline.tzinfo is UTC
    assert CALENDAR.working_hours_between(start, deadline) == pytest.approx(hours)


def test_add_working_hours_with_good_friday_closed() -> None:
    calendar = WorkingCalendar(good_friday=True)

    assert calendar.add_working_hours(local(2026, 4, 2, 16), 2) == utc(2026, 4, 7, 7, 30)


def test_add_working_hours_on_the_sunday_of_a_clock_change_when_open_all_week() -> None:
    calendar = WorkingCalendar(opening_hours=OpeningHours.parse("08:30-17:00", weekdays="ma-zo"))

    # Saturday 16:00 CET is 15:00 UTC; Sunday 29 March 09:30 CEST is 07:30 UTC.
    assert calendar.add_working_hours(local(2026, 3, 28, 16), 2) == utc(2026, 3, 29, 7, 30)
    assert calendar.add_working_hours(local(2026, 10, 24, 16), 2) == utc(2026, 10, 25, 8, 30)


def test_a_night_shift_over_a_clock_change_counts_real_hours() -> None:
    calendar = WorkingCalendar(opening_hours=OpeningHours.parse("00:00-06:00", weekdays="ma-zo"))

    # The clocks skip 02:00-03:00 on 29 March and repeat it on 25 October 2026.
    assert calendar.working_hours_between(local(2026, 3, 29, 0), local(2026, 3, 29, 6)) == 5
    assert calendar.working_hours_between(local(2026, 10, 25, 0), local(2026, 10, 25, 6)) == 7
    assert calendar.add_working_hours(local(2026, 3, 29, 0), 5) == utc(2026, 3, 29, 4)


def test_zero_or_negative_hours_return_the_start_in_utc() -> None:
    saturday = local(2026, 4, 11, 12)

    for hours in (0, -3):
        deadline = CALENDAR.add_working_hours(saturday, hours)
        assert deadline == utc(2026, 4, 11, 10)
        assert deadline.tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.add_working_hours(datetime(2026, 4, 14, 10), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.working_hours_between(utc(2026, 4, 14, 10), datetime(2026, 4, 15, 10))


# --- Adding working days ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(local(2026, 4, 14, 10), 0, utc(2026, 4, 14, 15), id="today"),
        pytest.param(local(2026, 4, 14, 10), 1, utc(2026, 4, 15, 15), id="tomorrow"),
        pytest.param(local(2026, 4, 14, 18), 1, utc(2026, 4, 15, 15), id="after closing"),
        pytest.param(local(2026, 4, 24, 10), 1, utc(2026, 4, 28, 15), id="over Koningsdag"),
        pytest.param(local(2026, 4, 11, 12), 0, utc(2026, 4, 13, 15), id="Saturday, 0 days"),
        pytest.param(local(2026, 4, 11, 12), 1, utc(2026, 4, 14, 15), id="Saturday, 1 day"),
        pytest.param(local(2026, 4, 14, 10), 5, utc(2026, 4, 21, 15), id="a week"),
        # Friday in summer time, Monday 17:00 CET is 16:00 UTC.
        pytest.param(local(2026, 10, 23, 10), 1, utc(2026, 10, 26, 16), id="into winter time"),
    ],
)
def test_add_working_days(start: datetime, days: int, expected: datetime) -> None:
    deadline = CALENDAR.add_working_days(start, days)

    assert deadline == expected
    assert deadline.tzinfo is UTC


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(local(2026, 4, 14, 10), -1)


# --- Working hours between --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (local(2026, 4, 14, 10), local(2026, 4, 14, 13), 3.0),
        (local(2026, 4, 17, 16), local(2026, 4, 20, 9, 30), 2.0),
        (local(2026, 3, 27, 16), local(2026, 3, 30, 9, 30), 2.0),
        (local(2026, 4, 11, 8), local(2026, 4, 12, 20), 0.0),
        (local(2026, 4, 14, 10), local(2026, 4, 14, 10), 0.0),
        (local(2026, 4, 13, 0), local(2026, 4, 20, 0), 5 * 8.5),
    ],
)
def test_working_hours_between(start: datetime, end: datetime, expected: float) -> None:
    assert CALENDAR.working_hours_between(start, end) == expected


def test_remaining_hours_until_a_past_deadline_are_negative() -> None:
    deadline = local(2026, 4, 14, 15)
    now = local(2026, 4, 15, 10, 30)

    # Overdue by 2 hours on Tuesday and 2 hours on Wednesday.
    assert CALENDAR.working_hours_between(now, deadline) == -4.0
    assert CALENDAR.working_hours_between(deadline, now) == 4.0


# --- Properties -------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2028, 12, 31),
    timezones=st.sampled_from([UTC, LOCAL_TIMEZONE]),
    allow_imaginary=False,
)
working_hours = st.floats(min_value=0, max_value=500, allow_nan=False)


@PROPERTY_SETTINGS
@given(start=moments, hours=working_hours)
def test_working_hours_between_inverts_add_working_hours(start: datetime, hours: float) -> None:
    deadline = CALENDAR.add_working_hours(start, hours)

    assert CALENDAR.working_hours_between(start, deadline) == pytest.approx(hours, abs=1e-6)


@PROPERTY_SETTINGS
@given(start=moments, hours=st.floats(min_value=0.01, max_value=500))
def test_a_deadline_falls_within_opening_hours(start: datetime, hours: float) -> None:
    deadline = CALENDAR.add_working_hours(start, hours).astimezone(LOCAL_TIMEZONE)

    assert CALENDAR.is_working_day(deadline.date())
    assert time(8, 30) < deadline.time() <= time(17, 0)


@PROPERTY_SETTINGS
@given(start=moments, first=working_hours, second=working_hours)
def test_adding_hours_in_two_steps_is_adding_them_at_once(
    start: datetime, first: float, second: float
) -> None:
    in_two_steps = CALENDAR.add_working_hours(CALENDAR.add_working_hours(start, first), second)
    at_once = CALENDAR.add_working_hours(start, first + second)

    # The same working moment; only rounding to whole microseconds may differ. (Closing time
    # and the next opening are one working moment: 425 h then 5e-324 h ends at the opening,
    # 425 h at once at the closing before it, hypothesis found.)
    gap = abs(CALENDAR.working_hours_between(in_two_steps, at_once))
    assert gap <= 1e-8


@PROPERTY_SETTINGS
@given(first=moments, second=moments, third=moments)
def test_working_hours_between_adds_up(first: datetime, second: datetime, third: datetime) -> None:
    start, middle, end = sorted([first, second, third])

    assert CALENDAR.working_hours_between(start, middle) + CALENDAR.working_hours_between(
        middle, end
    ) == pytest.approx(CALENDAR.working_hours_between(start, end), abs=1e-6)
    assert CALENDAR.working_hours_between(end, start) == -CALENDAR.working_hours_between(
        start, end
    )
