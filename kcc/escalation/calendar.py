"""Working-hours arithmetic for escalation deadlines: opening hours, weekends, Dutch holidays.

Deadlines count only the hours the contact centre is open. Opening hours are Dutch wall-clock
times; every moment going in may be in any time zone, every moment coming out is aware UTC.
A working day is measured in real elapsed time, so a day on which the clocks change while the
centre is open (only possible when it opens before 03:00) is an hour shorter or longer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from types import MappingProxyType

from kcc.localtime import LOCAL_TIMEZONE

ONE_HOUR = timedelta(hours=1)
ONE_DAY = timedelta(days=1)
NO_TIME = timedelta(0)

# Dutch two-letter day codes as administrators write them in the configuration (Monday = 0).
DAY_CODES = {"ma": 0, "di": 1, "wo": 2, "do": 3, "vr": 4, "za": 5, "zo": 6}
ALL_WEEKDAYS = frozenset(DAY_CODES.values())
# "08:30-17:00"; the Dutch "8.30-17.00" and an en dash copied from a document are accepted too.
TIME_RANGE = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})\s*[-–]\s*([0-9]{1,2})[:.]([0-9]{2})")

# The Gregorian calendar (and with it the computus below) starts in October 1582.
FIRST_GREGORIAN_EASTER_YEAR = 1583


# --- Holidays ---------------------------------------------------------------------------------


def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (the anonymous algorithm of Meeus/Jones/Butcher)."""
    if year < FIRST_GREGORIAN_EASTER_YEAR:
        raise ValueError(f"Easter is only computed for Gregorian years, not for {year}")
    golden_number = year % 19
    century, year_in_century = divmod(year, 100)
    skipped_leap_centuries, century_remainder = divmod(century, 4)
    moon_correction = (century - (century + 8) // 25 + 1) // 3
    days_to_full_moon = (
        19 * golden_number + century - skipped_leap_centuries - moon_correction + 15
    ) % 30
    leap_years_in_century, year_remainder = divmod(year_in_century, 4)
    days_to_sunday = (
        32
        + 2 * century_remainder
        + 2 * leap_years_in_century
        - days_to_full_moon
        - year_remainder
    ) % 7
    late_correction = (golden_number + 11 * days_to_full_moon + 22 * days_to_sunday) // 451
    month, day_before = divmod(days_to_full_moon + days_to_sunday - 7 * late_correction + 114, 31)
    return date(year, month, day_before + 1)


def dutch_public_holidays(
    year: int, *, liberation_day_every_year: bool = True, good_friday: bool = False
) -> dict[date, str]:
    """The Dutch public holidays of a year, by date, with their Dutch names."""
    return dict(
        cached_public_holidays(
            year, liberation_day_every_year=liberation_day_every_year, good_friday=good_friday
        )
    )


@lru_cache(maxsize=128)
def cached_public_holidays(
    year: int, *, liberation_day_every_year: bool, good_friday: bool
) -> Mapping[date, str]:
    """The public holidays of a year as a read-only mapping, computed once per year and options."""
    easter = easter_sunday(year)
    named_days = [(date(year, 1, 1), "Nieuwjaarsdag")]
    # Goede Vrijdag is not a general day off in the Netherlands; some organisations close.
    if good_friday:
        named_days.append((easter - timedelta(days=2), "Goede Vrijdag"))
    named_days += [
        (easter, "Eerste Paasdag"),
        (easter + ONE_DAY, "Tweede Paasdag"),
        (kings_day(year), "Koningsdag"),
    ]
    # The CAO Gemeenten makes 5 May a day off for municipal staff every year; elsewhere it is
    # often only a day off in lustrum years (2025, 2030, ...), hence the option.
    if liberation_day_every_year or year % 5 == 0:
        named_days.append((date(year, 5, 5), "Bevrijdingsdag"))
    named_days += [
        (easter + timedelta(days=39), "Hemelvaartsdag"),
        (easter + timedelta(days=49), "Eerste Pinksterdag"),
        (easter + timedelta(days=50), "Tweede Pinksterdag"),
        (date(year, 12, 25), "Eerste Kerstdag"),
        (date(year, 12, 26), "Tweede Kerstdag"),
    ]
    holidays: dict[date, str] = {}
    # Sorted by date only, so two holidays on one day (5 May 2016 was also Ascension Day) keep
    # their calendar order in the combined name.
    for day, name in sorted(named_days, key=lambda named_day: named_day[0]):
        holidays[day] = f"{holidays[day]} en {name}" if day in holidays else name
    return MappingProxyType(holidays)


def kings_day(year: int) -> date:
    """Koningsdag: 27 April, or Saturday 26 April when 27 April is a Sunday."""
    # Rule of the Wet koningsdag (in force since 2014; before that it was Koninginnedag).
    birthday = date(year, 4, 27)
    return birthday - ONE_DAY if birthday.weekday() == DAY_CODES["zo"] else birthday


# --- Opening hours ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningHours:
    """When the contact centre is staffed: Dutch local opening and closing time on weekdays."""

    opens: time = time(8, 30)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})

    def __post_init__(self) -> None:
        """Refuse opening hours that would make deadlines meaningless or endless."""
        # A set or list would make the instance unhashable; the field promises a frozenset.
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("Opening hours are Dutch wall-clock times without a time zone")
        if self.opens >= self.closes:
            raise ValueError(
                f"Opening hours must close after they open, not {self.opens:%H:%M}-"
                f"{self.closes:%H:%M} (opening past midnight is not supported)"
            )
        if not self.weekdays:
            raise ValueError("Opening hours need at least one opening day")
        if not self.weekdays <= ALL_WEEKDAYS:
            raise ValueError(f"Weekdays are numbered 0 (Monday) to 6, not {sorted(self.weekdays)}")

    @classmethod
    def parse(cls, text: str, *, weekdays: str = "ma-vr") -> OpeningHours:
        """Opening hours from configuration text such as "08:30-17:00" and "ma-vr"."""
        match = TIME_RANGE.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"Opening hours must look like 08:30-17:00, not {text!r}")
        opens = parse_clock_time(match[1], match[2], text=text)
        closes = parse_clock_time(match[3], match[4], text=text)
        if opens >= closes:
            raise ValueError(f"Opening hours {text!r} must close after they open")
        return cls(opens=opens, closes=closes, weekdays=parse_weekdays(weekdays))

    @property
    def hours_per_day(self) -> float:
        """Hours open on an ordinary day (a day with a clock change inside them differs)."""
        opens = datetime.combine(date.min, self.opens)
        closes = datetime.combine(date.min, self.closes)
        return (closes - opens) / ONE_HOUR

    def opening_period(self, day: date) -> tuple[datetime, datetime]:
        """The UTC moments of opening and closing on a local day (whether or not it is open)."""
        opens = datetime.combine(day, self.opens, tzinfo=LOCAL_TIMEZONE)
        closes = datetime.combine(day, self.closes, tzinfo=LOCAL_TIMEZONE)
        return opens.astimezone(UTC), closes.astimezone(UTC)


def parse_clock_time(hours: str, minutes: str, *, text: str) -> time:
    """A wall-clock time from its digits, with an error that names the configured text."""
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{hours}:{minutes} in {text!r} is not a time of day") from None


def parse_weekdays(text: str) -> frozenset[int]:
    """Weekday numbers (Monday = 0) from Dutch day codes such as "ma-vr" or "ma,wo,vr"."""
    if not text.strip():
        raise ValueError("Give at least one opening day, like ma-vr")
    weekdays: set[int] = set()
    for part in text.split(","):
        first, is_range, last = part.partition("-")
        first_day = weekday_number(first, text=text)
        last_day = weekday_number(last, text=text) if is_range else first_day
        if last_day < first_day:
            raise ValueError(
                f"Day range {part.strip()!r} runs backwards; "
                "ranges run from Monday to Sunday, like ma-vr"
            )
        weekdays.update(range(first_day, last_day + 1))
    return frozenset(weekdays)


def weekday_number(code: str, *, text: str) -> int:
    """The weekday number of a Dutch two-letter day code (ma = 0 ... zo = 6)."""
    try:
        return DAY_CODES[code.strip().lower()]
    except KeyError:
        raise ValueError(
            f"Unknown day {code.strip()!r} in {text!r}; use ma, di, wo, do, vr, za or zo"
        ) from None


# --- The working calendar ---------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingCalendar:
    """The days and hours that count towards a deadline, and arithmetic with them."""

    opening_hours: OpeningHours = OpeningHours()
    liberation_day_every_year: bool = True
    good_friday: bool = False
    extra_closed_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        """Tell whether the contact centre is open on a local day."""
        return self.closed_reason(day) is None

    def closed_reason(self, day: date) -> str | None:
        """Why a local day is closed: a holiday name, "weekend" or "gesloten"; None when open."""
        # A holiday's name tells the reader most, even when it falls on a closed weekday.
        holiday = cached_public_holidays(
            day.year,
            liberation_day_every_year=self.liberation_day_every_year,
            good_friday=self.good_friday,
        ).get(day)
        if holiday is not None:
            return holiday
        if day.weekday() not in self.opening_hours.weekdays:
            return "weekend"
        if day in self.extra_closed_days:
            return "gesloten"
        return None

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The UTC moment `hours` working hours after start (counted from the next opening)."""
        start_utc = as_utc(start)
        if hours <= 0:
            return start_utc
        remaining = timedelta(hours=hours)
        for opens, closes in self.working_periods(from_day=local_day(start_utc)):
            counting_from = max(start_utc, opens)
            available = closes - counting_from
            if available <= NO_TIME:
                continue
            # Work that fits exactly ends at closing time, not at the next day's opening.
            if remaining <= available:
                return counting_from + remaining
            remaining -= available
        raise AssertionError("working_periods never ends")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The UTC closing moment of the `days`-th working day after start's working day."""
        # The start's local day counts as day 0 whatever the time; a start on a closed day
        # counts from the next working day. So 0 days means "by closing time today".
        if days < 0:
            raise ValueError(f"A deadline cannot be {days} working days after its start")
        periods = self.working_periods(from_day=local_day(as_utc(start)))
        _, closes = next(islice(periods, days, None))
        return closes

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours from start to end; negative when end is before start (overdue)."""
        start_utc, end_utc = as_utc(start), as_utc(end)
        if end_utc < start_utc:
            return -self.working_hours_between(end_utc, start_utc)
        worked = NO_TIME
        for opens, closes in self.working_periods(from_day=local_day(start_utc)):
            if opens >= end_utc:
                break
            worked += max(NO_TIME, min(closes, end_utc) - max(opens, start_utc))
        return worked / ONE_HOUR

    def working_periods(self, *, from_day: date) -> Iterator[tuple[datetime, datetime]]:
        """UTC opening and closing moments of every working day from a local day on, endlessly."""
        # Ends in practice: at least one weekday is open and holidays and extra days are finite.
        day = from_day
        while True:
            if self.is_working_day(day):
                yield self.opening_hours.opening_period(day)
            day += ONE_DAY


def as_utc(moment: datetime) -> datetime:
    """An aware moment in UTC; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"Working-hours arithmetic needs a timezone-aware datetime, not {moment}")
    return moment.astimezone(UTC)


def local_day(moment: datetime) -> date:
    """The Dutch calendar day a moment falls on."""
    return moment.astimezone(LOCAL_TIMEZONE).date()
