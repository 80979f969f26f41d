"""The question (contactmoment) record that intake, escalation, FAQ and insight build on."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.auth.models import User
from kcc.extensions import UTCDateTime, db, utcnow
from kcc.reference.models import Crisis, Municipality, Topic

if TYPE_CHECKING:  # the escalation package builds on this one, not the other way round
    from kcc.escalation.models import Escalation


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


class ContactPreference(StrEnum):
    """How a caller wants to hear back."""

    TELEFOON = "telefoon"
    EMAIL = "e-mail"


class AnswerSource(StrEnum):
    """Where the answer the agent gave came from, when it came from a suggestion."""

    QUESTION = "question"
    FAQ = "faq"


class QuestionEventKind(StrEnum):
    """What happened to a question; escalation adds its own kinds."""

    REGISTERED = "geregistreerd"
    LINKED = "gekoppeld"
    LABELLED = "onderwerp vastgesteld"
    # The resident answered by e-mail (kcc/mailintake): the question needs an agent again.
    EMAIL_REPLY = "reactie per e-mail"


class Question(db.Model):
    """One registered contact: the question, the answer given, and where it came from."""

    __table_args__ = (
        Index("ix_question_crisis_received", "crisis_id", "received_at"),
        Index("ix_question_municipality_received", "municipality_id", "received_at"),
        # Weekly counts per topic (FAQ "werkt het?", insight) read a range of one topic.
        Index("ix_question_topic_received", "topic_id", "received_at"),
        # A re-imported row finds its question again (kcc/transfer): one key per crisis.
        Index("uq_question_crisis_import_key", "crisis_id", "import_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # KCC-<year>-<number>; set from the id right after insert so it is unique without a lock.
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Indexed alone too: the search list shows the newest first across crises.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    caller_type: Mapped[str] = mapped_column(String(20))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    # What the classifier said (or an agent confirmed): topic above, sentiment and certainty here.
    topic_confidence: Mapped[float | None]
    sentiment: Mapped[str | None] = mapped_column(String(20))
    sentiment_confidence: Mapped[float | None]
    topic_model_id: Mapped[int | None] = mapped_column(ForeignKey("model_version.id"))
    sentiment_model_id: Mapped[int | None] = mapped_column(ForeignKey("model_version.id"))
    # Below the confidence threshold the labels wait for a person instead of being trusted.
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    # A person set or confirmed topic and sentiment: these become training labels.
    labels_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    labels_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)
    # The same text with personal data replaced by placeholders: the only form analysis,
    # suggestions to other agents and exports ever read (AVG data minimisation).
    text_masked: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str | None] = mapped_column(Text)
    answer_masked: Mapped[str | None] = mapped_column(Text)
    answer_source_kind: Mapped[str | None] = mapped_column(String(20))
    answer_source_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), index=True)
    is_escalated: Mapped[bool] = mapped_column(default=False)
    callback_requested: Mapped[bool] = mapped_column(default=False)
    # Indexed: deleting a question (retention) checks for questions linked to it.
    related_question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"), index=True)
    # The form's one-time token: a second submit of the same form finds this row again.
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Imported questions only: sha256 of the row's values, so importing a file twice adds
    # nothing the second time (kcc/transfer/importing.py).
    import_key: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    municipality: Mapped[Municipality] = relationship()
    crisis: Mapped[Crisis] = relationship()
    topic: Mapped[Topic | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    labels_confirmed_by: Mapped[User | None] = relationship(foreign_keys=[labels_confirmed_by_id])
    related_question: Mapped[Question | None] = relationship(remote_side=[id])
    contact: Mapped[ContactDetails | None] = relationship(
        back_populates="question", uselist=False, cascade="all, delete-orphan"
    )
    events: Mapped[list[QuestionEvent]] = relationship(
        back_populates="question", order_by="QuestionEvent.id", cascade="all, delete-orphan"
    )
    escalation: Mapped[Escalation | None] = relationship(
        back_populates="question", uselist=False, cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Question {self.reference}>"


class ContactDetails(db.Model):
    """A caller's contact details, kept apart from the question so retention can remove them.

    Only stored when a call-back or escalation needs them (AVG data minimisation).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), unique=True)
    name: Mapped[str | None] = mapped_column(String(160))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Normalised forms (0612345678, lower-case e-mail) to recognise a caller who calls again.
    phone_key: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254), index=True)
    preferred_contact: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship(back_populates="contact")


class QuestionEvent(db.Model):
    """One step in a question's history: who did what, when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")

    question: Mapped[Question] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()


def format_reference(question_id: int, year: int) -> str:
    """Return the public reference number, e.g. KCC-2026-000123."""
    return f"KCC-{year}-{question_id:06d}"
