"""FAQ entries with their revisions, translations and votes; clustering runs and their clusters."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.auth.models import User
from kcc.extensions import UTCDateTime, db, utcnow
from kcc.insight.models import CrisisEvent
from kcc.reference.models import Crisis, Municipality, Topic


class EntryState(StrEnum):
    """Where the working copy of an entry stands; `TRANSITIONS` in editorial says how it moves."""

    CONCEPT = "concept"
    TER_REVIEW = "ter_review"
    GEPUBLICEERD = "gepubliceerd"
    INGETROKKEN = "ingetrokken"

    @property
    def label(self) -> str:
        """Dutch name shown in the interface."""
        return ENTRY_STATE_LABELS[self]


ENTRY_STATE_LABELS = {
    EntryState.CONCEPT: "Concept",
    EntryState.TER_REVIEW: "Ter review",
    EntryState.GEPUBLICEERD: "Gepubliceerd",
    EntryState.INGETROKKEN: "Ingetrokken",
}


class Language(StrEnum):
    """Languages an entry can be shown in; Dutch is the entry itself, the rest translations."""

    NL = "nl"
    EN = "en"
    UK = "uk"

    @property
    def label(self) -> str:
        """The language's name in the language itself, as language pickers show it."""
        return LANGUAGE_LABELS[self]


LANGUAGE_LABELS = {Language.NL: "Nederlands", Language.EN: "English", Language.UK: "Українська"}
TRANSLATION_LANGUAGES = (Language.EN, Language.UK)


class FaqEntry(db.Model):
    """A public question and answer for one crisis, for the region or one municipality.

    The working copy (question, answer) is what editors change; the live copy (live_*) is what
    the public sees, copied from the working copy when a reviewer publishes. So a published
    entry can be improved and reviewed again while the public keeps reading the approved text.
    """

    __table_args__ = (Index("ix_faq_entry_public", "crisis_id", "is_public", "live_changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    # Empty: the entry holds for the whole region. Set: only for this municipality, where it
    # takes the place of the regional entry it replaces (if any).
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    replaces_entry_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entry.id"))
    state: Mapped[str] = mapped_column(String(20), default=EntryState.CONCEPT.value)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    live_question: Mapped[str | None] = mapped_column(Text)
    live_answer: Mapped[str | None] = mapped_column(Text)
    # The public "laatst gewijzigd" date: when the live text last changed.
    live_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    last_editor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Stale answers: the measure (or plain date) the answer depends on; a newer measure for
    # the crisis sets needs_check, and the coordinator clears it after looking.
    depends_on_event_id: Mapped[int | None] = mapped_column(ForeignKey("crisis_event.id"))
    depends_on_date: Mapped[date | None]
    needs_check: Mapped[bool] = mapped_column(default=False, server_default=false())
    check_reason: Mapped[str] = mapped_column(Text, default="")
    # Raised by every change; a change names the version it saw, so no edit is lost.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    crisis: Mapped[Crisis] = relationship()
    topic: Mapped[Topic | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    replaces: Mapped[FaqEntry | None] = relationship(remote_side=[id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    last_editor: Mapped[User | None] = relationship(foreign_keys=[last_editor_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    depends_on_event: Mapped[CrisisEvent | None] = relationship()
    translations: Mapped[list[FaqTranslation]] = relationship(
        back_populates="entry", order_by="FaqTranslation.language", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[FaqRevision]] = relationship(
        back_populates="entry", order_by="FaqRevision.number", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self) -> str:
        """Dutch name of the state."""
        return EntryState(self.state).label

    @property
    def has_pending_changes(self) -> bool:
        """Whether the public sees an older text than the working copy."""
        return self.is_public and (
            self.question != self.live_question or self.answer != self.live_answer
        )

    def translation(self, language: str) -> FaqTranslation | None:
        """The entry's translation into a language, if anyone wrote one."""
        return next((t for t in self.translations if t.language == language), None)

    def __repr__(self) -> str:
        return f"<FaqEntry {self.id} {self.state}>"


class FaqTranslation(db.Model):
    """An entry in another language, written by a person; published together with the entry."""

    __table_args__ = (UniqueConstraint("entry_id", "language", name="uq_faq_translation_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entry.id"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    live_question: Mapped[str | None] = mapped_column(Text)
    live_answer: Mapped[str | None] = mapped_column(Text)

    entry: Mapped[FaqEntry] = relationship(back_populates="translations")

    @property
    def is_live(self) -> bool:
        """Whether the public can read this translation."""
        return bool(self.live_question and self.live_answer)


class FaqRevision(db.Model):
    """One step in an entry's history: the text after it, who took it, when, and why."""

    __table_args__ = (UniqueConstraint("entry_id", "number", name="uq_faq_revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entry.id"), index=True)
    number: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[FaqEntry] = relationship(back_populates="revisions")
    user: Mapped[User | None] = relationship()


class FaqVote(db.Model):
    """One anonymous "was dit antwoord nuttig?" answer: no address, no cookie, only the day."""

    __table_args__ = (Index("ix_faq_vote_entry", "entry_id", "helpful"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entry.id"))
    helpful: Mapped[bool]
    on: Mapped[date]


class ClusterRun(db.Model):
    """One clustering of a crisis's questions over a period, kept so runs can be compared."""

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"), index=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    days: Mapped[int]
    question_count: Mapped[int] = mapped_column(default=0)
    cluster_count: Mapped[int] = mapped_column(default=0)
    unclustered_count: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    crisis: Mapped[Crisis] = relationship()
    created_by: Mapped[User | None] = relationship()
    clusters: Mapped[list[QuestionCluster]] = relationship(
        back_populates="run", order_by="QuestionCluster.label", cascade="all, delete-orphan"
    )


class QuestionCluster(db.Model):
    """A group of questions in one run that ask the same thing."""

    __table_args__ = (
        UniqueConstraint("run_id", "label", name="uq_question_cluster_label"),
        # "Werkt het?" finds an entry's clusters across runs by these two.
        Index("ix_question_cluster_covered_by", "covered_by_entry_id"),
        Index("ix_question_cluster_drafted", "drafted_entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("cluster_run.id"), index=True)
    label: Mapped[int]
    size: Mapped[int]
    # Members received in the run's last seven days, and in the seven before.
    this_week: Mapped[int] = mapped_column(default=0)
    last_week: Mapped[int] = mapped_column(default=0)
    top_terms: Mapped[str] = mapped_column(Text, default="")
    representative_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="SET NULL")
    )
    # Masked, copied: the screen and the draft must not need the question (it may be purged).
    representative_text: Mapped[str] = mapped_column(Text, default="")
    cohesion: Mapped[float] = mapped_column(default=0.0)
    covered_by_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("faq_entry.id", ondelete="SET NULL")
    )
    coverage_score: Mapped[float | None]
    # The entry "maak FAQ" drafted from this cluster.
    drafted_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("faq_entry.id", ondelete="SET NULL")
    )

    run: Mapped[ClusterRun] = relationship(back_populates="clusters")
    covered_by: Mapped[FaqEntry | None] = relationship(foreign_keys=[covered_by_entry_id])
    drafted_entry: Mapped[FaqEntry | None] = relationship(foreign_keys=[drafted_entry_id])

    @property
    def growth(self) -> int:
        """This week's members minus last week's."""
        return self.this_week - self.last_week

    @property
    def terms(self) -> list[str]:
        """The top terms as a list."""
        return [term for term in self.top_terms.split(",") if term]


class ClusterMember(db.Model):
    """A question in a cluster; a question is in at most one cluster of a run."""

    __table_args__ = (Index("ix_cluster_member_question", "question_id"),)

    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("question_cluster.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), primary_key=True
    )
