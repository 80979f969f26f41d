"""Tagging questions, training runs, the registry's rules and the batch CLI, on real models."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update

from kcc.classification.models import ModelKind, ModelVersion
from kcc.classification.services import (
    active_version,
    confirm_labels,
    confirmed_examples,
    model_directory,
    review_queue,
    train_models,
)
from kcc.extensions import db
from kcc.intake.models import Question
from kcc.intake.services import QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality, Topic
from kcc.reference.services import CrisisInput, TopicInput, create_crisis, create_topic


def register(app: Flask, crisis_code: str, text: str, **changes: object) -> Question:
    """Register a question through the intake service and return it."""
    with app.app_context():
        crisis = db.session.execute(select(Crisis).where(Crisis.code == crisis_code)).scalar_one()
        municipality = db.session.execute(select(Municipality)).scalars().first()
        assert municipality is not None
        values: dict[str, object] = {
            "channel": "telefoon",
            "caller_type": "inwoner",
            "municipality_id": municipality.id,
            "crisis_id": crisis.id,
            "text": text,
        }
        values.update(changes)
        question = register_question(QuestionInput(**values), user_id=None).question  # type: ignore[arg-type]
        db.session.refresh(question)
        db.session.expunge(question)
        return question


def topic_code(app: Flask, question: Question) -> str | None:
    with app.app_context():
        topic = db.session.get(Topic, question.topic_id) if question.topic_id else None
        return topic.code if topic else None


def test_a_registered_question_gets_topic_sentiment_and_model_versions(
    app: Flask, active_models: None
) -> None:
    question = register(app, "oekraine", "mw belt ivm leefgeld, nog niks ontvangen, boos")

    assert topic_code(app, question) == "leefgeld"
    assert question.sentiment == "negatief"
    assert question.topic_confidence is not None and question.topic_confidence > 0.5
    assert question.topic_model_id is not None and question.sentiment_model_id is not None
    assert not question.needs_review


def test_an_unclear_question_waits_for_review_and_a_person_labels_it(
    app: Flask, active_models: None
) -> None:
    unclear = register(app, "corona", "hallo ik heb een vraag")

    with app.app_context():
        assert [q.id for q in review_queue()] == [unclear.id]
        topic = db.session.execute(
            select(Topic).where(Topic.crisis_id == unclear.crisis_id, Topic.code == "overig")
        ).scalar_one()
        confirm_labels(unclear.id, topic.id, "neutraal", user_id=None)
        assert review_queue() == []
        assert [e.topic for e in confirmed_examples(unclear.crisis_id)] == ["overig"]


def test_what_the_agent_chose_overrules_the_model_and_becomes_a_label(
    app: Flask, active_models: None
) -> None:
    with app.app_context():
        crisis_id = db.session.execute(
            select(Crisis.id).where(Crisis.code == "oekraine")
        ).scalar_one()
        werk = db.session.execute(
            select(Topic.id).where(Topic.crisis_id == crisis_id, Topic.code == "werk")
        ).scalar_one()

    question = register(
        app,
        "oekraine",
        "mw belt ivm leefgeld, nog niks ontvangen",
        topic_id=werk,
        sentiment="positief",
    )

    assert question.topic_id == werk and question.sentiment == "positief"
    assert question.labels_confirmed_at is not None and not question.needs_review


def test_a_tampered_model_file_is_refused_and_the_question_still_saved(
    app: Flask, active_models: None
) -> None:
    with app.app_context():
        version = active_version(ModelKind.SENTIMENT, None)
        assert version is not None
        path = model_directory() / version.file_name
        path.write_bytes(path.read_bytes() + b"x")

    question = register(app, "oekraine", "Wanneer komt het leefgeld?")

    assert question.id is not None
    assert question.sentiment is None and question.needs_review


def test_a_missing_model_file_does_not_stop_registration(app: Flask, active_models: None) -> None:
    with app.app_context():
        crisis = db.session.execute(select(Crisis).where(Crisis.code == "oekraine")).scalar_one()
        version = active_version(ModelKind.TOPIC, crisis.id)
        assert version is not None
        (model_directory() / version.file_name).unlink()

    question = register(app, "oekraine", "Wanneer komt het leefgeld?")

    assert question.id is not None and question.needs_review


def test_a_new_crisis_without_labels_gets_topics_from_their_descriptions(
    app: Flask, active_models: None
) -> None:
    with app.app_context():
        crisis = create_crisis(
            "asielzoekers",
            CrisisInput(name="Nieuwe asiellocatie", start_date=date(2026, 11, 1)),
        )
        create_topic(
            crisis.id,
            "veiligheid",
            TopicInput(
                name="Veiligheid",
                description="Zorgen over veiligheid, politie, cameratoezicht en overlast.",
            ),
        )
        create_topic(
            crisis.id,
            "informatieavond",
            TopicInput(
                name="Informatieavond",
                description="Bijeenkomst, inloopavond, datum en tijd, aanmelden.",
            ),
        )

    question = register(app, "asielzoekers", "Wanneer is de informatieavond? Ik wil me aanmelden.")

    assert topic_code(app, question) == "informatieavond"
    assert question.topic_model_id is None  # the cold-start model has no version


def test_training_activates_only_a_model_that_is_not_worse(app: Flask, demo: None) -> None:
    with app.app_context():
        first = train_models("corona")
        assert [(o.kind, o.activated) for o in first] == [("topic", True), ("sentiment", True)]
        # Pretend the active topic model scored much better than any retraining can.
        db.session.execute(
            update(ModelVersion)
            .where(ModelVersion.kind == "topic", ModelVersion.is_active)
            .values(metrics={"macro_f1": 0.999})
        )
        db.session.commit()

        second = train_models("corona")
        forced = train_models("corona", force=True)

        assert second[0].activated is False and "slechter" in second[0].reason
        assert forced[0].activated is True
        versions = db.session.execute(
            select(ModelVersion.version, ModelVersion.is_active)
            .where(ModelVersion.kind == "topic")
            .order_by(ModelVersion.version)
        ).all()
        assert versions == [(1, False), (2, False), (3, True)]
        assert first[0].version is not None and first[0].version.macro_f1 >= 0.85


def test_classify_cli_labels_a_csv_with_the_active_models(
    runner: FlaskCliRunner, active_models: None, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "id,text\n7,mw belt ivm leefgeld nog niks ontvangen boos\n"
        "8,Waar kan mijn kind naar school?\n",
        encoding="utf-8",
    )
    target = tmp_path / "out.csv"

    result = runner.invoke(
        args=["classify", "--crisis", "oekraine", "--input", str(source), "--output", str(target)]
    )

    assert result.exit_code == 0, result.output
    with target.open(encoding="utf-8") as written:
        rows = list(csv.DictReader(written))
    assert [row["id"] for row in rows] == ["7", "8"]
    assert [row["topic"] for row in rows] == ["leefgeld", "onderwijs"]
    assert rows[0]["sentiment"] == "negatief"
    assert list(rows[0]) == ["id", "topic", "topic_confidence", "sentiment", "sentiment_confidence"]


def test_a_crisis_without_data_keeps_its_cold_start_until_people_labelled_enough(
    app: Flask, demo: None
) -> None:
    with app.app_context():
        crisis = create_crisis(
            "stroomuitval", CrisisInput(name="Stroomuitval", start_date=date(2026, 11, 20))
        )

        outcomes = train_models("stroomuitval")

        assert outcomes[0].kind == "topic" and outcomes[0].version is None
        assert "te weinig bevestigde labels (0 van 100)" in outcomes[0].reason
        assert active_version(ModelKind.TOPIC, crisis.id) is None
