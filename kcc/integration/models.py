"""What was sent to Open Klant (Klantinteracties API): one row per question and attempt run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kcc.extensions import UTCDateTime, db, utcnow


class KlantinteractiesPush(db.Model):
    """The push of one question to a Klantinteracties API: status, attempts, the last error.

    The remote UUIDs are kept so a second push updates rather than duplicates.
    """

    __table_args__ = (Index("ix_klantinteracties_push_status", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20), default="wachtend")
    attempts: Mapped[int] = mapped_column(default=0)
    klantcontact_url: Mapped[str | None] = mapped_column(String(500))
    interne_taak_url: Mapped[str | None] = mapped_column(String(500))
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
