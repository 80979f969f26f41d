"""Escalations (InterneTaak): the work item a question becomes when the KCC cannot answer it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.auth.models import User
from kcc.extensions import UTCDateTime, db, utcnow
from kcc.intake.models import Question
from kcc.reference.models import Crisis, Department


class EscalationState(StrEnum):
    """Where an escalation stands; `ALLOWED_TRANSITIONS` in services says how it may move."""

    NIEUW = "nieuw"
    TOEGEWEZEN = "toegewezen"
    IN_BEHANDELING = "in_behandeling"
    WACHT_OP_BURGER = "wacht_op_burger"
    BEANTWOORD = "beantwoord"
    AFGESLOTEN = "afgesloten"

    @property
    def label(self) -> str:
        """Dutch name shown in the interface."""
        return STATE_LABELS[self]


STATE_LABELS = {
    EscalationState.NIEUW: "Nieuw",
    EscalationState.TOEGEWEZEN: "Toegewezen",
    EscalationState.IN_BEHANDELING: "In behandeling",
    EscalationState.WACHT_OP_BURGER: "Wacht op burger",
    EscalationState.BEANTWOORD: "Beantwoord",
    EscalationState.AFGESLOTEN: "Afgesloten",
}


class Priority(StrEnum):
    """How urgent an escalation is; the rank sorts the queue (lower is more urgent)."""

    SPOED = "spoed"
    HOOG = "hoog"
    NORMAAL = "normaal"
    LAAG = "laag"

    @property
    def rank(self) -> int:
        """Sort position: spoed 1 … laag 4."""
        return list(Priority).index(self) + 1

    @property
    def label(self) -> str:
        """Dutch name shown in the interface."""
        return self.value.capitalize()


class FollowUpKind(StrEnum):
    """What a follow-up entry records."""

    CALL = "telefoon"
    NOTE = "notitie"
    ANSWER = "antwoord"
    EMAIL = "e-mail"


class CallOutcome(StrEnum):
    """How a call attempt ended."""

    REACHED = "bereikt"
    NOT_REACHED = "niet_bereikt"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "verkeerd_nummer"

    @property
    def label(self) -> str:
        """Dutch name shown in the interface."""
        return self.value.replace("_", " ").capitalize()


class DeliveryStatus(StrEnum):
    """Whether an e-mail answer reached the mail server."""

    SENT = "verzonden"
    FAILED = "mislukt"


class StepKind(StrEnum):
    """A logged step in an escalation's life (besides follow-ups)."""

    ESCALATED = "doorgezet"
    ASSIGNED = "toegewezen"
    CLAIMED = "opgepakt"
    STATE_CHANGED = "status"
    PRIORITY_CHANGED = "prioriteit"
    NOTIFIED = "melding"


class Escalation(db.Model):
    """One escalated question in the coordinator's queue: deadline, owner, state."""

    __table_args__ = (
        # The queue reads open items in urgency order; this index hands them over in that
        # order, so a page of fifty costs the same with five hundred or fifty thousand open.
        # With the state in it, it also covers the counts per state of all open and of the
        # overdue items (a range on the deadline), without reading the table.
        Index("ix_escalation_queue", "is_open", "deadline", "priority_rank", "id", "state"),
        # Counts per state for each filter: each index covers its own count.
        Index("ix_escalation_assignee_open", "assignee_id", "is_open", "state"),
        Index("ix_escalation_department_open", "department_id", "is_open", "state"),
        Index("ix_escalation_crisis_open", "crisis_id", "is_open", "state"),
        Index("ix_escalation_municipality_open", "municipality_id", "is_open", "state"),
        Index("ix_escalation_topic_open", "topic_id", "is_open", "state"),
        # The insight dashboard counts a crisis's escalations opened and answered in a period,
        # and the open and overdue ones now; each count is a range in one of these (with the
        # other timestamp in it, the median answer time reads no table rows either).
        Index("ix_escalation_crisis_created", "crisis_id", "created_at", "answered_at"),
        Index("ix_escalation_crisis_answered", "crisis_id", "answered_at", "created_at"),
        Index("ix_escalation_crisis_open_deadline", "crisis_id", "is_open", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), unique=True)
    # Copied from the question so the queue filters and counts without a join. Crisis and
    # municipality never change; the topic follows the question's (set_confirmed_labels).
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    state: Mapped[str] = mapped_column(String(20))
    is_open: Mapped[bool] = mapped_column(default=True, server_default=true())
    priority: Mapped[str] = mapped_column(String(10))
    priority_rank: Mapped[int]
    # Which rule raised the priority, so the coordinator can see why an item is urgent.
    priority_reason: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    response_hours: Mapped[float]
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # The department that earlier routings of similar questions went to; a hint, never a rule.
    suggested_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    suggestion_confidence: Mapped[float | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    final_answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Raised by every change; a change names the version it saw, so no update is lost.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    due_soon_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship(back_populates="escalation")
    crisis: Mapped[Crisis] = relationship()
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    suggested_department: Mapped[Department | None] = relationship(
        foreign_keys=[suggested_department_id]
    )
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    steps: Mapped[list[EscalationStep]] = relationship(
        back_populates="escalation", order_by="EscalationStep.id", cascade="all, delete-orphan"
    )
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="escalation", order_by="FollowUp.id", cascade="all, delete-orphan"
    )

    # Optimistic locking: every UPDATE says "WHERE version = <the one I read>" and raises it.
    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self) -> str:
        """Dutch name of the state."""
        return EscalationState(self.state).label

    @property
    def priority_label(self) -> str:
        """Dutch name of the priority."""
        return Priority(self.priority).label

    def __repr__(self) -> str:
        return f"<Escalation {self.id} {self.state}>"


class EscalationStep(db.Model):
    """Who moved an escalation, when, from which state to which, and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalation.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")

    escalation: Mapped[Escalation] = relationship(back_populates="steps")
    user: Mapped[User | None] = relationship()


class FollowUp(db.Model):
    """A call attempt, an internal note, the final answer or an e-mail sent to the caller."""

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # E-mail only: where it went, what it said, and whether the mail server took it.
    email_to: Mapped[str | None] = mapped_column(String(254))
    email_subject: Mapped[str | None] = mapped_column(String(250))
    message_id: Mapped[str | None] = mapped_column(String(250))
    delivery_status: Mapped[str | None] = mapped_column(String(20), index=True)
    delivery_error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    escalation: Mapped[Escalation] = relationship(back_populates="follow_ups")
    created_by: Mapped[User | None] = relationship()

    @property
    def outcome_label(self) -> str:
        """Dutch name of a call's outcome, or an empty string."""
        return CallOutcome(self.outcome).label if self.outcome else ""


class EmailTemplate(db.Model):
    """An editable answer letter per crisis; `$referentie` and friends are filled in."""

    __table_args__ = (UniqueConstraint("crisis_id", "name", name="uq_email_template_crisis_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    crisis: Mapped[Crisis] = relationship()


class SavedView(db.Model):
    """A queue filter a user saved under a name of their own."""

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_view_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
