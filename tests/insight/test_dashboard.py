"""The insight dashboard: aggregate queries on known data, the charts, and the page itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from kcc.auth.models import User
from kcc.escalation.models import Escalation
from kcc.extensions import db
from kcc.faq.models import ClusterRun, QuestionCluster
from kcc.insight import charts, queries
from kcc.insight.charts import format_share
from kcc.insight.queries import InsightFilter
from kcc.insight.services import EventInput, record_crisis_event
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.localtime import LOCAL_TIMEZONE
from kcc.reference.models import Crisis, Municipality, Topic
from tests.helpers import AuthActions

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Region:
    """Ids of the demo records the dashboard tests use."""

    oekraine: int
    corona: int
    hilversum: int
    huizen: int
    leefgeld: int
    opvang: int
    corona_topic: int
    agent: int


@pytest.fixture
def region(app: Flask, demo: None) -> Region:
    """The demo crises, two municipalities, two oekraine topics and the agent."""
    with app.app_context():
        crises = {c.code: c.id for c in db.session.scalars(select(Crisis))}
        municipalities = {m.name: m.id for m in db.session.scalars(select(Municipality))}
        topics = {(t.crisis_id, t.code): t.id for t in db.session.scalars(select(Topic))}
        agent = db.session.scalars(select(User).where(User.username == "agent")).one()
        return Region(
            oekraine=crises["oekraine"],
            corona=crises["corona"],
            hilversum=municipalities["Hilversum"],
            huizen=municipalities["Huizen"],
            leefgeld=topics[(crises["oekraine"], "leefgeld")],
            opvang=topics[(crises["oekraine"], "opvang")],
            corona_topic=next(v for (c, _), v in topics.items() if c == crises["corona"]),
            agent=agent.id,
        )


@pytest.fixture
def in_app(app: Flask) -> Iterator[None]:
    """Query tests run inside an app context (page tests must not: requests share it)."""
    with app.app_context():
        yield


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Dutch local moment, as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TIMEZONE)


def ask(
    region: Region,
    received_at: datetime,
    *,
    topic_id: int | None = None,
    sentiment: str = "neutraal",
    answer: str = "Uitgelegd.",
    escalate: bool = False,
    crisis_id: int | None = None,
    municipality_id: int | None = None,
    channel: str = "telefoon",
    caller_type: str = "inwoner",
) -> int:
    """Register one question through intake, with the labels the agent chose."""
    registration = register_question(
        QuestionInput(
            channel=channel,
            caller_type=caller_type,
            municipality_id=municipality_id or region.hilversum,
            crisis_id=crisis_id or region.oekraine,
            text="Wanneer wordt het leefgeld betaald?",
            answer="" if escalate else answer,
            escalate=escalate,
            contact=ContactInput(name="K. de Boer", phone="06-12345678") if escalate else None,
            received_at=received_at.astimezone(UTC),
            topic_id=topic_id or region.leefgeld,
            sentiment=sentiment,
        ),
        user_id=region.agent,
        now=received_at.astimezone(UTC),
    )
    return registration.question.id


def november(region: Region, **changes: object) -> InsightFilter:
    """10 and 11 November 2026 for the oekraine crisis, with changes."""
    values: dict[str, object] = {
        "crisis_id": region.oekraine,
        "start": date(2026, 11, 10),
        "end": date(2026, 11, 11),
    }
    values.update(changes)
    return InsightFilter(**values)  # type: ignore[arg-type]


@pytest.fixture
def known_questions(region: Region, in_app: None) -> None:
    """Five oekraine questions on 10-11 November, and some that must not be counted."""
    ask(region, local(2026, 11, 10, 10), sentiment="negatief")
    ask(region, local(2026, 11, 10, 23, 30), topic_id=region.opvang)
    # 00:15 local is 23:15 UTC the day before: it belongs to the 11th.
    ask(region, local(2026, 11, 11, 0, 15), sentiment="negatief", answer="")
    ask(
        region,
        local(2026, 11, 11, 9),
        escalate=True,
        channel="e-mail",
        caller_type="ondernemer",
        sentiment="positief",
    )
    ask(region, local(2026, 11, 11, 14), municipality_id=region.huizen, topic_id=region.opvang)
    # Outside: the day before, the day after (00:00 local), another crisis.
    ask(region, local(2026, 11, 9, 23, 59))
    ask(region, local(2026, 11, 12, 0, 0))
    ask(region, local(2026, 11, 10, 12), crisis_id=region.corona, topic_id=region.corona_topic)


def per_day(counts: list[queries.DayTopicCount]) -> dict[date, int]:
    """Questions per day, all topics together."""
    days: dict[date, int] = {}
    for count in counts:
        days[count.day] = days.get(count.day, 0) + count.questions
    return days


def test_questions_are_counted_on_their_local_day(region: Region, known_questions: None) -> None:
    counts = queries.count_questions_by_day_and_topic(november(region))

    assert per_day(counts) == {date(2026, 11, 10): 2, date(2026, 11, 11): 3}
    by_key = {(c.day, c.topic_id): c for c in counts}
    late = by_key[(date(2026, 11, 11), region.leefgeld)]
    assert (late.questions, late.negative, late.with_sentiment) == (2, 1, 2)


def test_local_days_hold_across_the_change_to_winter_time(region: Region, in_app: None) -> None:
    # Summer time (UTC+2) until 25 October 03:00, then UTC+1.
    ask(region, local(2026, 10, 25, 0, 30))  # 22:30 UTC on the 24th
    ask(region, local(2026, 10, 25, 23, 30))  # 22:30 UTC on the 25th
    ask(region, local(2026, 10, 26, 0, 30))  # 23:30 UTC on the 25th
    ask(region, local(2026, 10, 24, 23, 59))
    criteria = november(region, start=date(2026, 10, 24), end=date(2026, 10, 26))

    counts = queries.count_questions_by_day_and_topic(criteria)

    assert per_day(counts) == {
        date(2026, 10, 24): 1,
        date(2026, 10, 25): 2,
        date(2026, 10, 26): 1,
    }
    assert [
        offset for _, offset in queries.offset_stretches(criteria.utc_start, criteria.utc_end)
    ] == [
        120,
        60,
    ]


def test_filters_narrow_every_count(region: Region, known_questions: None) -> None:
    def total(criteria: InsightFilter) -> int:
        """All questions the filter counts."""
        return sum(per_day(queries.count_questions_by_day_and_topic(criteria)).values())

    assert total(november(region, municipality_id=region.huizen)) == 1
    assert total(november(region, channel="e-mail")) == 1
    assert total(november(region, caller_type="ondernemer")) == 1
    assert total(november(region, caller_type="pers")) == 0


def test_overview_derives_shares_sentiment_and_first_line_from_one_scan(
    region: Region, known_questions: None
) -> None:
    overview = queries.question_overview(november(region))

    assert overview.total == 5
    assert [(s.name, s.questions) for s in overview.topic_shares] == [
        ("Leefgeld", 3),
        ("Opvang", 2),
    ]
    assert overview.topic_shares[0].share == pytest.approx(0.6)
    # Answered at the first line: the two on the 10th and the one in Huizen; not the one
    # without an answer, not the escalated one.
    assert (overview.first_line.answered, overview.first_line.rate) == (3, pytest.approx(0.6))
    assert [(d.day, d.negative, d.with_sentiment) for d in overview.sentiment_per_day] == [
        (date(2026, 11, 10), 1, 2),
        (date(2026, 11, 11), 1, 3),
    ]
    # The single-purpose functions the weekly report uses agree with the overview.
    assert queries.topic_shares(november(region)) == overview.topic_shares
    assert queries.first_line_resolution(november(region)) == overview.first_line
    assert queries.negative_share_by_day(november(region)) == overview.sentiment_per_day


def test_days_without_questions_are_in_the_sentiment_series(region: Region, in_app: None) -> None:
    ask(region, local(2026, 11, 10, 10), sentiment="negatief")

    days = queries.negative_share_by_day(november(region, end=date(2026, 11, 12)))

    assert [(d.day, d.negative_share) for d in days] == [
        (date(2026, 11, 10), 1.0),
        (date(2026, 11, 11), None),
        (date(2026, 11, 12), None),
    ]


def escalated_at(region: Region, created: datetime, **fields: object) -> int:
    """An escalated question created at a moment, with its escalation's fields changed."""
    question_id = ask(region, created, escalate=True)
    escalation_id = db.session.scalars(
        select(Escalation.id).where(Escalation.question_id == question_id)
    ).one()
    if fields:
        db.session.execute(
            update(Escalation).where(Escalation.id == escalation_id).values(**fields)
        )
        db.session.commit()
    return escalation_id


def test_escalations_opened_open_overdue_and_median_time_to_answer(
    region: Region, in_app: None
) -> None:
    created = local(2026, 11, 10, 9)
    for hours in (2, 4, 9):
        escalated_at(
            region,
            created,
            answered_at=created + timedelta(hours=hours),
            state="beantwoord",
        )
    escalated_at(region, created, deadline=NOW + timedelta(hours=5))  # open, not overdue
    escalated_at(region, created, deadline=NOW - timedelta(hours=1))  # open and overdue
    escalated_at(region, local(2026, 11, 1, 9), deadline=NOW - timedelta(days=3))  # earlier
    db.session.execute(
        update(Escalation).values(is_open=False).where(Escalation.state == "beantwoord")
    )
    db.session.commit()

    figures = queries.escalation_figures(november(region), now=NOW)

    assert (figures.opened, figures.answered, figures.open_now, figures.overdue_now) == (
        5,
        3,
        3,
        2,
    )
    assert figures.median_hours_to_answer == pytest.approx(4.0)


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(
    region: Region, in_app: None
) -> None:
    created = local(2026, 11, 10, 9)
    for hours in (1, 3, 5, 20):
        escalated_at(region, created, answered_at=created + timedelta(hours=hours))

    now = created + timedelta(days=2)
    figures = queries.escalation_figures(november(region), now=now)
    assert figures.answered == 4
    assert figures.median_hours_to_answer == pytest.approx(4.0)
    by_letter = queries.escalation_figures(november(region, channel="brief"), now=now)
    assert by_letter.median_hours_to_answer is None


def add_run(region: Region, created_at: datetime, sizes: list[tuple[int, int, int]]) -> int:
    """A stored cluster run with clusters of (size, this week, last week)."""
    run = ClusterRun(
        crisis_id=region.oekraine,
        period_start=created_at - timedelta(days=28),
        period_end=created_at,
        days=28,
        created_at=created_at,
    )
    run.clusters = [
        QuestionCluster(
            label=label,
            size=size,
            this_week=this_week,
            last_week=last_week,
            representative_text=f"Vraag van cluster {label}",
        )
        for label, (size, this_week, last_week) in enumerate(sizes)
    ]
    db.session.add(run)
    db.session.commit()
    return run.id


def test_top_clusters_come_from_the_latest_run_before_the_period_ended(
    region: Region, in_app: None
) -> None:
    older = add_run(region, local(2026, 11, 1, 8), [(99, 50, 1)])
    latest = add_run(region, local(2026, 11, 11, 8), [(10, 2, 8), (30, 20, 5), (20, 9, 3)])
    add_run(region, local(2026, 11, 12, 8), [(500, 400, 1)])  # after the period

    top = queries.top_clusters(november(region), limit=2)

    assert top is not None and top.run_id == latest != older
    assert [c.size for c in top.largest] == [30, 20]
    assert [c.growth for c in top.growing] == [15, 6]
    assert queries.top_clusters(november(region, crisis_id=region.corona)) is None


def test_events_in_period_follow_the_municipality_filter(region: Region, in_app: None) -> None:
    def record(title: str, day: date, municipality_id: int | None = None) -> None:
        """Record an event of the oekraine crisis."""
        record_crisis_event(
            EventInput(region.oekraine, "gebeurtenis", title, day, municipality_id), user=None
        )

    record("Informatieavond Huizen", date(2026, 11, 10), region.huizen)
    record("Nieuwe noodverordening", date(2026, 11, 11))
    record("Te vroeg", date(2026, 11, 9))

    def titles(criteria: InsightFilter) -> list[str]:
        """The titles of the events the filter shows."""
        return [event.title for event in queries.events_in_period(criteria)]

    assert titles(november(region)) == ["Informatieavond Huizen", "Nieuwe noodverordening"]
    assert titles(november(region, municipality_id=region.hilversum)) == ["Nieuwe noodverordening"]


# --- the charts (plain functions) ---------------------------------------------------------

HOSTILE = '<script>alert("x")</script>'


def test_charts_escape_every_text_they_draw() -> None:
    days = [date(2026, 11, 10), date(2026, 11, 11)]
    series = [charts.Series(name=HOSTILE, values=[1, 2], key=7)]
    marks = [charts.EventMark(number=1, day=days[1], title=HOSTILE)]

    drawn = [
        charts.stacked_bar_chart(
            "a", title=HOSTILE, description=HOSTILE, days=days, series=series, events=marks
        ),
        charts.line_chart("b", title=HOSTILE, description=HOSTILE, days=days, values=[0.5, None]),
        charts.horizontal_bar_chart(
            "c", title=HOSTILE, description=HOSTILE, bars=[charts.Bar(HOSTILE, 3, 1.0)]
        ),
        charts.legend("a", series),
    ]

    for markup in drawn:
        assert "<script>" not in markup
        assert "&lt;script&gt;" in markup


def test_stacked_bars_scale_to_the_busiest_day_and_the_line_breaks_at_empty_days() -> None:
    days = [date(2026, 11, d) for d in (10, 11, 12, 13)]
    series = [
        charts.Series(name="Leefgeld", values=[1, 0, 3, 0], key=1),
        charts.Series(name="Geen onderwerp", values=[1, 0, 1, 0], key=None),
    ]

    bars = charts.stacked_bar_chart("d", title="t", description="d", days=days, series=series)
    line = charts.line_chart(
        "e", title="t", description="d", days=days, values=[0.2, None, 0.4, 0.1]
    )

    heights = [
        float(h)
        for h in re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"', bars)
    ]
    # The busiest day (4 questions) sets the scale: 1, 1, 3, 1 questions in four segments.
    assert heights == pytest.approx([h * heights[0] for h in (1, 1, 3, 1)])
    assert charts.UNLABELLED_COLOUR in bars
    path = re.search(r'<path d="([^"]+)" fill="none"', line).group(1)  # type: ignore[union-attr]
    assert path.count("M") == 2 and path.count("L") == 1


# --- the page -----------------------------------------------------------------------------

NOVEMBER_QUERY = "start=2026-11-10&end=2026-11-11"


@pytest.mark.parametrize(
    ("role", "status"),
    [("analyst", 200), ("coordinator", 200), ("admin", 200), ("agent", 403), ("specialist", 403)],
)
def test_dashboard_is_for_analysts_coordinators_and_admins(
    client: FlaskClient, auth: AuthActions, role: str, status: int
) -> None:
    auth.login(role)

    assert client.get("/insights/").status_code == status


def table_body(page: str, table_id: str) -> str:
    """The markup of one table on the page."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert match, f"no table {table_id}"
    return match.group(0)


def test_charts_have_title_desc_and_a_table_with_the_same_numbers(
    app: Flask, client: FlaskClient, auth: AuthActions, region: Region, known_questions: None
) -> None:
    with app.app_context():
        record_crisis_event(
            EventInput(region.oekraine, "maatregel", "Nieuwe noodverordening", date(2026, 11, 11)),
            user=None,
        )
    auth.login("analyst")

    page = client.get(f"/insights/?crisis_id={region.oekraine}&{NOVEMBER_QUERY}").get_data(
        as_text=True
    )

    for chart in ("grafiek-per-dag", "grafiek-onderwerpen", "grafiek-sentiment"):
        svg = re.search(rf'<svg id="{chart}".*?</svg>', page, re.S)
        assert svg, chart
        assert 'role="img"' in svg.group(0)
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in svg.group(0)
        assert f'<title id="{chart}-title">' in svg.group(0)
        assert f'<desc id="{chart}-desc">' in svg.group(0)
    per_day_table = table_body(page, "tabel-per-dag")
    rows = re.findall(
        r"<tr>\s*<th scope=\"row\">.*?(\d{2}-\d{2}-\d{4}).*?</tr>", per_day_table, re.S
    )
    assert rows == ["10-11-2026", "11-11-2026"]
    totals = re.findall(r'<td class="numeric">(\d+)</td>\s*</tr>', per_day_table)
    assert totals == ["2", "3"]
    # The bar chart writes each topic's share and count; the table lists the same.
    topics_svg = re.search(r'<svg id="grafiek-onderwerpen".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    topics_table = table_body(page, "tabel-onderwerpen")
    for name, count, share in (("Leefgeld", "3", 0.6), ("Opvang", "2", 0.4)):
        assert f"{format_share(share)} ({count})" in topics_svg
        assert re.search(
            rf"{name}</th><td class=\"numeric\">{count}</td><td class=\"numeric\">"
            rf"{re.escape(format_share(share))}</td>",
            topics_table,
        )
    sentiment_table = table_body(page, "tabel-sentiment")
    assert "50,0%" in sentiment_table and "33,3%" in sentiment_table
    # The measure is a numbered marker in the charts and in the list beside them.
    assert "<title>1. 11-11 Nieuwe noodverordening</title>" in page
    assert "60,0%" in page  # first-line rate
    assert "style=" not in page


def test_filter_form_rejects_a_reversed_or_too_long_period(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")

    reversed_page = client.get("/insights/?start=2026-11-12&end=2026-11-10").get_data(as_text=True)
    long_page = client.get("/insights/?start=2025-01-01&end=2026-11-10").get_data(as_text=True)

    assert "De einddatum ligt voor de begindatum." in reversed_page
    assert "hoogstens 366 dagen" in long_page
    assert 'id="grafiek-per-dag"' not in reversed_page + long_page


def test_default_period_is_the_last_thirty_days(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("admin")

    page = client.get("/insights/").get_data(as_text=True)

    today = datetime.now(UTC).astimezone(LOCAL_TIMEZONE).date()
    days = re.findall(
        r'<th scope="row"><time datetime="([\d-]+)"', table_body(page, "tabel-per-dag")
    )
    assert len(days) == 30
    assert days[0] == (today - timedelta(days=29)).isoformat()
    assert days[-1] == today.isoformat()
