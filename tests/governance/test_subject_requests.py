"""Inzage- and verwijderverzoeken through the admin page."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.escalation.models import FollowUp
from kcc.extensions import db
from kcc.governance.models import AuditEvent
from kcc.intake.models import ContactDetails, Question
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality
from tests.helpers import AuthActions, csrf_token_from

PAGE = "/admin/subject-requests"


def register(app: Flask, text: str, contact: ContactInput | None) -> int:
    with app.app_context():
        return register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=db.session.execute(select(Municipality.id)).scalars().first(),  # type: ignore[arg-type]
                crisis_id=db.session.execute(select(Crisis.id)).scalars().first(),  # type: ignore[arg-type]
                text=text,
                answer="We bellen u terug.",
                callback_requested=contact is not None,
                contact=contact,
            ),
            user_id=None,
        ).question.id


def post(client: FlaskClient, **data: str) -> object:
    token = csrf_token_from(client.get(PAGE))
    return client.post(PAGE, data={"csrf_token": token, **data})


def test_a_persons_data_is_found_exported_and_anonymised(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    hers = register(
        app,
        "Olena K. vraagt naar leefgeld, 06-12345678",
        ContactInput(name="Olena Kovalenko", phone="06-12345678"),
    )
    by_mail = register(app, "Mail van olena.k@example.com over school", None)
    other = register(app, "Iemand anders over opvang", ContactInput(phone="0698765432"))
    with app.app_context():
        # Her call-back was answered by e-mail: that follow-up is hers too.
        escalation = db.session.get(Question, hers).escalation  # type: ignore[union-attr]
        escalation.follow_ups.append(
            FollowUp(
                kind="e-mail",
                email_to="olena.k@example.com",
                email_subject="Uw vraag",
                body="Beste mevrouw Kovalenko, bel 06-12345678 gerust.",
            )
        )
        db.session.commit()
    auth.login("admin")

    found = post(client, phone="+31 6 1234 5678", email="Olena.K@example.com", search="Zoeken")
    exported = post(client, phone="0612345678", email="olena.k@example.com", export="Exporteer")
    unconfirmed = post(client, phone="0612345678", email="olena.k@example.com", anonymise="x")
    anonymised = post(
        client, phone="0612345678", email="olena.k@example.com", anonymise="x", confirm="y"
    )

    assert "Gevonden: 2 vragen" in found.get_data(as_text=True)  # type: ignore[attr-defined]
    data = exported.get_json()  # type: ignore[attr-defined]
    assert exported.headers["Content-Disposition"].startswith("attachment")  # type: ignore[attr-defined]
    assert {q["question"] for q in data["questions"]} == {
        "Olena K. vraagt naar leefgeld, 06-12345678",
        "Mail van olena.k@example.com over school",
    }
    her_export = next(q for q in data["questions"] if q["question"].startswith("Olena"))
    assert her_export["escalation"]["follow_ups"][0]["email_to"] == "olena.k@example.com"
    assert unconfirmed.status_code == 422  # type: ignore[attr-defined]
    assert anonymised.status_code == 302  # type: ignore[attr-defined]
    with app.app_context():
        texts = {q.id: q.text for q in db.session.execute(select(Question)).scalars()}
        assert "06-12345678" not in texts[hers] and "[TELEFOON]" in texts[hers]
        assert "olena.k@example.com" not in texts[by_mail]
        assert texts[other] == "Iemand anders over opvang"
        mail = db.session.execute(select(FollowUp)).scalar_one()
        assert mail.email_to is None and "06-12345678" not in mail.body
        contacts = list(db.session.execute(select(ContactDetails.question_id)).scalars())
        assert contacts == [other]
        actions = list(db.session.execute(select(AuditEvent.action)).scalars())
        assert {"subject_search", "subject_export", "subject_erasure"} <= set(actions)


def test_a_search_needs_a_usable_key(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("admin")

    empty = post(client, search="Zoeken")
    short_name = post(client, name="Jan", search="Zoeken")

    assert empty.status_code == 422  # type: ignore[attr-defined]
    assert "minstens 4 tekens" in short_name.get_data(as_text=True)  # type: ignore[attr-defined]
