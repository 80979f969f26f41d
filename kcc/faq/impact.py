"""Does it work? Questions about a published entry's subject in the weeks around publication.

If an entry answers what people ask, fewer of them should need to call: the coordinator sees,
per week, how many questions fell in the entry's cluster(s) and in its topic, four weeks
before and four weeks after the entry first went public.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select

from kcc.exceptions import Conflict
from kcc.extensions import db
from kcc.faq.editorial import get_entry
from kcc.faq.models import ClusterMember, FaqEntry, QuestionCluster
from kcc.intake.models import Question

WEEKS_AROUND = 4
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class ImpactWeek:
    """Questions in one week relative to publication (-4..-1 before, 0..3 after)."""

    offset: int
    starts: date
    cluster_count: int
    topic_count: int | None
    is_complete: bool

    @property
    def is_after(self) -> bool:
        """Whether the week lies after publication."""
        return self.offset >= 0


@dataclass(frozen=True)
class Impact:
    """Weekly counts around an entry's first publication and the averages before and after."""

    entry: FaqEntry
    published_at: datetime
    weeks: list[ImpactWeek]
    cluster_before: float
    cluster_after: float | None
    topic_before: float | None
    topic_after: float | None


def week_bucket(published_at: datetime, weeks: int) -> ColumnElement[int]:
    """The week offset of a question's receipt: -weeks..weeks-1 (a CASE, portable SQL)."""
    starts = [published_at + offset * WEEK for offset in range(-weeks + 1, weeks)]
    return case(
        *((Question.received_at < start, offset) for offset, start in enumerate(starts, -weeks)),
        else_=weeks - 1,
    )


def counts_by_week(
    conditions: list[ColumnElement[bool]],
    bucket: ColumnElement[int],
    joins: Sequence[tuple[Any, ColumnElement[bool]]] = (),
) -> dict[int, int]:
    """Count distinct questions per week bucket under the given conditions."""
    week = bucket.label("week")
    query = select(week, func.count(func.distinct(Question.id)))
    for target, on in joins:
        query = query.join(target, on)
    rows = db.session.execute(query.where(*conditions).group_by(week)).all()
    return {int(week): count for week, count in rows}


def average(values: list[int]) -> float | None:
    """The mean, or None for no values."""
    return round(sum(values) / len(values), 1) if values else None


def entry_impact(entry_id: int, *, now: datetime, weeks: int = WEEKS_AROUND) -> Impact:
    """Questions per week in the entry's cluster(s) and topic, before and after publication.

    Both counts read questions through the (crisis_id, received_at) index range of 2 × weeks
    weeks; cluster members are counted once even when several runs hold them. Averages after
    publication only use weeks that are over, so a half week does not look like a drop.
    """
    entry = get_entry(entry_id)
    if entry.first_published_at is None:
        raise Conflict("Deze veelgestelde vraag is nog niet gepubliceerd.")
    published_at = entry.first_published_at
    start, end = published_at - weeks * WEEK, published_at + weeks * WEEK
    bucket = week_bucket(published_at, weeks)
    in_period = [
        Question.crisis_id == entry.crisis_id,
        Question.received_at >= start,
        Question.received_at < end,
    ]
    cluster_counts = counts_by_week(
        [
            *in_period,
            or_(
                QuestionCluster.drafted_entry_id == entry.id,
                QuestionCluster.covered_by_entry_id == entry.id,
            ),
        ],
        bucket,
        joins=(
            (ClusterMember, ClusterMember.question_id == Question.id),
            (QuestionCluster, QuestionCluster.id == ClusterMember.cluster_id),
        ),
    )
    topic_counts = (
        counts_by_week([*in_period, Question.topic_id == entry.topic_id], bucket)
        if entry.topic_id is not None
        else None
    )
    rows = [
        ImpactWeek(
            offset=offset,
            starts=(published_at + offset * WEEK).date(),
            cluster_count=cluster_counts.get(offset, 0),
            topic_count=None if topic_counts is None else topic_counts.get(offset, 0),
            is_complete=published_at + (offset + 1) * WEEK <= now,
        )
        for offset in range(-weeks, weeks)
    ]
    before = [row for row in rows if not row.is_after]
    after = [row for row in rows if row.is_after and row.is_complete]
    return Impact(
        entry=entry,
        published_at=published_at,
        weeks=rows,
        cluster_before=average([row.cluster_count for row in before]) or 0.0,
        cluster_after=average([row.cluster_count for row in after]),
        topic_before=average([r.topic_count for r in before if r.topic_count is not None]),
        topic_after=average([r.topic_count for r in after if r.topic_count is not None]),
    )
