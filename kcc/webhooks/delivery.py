"""Sending the outbox: claim due deliveries, POST them signed over HTTPS, log, retry, give up.

Back-off after a failed attempt: 1 minute, 5 minutes, 30 minutes, 2 hours, 12 hours; the sixth
failure marks the delivery "mislukt" (about 15 hours after the event), after which only an
administrator's "opnieuw versturen" sends it again. Any 2xx answer delivers; everything else
(another status, a redirect, a timeout, a refused certificate) counts as a failed attempt.

Two senders may run at once (cron on two machines, or a retry from the screen while the cron
runs): a sender claims rows with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL) and marks them
with `locked_until` before it sends, so no row is sent twice at the same time; SQLite has one
writer and ignores FOR UPDATE. A sender that dies mid-batch (kill -9, a crashed machine)
leaves its claim to expire; the next sender then sends those rows, and the one whose request
was under way is sent again with the same X-KCC-Delivery id (at least once: receivers drop
repeats by that id).

Settings: WEBHOOK_TIMEOUT (seconds per request, default 5), WEBHOOK_CA_BUNDLE (a PEM file of
certificate authorities to trust instead of the system's, e.g. a municipality's own CA) and
WEBHOOK_CLAIM_SECONDS (the claim's lease, default 600: how long a dead sender's batch waits).
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import or_, select, update

from kcc.auth.models import User
from kcc.exceptions import Conflict
from kcc.extensions import db, utcnow
from kcc.localtime import format_local
from kcc.webhooks.models import WebhookDelivery, WebhookEndpoint
from kcc.webhooks.services import DeliveryStatus, get_delivery, log_change
from kcc.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)

RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
DEFAULT_TIMEOUT = 5.0
# A claim outlives the slowest batch: each request is bounded by the timeout.
CLAIM_LEASE = timedelta(minutes=10)
DEFAULT_BATCH = 50
USER_AGENT = "kcc-webhooks/1"
MAX_ERROR_LENGTH = 300


@dataclass(frozen=True)
class SenderSettings:
    """How long a request may take, and which certificate authorities to trust."""

    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: str = ""
    claim_lease: timedelta = CLAIM_LEASE

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SenderSettings:
        """The settings from the app's config."""
        return cls(
            timeout=float(config.get("WEBHOOK_TIMEOUT") or DEFAULT_TIMEOUT),
            ca_bundle=config.get("WEBHOOK_CA_BUNDLE") or "",
            claim_lease=timedelta(
                seconds=float(config.get("WEBHOOK_CLAIM_SECONDS") or CLAIM_LEASE.total_seconds())
            ),
        )


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the HTTP status if there was an answer, and the error if any."""

    status_code: int | None
    error: str

    @property
    def is_delivered(self) -> bool:
        """Tell whether the receiver accepted the delivery (any 2xx)."""
        return self.status_code is not None and 200 <= self.status_code < 300


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it could lead a signed body to plain http:// or elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def build_opener(settings: SenderSettings) -> urllib.request.OpenerDirector:
    """An HTTPS opener that checks certificates (against the CA bundle, if one is set)."""
    context = ssl.create_default_context(cafile=settings.ca_bundle or None)
    return urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), RefuseRedirects()
    )


def post(url: str, body: bytes, headers: dict[str, str], settings: SenderSettings) -> Outcome:
    """POST the body; the answer's status, or the reason there was none, in Dutch."""
    if urlsplit(url).scheme.lower() != "https":  # checked on saving too; never send plain text
        return Outcome(None, "Het adres begint niet met https://; niets verstuurd.")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with build_opener(settings).open(request, timeout=settings.timeout) as response:
            return Outcome(response.status, "")
    except urllib.error.HTTPError as error:
        error.close()
        if 300 <= error.code < 400:
            return Outcome(error.code, f"Doorverwijzing ({error.code}) niet gevolgd.")
        return Outcome(error.code, f"De ontvanger antwoordde met HTTP {error.code}.")
    except TimeoutError:
        return timed_out(settings)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            return timed_out(settings)
        if isinstance(reason, ssl.SSLCertVerificationError):
            detail = reason.verify_message or str(reason)
            return Outcome(
                None, shorten(f"Het certificaat van de ontvanger klopt niet ({detail}).")
            )
        return Outcome(None, shorten(f"De ontvanger is niet bereikbaar ({reason})."))


def timed_out(settings: SenderSettings) -> Outcome:
    """No answer in time."""
    return Outcome(None, f"Geen antwoord binnen {settings.timeout:g} seconden.")


def shorten(text: str) -> str:
    """A message short enough for the log's table."""
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def headers_for(
    delivery: WebhookDelivery, secret: str, body: bytes, now: datetime
) -> dict[str, str]:
    """The headers of one attempt; the signature's time is the attempt's, not the event's."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: delivery.public_id,
        SIGNATURE_HEADER: signature_header(secret, int(now.timestamp()), body),
    }


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after failed attempt number `attempts`; None when it was the last."""
    return RETRY_DELAYS[attempts - 1] if attempts <= len(RETRY_DELAYS) else None


def is_due(now: datetime) -> Any:
    """SQL: waiting, its time has come, and no sender holds a live claim on it."""
    return (
        (WebhookDelivery.status == DeliveryStatus.WAITING)
        & (WebhookDelivery.next_attempt_at <= now)
        & or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now)
    )


def claim_due_deliveries(
    *, now: datetime, limit: int = DEFAULT_BATCH, lease: timedelta = CLAIM_LEASE
) -> list[int]:
    """Claim up to `limit` due deliveries of active endpoints for this sender; their ids."""
    query = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(is_due(now), WebhookEndpoint.is_active)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        # Rows another sender is claiming right now are skipped, not waited for.
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    ids = list(db.session.scalars(query))
    if ids:
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(locked_until=now + lease)
        )
    db.session.commit()
    return ids


def claim_one(delivery_id: int, *, now: datetime, lease: timedelta = CLAIM_LEASE) -> bool:
    """Claim one due delivery with a single conditional UPDATE; False if it is not free."""
    result = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, is_due(now))
        .values(locked_until=now + lease)
    )
    db.session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def attempt_delivery(
    delivery_id: int, *, now: datetime | None = None, settings: SenderSettings | None = None
) -> WebhookDelivery:
    """Send one claimed delivery now and record how it went (the caller claimed it)."""
    now = now or utcnow()
    settings = settings or SenderSettings.from_config(current_app.config)
    delivery = get_delivery(delivery_id)
    endpoint = delivery.endpoint
    body = delivery.body.encode("utf-8")
    url, headers = endpoint.url, headers_for(delivery, endpoint.secret, body, now)
    # End the read transaction: no database transaction stays open while we wait on the network.
    db.session.commit()
    outcome = post(url, body, headers, settings)
    delivery = db.session.get_one(WebhookDelivery, delivery_id)
    record_outcome(delivery, outcome, now=now)
    db.session.commit()
    return delivery


def record_outcome(delivery: WebhookDelivery, outcome: Outcome, *, now: datetime) -> None:
    """Count the attempt; done, the next attempt planned, or given up after the last one."""
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.locked_until = None
    if outcome.is_delivered:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
        return
    delay = retry_delay(delivery.attempts)
    if delay is None:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = f"{outcome.error} Gestopt na {delivery.attempts} pogingen."
    else:
        delivery.next_attempt_at = now + delay
        delivery.last_error = (
            f"{outcome.error} Poging {delivery.attempts} van {MAX_ATTEMPTS}; volgende poging "
            f"{format_local(delivery.next_attempt_at)}."
        )


@dataclass(frozen=True)
class SendSummary:
    """What one run of the sender did."""

    delivered: int = 0
    waiting: int = 0
    failed: int = 0


def send_due_deliveries(
    *, now: datetime | None = None, limit: int = 500, batch: int = DEFAULT_BATCH
) -> SendSummary:
    """Send every due delivery (at most `limit`), batch by batch, each batch claimed first.

    `now` fixes the clock for tests; without it each attempt is timed when it happens.
    """
    settings = SenderSettings.from_config(current_app.config)
    counts = dict.fromkeys(DeliveryStatus.ALL, 0)
    sent = 0
    while sent < limit:
        ids = claim_due_deliveries(
            now=now or utcnow(), limit=min(batch, limit - sent), lease=settings.claim_lease
        )
        if not ids:
            break
        for delivery_id in ids:
            delivery = attempt_delivery(delivery_id, now=now or utcnow(), settings=settings)
            counts[delivery.status] += 1
        sent += len(ids)
    return SendSummary(
        delivered=counts[DeliveryStatus.DELIVERED],
        waiting=counts[DeliveryStatus.WAITING],
        failed=counts[DeliveryStatus.FAILED],
    )


def resend_delivery(
    delivery_id: int, *, user: User, now: datetime | None = None
) -> WebhookDelivery:
    """An administrator sends a delivery again, now, with a fresh count of attempts."""
    now = now or utcnow()
    delivery = get_delivery(delivery_id)
    if not delivery.endpoint.is_active:
        raise Conflict("Dit webhook-adres staat uit; zet het eerst aan.")
    if delivery.locked_until is not None and delivery.locked_until > now:
        raise Conflict("Deze melding wordt op dit moment al verstuurd; kijk zo opnieuw.")
    delivery.status = DeliveryStatus.WAITING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    log_change(delivery.endpoint, f"melding {delivery.public_id} opnieuw verstuurd", user, now)
    db.session.commit()
    settings = SenderSettings.from_config(current_app.config)
    # A sender took it in the meantime: it goes anyway.
    if not claim_one(delivery_id, now=now, lease=settings.claim_lease):
        return db.session.get_one(WebhookDelivery, delivery_id)
    return attempt_delivery(delivery_id, now=now, settings=settings)
