"""The administrators' webhook screens through the real forms: adding (https only), the secret
shown once, a new secret, changes in the audit log, sending again, and who may see them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.extensions import db
from kcc.governance.models import AuditEvent
from kcc.webhooks import delivery
from kcc.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.helpers import ALL_ROLES, AuthActions, csrf_token_from, post_form
from tests.webhooks.conftest import Region, RegisterEndpoint
from tests.webhooks.receiver import HttpsReceiver
from tests.webhooks.test_delivery import register

SECRET_FIELD = re.compile(r'id="secret"[^>]*value="([^"]+)"')
RESEND_TOKEN = re.compile(r'name="resend-csrf_token" value="([^"]+)"')
NOW = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def audit_details(app: Flask) -> list[str]:
    """The webhook lines of the audit log, oldest first."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "webhook_changed")
                .order_by(AuditEvent.id)
            )
        )


def the_endpoint(app: Flask) -> WebhookEndpoint:
    """The one endpoint there is (detached, for reading)."""
    with app.app_context():
        endpoint = db.session.scalars(select(WebhookEndpoint)).one()
        db.session.expunge(endpoint)
        return endpoint


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_administrators_see_the_webhook_screens(
    client: FlaskClient, auth: AuthActions, role: str
) -> None:
    auth.login(role)

    response = client.get("/admin/webhooks/")

    assert response.status_code == (200 if role == "admin" else 403)


def test_the_admin_index_links_to_the_webhooks(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("admin")

    assert 'href="/admin/webhooks/"' in client.get("/admin/").get_data(as_text=True)


def test_an_administrator_adds_an_endpoint_and_sees_its_secret_once(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("admin")

    response = post_form(
        client,
        "/admin/webhooks/new",
        {
            "url": "https://dashboard.veiligheidsregio.example/kcc",
            "description": "Dashboard veiligheidsregio",
            "events": ["question.escalated", "faq.published"],
            "is_active": "y",
        },
    )

    endpoint = the_endpoint(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/webhooks/{endpoint.id}/secret"
    assert endpoint.event_codes == ["question.escalated", "faq.published"]
    assert endpoint.is_active
    first = client.get(response.headers["Location"])
    assert first.headers["Cache-Control"] == "no-store"
    shown = SECRET_FIELD.search(first.get_data(as_text=True))
    assert shown is not None and shown.group(1) == endpoint.secret
    assert len(endpoint.secret) >= 43
    second = client.get(response.headers["Location"]).get_data(as_text=True)
    assert endpoint.secret not in second
    assert "al getoond" in second
    assert endpoint.secret not in client.get(f"/admin/webhooks/{endpoint.id}").get_data(
        as_text=True
    )
    details = audit_details(app)
    assert details == [
        "Webhook aangemaakt: https://dashboard.veiligheidsregio.example/kcc",
        "Webhook geheim getoond: https://dashboard.veiligheidsregio.example/kcc",
    ]
    assert all(endpoint.secret not in detail for detail in details)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://dashboard.example/kcc", "Het adres moet met https:// beginnen"),
        ("https://", "Vul een volledig adres in"),
        ("", "Vul het adres in waar kcc de meldingen naartoe stuurt."),
    ],
)
def test_a_wrong_address_is_refused_with_a_dutch_message_and_kept_in_the_form(
    app: Flask, client: FlaskClient, auth: AuthActions, url: str, message: str
) -> None:
    auth.login("admin")

    response = post_form(
        client,
        "/admin/webhooks/new",
        {"url": url, "description": "Zaaksysteem", "events": ["faq.published"]},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="Zaaksysteem"' in page  # nothing typed is lost
    assert 'aria-invalid="true"' in page
    with app.app_context():
        assert db.session.scalars(select(WebhookEndpoint)).first() is None


def test_an_endpoint_needs_at_least_one_event(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("admin")

    response = post_form(client, "/admin/webhooks/new", {"url": "https://zaak.example/kcc"})

    assert response.status_code == 422
    assert "Kies minstens één gebeurtenis." in response.get_data(as_text=True)


def test_rotating_through_the_detail_page(
    app: Flask, client: FlaskClient, auth: AuthActions, register_endpoint: RegisterEndpoint
) -> None:
    endpoint_id = register_endpoint("https://zaak.example/kcc")
    old = the_endpoint(app).secret
    auth.login("admin")
    token = csrf_token_from(client.get(f"/admin/webhooks/{endpoint_id}"))

    response = client.post(
        f"/admin/webhooks/{endpoint_id}/rotate-secret", data={"csrf_token": token}
    )

    new = the_endpoint(app).secret
    assert response.headers["Location"] == f"/admin/webhooks/{endpoint_id}/secret"
    assert new != old
    assert new in client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Webhook nieuw geheim gemaakt: https://zaak.example/kcc" in audit_details(app)


def test_switching_an_endpoint_off_through_the_edit_form(
    app: Flask, client: FlaskClient, auth: AuthActions, register_endpoint: RegisterEndpoint
) -> None:
    endpoint_id = register_endpoint("https://zaak.example/kcc")
    auth.login("admin")

    response = post_form(
        client,
        f"/admin/webhooks/{endpoint_id}/edit",
        {"url": "https://zaak.example/kcc/v2", "events": ["signal.raised"]},
    )

    endpoint = the_endpoint(app)
    assert response.headers["Location"] == f"/admin/webhooks/{endpoint_id}"
    assert (endpoint.url, endpoint.event_codes, endpoint.is_active) == (
        "https://zaak.example/kcc/v2",
        ["signal.raised"],
        False,
    )
    assert "Webhook gewijzigd (uit): https://zaak.example/kcc/v2" in audit_details(app)


def test_a_failed_delivery_is_sent_again_from_the_log(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    region: Region,
    receiver: HttpsReceiver,
    register_endpoint: RegisterEndpoint,
) -> None:
    endpoint_id = register_endpoint(receiver.url)
    register(app, region)
    with app.app_context():
        row = db.session.scalars(select(WebhookDelivery)).one()
        row.status, row.attempts, row.next_attempt_at = "mislukt", delivery.MAX_ATTEMPTS, None
        row.last_error = "De ontvanger antwoordde met HTTP 503. Gestopt na 6 pogingen."
        db.session.commit()
        delivery_id = row.id
    auth.login("admin")
    log = client.get(f"/admin/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "Mislukt" in log and "HTTP 503" in log
    token = RESEND_TOKEN.search(log)
    assert token is not None

    response = client.post(
        f"/admin/webhooks/deliveries/{delivery_id}/resend",
        data={"resend-csrf_token": token.group(1)},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert "Melding opnieuw verstuurd en afgeleverd." in page
    assert len(receiver.state.requests) == 1
    with app.app_context():
        row = db.session.get_one(WebhookDelivery, delivery_id)
        assert (row.status, row.attempts, row.last_status_code) == ("afgeleverd", 1, 204)
    assert any("opnieuw verstuurd" in detail for detail in audit_details(app))
