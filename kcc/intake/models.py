"""The question (contactmoment) record that intake, escalation, FAQ and insight build on."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.auth.models import User
from kcc.extensions import UTCDateTime, db, utcnow
from kcc.reference.models import Crisis, Municipality, Topic


class Channel(StrEnum):
    """How the question reached the contact centre (Klantinteracties: kanaal)."""

    TELEFOON = "telefoon"
    EMAIL = "e-mail"
    BALIE = "balie"
    CHAT = "chat"
    SOCIAL_MEDIA = "social media"
    BRIEF = "brief"


class CallerType(StrEnum):
    """Who asked the question."""

    INWONER = "inwoner"
    ONDERNEMER = "ondernemer"
    INSTELLING = "instelling"
    PERS = "pers"
    OVERIG = "overig"


class QuestionStatus(StrEnum):
    """Where the question stands; escalation adds its own states on top."""

    BEANTWOORD = "beantwoord"
    DOORGEZET = "doorgezet"
    OPEN = "open"
    AFGESLOTEN = "afgesloten"


class Question(db.Model):
    """One registered contact: the question, the answer given, and where it came from."""

    __table_args__ = (
        Index("ix_question_crisis_received", "crisis_id", "received_at"),
        Index("ix_question_municipality_received", "municipality_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # KCC-<year>-<number>; set from the id right after insert so it is unique without a lock.
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(20))
    caller_type: Mapped[str] = mapped_column(String(20))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    municipality: Mapped[Municipality] = relationship()
    crisis: Mapped[Crisis] = relationship()
    topic: Mapped[Topic | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Question {self.reference}>"


def format_reference(question_id: int, year: int) -> str:
    """Return the public reference number, e.g. KCC-2026-000123."""
    return f"KCC-{year}-{question_id:06d}"
