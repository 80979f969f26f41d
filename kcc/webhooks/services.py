"""Webhook endpoints (registering, changing, new secrets) and emitting events into the outbox.

`emit_event` is what the rest of kcc calls: it only adds delivery rows to the caller's session,
so they are committed with the change they report, or rolled back with it. It needs no
request and sends nothing; `kcc.webhooks.delivery` does the sending.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import case, func, select

from kcc.auth.models import User
from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.local_cache import ChangeWatch, remembered
from kcc.webhooks.events import DATA_BUILDERS, WebhookEvent
from kcc.webhooks.models import WebhookDelivery, WebhookEndpoint
from kcc.webhooks.signing import generate_secret

URL_MAX = 500
DESCRIPTION_MAX = 200


class DeliveryStatus:
    """Where a delivery stands (stored in Dutch, as the screens show it)."""

    WAITING = "wachtend"
    DELIVERED = "afgeleverd"
    FAILED = "mislukt"

    ALL = (WAITING, DELIVERED, FAILED)
    LABELS = {WAITING: "Wachtend", DELIVERED: "Afgeleverd", FAILED: "Mislukt"}


@dataclass(frozen=True)
class EndpointInput:
    """What an administrator fills in for an endpoint."""

    url: str
    description: str = ""
    events: tuple[str, ...] = ()
    is_active: bool = True


@dataclass(frozen=True)
class EndpointSummary:
    """An endpoint on the list, with how many of its deliveries are in each status."""

    endpoint: WebhookEndpoint
    counts: dict[str, int]


def url_errors(url: str) -> list[str]:
    """What is wrong with an endpoint address (empty when it is fine)."""
    if not url:
        return ["Vul het adres in waar kcc de meldingen naartoe stuurt."]
    if len(url) > URL_MAX:
        return [f"Het adres mag hoogstens {URL_MAX} tekens lang zijn."]
    parts = urlsplit(url)
    # Only HTTPS: the body is signed, not encrypted, and the signature must not be sniffable.
    if parts.scheme.lower() != "https":
        return ["Het adres moet met https:// beginnen; kcc verstuurt meldingen alleen versleuteld."]
    if not parts.hostname:
        return ["Vul een volledig adres in, bijvoorbeeld https://ontvanger.example.nl/kcc."]
    if parts.username or parts.password:
        return ["Zet geen gebruikersnaam of wachtwoord in het adres; het geheim beveiligt het."]
    if any(character.isspace() for character in url):
        return ["Het adres mag geen spaties bevatten."]
    return []


def endpoint_input_errors(data: EndpointInput) -> dict[str, list[str]]:
    """Every rule the input breaks, per field (empty when it is fine)."""
    errors: dict[str, list[str]] = {}
    if problems := url_errors(data.url.strip()):
        errors["url"] = problems
    if len(data.description.strip()) > DESCRIPTION_MAX:
        errors["description"] = [
            f"De omschrijving mag hoogstens {DESCRIPTION_MAX} tekens lang zijn."
        ]
    known = {event.value for event in WebhookEvent}
    if not data.events:
        errors["events"] = ["Kies minstens één gebeurtenis."]
    elif any(code not in known for code in data.events):
        errors["events"] = ["Kies alleen gebeurtenissen uit de lijst."]
    return errors


def validate(data: EndpointInput) -> None:
    """Raise ValidationFailed with every broken rule at once."""
    errors = endpoint_input_errors(data)
    if errors:
        raise ValidationFailed.from_errors(errors)


def apply_input(endpoint: WebhookEndpoint, data: EndpointInput) -> None:
    """Copy the administrator's input onto the endpoint (events in the list's order)."""
    chosen = set(data.events)
    endpoint.url = data.url.strip()
    endpoint.description = data.description.strip()
    endpoint.events = ",".join(event.value for event in WebhookEvent if event.value in chosen)
    endpoint.is_active = data.is_active


def log_change(endpoint: WebhookEndpoint, what: str, user: User, now: datetime) -> None:
    """Add the change to the audit log (committed with the change itself); never the secret."""
    record_event(
        AuditAction.WEBHOOK_CHANGED,
        object_type="webhook_endpoint",
        object_id=endpoint.id,
        detail=f"Webhook {what}: {endpoint.url[:200]}",
        user_id=user.id,
        username=user.username,
        now=now,
    )


def get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    """The endpoint with this id, or NotFound."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("Dit webhook-adres bestaat niet.")
    return endpoint


def get_delivery(delivery_id: int) -> WebhookDelivery:
    """The delivery with this id, or NotFound."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("Deze verzending bestaat niet.")
    return delivery


def create_endpoint(
    data: EndpointInput, *, user: User, now: datetime | None = None
) -> WebhookEndpoint:
    """Register an endpoint with a new secret, which the administrator sees once."""
    now = now or utcnow()
    validate(data)
    endpoint = WebhookEndpoint(
        secret=generate_secret(), created_by_id=user.id, created_at=now, updated_at=now
    )
    apply_input(endpoint, data)
    db.session.add(endpoint)
    db.session.flush()  # the audit entry names the new id
    log_change(endpoint, "aangemaakt", user, now)
    db.session.commit()
    return endpoint


def update_endpoint(
    endpoint_id: int, data: EndpointInput, *, user: User, now: datetime | None = None
) -> WebhookEndpoint:
    """Change an endpoint's address, description, events or active flag (the secret stays)."""
    now = now or utcnow()
    endpoint = get_endpoint(endpoint_id)
    validate(data)
    apply_input(endpoint, data)
    endpoint.updated_at = now
    log_change(endpoint, "gewijzigd" if endpoint.is_active else "gewijzigd (uit)", user, now)
    db.session.commit()
    return endpoint


def rotate_secret(endpoint_id: int, *, user: User, now: datetime | None = None) -> WebhookEndpoint:
    """Replace the secret at once; deliveries still waiting are signed with the new one."""
    now = now or utcnow()
    endpoint = get_endpoint(endpoint_id)
    endpoint.secret = generate_secret()
    endpoint.secret_revealed_at = None
    endpoint.updated_at = now
    log_change(endpoint, "nieuw geheim gemaakt", user, now)
    db.session.commit()
    return endpoint


def reveal_secret(endpoint_id: int, *, user: User, now: datetime | None = None) -> str | None:
    """The secret, the first time it is asked for after it was made; None ever after."""
    now = now or utcnow()
    endpoint = get_endpoint(endpoint_id)
    if endpoint.secret_revealed_at is not None:
        return None
    endpoint.secret_revealed_at = now
    log_change(endpoint, "geheim getoond", user, now)
    db.session.commit()
    return endpoint.secret


def list_endpoints() -> list[EndpointSummary]:
    """Every endpoint, active ones first, with its deliveries counted per status."""
    endpoints = list(
        db.session.scalars(
            select(WebhookEndpoint).order_by(
                WebhookEndpoint.is_active.desc(), WebhookEndpoint.url, WebhookEndpoint.id
            )
        )
    )
    rows = db.session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count()).group_by(
            WebhookDelivery.endpoint_id, WebhookDelivery.status
        )
    ).all()
    counts: dict[int, dict[str, int]] = {
        endpoint.id: dict.fromkeys(DeliveryStatus.ALL, 0) for endpoint in endpoints
    }
    for endpoint_id, status, count in rows:
        counts.setdefault(endpoint_id, {})[status] = count
    return [EndpointSummary(endpoint, counts[endpoint.id]) for endpoint in endpoints]


def list_deliveries(endpoint_id: int, page: int, per_page: int = 50) -> Any:
    """An endpoint's delivery log: failures first, then waiting ones, then the newest."""
    order = case(
        (WebhookDelivery.status == DeliveryStatus.FAILED, 0),
        (WebhookDelivery.status == DeliveryStatus.WAITING, 1),
        else_=2,
    )
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(order, WebhookDelivery.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


# A new or switched-off endpoint counts at once on the app server where it was saved and
# within this many seconds on the others: every registration asks who subscribed.
SUBSCRIBERS_SECONDS = 1.0
endpoint_changes = ChangeWatch(WebhookEndpoint)


def subscribed_endpoint_ids(event: WebhookEvent) -> list[int]:
    """The active endpoints that receive this event (endpoints are few: filter in Python)."""
    active = remembered(
        endpoint_changes, ("webhook-endpoints",), active_endpoints, seconds=SUBSCRIBERS_SECONDS
    )
    return [endpoint_id for endpoint_id, events in active if event.value in events]


def active_endpoints() -> list[tuple[int, frozenset[str]]]:
    """Each active endpoint's id and event codes: two plain columns, not ORM objects."""
    rows = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.is_active)
    )
    return [(endpoint_id, frozenset(events.split(","))) for endpoint_id, events in rows]


def payload_body(event: WebhookEvent, data: dict[str, Any], *, event_id: str, now: datetime) -> str:
    """The JSON a receiver gets: {id, event, occurred_at, data}, compact and in UTF-8."""
    payload = {"id": event_id, "event": event.value, "occurred_at": now.isoformat(), "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def emit_event(
    event: WebhookEvent, subject: object, *, now: datetime | None = None
) -> list[WebhookDelivery]:
    """Queue `event` about `subject` for every endpoint that wants it, in the caller's session.

    The caller commits (or rolls back) them with its own change. `subject` must have its id
    already (flushed). Nothing here flushes: callers such as escalation count one flush per
    change for their version check.
    """
    now = now or utcnow()
    with db.session.no_autoflush:
        endpoint_ids = subscribed_endpoint_ids(event)
        if not endpoint_ids:
            return []
        data = DATA_BUILDERS[event](subject, db.session)
    body = payload_body(event, data, event_id=str(uuid.uuid4()), now=now)
    deliveries = [new_delivery(endpoint_id, event, body, now) for endpoint_id in endpoint_ids]
    db.session.add_all(deliveries)
    return deliveries


def new_delivery(
    endpoint_id: int, event: WebhookEvent, body: str, now: datetime
) -> WebhookDelivery:
    """A waiting delivery of one body to one endpoint, due at once."""
    return WebhookDelivery(
        public_id=str(uuid.uuid4()),
        endpoint_id=endpoint_id,
        event=event.value,
        body=body,
        status=DeliveryStatus.WAITING,
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
    )
