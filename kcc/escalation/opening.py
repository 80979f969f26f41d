"""Opening an escalation: its priority (raised by rules), deadline and first department.

Intake calls `open_escalation()` inside its own transaction, so a question and its work item
are stored together or not at all. This module imports no other service module, so intake can
use it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app

from kcc.classification.models import Sentiment
from kcc.escalation.calendar import OpeningHours, WorkingCalendar
from kcc.escalation.models import Escalation, EscalationState, EscalationStep, Priority, StepKind
from kcc.escalation.routing import suggest_department
from kcc.extensions import db
from kcc.intake.models import CallerType, Question
from kcc.reference import cache as reference_cache

# An urgent item (spoed) is answered the same working day, whatever the crisis's target.
URGENT_RESPONSE_HOURS = 4.0


@dataclass(frozen=True)
class PriorityDecision:
    """The priority an item gets and the rules that raised it (empty when none did)."""

    priority: Priority
    reasons: tuple[str, ...] = ()


def decide_priority(
    chosen: Priority | None, *, sentiment: str | None, caller_type: str
) -> PriorityDecision:
    """Start from what a person chose (normaal when nothing) and let the rules only raise it."""
    priority = chosen or Priority.NORMAAL
    reasons: list[str] = []
    # The press publishes today: an unanswered press question becomes tomorrow's headline.
    if caller_type == CallerType.PERS and priority.rank > Priority.SPOED.rank:
        priority = Priority.SPOED
        reasons.append("vraag van de pers")
    # An angry caller left waiting gets angrier; answer them before the neutral ones.
    if sentiment == Sentiment.NEGATIEF and priority.rank > Priority.HOOG.rank:
        priority = Priority.HOOG
        reasons.append("negatief sentiment")
    return PriorityDecision(priority, tuple(reasons))


def working_calendar(config: Mapping[str, Any]) -> WorkingCalendar:
    """The calendar deadlines count in, from OPENING_HOURS, OPENING_DAYS and CLOSED_DAYS."""
    return WorkingCalendar(
        opening_hours=OpeningHours.parse(config["OPENING_HOURS"], weekdays=config["OPENING_DAYS"]),
        extra_closed_days=frozenset(date.fromisoformat(day) for day in config["CLOSED_DAYS"]),
    )


def response_hours_for(question: Question, priority: Priority) -> float:
    """The topic's service level if it has one, else the crisis's; urgent items are capped."""
    # By id, not relationship: intake calls this before the new question is flushed.
    hours = reference_cache.crisis_ref(question.crisis_id).response_hours  # type: ignore[union-attr]
    topic = topic_of(question)
    if topic is not None and topic.response_hours:
        hours = topic.response_hours
    if priority == Priority.SPOED:
        hours = min(hours, URGENT_RESPONSE_HOURS)
    return float(hours)


def deadline_for(start: datetime, hours: float) -> datetime:
    """The moment `hours` working hours after `start`."""
    return working_calendar(current_app.config).add_working_hours(start, hours)


def open_escalation(
    question: Question,
    *,
    user_id: int | None,
    now: datetime,
    chosen_priority: Priority | None = None,
    reason: str = "",
) -> Escalation:
    """Create the work item for an escalated or call-back question (the caller commits)."""
    decision = decide_priority(
        chosen_priority, sentiment=question.sentiment, caller_type=question.caller_type
    )
    hours = response_hours_for(question, decision.priority)
    escalation = Escalation(
        question=question,
        crisis_id=question.crisis_id,
        municipality_id=question.municipality_id,
        topic_id=question.topic_id,
        state=EscalationState.NIEUW.value,
        is_open=True,
        priority=decision.priority.value,
        priority_rank=decision.priority.rank,
        priority_reason=", ".join(decision.reasons),
        deadline=deadline_for(now, hours),
        response_hours=hours,
        reason=reason.strip(),
        created_by_id=user_id,
        created_at=now,
        updated_at=now,
    )
    # The item joins the session with its question, after it is complete: no flush before.
    with db.session.no_autoflush:
        route_new_escalation(escalation, question)
    escalation.steps.append(
        EscalationStep(
            at=now,
            user_id=user_id,
            kind=StepKind.ESCALATED.value,
            to_state=EscalationState.NIEUW.value,
            detail=opening_detail(decision, reason),
        )
    )
    return escalation


def route_new_escalation(escalation: Escalation, question: Question) -> None:
    """A topic's default department decides; otherwise earlier routings suggest one."""
    topic = topic_of(question)
    if topic is not None and topic.default_department_id is not None:
        escalation.department_id = topic.default_department_id
        return
    suggestion = suggest_department(question.text_masked)
    if suggestion is not None:
        escalation.suggested_department_id = suggestion.department_id
        escalation.suggestion_confidence = suggestion.confidence


def topic_of(question: Question) -> reference_cache.TopicRef | None:
    """The question's topic, also before the question is flushed."""
    return reference_cache.topic_ref(question.topic_id) if question.topic_id else None


def opening_detail(decision: PriorityDecision, reason: str) -> str:
    """The Dutch line the timeline shows for a new escalation."""
    parts = [f"Prioriteit {decision.priority.label.lower()}"]
    if decision.reasons:
        parts[0] += " (verhoogd: " + ", ".join(decision.reasons) + ")"
    if reason.strip():
        parts.append(f"Reden: {reason.strip()}")
    return ". ".join(parts) + "."
