"""The queue and item screens: urgency order, views, scope, and nothing typed is ever lost."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.escalation.models import EmailTemplate, Escalation, FollowUp
from kcc.extensions import db, utcnow
from kcc.governance.models import AuditEvent
from tests.escalation.conftest import Region, escalate_question
from tests.helpers import AuthActions, csrf_token_from
from tests.smtp_server import RejectingSmtpServer, SmtpServer, configure_mail


def set_deadline(app: Flask, item: int, *, hours_from_now: float, priority: str = "normaal") -> str:
    """Move an item's deadline and priority; return its reference."""
    with app.app_context():
        escalation = db.session.get(Escalation, item)
        assert escalation is not None
        escalation.deadline = utcnow() + timedelta(hours=hours_from_now)
        escalation.priority = priority
        escalation.priority_rank = ["spoed", "hoog", "normaal", "laag"].index(priority) + 1
        db.session.commit()
        return escalation.question.reference or ""


def references_in(html: str) -> list[str]:
    """The references in the queue table, top to bottom."""
    return re.findall(r'<td><a href="/queue/\d+">(KCC-\d{4}-\d+)</a></td>', html)


def form_value(html: str, name: str) -> str:
    """The value of a (hidden) input on the page."""
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    assert match, f"no input {name}"
    return match.group(1)


def post_on_item(client: FlaskClient, item: int, action: str, data: dict[str, str]) -> object:
    """Submit one of the item page's forms as a browser would (CSRF token from the page)."""
    page = client.get(f"/queue/{item}")
    prefix = data.pop("_prefix")
    token = re.search(
        rf'name="{prefix}-csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)
    )
    assert token, f"no {prefix} form on the page"
    return client.post(f"/queue/{item}/{action}", data={**data, f"{prefix}-csrf_token": token[1]})


def test_the_queue_shows_overdue_first_then_deadline_then_priority(
    app: Flask, region: Region, client: FlaskClient, auth: AuthActions
) -> None:
    later = set_deadline(app, escalate_question(app, region), hours_from_now=48)
    urgent_soon = set_deadline(
        app, escalate_question(app, region), hours_from_now=2, priority="spoed"
    )
    normal_soon = set_deadline(app, escalate_question(app, region), hours_from_now=2)
    overdue = set_deadline(app, escalate_question(app, region), hours_from_now=-30)
    auth.login("coordinator")

    html = client.get("/queue").get_data(as_text=True)

    assert references_in(html) == [overdue, urgent_soon, normal_soon, later]
    assert "te laat" in html and "bijna" in html
    assert "Nieuw: <strong>4</strong>" in html
    overdue_only = client.get("/queue?view=overdue").get_data(as_text=True)
    assert references_in(overdue_only) == [overdue]


def test_views_and_saved_views_narrow_the_queue(
    app: Flask, region: Region, client: FlaskClient, auth: AuthActions
) -> None:
    mine = escalate_question(app, region, text="Voor de coördinator zelf")
    other = escalate_question(app, region, text="Nog van niemand")
    auth.login("coordinator")
    post_on_item(client, mine, "claim", {"_prefix": "claim", "claim-version": "1"})

    assert len(references_in(client.get("/queue?view=mine").get_data(as_text=True))) == 1
    unassigned = client.get("/queue?view=unassigned").get_data(as_text=True)
    with app.app_context():
        other_reference = db.session.get(Escalation, other).question.reference  # type: ignore[union-attr]
    assert references_in(unassigned) == [other_reference]

    page = client.get("/queue?view=unassigned")
    client.post(
        "/queue/views",
        data={
            "name": "Niemand",
            "query": "view=unassigned",
            "csrf_token": csrf_token_from(page),
        },
    )
    html = client.get("/queue").get_data(as_text=True)
    assert '<a href="/queue?view=unassigned">Niemand</a>' in html


def test_a_specialist_sees_only_their_own_and_their_departments_items(
    app: Flask, region: Region, client: FlaskClient, auth: AuthActions
) -> None:
    elsewhere = escalate_question(app, region)
    with app.app_context():
        escalation = db.session.get(Escalation, elsewhere)
        escalation.department_id = region.departments["Zorg en Welzijn"]  # type: ignore[union-attr]
        db.session.commit()
    auth.login("specialist")

    assert client.get(f"/queue/{elsewhere}").status_code == 403
    assert references_in(client.get("/queue?view=open").get_data(as_text=True)) == []


def test_a_conflicting_answer_keeps_what_was_typed(
    app: Flask, region: Region, client: FlaskClient, auth: AuthActions
) -> None:
    item = escalate_question(app, region)
    auth.login("coordinator")
    post_on_item(client, item, "claim", {"_prefix": "claim", "claim-version": "1"})
    page = client.get(f"/queue/{item}").get_data(as_text=True)
    stale_version = form_value(page, "answer-version")
    # Meanwhile someone else raises the priority.
    post_on_item(
        client,
        item,
        "priority",
        {"_prefix": "priority", "priority-version": stale_version, "priority-priority": "hoog"},
    )

    response = post_on_item(
        client,
        item,
        "answer",
        {
            "_prefix": "answer",
            "answer-version": stale_version,
            "answer-body": "Uw aanvraag is goedgekeurd; de sleutel ligt bij de balie.",
        },
    )

    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "net gewijzigd" in html
    assert "Uw aanvraag is goedgekeurd; de sleutel ligt bij de balie." in html


def test_the_answer_goes_out_by_email_and_a_failed_send_can_be_retried(
    app: Flask,
    region: Region,
    client: FlaskClient,
    auth: AuthActions,
    smtp_server: SmtpServer,
    rejecting_smtp_server: RejectingSmtpServer,
) -> None:
    item = escalate_question(app, region)
    auth.login("coordinator")
    post_on_item(client, item, "claim", {"_prefix": "claim", "claim-version": "1"})
    html = client.get(f"/queue/{item}").get_data(as_text=True)
    post_on_item(
        client,
        item,
        "transition",
        {
            "_prefix": "transition",
            "transition-version": form_value(html, "transition-version"),
            "transition-state": "in_behandeling",
        },
    )
    html = client.get(f"/queue/{item}").get_data(as_text=True)
    post_on_item(
        client,
        item,
        "answer",
        {
            "_prefix": "answer",
            "answer-version": form_value(html, "answer-version"),
            "answer-body": "De locatie opent op 1 december.",
            "answer-mark_answered": "y",
        },
    )
    composed = client.get(f"/queue/{item}").get_data(as_text=True)
    subject = form_value(composed, "email-subject")
    assert re.fullmatch(r"Antwoord op uw vraag \(KCC-\d{4}-\d+\)", subject)
    body = re.search(r'name="email-body"[^>]*>\s*(.*?)</textarea>', composed, re.S)
    assert body and "De locatie opent op 1 december." in body[1] and "Beste K. de Boer" in body[1]

    configure_mail(app, rejecting_smtp_server)
    failed = post_on_item(
        client,
        item,
        "email",
        {
            "_prefix": "email",
            "email-to": "k.deboer@example.nl",
            "email-subject": subject,
            "email-body": "Beste K. de Boer,\n\nDe locatie opent op 1 december.",
        },
    )
    page = client.get(f"/queue/{item}").get_data(as_text=True)
    assert failed.status_code == 302  # type: ignore[attr-defined]
    assert "mislukt" in page and "554" in page and "Opnieuw versturen" in page

    configure_mail(app, smtp_server)
    with app.app_context():
        mail = db.session.execute(select(FollowUp).where(FollowUp.kind == "e-mail")).scalar_one()
        mail_id, message_id = mail.id, mail.message_id
    client.post(
        f"/queue/followups/{mail_id}/retry",
        data={"retry-csrf_token": csrf_token_from(client.get(f"/queue/{item}"))},
    )

    received = smtp_server.wait_for(1)[0]
    assert received["To"] == "k.deboer@example.nl"
    assert received["Subject"] == subject
    assert received["Message-ID"] == message_id
    assert "De locatie opent op 1 december." in received.get_content()
    with app.app_context():
        mail = db.session.get(FollowUp, mail_id)
        assert mail is not None and (mail.delivery_status, mail.attempts) == ("verzonden", 2)


def test_an_invalid_email_address_keeps_the_letter(
    app: Flask, region: Region, client: FlaskClient, auth: AuthActions
) -> None:
    item = escalate_question(app, region)
    auth.login("coordinator")
    post_on_item(client, item, "claim", {"_prefix": "claim", "claim-version": "1"})

    response = post_on_item(
        client,
        item,
        "email",
        {
            "_prefix": "email",
            "email-to": "k.deboer@",
            "email-subject": "Uw vraag",
            "email-body": "Een lange brief die niet verloren mag gaan.",
        },
    )

    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Dit is geen geldig e-mailadres" in html
    assert "Een lange brief die niet verloren mag gaan." in html


def test_a_coordinators_template_fills_the_letter(
    app: Flask, region: Region, client: FlaskClient, auth: AuthActions
) -> None:
    item = escalate_question(app, region)
    auth.login("coordinator")
    page = client.get("/queue/templates/new")
    client.post(
        "/queue/templates/new",
        data={
            "csrf_token": csrf_token_from(page),
            "crisis_id": str(region.oekraine),
            "name": "Kort",
            "subject": "Uw vraag $referentie",
            "body": "Beste $naam, zie $antwoord. Groet, $behandelaar",
            "is_active": "y",
        },
    )
    with app.app_context():
        template = db.session.execute(
            select(EmailTemplate).where(EmailTemplate.name == "Kort")
        ).scalar_one()

    html = client.get(f"/queue/{item}?template={template.id}").get_data(as_text=True)

    assert re.search(r'name="email-subject"[^>]*value="Uw vraag KCC-\d{4}-\d+"', html)
    assert "Beste K. de Boer, zie . Groet, Demo Coördinator" in html


def test_opening_an_item_is_audit_logged(
    app: Flask, region: Region, client: FlaskClient, auth: AuthActions
) -> None:
    item = escalate_question(app, region)
    auth.login("coordinator")

    client.get(f"/queue/{item}")

    with app.app_context():
        logged = db.session.execute(
            select(AuditEvent).where(
                AuditEvent.object_type == "escalation", AuditEvent.object_id == str(item)
            )
        ).scalars()
        assert "view_personal_data" in {event.action for event in logged}


def test_an_agent_escalates_an_earlier_question_and_must_give_contact_details(
    app: Flask, region: Region, client: FlaskClient, auth: AuthActions
) -> None:
    from kcc.intake.services import QuestionInput, register_question

    with app.app_context():
        question = register_question(
            QuestionInput(
                channel="balie",
                caller_type="inwoner",
                municipality_id=region.hilversum,
                crisis_id=region.oekraine,
                text="Mag mijn gastgezin een vergoeding krijgen?",
            ),
            user_id=region.users["agent"],
        ).question
        question_id = question.id
    auth.login("agent")
    url = f"/queue/escalate/{question_id}"

    refused = client.post(
        url,
        data={"csrf_token": csrf_token_from(client.get(url)), "reason": "Weet het niet zeker"},
    )
    assert refused.status_code == 422
    assert "Vul een telefoonnummer of e-mailadres in" in refused.get_data(as_text=True)
    assert "Weet het niet zeker" in refused.get_data(as_text=True)

    client.post(
        url,
        data={
            "csrf_token": csrf_token_from(client.get(url)),
            "reason": "Weet het niet zeker",
            "contact_phone": "035-1234567",
        },
    )
    with app.app_context():
        escalation = db.session.execute(
            select(Escalation).where(Escalation.question_id == question_id)
        ).scalar_one()
        assert escalation.reason == "Weet het niet zeker"
        assert escalation.question.contact.phone == "035-1234567"  # type: ignore[union-attr]


def test_a_forged_saved_view_keeps_only_the_queue_filters(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")
    forged = "view=overdue&state=nieuw\r\nSet-Cookie: x=1&next=https://example.org&" + "a" * 5000

    response = client.post(
        "/queue/views",
        data={
            "name": "Vervalst",
            "query": forged,
            "csrf_token": csrf_token_from(client.get("/queue")),
        },
    )

    # Found by the offline scanner: a newline in the query made the redirect a 500.
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/queue?view=overdue&state=nieuw%0D%0ASet-Cookie%3A+x%3D1"
    html = client.get("/queue").get_data(as_text=True)
    assert "example.org" not in html
