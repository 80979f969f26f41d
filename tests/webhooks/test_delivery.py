"""The webhook outbox end to end: real service calls make deliveries, the sender POSTs them
signed to a real HTTPS receiver, retries with back-off at the planned times, gives up after the
last attempt, and two senders never take the same row."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text

from kcc.auth.models import User
from kcc.escalation import services as escalation
from kcc.exceptions import ValidationFailed
from kcc.extensions import db
from kcc.faq import editorial
from kcc.insight.signals import detect_signals
from kcc.intake.models import Question
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.webhooks import delivery
from kcc.webhooks.events import WebhookEvent
from kcc.webhooks.models import WebhookDelivery, WebhookEndpoint
from kcc.webhooks.services import EndpointInput, create_endpoint, emit_event
from kcc.webhooks.signing import verify_signature
from tests.insight.test_signals import plant_growing_cluster
from tests.webhooks.conftest import Region, RegisterEndpoint
from tests.webhooks.receiver import HttpsReceiver

NOW = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
QUESTION_TEXT = "Mijn naam is Karin de Boer, wanneer krijg ik leefgeld? Bel 06-12345678."


def register(app: Flask, region: Region, *, escalate: bool = False, now: datetime = NOW) -> int:
    """Register a question as the agent does (escalated with contact details if asked)."""
    with app.app_context():
        registration = register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=region.hilversum,
                crisis_id=region.oekraine,
                text=QUESTION_TEXT,
                escalate=escalate,
                contact=ContactInput(name="Karin de Boer", phone="06-12345678")
                if escalate
                else None,
                received_at=now,
            ),
            user_id=region.users["agent"],
            now=now,
        )
        return registration.question.id


def send(app: Flask, now: datetime) -> delivery.SendSummary:
    """Run the sender once at this moment."""
    with app.app_context():
        return delivery.send_due_deliveries(now=now)


def deliveries(app: Flask) -> list[dict]:
    """Every delivery's fields, oldest first."""
    with app.app_context():
        rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        return [
            {
                "public_id": row.public_id,
                "event": row.event,
                "status": row.status,
                "attempts": row.attempts,
                "next_attempt_at": row.next_attempt_at,
                "last_status_code": row.last_status_code,
                "last_error": row.last_error,
                "body": row.body,
            }
            for row in rows
        ]


def secret_of(app: Flask, endpoint_id: int) -> str:
    """The endpoint's current secret."""
    with app.app_context():
        return db.session.get_one(WebhookEndpoint, endpoint_id).secret


def test_a_registered_question_reaches_the_receiver_signed_and_without_personal_data(
    app: Flask, region: Region, receiver: HttpsReceiver, register_endpoint: RegisterEndpoint
) -> None:
    endpoint_id = register_endpoint(receiver.url, WebhookEvent.QUESTION_REGISTERED)
    question_id = register(app, region)

    summary = send(app, NOW)

    assert summary == delivery.SendSummary(delivered=1, waiting=0, failed=0)
    [received] = receiver.state.requests
    [stored] = deliveries(app)
    assert received.path == "/kcc-hook"
    assert received.headers["X-KCC-Event"] == "question.registered"
    assert received.headers["X-KCC-Delivery"] == stored["public_id"]
    assert received.headers["Content-Type"] == "application/json; charset=utf-8"
    signature = received.headers["X-KCC-Signature"]
    assert signature.startswith(f"t={int(NOW.timestamp())},v1=")
    secret = secret_of(app, endpoint_id)
    assert verify_signature(secret, signature, received.body, now=int(NOW.timestamp()))
    assert not verify_signature(
        "a-different-secret", signature, received.body, now=int(NOW.timestamp())
    )
    assert not verify_signature(secret, signature, received.body + b" ", now=int(NOW.timestamp()))
    payload = json.loads(received.body)
    assert set(payload) == {"id", "event", "occurred_at", "data"}
    assert payload["event"] == "question.registered"
    assert datetime.fromisoformat(payload["occurred_at"]) == NOW
    data = payload["data"]
    assert data["question_id"] == question_id
    assert data["crisis"] == "oekraine"
    assert data["municipality"] == "GM0402"
    assert data["channel"] == "telefoon"
    assert data["api_url"].endswith(f"/api/v1/questions/{question_id}")
    # Privacy by design: no text and nothing of the caller, in any form.
    body = received.body.decode("utf-8")
    for personal in ("Karin", "Boer", "06-12345678", "leefgeld?", "[NAAM]"):
        assert personal not in body
    assert (stored["status"], stored["attempts"], stored["last_status_code"]) == (
        "afgeleverd",
        1,
        204,
    )
    assert send(app, NOW + timedelta(hours=1)) == delivery.SendSummary()
    assert len(receiver.state.requests) == 1


def test_escalating_answering_publishing_and_signals_each_make_their_event(
    app: Flask, region: Region, receiver: HttpsReceiver, register_endpoint: RegisterEndpoint
) -> None:
    register_endpoint(receiver.url)  # every event
    other = register_endpoint(receiver.url + "/faq-only", WebhookEvent.FAQ_PUBLISHED)
    register_endpoint(receiver.url + "/off", is_active=False)

    question_id = register(app, region, escalate=True)
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        item = db.session.get_one(Question, question_id).escalation
        assert item is not None
        item_id = item.id
        escalation.claim(item_id, user=users["coordinator"], now=NOW)
        escalation.transition(item_id, "in_behandeling", user=users["coordinator"], now=NOW)
        escalation.add_follow_up(
            item_id, "antwoord", user=users["coordinator"], body="U krijgt het vrijdag.", now=NOW
        )
        escalation.transition(item_id, "beantwoord", user=users["coordinator"], now=NOW)
        entry = editorial.create_entry(
            editorial.EntryInput(
                crisis_id=region.oekraine,
                question="Wanneer krijg ik leefgeld?",
                answer="Elke maand rond de 20e.",
            ),
            user=users["coordinator"],
            now=NOW,
        )
        entry = editorial.take_action(
            entry.id, "submit", user=users["coordinator"], seen_version=entry.version, now=NOW
        )
        editorial.take_action(
            entry.id, "publish", user=users["analyst"], seen_version=entry.version, now=NOW
        )
        plant_growing_cluster(region.oekraine, date(2026, 3, 2))
        report = detect_signals(region.oekraine, date(2026, 3, 2), now=NOW, notify=False)
        assert report.created >= 1
        # Detecting the same day again updates the signals: nothing new, no new event.
        detect_signals(region.oekraine, date(2026, 3, 2), now=NOW, notify=False)

    events = [row["event"] for row in deliveries(app)]
    assert events.count("question.registered") == 1
    assert events.count("question.escalated") == 1
    assert events.count("question.answered") == 1
    assert events.count("faq.published") == 2  # both subscribed endpoints
    assert events.count("signal.raised") == report.created
    with app.app_context():
        per_endpoint = dict(
            db.session.execute(
                select(WebhookDelivery.endpoint_id, func.count()).group_by(
                    WebhookDelivery.endpoint_id
                )
            ).all()
        )
    assert per_endpoint[other] == 1
    assert len(per_endpoint) == 2  # the inactive endpoint got nothing

    answered = next(row for row in deliveries(app) if row["event"] == "question.answered")
    data = json.loads(answered["body"])["data"]
    assert (data["question_id"], data["state"]) == (question_id, "beantwoord")
    assert "vrijdag" not in answered["body"]
    signal = next(row for row in deliveries(app) if row["event"] == "signal.raised")
    assert "[NAAM]" not in signal["body"]  # the signal's explanation quotes question text
    assert send(app, NOW).delivered == len(events)


def test_a_server_error_is_retried_at_the_back_off_time(
    app: Flask, region: Region, receiver: HttpsReceiver, register_endpoint: RegisterEndpoint
) -> None:
    register_endpoint(receiver.url)
    register(app, region)
    receiver.state.answer(500)

    assert send(app, NOW) == delivery.SendSummary(waiting=1)
    [row] = deliveries(app)
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("wachtend", 1, 500)
    assert row["next_attempt_at"] == NOW + timedelta(minutes=1)
    assert "HTTP 500" in row["last_error"] and "Poging 1 van 6" in row["last_error"]

    assert send(app, NOW + timedelta(seconds=59)) == delivery.SendSummary()
    assert len(receiver.state.requests) == 1
    assert send(app, NOW + timedelta(minutes=1)) == delivery.SendSummary(delivered=1)
    first, second = receiver.state.requests
    # Same delivery id and body on every attempt; the signature carries the attempt's time.
    assert first.headers["X-KCC-Delivery"] == second.headers["X-KCC-Delivery"]
    assert first.body == second.body
    assert second.headers["X-KCC-Signature"].startswith(
        f"t={int((NOW + timedelta(minutes=1)).timestamp())},"
    )


def test_after_the_last_attempt_the_delivery_has_failed(
    app: Flask, region: Region, receiver: HttpsReceiver, register_endpoint: RegisterEndpoint
) -> None:
    register_endpoint(receiver.url)
    register(app, region)
    receiver.state.answer(*[503] * delivery.MAX_ATTEMPTS)

    moment = NOW
    planned = [NOW]
    for wait in delivery.RETRY_DELAYS:
        send(app, moment)
        [row] = deliveries(app)
        assert row["status"] == "wachtend"
        assert row["next_attempt_at"] == moment + wait
        moment += wait
        planned.append(moment)
    assert send(app, moment) == delivery.SendSummary(failed=1)

    [row] = deliveries(app)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("mislukt", 6, None)
    assert row["last_error"].endswith("Gestopt na 6 pogingen.")
    assert moment - NOW == timedelta(hours=14, minutes=36)
    assert send(app, moment + timedelta(days=1)) == delivery.SendSummary()
    assert len(receiver.state.requests) == delivery.MAX_ATTEMPTS


def test_a_certificate_from_an_unknown_authority_is_refused(
    app: Flask, region: Region, receiver: HttpsReceiver, register_endpoint: RegisterEndpoint
) -> None:
    register_endpoint(receiver.url)
    register(app, region)
    app.config["WEBHOOK_CA_BUNDLE"] = ""  # the system's trust store does not know the test CA

    assert send(app, NOW) == delivery.SendSummary(waiting=1)

    [row] = deliveries(app)
    assert row["last_status_code"] is None
    assert "certificaat" in row["last_error"]
    assert receiver.state.requests == []


def test_a_redirect_is_not_followed(
    app: Flask, region: Region, receiver: HttpsReceiver, register_endpoint: RegisterEndpoint
) -> None:
    register_endpoint(receiver.url)
    register(app, region)
    receiver.state.answer(301)

    assert send(app, NOW) == delivery.SendSummary(waiting=1)

    [row] = deliveries(app)
    assert row["last_status_code"] == 301
    assert row["last_error"].startswith("Doorverwijzing (301) niet gevolgd.")
    assert len(receiver.state.requests) == 1


def test_http_addresses_are_refused_in_dutch(app: Flask, region: Region) -> None:
    with app.app_context():
        admin = db.session.get_one(User, region.users["admin"])
        with pytest.raises(ValidationFailed) as refused:
            create_endpoint(
                EndpointInput(url="http://ontvanger.example.nl/kcc", events=("faq.published",)),
                user=admin,
            )
        assert refused.value.errors["url"] == [
            "Het adres moet met https:// beginnen; kcc verstuurt meldingen alleen versleuteld."
        ]
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_a_rolled_back_change_sends_nothing(
    app: Flask, region: Region, register_endpoint: RegisterEndpoint
) -> None:
    register_endpoint("https://ontvanger.example.nl/kcc", WebhookEvent.QUESTION_REGISTERED)
    question_id = register(app, region)
    with app.app_context():
        question = db.session.get_one(Question, question_id)
        question.status = "afgesloten"
        assert len(emit_event(WebhookEvent.QUESTION_REGISTERED, question, now=NOW)) == 1
        db.session.rollback()  # the change fails: its event goes with it

        count = db.session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert count == 1  # only the registration's own, committed with it


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends(
    app: Flask, region: Region, register_endpoint: RegisterEndpoint
) -> None:
    register_endpoint("https://ontvanger.example.nl/kcc", WebhookEvent.QUESTION_REGISTERED)
    register(app, region)
    with app.app_context():
        first = delivery.claim_due_deliveries(now=NOW)
        second = delivery.claim_due_deliveries(now=NOW + timedelta(minutes=1))
        after_lease = delivery.claim_due_deliveries(now=NOW + delivery.CLAIM_LEASE)

    assert len(first) == 1
    assert second == []
    assert after_lease == first


def test_two_senders_on_postgresql_skip_each_others_rows(
    app: Flask, region: Region, register_endpoint: RegisterEndpoint
) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite runs one sender")
    register_endpoint("https://ontvanger.example.nl/kcc", WebhookEvent.QUESTION_REGISTERED)
    for _ in range(3):
        register(app, region)
    with app.app_context():
        ids = list(db.session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))
        # Another sender, in its own connection, is in the middle of claiming the first row.
        with db.engine.connect() as other:
            other.execute(
                text("SELECT id FROM webhook_delivery WHERE id = :id FOR UPDATE"), {"id": ids[0]}
            )
            claimed = delivery.claim_due_deliveries(now=NOW)
            other.rollback()

    assert claimed == ids[1:]


def test_the_send_command_reports_what_it_did(
    app: Flask,
    region: Region,
    receiver: HttpsReceiver,
    register_endpoint: RegisterEndpoint,
    runner: FlaskCliRunner,
) -> None:
    register_endpoint(receiver.url)
    register(app, region)
    register(app, region)
    receiver.state.answer(500)

    result = runner.invoke(args=["webhooks", "send"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 afgeleverd, 1 wachten op een nieuwe poging, 0 mislukt."
