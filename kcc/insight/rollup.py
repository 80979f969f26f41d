"""The daily roll-up of question counts: what the dashboard reads for closed local days.

A crisis logs hundreds of thousands of questions; grouping them again on every dashboard
request costs more than a second (issue 7). `question_day_count` holds, per crisis, local day,
municipality, channel, caller type and topic, the counts insight.queries computes. The queries
read it for days before today that are built and not stale, and the `question` table for
today, stale days and days the roll-up has no rows for, so every figure stays exact.

Building: `rebuild_days` replaces a day's rows with one DELETE and one INSERT ... SELECT ...
GROUP BY in the database. Cron runs `flask --app kcc rollup` hourly and just after midnight
(it builds the days that just closed and rebuilds stale ones); the background worker of
issue 10 will take this over.

Staying exact: a change to a question of a closed day (a relabel, a late status change, a
deletion) marks its day stale in `question_day_stale`, in the same transaction, until the next
run rebuilds it. The ORM changes are caught by a `before_flush` listener, registered when this
module is imported (insight.queries imports it, so it is always loaded with the app); bulk
DELETE/UPDATE statements bypass the ORM and call `mark_questions_stale` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import Insert, and_, delete, event, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kcc.classification.models import Sentiment
from kcc.extensions import db, utcnow
from kcc.insight import queries
from kcc.insight.models import QuestionDayCount, QuestionDayStale
from kcc.intake.models import Question, QuestionStatus
from kcc.localtime import LOCAL_TIMEZONE
from kcc.reference.models import Crisis

# Statuses change for a day or two after a question comes in (answers, escalations): the last
# few closed days are rebuilt on every run anyway, so such changes need no marker to be seen.
RECENT_DAYS = 3
# Question fields the roll-up counts by; a change to any of them changes a day's counts.
COUNTED_FIELDS = (
    "crisis_id",
    "received_at",
    "municipality_id",
    "channel",
    "caller_type",
    "topic_id",
    "sentiment",
    "status",
    "is_escalated",
)


@dataclass(frozen=True)
class RollupReport:
    """What a roll-up run rebuilt: days per crisis and stale markers cleared."""

    days: int
    stale_cleared: int


def local_day(moment: datetime) -> date:
    """The Dutch local calendar day of a moment (naive moments are UTC, as SQLite stores)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TIMEZONE).date()


def contiguous_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days: [(first, last), ...]."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


# --- building -----------------------------------------------------------------------------


def rebuild_range(crisis_id: int, first: date, last: date) -> None:
    """Replace the roll-up rows of local days first..last of a crisis (two statements)."""
    period = queries.InsightFilter(crisis_id, first, last)
    day = queries.local_day_of(Question.received_at, period).label("day")
    answered_first_line = and_(
        Question.status == QuestionStatus.BEANTWOORD.value, Question.is_escalated.is_(False)
    )
    grouped = (
        select(
            Question.crisis_id,
            day,
            Question.municipality_id,
            Question.channel,
            Question.caller_type,
            Question.topic_id,
            func.count(),
            queries.count_if(Question.sentiment.is_not(None)),
            queries.count_if(Question.sentiment == Sentiment.NEGATIEF.value),
            queries.count_if(answered_first_line),
        )
        .where(*queries.question_conditions(period))
        .group_by(
            Question.crisis_id,
            day,
            Question.municipality_id,
            Question.channel,
            Question.caller_type,
            Question.topic_id,
        )
    )
    db.session.execute(
        delete(QuestionDayCount).where(
            QuestionDayCount.crisis_id == crisis_id,
            QuestionDayCount.day >= first,
            QuestionDayCount.day <= last,
        )
    )
    db.session.execute(
        QuestionDayCount.__table__.insert().from_select(
            [
                "crisis_id",
                "day",
                "municipality_id",
                "channel",
                "caller_type",
                "topic_id",
                "questions",
                "with_sentiment",
                "negative",
                "answered_first_line",
            ],
            grouped,
        )
    )


def rebuild_days(crisis_id: int, days: Iterable[date]) -> int:
    """Rebuild the roll-up of these local days of a crisis, a run of consecutive days at a
    time, all in the database; the caller commits. Returns the number of days."""
    ranges = contiguous_ranges(days)
    for first, last in ranges:
        rebuild_range(crisis_id, first, last)
    return sum((last - first).days + 1 for first, last in ranges)


def crisis_ids(crisis_id: int | None) -> list[int]:
    """The crisis asked for, or every crisis."""
    if crisis_id is not None:
        return [crisis_id]
    return list(db.session.execute(select(Crisis.id).order_by(Crisis.id)).scalars())


def stale_days(crisis_id: int) -> list[date]:
    """The days of a crisis marked stale."""
    return list(
        db.session.execute(
            select(QuestionDayStale.day).where(QuestionDayStale.crisis_id == crisis_id)
        ).scalars()
    )


def clear_stale(crisis_id: int, days: Sequence[date]) -> None:
    """Remove the stale markers of these days."""
    if days:
        db.session.execute(
            delete(QuestionDayStale).where(
                QuestionDayStale.crisis_id == crisis_id, QuestionDayStale.day.in_(days)
            )
        )


def refresh_rollup(
    *, now: datetime, recent_days: int = RECENT_DAYS, crisis_id: int | None = None
) -> RollupReport:
    """Rebuild, per crisis, the last `recent_days` closed local days and every stale day
    (clearing its marker); one commit per crisis."""
    today = local_day(now)
    recent = [today - timedelta(days=n) for n in range(1, recent_days + 1)]
    days = cleared = 0
    for crisis in crisis_ids(crisis_id):
        # Markers are removed in the transaction that rebuilds their day: a question changed
        # meanwhile writes its marker again after this commit, so no change is lost.
        stale = [day for day in stale_days(crisis) if day < today]
        clear_stale(crisis, stale)
        days += rebuild_days(crisis, [*recent, *stale])
        cleared += len(stale)
        db.session.commit()
    return RollupReport(days=days, stale_cleared=cleared)


def rebuild_everything(*, now: datetime, crisis_id: int | None = None) -> RollupReport:
    """Rebuild every closed local day of every crisis (or one), from its first question on:
    a month per statement pair and per commit, so no transaction grows large."""
    today = local_day(now)
    days = cleared = 0
    for crisis in crisis_ids(crisis_id):
        oldest = db.session.execute(
            select(func.min(Question.received_at)).where(Question.crisis_id == crisis)
        ).scalar_one()
        stale = [day for day in stale_days(crisis) if day < today]
        clear_stale(crisis, stale)
        cleared += len(stale)
        start = local_day(oldest) if oldest is not None else today
        # Rows before the first question are from questions since removed.
        db.session.execute(
            delete(QuestionDayCount).where(
                QuestionDayCount.crisis_id == crisis, QuestionDayCount.day < start
            )
        )
        first = start
        while first < today:
            last = min(first + timedelta(days=30), today - timedelta(days=1))
            rebuild_range(crisis, first, last)
            days += (last - first).days + 1
            db.session.commit()
            first = last + timedelta(days=1)
        db.session.commit()
    return RollupReport(days=days, stale_cleared=cleared)


# --- marking days stale -------------------------------------------------------------------


def insert_ignoring_duplicates(bind_dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING into question_day_stale (SQLite and PostgreSQL)."""
    dialect_insert = postgresql.insert if bind_dialect == "postgresql" else sqlite.insert
    return dialect_insert(QuestionDayStale.__table__).on_conflict_do_nothing()


def mark_days_stale(session: Session, keys: Iterable[tuple[int, date]]) -> None:
    """Record (crisis id, local day) pairs as stale; pairs already marked are left alone."""
    rows = [{"crisis_id": crisis_id, "day": day} for crisis_id, day in sorted(set(keys))]
    if rows:
        dialect = session.get_bind().dialect.name
        session.execute(insert_ignoring_duplicates(dialect).values(rows))


def mark_questions_stale(question_ids: Sequence[int], *, now: datetime | None = None) -> None:
    """Mark the closed local days of these questions stale: call it before a bulk UPDATE or
    DELETE of questions, which bypasses the ORM listener. One INSERT ... SELECT DISTINCT."""
    mark_stored_questions_stale(db.session, question_ids, today=local_day(now or utcnow()))


def mark_stored_questions_stale(
    session: Session, question_ids: Sequence[int], *, today: date
) -> None:
    """Mark the closed local days of questions as the database holds them now."""
    if not question_ids:
        return
    ids = list(question_ids)
    oldest, newest = session.execute(
        select(func.min(Question.received_at), func.max(Question.received_at)).where(
            Question.id.in_(ids)
        )
    ).one()
    if oldest is None or local_day(oldest) >= today:
        return
    # The period spans the questions, so SQLite's offset stretches cover every one of them.
    period = queries.InsightFilter(0, local_day(oldest), local_day(newest))
    day = queries.local_day_of(Question.received_at, period)
    found = (
        select(Question.crisis_id, day)
        .where(Question.id.in_(ids), Question.received_at < queries.local_midnight(today))
        .distinct()
    )
    dialect = session.get_bind().dialect.name
    session.execute(insert_ignoring_duplicates(dialect).from_select(["crisis_id", "day"], found))


def previous_value(state: Any, name: str) -> tuple[bool, Any]:
    """The value an attribute had before this flush: (known, value)."""
    history = state.attrs[name].history
    if history.deleted:
        return True, history.deleted[0]
    if history.unchanged:
        return True, history.unchanged[0]
    if name in state.dict and not history.added:
        return True, state.dict[name]
    return False, None


def day_keys(crisis_id: Any, received_at: Any, today: date) -> set[tuple[int, date]]:
    """{(crisis, local day)} when the moment lies on a closed day, else nothing."""
    if crisis_id is None or not isinstance(received_at, datetime):
        return set()
    day = local_day(received_at)
    return {(crisis_id, day)} if day < today else set()


def mark_changed_questions(session: Session, flush_context: object, instances: object) -> None:
    """before_flush: mark the closed days of questions added, deleted or recounted as stale.

    Cheap for the usual case: a question registered today needs no statement at all.
    """
    questions_new = [obj for obj in session.new if isinstance(obj, Question)]
    questions_deleted = [obj for obj in session.deleted if isinstance(obj, Question)]
    questions_dirty = [obj for obj in session.dirty if isinstance(obj, Question)]
    if not (questions_new or questions_deleted or questions_dirty):
        return
    today = local_day(utcnow())
    keys: set[tuple[int, date]] = set()
    unknown_ids: list[int] = []
    for question in questions_new:
        keys |= day_keys(question.crisis_id, question.received_at, today)
    for question in questions_deleted:
        state = inspect(question)
        known_crisis, crisis_id = previous_value(state, "crisis_id")
        known_moment, received_at = previous_value(state, "received_at")
        if known_crisis and known_moment:
            keys |= day_keys(crisis_id, received_at, today)
        elif question.id is not None:
            unknown_ids.append(question.id)
    for question in questions_dirty:
        state = inspect(question)
        if not any(state.attrs[name].history.has_changes() for name in COUNTED_FIELDS):
            continue
        keys |= day_keys(question.crisis_id, question.received_at, today)
        known_crisis, crisis_id = previous_value(state, "crisis_id")
        known_moment, received_at = previous_value(state, "received_at")
        if known_crisis and known_moment:
            keys |= day_keys(crisis_id, received_at, today)
        elif question.id is not None:
            unknown_ids.append(question.id)  # the old day is in the database: ask it
    mark_days_stale(session, keys)
    mark_stored_questions_stale(session, unknown_ids, today=today)


event.listen(Session, "before_flush", mark_changed_questions)


# --- command ------------------------------------------------------------------------------


@click.command("rollup")
@with_appcontext
@click.option("--rebuild-all", is_flag=True, help="Alle afgesloten dagen opnieuw opbouwen.")
@click.option("--crisis", "crisis_code", default=None, help="Alleen deze crisis (code).")
def rollup_command(rebuild_all: bool, crisis_code: str | None) -> None:
    """Build the daily roll-up of question counts (cron: hourly and just after midnight)."""
    crisis_id = None
    if crisis_code is not None:
        crisis_id = db.session.execute(
            select(Crisis.id).where(Crisis.code == crisis_code)
        ).scalar_one_or_none()
        if crisis_id is None:
            raise click.ClickException(f"Crisis {crisis_code} bestaat niet.")
    build = rebuild_everything if rebuild_all else refresh_rollup
    report = build(now=utcnow(), crisis_id=crisis_id)
    click.echo(
        f"Dagtelling bijgewerkt: {report.days} dagen opgebouwd, "
        f"{report.stale_cleared} gewijzigde dagen verwerkt."
    )
