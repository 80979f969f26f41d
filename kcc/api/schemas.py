"""Reading API requests into service inputs and writing records as JSON."""

from __future__ import annotations

import hashlib
from typing import Any

from kcc.intake.models import Question
from kcc.intake.services import ContactInput, QuestionInput
from kcc.reference import cache as reference_cache
from kcc.reference.models import Crisis

# Service field names, as the API calls them.
SERVICE_FIELD_TO_API_FIELD = {
    "municipality_id": "municipality",
    "crisis_id": "crisis",
    "related_question_id": "related_question_id",
    "name": "contact.name",
    "phone": "contact.phone",
    "email": "contact.email",
    "preferred_contact": "contact.preferred_contact",
}
TEXT_FIELDS = ("text", "channel", "caller_type", "municipality", "crisis", "answer", "priority")
CONTACT_FIELDS = ("name", "phone", "email", "preferred_contact")
# PostgreSQL's integer: a larger id overflows the database driver, so the API refuses it first.
MAX_RECORD_ID = 2_147_483_647


def is_record_id(value: Any) -> bool:
    """Tell whether a JSON value can be a record's id (a whole number the database can hold)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_RECORD_ID


class BadRequest(Exception):
    """The request's shape is wrong (not its content): answered with 400 and field errors."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("bad request")
        self.errors = errors


def check_shape(body: Any) -> None:
    """Every field has the JSON type the API documents; raise BadRequest otherwise."""
    if not isinstance(body, dict):
        raise BadRequest({"": ["Verwacht een JSON-object."]})
    errors: dict[str, list[str]] = {}
    for name in TEXT_FIELDS:
        if name in body and body[name] is not None and not isinstance(body[name], str):
            errors[name] = ["Moet tekst zijn."]
    if "escalate" in body and not isinstance(body["escalate"], bool):
        errors["escalate"] = ["Moet true of false zijn."]
    related = body.get("related_question_id")
    if related is not None and not is_record_id(related):
        errors["related_question_id"] = [
            f"Moet een id zijn: een geheel getal van 1 tot {MAX_RECORD_ID}."
        ]
    contact = body.get("contact")
    if contact is not None:
        if not isinstance(contact, dict):
            errors["contact"] = ["Moet een object zijn met name, phone en email."]
        else:
            for name in CONTACT_FIELDS:
                value = contact.get(name)
                if value is not None and not isinstance(value, str):
                    errors[f"contact.{name}"] = ["Moet tekst zijn."]
    if errors:
        raise BadRequest(errors)


def resolve_codes(body: dict[str, Any]) -> tuple[int, int, dict[str, list[str]]]:
    """Municipality and crisis ids from their codes, and errors for unknown or missing ones."""
    errors: dict[str, list[str]] = {}
    municipality = reference_cache.municipality_by_code(body.get("municipality") or "")
    if municipality is None:
        errors["municipality"] = ["Onbekende gemeente: geef een CBS-code, bijvoorbeeld GM0402."]
    crisis = reference_cache.crisis_by_code(body.get("crisis") or "")
    if crisis is None:
        errors["crisis"] = ["Onbekende crisis: geef de code, bijvoorbeeld oekraine."]
    return (
        municipality.id if municipality else 0,
        crisis.id if crisis else 0,
        errors,
    )


def submission_token_for(user_id: int, idempotency_key: str | None) -> str | None:
    """A client's Idempotency-Key, made unique per user (two clients may pick the same key)."""
    if not idempotency_key:
        return None
    return hashlib.sha256(f"api:{user_id}:{idempotency_key}".encode()).hexdigest()


def question_input_from(
    body: dict[str, Any], municipality_id: int, crisis_id: int, submission_token: str | None
) -> QuestionInput:
    """The service input for a checked request body."""
    contact = body.get("contact") or {}
    escalate = bool(body.get("escalate", False))
    return QuestionInput(
        channel=body.get("channel") or "",
        caller_type=body.get("caller_type") or "",
        municipality_id=municipality_id,
        crisis_id=crisis_id,
        text=body.get("text") or "",
        answer=body.get("answer") or "",
        escalate=escalate,
        contact=ContactInput(
            name=contact.get("name") or "",
            phone=contact.get("phone") or "",
            email=contact.get("email") or "",
            preferred_contact=contact.get("preferred_contact") or "",
        ),
        related_question_id=body.get("related_question_id"),
        submission_token=submission_token,
        priority=body.get("priority") or None,
    )


def api_errors(service_errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Service errors renamed to the API's field names."""
    return {
        SERVICE_FIELD_TO_API_FIELD.get(field, field): messages
        for field, messages in service_errors.items()
    }


def question_json(question: Question, *, include_personal_data: bool) -> dict[str, Any]:
    """A question as the API shows it; contact details only for roles that may see them."""
    data: dict[str, Any] = {
        "id": question.id,
        "reference": question.reference,
        "received_at": question.received_at.isoformat(),
        "channel": question.channel,
        "caller_type": question.caller_type,
        # From the reference snapshot: a list of questions does not load these per row.
        "municipality": reference_cache.municipality_ref(question.municipality_id).cbs_code,  # type: ignore[union-attr]
        "crisis": reference_cache.crisis_ref(question.crisis_id).code,  # type: ignore[union-attr]
        "text": question.text if include_personal_data else question.text_masked,
        "answer": question.answer if include_personal_data else question.answer_masked,
        "status": question.status,
        "escalate": question.is_escalated,
        "topic": reference_cache.topic_ref(question.topic_id).code  # type: ignore[union-attr]
        if question.topic_id
        else None,
        "topic_confidence": question.topic_confidence,
        "sentiment": question.sentiment,
        "sentiment_confidence": question.sentiment_confidence,
        "needs_review": question.needs_review,
        "related_question_id": question.related_question_id,
    }
    if include_personal_data:
        contact = question.contact
        data["contact"] = (
            {
                "name": contact.name,
                "phone": contact.phone,
                "email": contact.email,
                "preferred_contact": contact.preferred_contact,
            }
            if contact
            else None
        )
    return data


def crisis_json(crisis: Crisis) -> dict[str, Any]:
    """A crisis with its topics."""
    return {
        "code": crisis.code,
        "name": crisis.name,
        "description": crisis.description,
        "active": crisis.is_active,
        "start_date": crisis.start_date.isoformat(),
        "topics": [
            {"code": t.code, "name": t.name, "description": t.description, "active": t.is_active}
            for t in crisis.topics
        ],
    }
