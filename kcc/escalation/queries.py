"""The queue: escalations in urgency order, filtered, paged, and counted per state.

Open items are read through the index (is_open, deadline, priority_rank, id), which hands them
over in queue order: overdue items have the earliest deadlines, so "overdue first, then
deadline, then priority" is one ordered index scan that stops after a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import joinedload

from kcc.auth.models import User
from kcc.escalation.calendar import WorkingCalendar
from kcc.escalation.models import Escalation, EscalationState
from kcc.escalation.services import can_manage
from kcc.extensions import db
from kcc.intake.models import Question

PAGE_SIZE = 50
# Deeper pages are never needed to work a queue; filters narrow it instead.
MAX_PAGE = 40


class QueueView(StrEnum):
    """The ready-made views of the queue."""

    OPEN = "open"
    MINE = "mine"
    DEPARTMENT = "department"
    OVERDUE = "overdue"
    UNASSIGNED = "unassigned"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """Dutch name on the tab."""
        return VIEW_LABELS[self]


VIEW_LABELS = {
    QueueView.OPEN: "Alle open",
    QueueView.MINE: "Mijn werk",
    QueueView.DEPARTMENT: "Mijn afdeling",
    QueueView.OVERDUE: "Te laat",
    QueueView.UNASSIGNED: "Niet toegewezen",
    QueueView.CLOSED: "Afgesloten",
}


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: a view plus optional filters."""

    view: QueueView = QueueView.OPEN
    state: str = ""
    crisis_id: int | None = None
    municipality_id: int | None = None
    department_id: int | None = None
    topic_id: int | None = None
    priority: str = ""


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue with what the template needs to make it stand out."""

    escalation: Escalation
    is_overdue: bool
    is_nearly_due: bool
    working_hours_left: float


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue and the counts per state of everything the filters match."""

    rows: list[QueueRow]
    page: int
    has_next: bool
    counts: dict[str, int]


def scope_conditions(user: User) -> list[ColumnElement[bool]]:
    """Coordinators see the whole queue; specialists their own and their department's items."""
    if can_manage(user):
        return []
    mine = Escalation.assignee_id == user.id
    if user.department_id is None:
        return [mine]
    return [or_(mine, Escalation.department_id == user.department_id)]


def view_conditions(view: QueueView, user: User, now: datetime) -> list[ColumnElement[bool]]:
    """The conditions behind each ready-made view."""
    is_open = Escalation.is_open.is_(True)
    match view:
        case QueueView.MINE:
            return [is_open, Escalation.assignee_id == user.id]
        case QueueView.DEPARTMENT:
            if user.department_id is None:
                return [false()]
            return [is_open, Escalation.department_id == user.department_id]
        case QueueView.OVERDUE:
            return [is_open, Escalation.deadline < now]
        case QueueView.UNASSIGNED:
            return [is_open, Escalation.assignee_id.is_(None)]
        case QueueView.CLOSED:
            return [Escalation.is_open.is_(False)]
        case _:
            return [is_open]


def filter_conditions(criteria: QueueFilter) -> list[ColumnElement[bool]]:
    """The optional filters, each only when set."""
    conditions: list[ColumnElement[bool]] = []
    if criteria.crisis_id:
        conditions.append(Escalation.crisis_id == criteria.crisis_id)
    if criteria.municipality_id:
        conditions.append(Escalation.municipality_id == criteria.municipality_id)
    if criteria.department_id:
        conditions.append(Escalation.department_id == criteria.department_id)
    if criteria.priority:
        conditions.append(Escalation.priority == criteria.priority)
    if criteria.topic_id:
        conditions.append(Escalation.topic_id == criteria.topic_id)
    return conditions


def queue_order(view: QueueView) -> Sequence[Any]:
    """Open views by urgency; the closed view with the most recently closed first."""
    if view == QueueView.CLOSED:
        return (Escalation.closed_at.desc(), Escalation.id.desc())
    return (
        Escalation.is_open.desc(),
        Escalation.deadline,
        Escalation.priority_rank,
        Escalation.id,
    )


def queue_page(
    criteria: QueueFilter,
    user: User,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    nearly_due_hours: float,
    page: int = 1,
) -> QueuePage:
    """One page of the queue for this user, with counts per state."""
    page = min(max(page, 1), MAX_PAGE)
    base = [*scope_conditions(user), *filter_conditions(criteria)]
    conditions = [*base, *view_conditions(criteria.view, user, now)]
    if criteria.state:
        conditions.append(Escalation.state == criteria.state)
    items = list(
        db.session.execute(
            select(Escalation)
            .where(*conditions)
            .order_by(*queue_order(criteria.view))
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
            .options(
                joinedload(Escalation.question).joinedload(Question.topic),
                joinedload(Escalation.question).joinedload(Question.municipality),
                joinedload(Escalation.assignee),
                joinedload(Escalation.department),
            )
        )
        .unique()
        .scalars()
    )
    rows = [
        queue_row(escalation, now=now, calendar=calendar, nearly_due_hours=nearly_due_hours)
        for escalation in items[:PAGE_SIZE]
    ]
    return QueuePage(
        rows=rows,
        page=page,
        has_next=len(items) > PAGE_SIZE and page < MAX_PAGE,
        counts=counts_per_state(base, criteria.view, user, now),
    )


def queue_row(
    escalation: Escalation, *, now: datetime, calendar: WorkingCalendar, nearly_due_hours: float
) -> QueueRow:
    """Mark an item overdue or nearly due by the working hours left."""
    left = calendar.working_hours_between(now, escalation.deadline)
    overdue = escalation.is_open and escalation.deadline < now
    return QueueRow(
        escalation=escalation,
        is_overdue=overdue,
        is_nearly_due=escalation.is_open and not overdue and left <= nearly_due_hours,
        working_hours_left=left,
    )


def counts_per_state(
    base: list[ColumnElement[bool]], view: QueueView, user: User, now: datetime
) -> dict[str, int]:
    """How many items the view (without a state filter) holds in each state."""
    conditions = [*base, *view_conditions(view, user, now)]
    rows = db.session.execute(
        select(Escalation.state, func.count(Escalation.id))
        .where(*conditions)
        .group_by(Escalation.state)
    ).all()
    found = {state: count for state, count in rows}
    return {state.value: found.get(state.value, 0) for state in EscalationState}
