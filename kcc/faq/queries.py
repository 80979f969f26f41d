"""Read-only views of FAQ entries for the editorial screens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kcc.extensions import db
from kcc.faq.models import EntryState, FaqEntry

PAGE_SIZE = 50


@dataclass(frozen=True)
class EntryFilter:
    """Which entries the list shows."""

    crisis_id: int | None = None
    state: str | None = None
    needs_check: bool = False


@dataclass(frozen=True)
class EntryPage:
    """One page of entries and the total count."""

    entries: list[FaqEntry]
    total: int
    page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // PAGE_SIZE))


def list_entries(entry_filter: EntryFilter, page: int = 1) -> EntryPage:
    """Entries flagged for checking first, then in review, then newest changes first."""
    conditions = []
    if entry_filter.crisis_id is not None:
        conditions.append(FaqEntry.crisis_id == entry_filter.crisis_id)
    if entry_filter.state:
        conditions.append(FaqEntry.state == entry_filter.state)
    if entry_filter.needs_check:
        conditions.append(FaqEntry.needs_check.is_(True))
    total = db.session.scalar(select(func.count()).select_from(FaqEntry).where(*conditions)) or 0
    page = max(1, page)
    in_review_first = (FaqEntry.state == EntryState.TER_REVIEW.value).desc()
    entries = db.session.scalars(
        select(FaqEntry)
        .where(*conditions)
        .options(selectinload(FaqEntry.crisis), selectinload(FaqEntry.topic))
        .order_by(FaqEntry.needs_check.desc(), in_review_first, FaqEntry.updated_at.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return EntryPage(entries=list(entries), total=total, page=page)


def regional_entries(crisis_ids: list[int]) -> list[FaqEntry]:
    """Regional entries a municipal entry may replace."""
    return list(
        db.session.scalars(
            select(FaqEntry)
            .where(
                FaqEntry.crisis_id.in_(crisis_ids),
                FaqEntry.municipality_id.is_(None),
                FaqEntry.state != EntryState.INGETROKKEN.value,
            )
            .order_by(FaqEntry.id)
            .limit(1000)
        )
    )
