"""The daily roll-up: every question figure equals the live count, however far it is built,
with stale days, after a relabel and after a retention purge."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, insert, select

from kcc.auth.models import User
from kcc.classification.services import confirm_labels
from kcc.extensions import db, utcnow
from kcc.governance.retention import purge_expired
from kcc.insight import queries, rollup
from kcc.insight.models import QuestionDayCount, QuestionDayStale
from kcc.insight.queries import InsightFilter
from kcc.intake.models import Question
from kcc.localtime import LOCAL_TIMEZONE
from kcc.reference.models import Crisis, Municipality, Topic

DAYS = 40
QUESTIONS = 3_000
CHANNELS = ("telefoon", "e-mail", "chat")
CALLER_TYPES = ("inwoner", "ondernemer", "pers")
SENTIMENTS = (None, "negatief", "neutraal", "positief")
STATUSES = ("beantwoord", "doorgezet", "open")


@dataclass(frozen=True)
class Data:
    """Ids the tests filter on, and the local days the questions span."""

    crises: list[int]
    topics: dict[int, list[int]]
    municipalities: list[int]
    reviewer: int
    today: date

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=DAYS)


def local_today() -> date:
    return utcnow().astimezone(LOCAL_TIMEZONE).date()


@pytest.fixture
def data(app: Flask, demo: None) -> Iterator[Data]:
    """A few thousand random questions over the last 40 local days, bulk inserted (no ORM
    flush, as an import would), many of them close to local midnight."""
    with app.app_context():
        crises = list(db.session.scalars(select(Crisis.id).order_by(Crisis.id)))
        topics = {
            crisis: list(db.session.scalars(select(Topic.id).where(Topic.crisis_id == crisis)))
            for crisis in crises
        }
        municipalities = list(db.session.scalars(select(Municipality.id).limit(3)))
        reviewer = db.session.scalars(select(User.id).where(User.username == "coordinator")).one()
        today = local_today()
        generator = random.Random(7)
        rows = []
        for number in range(QUESTIONS):
            day = today - timedelta(days=generator.randint(0, DAYS))
            minute = generator.choice((0, 5, 30, 59, 60 * 23 + 59, generator.randint(0, 1439)))
            moment = datetime.combine(day, time(minute // 60, minute % 60), LOCAL_TIMEZONE)
            crisis = generator.choice(crises)
            rows.append(
                {
                    "received_at": moment.astimezone(UTC),
                    "channel": generator.choice(CHANNELS),
                    "caller_type": generator.choice(CALLER_TYPES),
                    "municipality_id": generator.choice(municipalities),
                    "crisis_id": crisis,
                    "topic_id": generator.choice([None, *topics[crisis]]),
                    "sentiment": generator.choice(SENTIMENTS),
                    "status": generator.choice(STATUSES),
                    "is_escalated": generator.random() < 0.3,
                    "text": f"Vraag {number}",
                    "text_masked": f"Vraag {number}",
                }
            )
        db.session.execute(insert(Question), rows)
        db.session.commit()
        yield Data(crises, topics, municipalities, reviewer, today)


def periods(data: Data) -> list[InsightFilter]:
    """Whole span, a middle stretch, only today, closed days only, and every filter."""
    crisis, other = data.crises[0], data.crises[1]
    whole = InsightFilter(crisis, data.first_day, data.today)
    return [
        whole,
        InsightFilter(other, data.first_day, data.today),
        InsightFilter(crisis, data.first_day + timedelta(days=7), data.today - timedelta(days=9)),
        InsightFilter(crisis, data.today, data.today),
        InsightFilter(crisis, data.first_day - timedelta(days=5), data.today - timedelta(days=1)),
        InsightFilter(crisis, whole.start, whole.end, municipality_id=data.municipalities[1]),
        InsightFilter(crisis, whole.start, whole.end, channel="e-mail"),
        InsightFilter(crisis, whole.start, whole.end, caller_type="ondernemer"),
        InsightFilter(
            other,
            whole.start,
            whole.end,
            municipality_id=data.municipalities[0],
            channel="chat",
            caller_type="inwoner",
        ),
    ]


def normalised(figure: object) -> object:
    """Lists of per-day-and-topic counts in one order; the database's order is arbitrary."""
    if isinstance(figure, queries.QuestionOverview):
        return (
            normalised(figure.per_day_and_topic),
            figure.topic_shares,
            figure.sentiment_per_day,
            figure.first_line,
        )
    if isinstance(figure, list) and figure and isinstance(figure[0], queries.DayTopicCount):
        return sorted(figure, key=lambda c: (c.day, c.topic_id is not None, c.topic_id or 0))
    return figure


FIGURES: list[Callable[[InsightFilter], object]] = [
    queries.question_overview,
    queries.count_questions_by_day_and_topic,
    queries.topic_shares,
    queries.negative_share_by_day,
    queries.first_line_resolution,
]


def assert_same_as_live(data: Data, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every figure, for every period, equals the pure live computation."""
    for criteria in periods(data):
        for figure in FIGURES:
            with_rollup = normalised(figure(criteria))
            with monkeypatch.context() as patched:
                patched.setattr(queries, "rolled_up_days", lambda criteria: set())
                live = normalised(figure(criteria))
            assert with_rollup == live, (figure.__name__, criteria)


def stale_markers() -> set[tuple[int, date]]:
    return {
        (crisis_id, day)
        for crisis_id, day in db.session.execute(
            select(QuestionDayStale.crisis_id, QuestionDayStale.day)
        )
    }


def closed_days(data: Data) -> set[date]:
    return {data.first_day + timedelta(days=n) for n in range(DAYS)}


def test_figures_equal_live_counts_however_far_the_rollup_is_built(
    app: Flask, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        crisis = data.crises[0]
        whole = InsightFilter(crisis, data.first_day, data.today)
        # Never built: everything live.
        assert queries.rolled_up_days(whole) == set()
        assert_same_as_live(data, monkeypatch)

        # Partly built: two stretches of one crisis.
        built = [data.first_day + timedelta(days=n) for n in (*range(3, 12), 20, 21, 30)]
        rollup.rebuild_days(crisis, built)
        db.session.commit()
        assert queries.rolled_up_days(whole) == set(built)
        assert_same_as_live(data, monkeypatch)

        # Fully built: every closed day comes from the roll-up, today never does.
        report = rollup.rebuild_everything(now=utcnow())
        assert report.days >= 2 * DAYS
        assert queries.rolled_up_days(whole) == closed_days(data)
        assert_same_as_live(data, monkeypatch)

        # A stale day is read live again.
        stale_day = data.first_day + timedelta(days=5)
        rollup.mark_days_stale(db.session, [(crisis, stale_day)])
        db.session.commit()
        assert stale_day not in queries.rolled_up_days(whole)
        assert_same_as_live(data, monkeypatch)


def test_changes_to_old_questions_mark_their_day_and_stay_exact(
    app: Flask, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        rollup.rebuild_everything(now=utcnow())
        assert stale_markers() == set()

        # Registering a question today writes no marker.
        crisis = data.crises[0]
        db.session.add(
            Question(
                received_at=utcnow(),
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=data.municipalities[0],
                crisis_id=crisis,
                text="Nieuw",
                status="open",
            )
        )
        db.session.commit()
        assert stale_markers() == set()

        # A relabel of an old question through the reviewer's service marks its day.
        old_day = data.first_day + timedelta(days=10)
        question = db.session.scalars(
            select(Question)
            .where(
                Question.crisis_id == crisis,
                Question.received_at >= queries.local_midnight(old_day),
                Question.received_at < queries.local_midnight(old_day + timedelta(days=1)),
            )
            .order_by(Question.id)
            .limit(1)
        ).one()
        question_id = question.id
        new_topic = next(t for t in data.topics[crisis] if t != question.topic_id)
        db.session.commit()  # expire it: the listener must cope with unloaded old values
        confirm_labels(question_id, new_topic, "negatief", user_id=data.reviewer)
        assert stale_markers() == {(crisis, old_day)}
        assert_same_as_live(data, monkeypatch)

        # Moving a question to another day marks the old and the new day.
        question = db.session.get(Question, question_id)
        db.session.expire(question, ["received_at"])  # the old moment is only in the database
        question.received_at = queries.local_midnight(old_day - timedelta(days=3)) + timedelta(
            minutes=1
        )
        db.session.commit()
        assert {(crisis, old_day), (crisis, old_day - timedelta(days=3))} <= stale_markers()
        assert_same_as_live(data, monkeypatch)

        # Deleting one through the ORM marks its day too.
        victim = db.session.scalars(
            select(Question)
            .where(Question.received_at < queries.local_midnight(data.today - timedelta(days=2)))
            .order_by(Question.id.desc())
            .limit(1)
        ).one()
        victim_key = (victim.crisis_id, victim.received_at.astimezone(LOCAL_TIMEZONE).date())
        db.session.delete(victim)
        db.session.commit()
        assert victim_key in stale_markers()
        assert_same_as_live(data, monkeypatch)

        # The retention purge deletes in bulk and marks every day it touched.
        app.config["RETENTION_DAYS"] = {"questions": 30}
        purged = purge_expired(now=utcnow())
        assert purged.counts["questions"] > 0
        cutoff = utcnow() - timedelta(days=30)
        expired_days = {
            day
            for day in closed_days(data)
            if queries.local_midnight(day + timedelta(days=1)) <= cutoff
        }
        markers = stale_markers()
        assert {(crisis, day) for day in expired_days} <= markers
        assert_same_as_live(data, monkeypatch)

        # The next run rebuilds the stale days and clears their markers.
        report = rollup.refresh_rollup(now=utcnow())
        assert report.stale_cleared == len(markers)
        assert stale_markers() == set()
        assert_same_as_live(data, monkeypatch)
        emptied = InsightFilter(crisis, data.first_day, data.first_day)
        assert queries.count_questions_by_day_and_topic(emptied) == []


def test_bulk_marking_is_idempotent(app: Flask, data: Data) -> None:
    with app.app_context():
        old = list(
            db.session.scalars(
                select(Question.id)
                .where(Question.received_at < queries.local_midnight(data.today))
                .limit(50)
            )
        )
        rollup.mark_questions_stale(old)
        rollup.mark_questions_stale(old)
        db.session.commit()
        markers = stale_markers()
        expected = {
            (question.crisis_id, question.received_at.astimezone(LOCAL_TIMEZONE).date())
            for question in db.session.scalars(select(Question).where(Question.id.in_(old)))
        }
        assert markers == expected
        count = db.session.execute(select(func.count()).select_from(QuestionDayStale))
        assert count.scalar_one() == len(expected)


def test_rollup_command(app: Flask, data: Data, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["rollup", "--crisis", "oekraine"])
    assert result.exit_code == 0, result.output
    assert "Dagtelling bijgewerkt" in result.output
    result = runner.invoke(args=["rollup", "--rebuild-all"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        built = db.session.scalars(select(QuestionDayCount.day).distinct())
        assert {queries.as_date(day) for day in built} == closed_days(data)
    result = runner.invoke(args=["rollup", "--crisis", "bestaat-niet"])
    assert result.exit_code != 0
    assert "bestaat niet" in result.output
