"""bench/generate_questions.py builds a database the app reads: rows, search, dates, triggers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from bench.generate_questions import HISTORY_DAYS, generate, verify_database
from kcc.extensions import db
from kcc.intake.models import ContactDetails, Question, QuestionEvent, format_reference
from kcc.localtime import to_local
from kcc.reference.models import Municipality, Topic
from tests.conftest import make_test_app

ROWS = 500
# Early in a year, so the 120 days of history span two reference years.
NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
FTS_COUNT = "SELECT count(*) FROM question_fts WHERE question_fts MATCH :words"
FTS_IDS = "SELECT rowid FROM question_fts WHERE question_fts MATCH :words"


@pytest.fixture(scope="module")
def bench_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated database, built once for this module."""
    path = tmp_path_factory.mktemp("bench") / "questions.sqlite"
    generate(path, ROWS, 7, now=NOW)
    return path


@pytest.fixture
def bench_app(bench_database: Path, instance_path: Path) -> Iterator[Flask]:
    """A testing app on the generated database (not the shared test database)."""
    app = make_test_app(f"sqlite:///{bench_database}", instance_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_every_question_has_its_event_and_escalations_their_contact(bench_app: Flask) -> None:
    with bench_app.app_context():
        statuses = dict(
            db.session.execute(
                select(Question.status, func.count()).group_by(Question.status)
            ).all()
        )
        escalated_without_contact = db.session.execute(
            select(func.count())
            .select_from(Question)
            .outerjoin(ContactDetails)
            .where(Question.is_escalated, ContactDetails.id.is_(None))
        ).scalar_one()

        assert count(Question) == ROWS
        assert count(QuestionEvent) == ROWS
        assert set(statuses) == {"beantwoord", "doorgezet", "open"}
        assert statuses["beantwoord"] > statuses["doorgezet"] > statuses["open"] > 0
        assert count(ContactDetails) == statuses["doorgezet"]
        assert escalated_without_contact == 0


def test_questions_spread_over_crises_and_municipalities_with_matching_topics(
    bench_app: Flask,
) -> None:
    with bench_app.app_context():
        municipalities_used = db.session.execute(
            select(func.count(func.distinct(Question.municipality_id)))
        ).scalar_one()
        crises_used = db.session.execute(
            select(func.count(func.distinct(Question.crisis_id)))
        ).scalar_one()
        topic_of_other_crisis = db.session.execute(
            select(func.count())
            .select_from(Question)
            .join(Topic, Question.topic_id == Topic.id)
            .where(Topic.crisis_id != Question.crisis_id)
        ).scalar_one()

        assert municipalities_used == count(Municipality) == 7
        assert crises_used == 2
        assert topic_of_other_crisis == 0


def test_references_carry_the_dutch_year_of_receipt(bench_app: Flask) -> None:
    with bench_app.app_context():
        questions = db.session.execute(select(Question)).scalars().all()

        assert all(
            question.reference == format_reference(question.id, to_local(question.received_at).year)
            for question in questions
        )
        assert {question.reference[4:8] for question in questions} == {"2025", "2026"}


def test_a_date_range_through_the_orm_returns_part_of_the_questions(bench_app: Flask) -> None:
    start, end = NOW - timedelta(days=30), NOW - timedelta(days=10)
    with bench_app.app_context():
        in_range = db.session.execute(
            select(func.count())
            .select_from(Question)
            .where(Question.received_at >= start, Question.received_at < end)
        ).scalar_one()
        received = db.session.execute(select(Question.received_at)).scalars().all()

    expected = sum(start <= moment < end for moment in received)
    assert 0 < in_range < ROWS
    assert in_range == expected
    assert all(NOW - timedelta(days=HISTORY_DAYS) <= moment <= NOW for moment in received)
    assert all(moment.tzinfo is not None for moment in received)


def test_the_search_index_finds_words_from_the_data(bench_app: Flask) -> None:
    with bench_app.app_context():
        question = db.session.get(Question, 1)
        assert question is not None
        word = max(
            (word for word in question.text_masked.split() if word.isalpha()), key=len
        ).lower()
        found_ids = db.session.execute(text(FTS_IDS), {"words": f'"{word}"'}).scalars().all()
        leefgeld = db.session.execute(text(FTS_COUNT), {"words": "leefgeld"}).scalar_one()

        assert question.id in found_ids
        assert 0 < leefgeld < ROWS


def test_the_search_triggers_are_back_after_the_load(bench_app: Flask) -> None:
    with bench_app.app_context():
        existing = db.session.get(Question, 1)
        assert existing is not None
        db.session.add(
            Question(
                received_at=NOW,
                channel=existing.channel,
                caller_type=existing.caller_type,
                municipality_id=existing.municipality_id,
                crisis_id=existing.crisis_id,
                text="zonnepanelen op de noodopvang",
                text_masked="zonnepanelen op de noodopvang",
                status="open",
            )
        )
        db.session.flush()
        found = db.session.execute(text(FTS_COUNT), {"words": "zonnepanelen"}).scalar_one()
        db.session.rollback()

        assert found == 1


def test_the_database_passes_integrity_checks(bench_database: Path) -> None:
    with closing(sqlite3.connect(bench_database)) as connection:
        foreign_key_errors = connection.execute("PRAGMA foreign_key_check").fetchall()
        connection.execute("INSERT INTO question_fts(question_fts) VALUES ('integrity-check')")
        statistics = connection.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0]

    assert foreign_key_errors == []
    assert statistics > 0  # ANALYZE ran


def test_the_script_verification_agrees_with_itself(bench_database: Path) -> None:
    verification = verify_database(bench_database, now=NOW)

    assert verification.questions == verification.events == ROWS
    assert 0 < verification.questions_since < ROWS
    assert verification.questions_since == verification.questions_since_by_julianday
    assert verification.masking_sample == ROWS
    assert verification.masking_differences == 0


def test_the_same_seed_gives_the_same_questions(tmp_path: Path) -> None:
    dumps = []
    for name in ("first.sqlite", "second.sqlite"):
        generate(tmp_path / name, 50, 3, now=NOW)
        with closing(sqlite3.connect(tmp_path / name)) as connection:
            dumps.append(connection.execute("SELECT * FROM question ORDER BY id").fetchall())

    assert dumps[0] == dumps[1]
    assert len(dumps[0]) == 50
