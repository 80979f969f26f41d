"""Registering questions through the service every channel shares."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from kcc.exceptions import ValidationFailed
from kcc.extensions import db
from kcc.intake.models import ContactDetails, Question, QuestionStatus
from kcc.intake.queries import find_caller_history
from kcc.intake.services import (
    MAX_QUESTION_LENGTH,
    ContactInput,
    QuestionInput,
    register_question,
)
from tests.intake.conftest import DemoIds


def question_input(ids: DemoIds, **changes: object) -> QuestionInput:
    """A valid phone question about leefgeld, with changes."""
    values: dict[str, object] = {
        "channel": "telefoon",
        "caller_type": "inwoner",
        "municipality_id": ids.hilversum,
        "crisis_id": ids.oekraine,
        "text": "Wanneer wordt het leefgeld van deze maand betaald?",
        "answer": "Het leefgeld wordt elke twee weken op vrijdag betaald.",
    }
    values.update(changes)
    return QuestionInput(**values)  # type: ignore[arg-type]


def count_questions() -> int:
    return db.session.execute(select(func.count(Question.id))).scalar_one()


def test_an_answered_question_is_stored_with_a_reference_and_history(
    app: Flask, ids: DemoIds
) -> None:
    with app.app_context():
        now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        question = register_question(question_input(ids), user_id=None, now=now).question

        stored = db.session.get(Question, question.id)
        assert stored is not None
        assert stored.reference == f"KCC-2026-{question.id:06d}"
        assert stored.status == QuestionStatus.BEANTWOORD
        assert stored.received_at == now
        assert [event.kind for event in stored.events] == ["geregistreerd"]
        assert stored.contact is None


def test_personal_data_is_masked_for_analysis_but_kept_in_the_record(
    app: Flask, ids: DemoIds
) -> None:
    text = "Mw. Jansen (06-12345678) vraagt waar ze zich moet inschrijven."
    with app.app_context():
        question = register_question(question_input(ids, text=text), user_id=None).question

        assert question.text == text
        assert "12345678" not in question.text_masked
        assert "[TELEFOON]" in question.text_masked


def test_text_is_stored_exactly_as_typed(app: Flask, ids: DemoIds) -> None:
    text = "  Вопрос про <b>житло</b> ‮ مرحبا 👍🏽\nregel twee\t'; DROP TABLE question; --  "
    with app.app_context():
        question = register_question(question_input(ids, text=text), user_id=None).question
        db.session.expire_all()

        assert db.session.get(Question, question.id).text == text  # type: ignore[union-attr]


def test_every_broken_rule_is_reported_and_nothing_is_stored(app: Flask, ids: DemoIds) -> None:
    broken = question_input(
        ids,
        channel="fax",
        text=" ",
        municipality_id=99_999,
        escalate=True,
        contact=ContactInput(phone="12345", email="geen-adres"),
    )
    with app.app_context():
        with pytest.raises(ValidationFailed) as raised:
            register_question(broken, user_id=None)

        assert set(raised.value.errors) == {"channel", "text", "municipality_id", "phone", "email"}
        assert count_questions() == 0


def test_a_question_longer_than_the_limit_is_refused(app: Flask, ids: DemoIds) -> None:
    with app.app_context():
        with pytest.raises(ValidationFailed) as raised:
            register_question(
                question_input(ids, text="x" * (MAX_QUESTION_LENGTH + 1)), user_id=None
            )

        assert "maximaal 5000 tekens" in raised.value.errors["text"][0]


def test_an_escalation_needs_a_way_to_reach_the_caller(app: Flask, ids: DemoIds) -> None:
    with app.app_context():
        with pytest.raises(ValidationFailed) as raised:
            register_question(question_input(ids, answer="", escalate=True), user_id=None)

        assert "phone" in raised.value.errors


def test_an_escalation_keeps_normalised_contact_details(app: Flask, ids: DemoIds) -> None:
    contact = ContactInput(
        name="A. de Vries", phone="+31 (0)6 1234 5678", preferred_contact="telefoon"
    )
    with app.app_context():
        question = register_question(
            question_input(ids, answer="", escalate=True, contact=contact), user_id=None
        ).question

        assert question.status == QuestionStatus.DOORGEZET
        assert question.contact is not None
        assert question.contact.phone == "+31 (0)6 1234 5678"
        assert question.contact.phone_key == "0612345678"


def test_contact_details_are_not_kept_when_nobody_has_to_call_back(
    app: Flask, ids: DemoIds
) -> None:
    with app.app_context():
        register_question(
            question_input(ids, contact=ContactInput(name="Piet", phone="0612345678")),
            user_id=None,
        )

        assert db.session.execute(select(func.count(ContactDetails.id))).scalar_one() == 0


def test_the_same_submission_token_stores_one_question(app: Flask, ids: DemoIds) -> None:
    with app.app_context():
        first = register_question(question_input(ids, submission_token="abc123"), user_id=None)
        second = register_question(question_input(ids, submission_token="abc123"), user_id=None)

        assert first.created and not second.created
        assert second.question.id == first.question.id
        assert count_questions() == 1


def test_a_caller_is_recognised_by_another_notation_of_their_number(
    app: Flask, ids: DemoIds
) -> None:
    contact = ContactInput(phone="06-12345678", email="Anna@Example.NL")
    with app.app_context():
        earlier = register_question(
            question_input(ids, callback_requested=True, contact=contact), user_id=None
        ).question

        assert [q.id for q in find_caller_history("0031 6 1234 5678", "")] == [earlier.id]
        assert [q.id for q in find_caller_history("", "anna@example.nl ")] == [earlier.id]
        assert find_caller_history("0698765432", "") == []


def test_a_question_can_be_linked_to_an_earlier_contact(app: Flask, ids: DemoIds) -> None:
    with app.app_context():
        earlier = register_question(question_input(ids), user_id=None).question
        later = register_question(
            question_input(ids, related_question_id=earlier.id), user_id=None
        ).question

        assert later.related_question_id == earlier.id
        assert [event.kind for event in later.events] == ["geregistreerd", "gekoppeld"]
