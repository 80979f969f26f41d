"""Recording measures and events on a crisis's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from kcc.auth.models import User
from kcc.exceptions import ValidationFailed
from kcc.extensions import db, utcnow
from kcc.faq.editorial import flag_entries_after_measure
from kcc.insight.models import CrisisEvent, EventKind
from kcc.reference.models import Crisis


@dataclass(frozen=True)
class EventInput:
    """A measure or event as the coordinator records it."""

    crisis_id: int
    kind: str
    title: str
    occurs_on: date
    municipality_id: int | None = None
    description: str = ""


@dataclass(frozen=True)
class RecordedEvent:
    """The stored event and how many FAQ entries it flagged for checking."""

    event: CrisisEvent
    flagged: int


def record_crisis_event(
    data: EventInput, *, user: User | None, now: datetime | None = None
) -> RecordedEvent:
    """Store the event; a measure flags the FAQ entries that depend on an older one."""
    now = now or utcnow()
    if db.session.get(Crisis, data.crisis_id) is None:
        raise ValidationFailed("Kies een crisis.", field="crisis_id")
    if data.kind not in set(EventKind):
        raise ValidationFailed("Kies maatregel of gebeurtenis.", field="kind")
    if not data.title.strip():
        raise ValidationFailed("Vul een titel in.", field="title")
    event = CrisisEvent(
        crisis_id=data.crisis_id,
        municipality_id=data.municipality_id,
        kind=data.kind,
        title=data.title.strip(),
        description=data.description.strip(),
        occurs_on=data.occurs_on,
        recorded_by_id=user.id if user else None,
        recorded_at=now,
    )
    db.session.add(event)
    db.session.flush()
    flagged = flag_entries_after_measure(event, now) if data.kind == EventKind.MAATREGEL else []
    db.session.commit()
    return RecordedEvent(event=event, flagged=len(flagged))


def list_events(crisis_id: int | None = None, *, limit: int = 200) -> list[CrisisEvent]:
    """The most recent events, newest date first, of one crisis or all."""
    query = select(CrisisEvent).order_by(CrisisEvent.occurs_on.desc(), CrisisEvent.id.desc())
    if crisis_id is not None:
        query = query.where(CrisisEvent.crisis_id == crisis_id)
    return list(db.session.scalars(query.limit(limit)))


def list_measures(crisis_ids: list[int]) -> list[CrisisEvent]:
    """The measures of these crises an entry can depend on, newest first."""
    return list(
        db.session.scalars(
            select(CrisisEvent)
            .where(
                CrisisEvent.crisis_id.in_(crisis_ids),
                CrisisEvent.kind == EventKind.MAATREGEL.value,
            )
            .order_by(CrisisEvent.occurs_on.desc())
            .limit(500)
        )
    )
