"""Events on a crisis's timeline: measures taken and things that happened."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.auth.models import User
from kcc.extensions import UTCDateTime, db, utcnow
from kcc.reference.models import Crisis, Municipality


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
