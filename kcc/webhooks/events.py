"""The events webhooks report, and the data each carries.

Privacy by design: a payload holds ids, codes, states, moments and links to the API, never
personal data or free text (no question or answer text, no names, no contact details, no
signal explanation). A receiver that needs more asks the API with its own token, where roles,
masking and the audit log apply as for any other client.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask import current_app, url_for
from sqlalchemy.orm import Session

from kcc.reference.models import Crisis, Municipality, Topic

if TYPE_CHECKING:  # only for annotations: these modules call emit_event themselves
    from kcc.escalation.models import Escalation
    from kcc.faq.models import FaqEntry
    from kcc.insight.models import Signal
    from kcc.intake.models import Question


class WebhookEvent(StrEnum):
    """What happened; the code is what receivers see in `event` and X-KCC-Event."""

    QUESTION_REGISTERED = "question.registered"
    QUESTION_ESCALATED = "question.escalated"
    QUESTION_ANSWERED = "question.answered"
    FAQ_PUBLISHED = "faq.published"
    SIGNAL_RAISED = "signal.raised"

    @property
    def label(self) -> str:
        """Dutch name shown on the admin screens."""
        return EVENT_LABELS[self]


EVENT_LABELS = {
    WebhookEvent.QUESTION_REGISTERED: "Vraag geregistreerd",
    WebhookEvent.QUESTION_ESCALATED: "Vraag doorgezet",
    WebhookEvent.QUESTION_ANSWERED: "Doorgezette vraag beantwoord",
    WebhookEvent.FAQ_PUBLISHED: "Veelgestelde vraag gepubliceerd",
    WebhookEvent.SIGNAL_RAISED: "Signaal gevonden",
}


def label_of(code: str) -> str:
    """The Dutch name of an event code (the code itself if it is unknown)."""
    try:
        return WebhookEvent(code).label
    except ValueError:
        return code


def link(endpoint: str, **values: Any) -> str:
    """A URL of kcc: absolute within a request or with SERVER_NAME, else the path alone."""
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:
        # No request and no SERVER_NAME (a CLI run): the path still tells the receiver where.
        adapter = current_app.url_map.bind("localhost")
        return adapter.build(endpoint, values)


def iso(moment: datetime | date | None) -> str | None:
    """A moment or day in ISO 8601, or None."""
    return moment.isoformat() if moment is not None else None


def reference_codes(
    session: Session, *, crisis_id: int, municipality_id: int | None, topic_id: int | None
) -> dict[str, str | None]:
    """The codes of crisis, municipality (CBS) and topic; readable for receivers, unlike ids."""
    crisis = session.get(Crisis, crisis_id)
    municipality = session.get(Municipality, municipality_id) if municipality_id else None
    topic = session.get(Topic, topic_id) if topic_id else None
    return {
        "crisis": crisis.code if crisis else None,
        "municipality": municipality.cbs_code if municipality else None,
        "topic": topic.code if topic else None,
    }


def question_data(question: Question, session: Session) -> dict[str, Any]:
    """A registered question: where it belongs and how it stands, not what was said."""
    return {
        "question_id": question.id,
        "reference": question.reference,
        **reference_codes(
            session,
            crisis_id=question.crisis_id,
            municipality_id=question.municipality_id,
            topic_id=question.topic_id,
        ),
        "channel": question.channel,
        "status": question.status,
        "received_at": iso(question.received_at),
        "api_url": link("api.get_question", question_id=question.id),
    }


def escalation_data(escalation: Escalation, session: Session) -> dict[str, Any]:
    """An escalated (or answered) question's work item: state, priority and deadline."""
    question = escalation.question
    return {
        "escalation_id": escalation.id,
        "question_id": escalation.question_id,
        "reference": question.reference if question is not None else None,
        **reference_codes(
            session,
            crisis_id=escalation.crisis_id,
            municipality_id=escalation.municipality_id,
            topic_id=escalation.topic_id,
        ),
        "state": escalation.state,
        "priority": escalation.priority,
        "deadline": iso(escalation.deadline),
        "answered_at": iso(escalation.answered_at),
        "api_url": link("api.get_question", question_id=escalation.question_id),
        "timeline_url": link("api.timeline", question_id=escalation.question_id),
    }


def faq_data(entry: FaqEntry, session: Session) -> dict[str, Any]:
    """A published FAQ entry: where the public reads it and where the feed has its text."""
    codes = reference_codes(
        session,
        crisis_id=entry.crisis_id,
        municipality_id=entry.municipality_id,
        topic_id=entry.topic_id,
    )
    return {
        "faq_entry_id": entry.id,
        **codes,
        "state": entry.state,
        "first_published_at": iso(entry.first_published_at),
        "live_changed_at": iso(entry.live_changed_at),
        "public_url": link("faq_public.entry_page", crisis_code=codes["crisis"], entry_id=entry.id),
        "api_url": link("api.public_faq", crisis=codes["crisis"]),
    }


def signal_data(signal: Signal, session: Session) -> dict[str, Any]:
    """A new signal: which day and series, and the numbers (aggregates, no text)."""
    return {
        "signal_id": signal.id,
        **reference_codes(
            session,
            crisis_id=signal.crisis_id,
            municipality_id=signal.municipality_id,
            topic_id=signal.topic_id,
        ),
        "day": iso(signal.day),
        "kind": signal.kind,
        "source": signal.source,
        "observed": signal.observed,
        "expected": signal.expected,
        "score": signal.score,
        "detected_at": iso(signal.detected_at),
        "signals_url": link("insight.signals", crisis_id=signal.crisis_id),
    }


DataBuilder = Callable[[Any, Session], dict[str, Any]]

DATA_BUILDERS: dict[WebhookEvent, DataBuilder] = {
    WebhookEvent.QUESTION_REGISTERED: question_data,
    WebhookEvent.QUESTION_ESCALATED: escalation_data,
    WebhookEvent.QUESTION_ANSWERED: escalation_data,
    WebhookEvent.FAQ_PUBLISHED: faq_data,
    WebhookEvent.SIGNAL_RAISED: signal_data,
}
