"""Insight data: the crisis timeline (measures, events), signals, online messages."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.auth.models import User
from kcc.extensions import UTCDateTime, db, utcnow
from kcc.reference.models import Crisis, Municipality, Topic


class EventKind(StrEnum):
    """A measure changes what the answers say; another event only explains a change in volume."""

    MAATREGEL = "maatregel"
    GEBEURTENIS = "gebeurtenis"

    @property
    def label(self) -> str:
        """Dutch name shown in the interface."""
        return self.value.capitalize()


class CrisisEvent(db.Model):
    """A measure (new emergency ordinance) or event (information evening) of a crisis."""

    __table_args__ = (Index("ix_crisis_event_crisis_on", "crisis_id", "occurs_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"))
    # Empty: the whole region.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    occurs_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    crisis: Mapped[Crisis] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        """Dutch name of the kind."""
        return EventKind(self.kind).label


class SignalKind(StrEnum):
    """What a signal is about."""

    VOLUME = "volume"
    SENTIMENT = "sentiment"
    CLUSTER = "cluster"

    @property
    def label(self) -> str:
        """Dutch name shown in the interface."""
        return SIGNAL_KIND_LABELS[self]


SIGNAL_KIND_LABELS = {
    SignalKind.VOLUME: "Piek in aantal vragen",
    SignalKind.SENTIMENT: "Sentiment slaat om naar negatief",
    SignalKind.CLUSTER: "Snel groeiend cluster",
}


class SignalSource(StrEnum):
    """Where the counted messages come from: the KCC's own questions, or online messages."""

    KCC = "kcc"
    ONLINE = "online"


class Signal(db.Model):
    """A statistically notable change on one day: observed against expected, with its score.

    One row per crisis × topic × municipality × day × kind × source; detection that runs again
    for the same day updates the row (a signal is a finding about a day, not an event in time).
    """

    __table_args__ = (
        UniqueConstraint(
            "crisis_id",
            "topic_id",
            "municipality_id",
            "day",
            "kind",
            "source",
            name="uq_signal_identity",
        ),
        Index("ix_signal_crisis_day", "crisis_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"))
    # Empty topic: the whole crisis; empty municipality: the whole region.
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_cluster.id", ondelete="SET NULL")
    )
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10), default=SignalSource.KCC.value)
    observed: Mapped[float]
    expected: Mapped[float]
    # How unusual: the test's statistic (e.g. -log10 of the p-value); higher is stronger.
    score: Mapped[float]
    detail: Mapped[str] = mapped_column(Text, default="")
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    crisis: Mapped[Crisis] = relationship()
    topic: Mapped[Topic | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        """Dutch name of the kind."""
        return SignalKind(self.kind).label


class SignalSubscription(db.Model):
    """A user who wants signals by e-mail, for one crisis or (empty crisis) for all."""

    __table_args__ = (UniqueConstraint("user_id", "crisis_id", name="uq_signal_subscription"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    crisis_id: Mapped[int | None] = mapped_column(ForeignKey("crisis.id"))

    user: Mapped[User] = relationship()
    crisis: Mapped[Crisis | None] = relationship()


class OnlineImport(db.Model):
    """One media-monitoring export (e.g. OBI4wan CSV) imported for a crisis."""

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    crisis: Mapped[Crisis] = relationship()
    imported_by: Mapped[User | None] = relationship()


class OnlineMessage(db.Model):
    """A message said online about a crisis: masked text only, with topic and sentiment.

    The original text is never stored: online posts name people, and only the aggregate
    (volume and sentiment per topic) is needed.
    """

    __table_args__ = (Index("ix_online_message_crisis_posted", "crisis_id", "posted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("online_import.id", ondelete="CASCADE"))
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(80), default="")
    text_masked: Mapped[str] = mapped_column(Text, default="")
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    topic_confidence: Mapped[float | None]
    sentiment: Mapped[str | None] = mapped_column(String(20))
    sentiment_confidence: Mapped[float | None]

    topic: Mapped[Topic | None] = relationship()


class QuestionDayCount(db.Model):
    """Questions of one crisis on one Dutch local day, per municipality, channel, caller type
    and topic: the daily roll-up the dashboard reads for closed days (see insight.rollup).

    The counts follow insight.queries: negative is sentiment 'negatief'; answered at the
    first line is status 'beantwoord' and never escalated.
    """

    __table_args__ = (Index("ix_question_day_count_crisis_day", "crisis_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"))
    day: Mapped[date]
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    channel: Mapped[str] = mapped_column(String(20))
    caller_type: Mapped[str] = mapped_column(String(20))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    questions: Mapped[int]
    with_sentiment: Mapped[int]
    negative: Mapped[int]
    answered_first_line: Mapped[int]


class QuestionDayStale(db.Model):
    """A closed day of a crisis whose questions changed after its roll-up was built: read
    live until the next roll-up run rebuilds it."""

    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
