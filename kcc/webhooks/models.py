"""Webhook endpoints administrators register, and the outbox of deliveries to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.auth.models import User
from kcc.extensions import UTCDateTime, db, utcnow


class WebhookEndpoint(db.Model):
    """An HTTPS address that receives the events it subscribes to, signed with its secret.

    The secret is kept as is (not hashed like API tokens): signing needs it on every delivery.
    `secret_revealed_at` is empty until an administrator has seen the secret, which happens once.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Event codes separated by commas (see kcc.webhooks.events.WebhookEvent); a handful at most.
    events: Mapped[str] = mapped_column(String(500), default="")
    secret: Mapped[str] = mapped_column(String(100))
    secret_revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()

    @property
    def event_codes(self) -> list[str]:
        """The codes of the events this endpoint receives."""
        return [code for code in self.events.split(",") if code]


class WebhookDelivery(db.Model):
    """One event for one endpoint: the JSON body as it is sent, and how sending it went.

    Rows are written in the transaction of the change they report (an outbox), so a rolled-back
    change sends nothing and a committed one is never lost; `flask --app kcc webhooks send`
    delivers them. `locked_until` is a sender's claim, so two senders never send one row twice.
    """

    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sent as X-KCC-Delivery: the same on every attempt, so receivers can drop repeats.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="wachtend")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    endpoint: Mapped[WebhookEndpoint] = relationship()
