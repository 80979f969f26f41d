"""Inzage- and verwijderverzoeken through the admin page."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from kcc.escalation.models import FollowUp
from kcc.extensions import db
from kcc.governance.models import AuditEvent
from kcc.governance.subject_pdf import render_subject_pdf
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


def pdf_lines(data: bytes) -> list[str]:
    """The text lines of every page, spaces collapsed as a reader would see them."""
    pages = PdfReader(BytesIO(data)).pages
    lines = (line for page in pages for line in page.extract_text().splitlines())
    return [" ".join(line.split()) for line in lines]


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


def test_the_inzage_export_downloads_as_a_pdf_the_resident_can_read(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    hers = register(
        app,
        "Vraag over leefgeld voor mijn zoon",
        ContactInput(name="Олена Коваленко", phone="06-12345678"),
    )
    with app.app_context():
        question = db.session.get(Question, hers)
        reference = question.reference  # type: ignore[union-attr]
        question.escalation.follow_ups.append(  # type: ignore[union-attr]
            FollowUp(
                kind="e-mail",
                email_to="olena.k@example.com",
                email_subject="Uw vraag over leefgeld",
                body="Beste mevrouw Коваленко, het leefgeld wordt vrijdag betaald.",
                delivery_status="verzonden",
            )
        )
        db.session.commit()
    auth.login("admin")

    found = post(client, phone="06-12345678", search="Zoeken")
    response = post(client, phone="06-12345678", export_pdf="pdf")

    assert 'name="export_pdf"' in found.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.data.startswith(b"%PDF-")  # type: ignore[attr-defined]
    assert response.headers["Content-Type"] == "application/pdf"  # type: ignore[attr-defined]
    assert response.headers["Content-Disposition"] == (  # type: ignore[attr-defined]
        'attachment; filename="inzageverzoek.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"  # type: ignore[attr-defined]
    text = " ".join(pdf_lines(response.data))  # type: ignore[attr-defined]
    assert reference and reference in text
    assert "Vraag over leefgeld voor mijn zoon" in text
    assert "Олена Коваленко" in text
    assert "olena.k@example.com" in text and "Uw vraag over leefgeld" in text
    with app.app_context():
        exports = list(
            db.session.execute(
                select(AuditEvent.detail).where(AuditEvent.action == "subject_export")
            ).scalars()
        )
    assert exports == ["inzage (pdf) op telefoonnummer: 1 vragen"]


def exported_question(text: str) -> dict[str, Any]:
    """One question as export_subject_data gives it, with an escalation and an e-mail."""
    return {
        "reference": "KCC-2025-000042",
        "received_at": "2025-11-20T09:15:00+00:00",
        "channel": "telefoon",
        "municipality": "Utrecht",
        "crisis": "Oekraïne",
        "question": text,
        "answer": "We bellen u terug.",
        "status": "doorgezet",
        "topic": None,
        "contact": {
            "name": "Олена Коваленко",
            "phone": "06-12345678",
            "email": None,
            "preferred_contact": "telefoon",
        },
        "history": [{"at": "2025-11-20T09:15:00+00:00", "what": "geregistreerd", "detail": None}],
        "escalation": {
            "state": "wacht_op_burger",
            "deadline": "2025-11-25T16:00:00+00:00",
            "reason": "Terugbelverzoek",
            "final_answer": None,
            "steps": [{"at": "2025-11-20T09:16:00+00:00", "what": "doorgezet", "detail": None}],
            "follow_ups": [
                {
                    "at": "2025-11-21T10:00:00+00:00",
                    "kind": "telefoon",
                    "outcome": "niet_bereikt",
                    "text": "Voicemail ingesproken.",
                    "email_to": None,
                    "email_subject": None,
                    "delivery_status": None,
                }
            ],
        },
    }


def test_the_pdf_wraps_a_long_question_and_says_when_nothing_was_found() -> None:
    unbroken = "NL91ABNA0417164300" * 20  # pasted without spaces: wider than a line
    words = "Мій син шукає школу; هل يمكنني الحصول على المساعدة؟ tab\there\r\n "
    text = (unbroken + " " + words * 100)[:5000]

    lines = pdf_lines(
        render_subject_pdf(
            {"exported_at": "2025-11-23T13:00:00+00:00", "questions": [exported_question(text)]}
        )
    )
    empty = " ".join(
        pdf_lines(render_subject_pdf({"exported_at": "2025-11-23T13:00:00+00:00", "questions": []}))
    )

    assert len(text) == 5000
    assert max(len(line) for line in lines) < 110, "a line ran off the page"
    assert unbroken in "".join("".join(lines).split())
    assert "Мій син шукає школу;" in " ".join(lines)
    assert "Pagina 2 van" in " ".join(lines)
    assert "geen vragen of contactgegevens van u gevonden" in empty
    assert "Datum export 23-11-2025 14:00" in empty


def test_a_name_in_another_script_is_found_whatever_its_case(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    register(app, "Vraag over leefgeld", ContactInput(name="Олена Коваленко", phone="0612345678"))
    register(app, "Vraag over school", ContactInput(name="Émile Ünal", phone="0612345679"))
    auth.login("admin")

    cyrillic = post(client, name="олена КОВАЛЕНКО", search="Zoeken")
    accented = post(client, name="émile ünal", search="Zoeken")

    assert "Gevonden: 1 vraag<" in cyrillic.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Gevonden: 1 vraag<" in accented.get_data(as_text=True)  # type: ignore[attr-defined]
