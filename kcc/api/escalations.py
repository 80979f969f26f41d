"""API v1 for escalations: the same services and rules as the queue screens.

Items are addressed by their question's id. A lost claim, an item owned by someone else or an
illegal state change answers 409; a broken rule 422; someone else's item 403.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from kcc.api.components import ref
from kcc.api.openapi import describe, error, json_answer, json_request
from kcc.api.schemas import api_errors, is_record_id
from kcc.api.views import api_permission_required, api_user, bp, error_response
from kcc.auth.models import User
from kcc.escalation import mailing, services
from kcc.escalation.models import Escalation, EscalationStep, FollowUp, FollowUpKind
from kcc.exceptions import Conflict, Forbidden, KccError, NotFound, ValidationFailed
from kcc.extensions import db, keeping_loaded_state
from kcc.governance.audit import record_and_commit
from kcc.governance.models import AuditAction
from kcc.intake.services import ContactInput
from kcc.reference.models import Department
from kcc.security import Permission

STATUS_OF = {NotFound: 404, Forbidden: 403, Conflict: 409, ValidationFailed: 422}
# The services name fields as the forms do; the API's request bodies call them this.
ESCALATION_FIELD_TO_API_FIELD = {"department_id": "department", "assignee_id": "user"}
NOT_YOURS = error("Geen recht, of de doorzetting is niet van u of uw afdeling")
NOT_ESCALATED = error("Vraag bestaat niet of is niet doorgezet")


def domain_error(error: KccError) -> tuple[Response, int]:
    """A service's refusal as the API's error body (with the API's field names) and status."""
    db.session.rollback()
    if isinstance(error, ValidationFailed):
        errors = {
            ESCALATION_FIELD_TO_API_FIELD.get(field, field): messages
            for field, messages in api_errors(error.errors).items()
        }
    else:
        errors = {"": [str(error)]}
    return error_response(STATUS_OF.get(type(error), 400), errors)


def json_body() -> dict[str, Any]:
    """The request's JSON object, or an empty one (bad shapes fail in the services' checks)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def text_of(body: dict[str, Any], key: str) -> str:
    """A string field of the body; anything else counts as empty."""
    value = body.get(key)
    return value if isinstance(value, str) else ""


def person(user: Any) -> dict[str, Any] | None:
    """A user as the API names them."""
    return {"username": user.username, "name": user.display_name} if user else None


def escalation_json(escalation: Escalation) -> dict[str, Any]:
    """An escalation's current state."""
    department = escalation.department
    suggested = escalation.suggested_department
    return {
        "id": escalation.id,
        "question_id": escalation.question_id,
        "reference": escalation.question.reference,
        "state": escalation.state,
        "is_open": escalation.is_open,
        "priority": escalation.priority,
        "priority_reason": escalation.priority_reason,
        "deadline": escalation.deadline.isoformat(),
        "response_hours": escalation.response_hours,
        "department": {"id": department.id, "name": department.name} if department else None,
        "suggested_department": (
            {
                "id": suggested.id,
                "name": suggested.name,
                "confidence": escalation.suggestion_confidence,
            }
            if suggested
            else None
        ),
        "assignee": person(escalation.assignee),
        "final_answer": escalation.final_answer,
        "version": escalation.version,
        "created_at": escalation.created_at.isoformat(),
        "answered_at": escalation.answered_at.isoformat() if escalation.answered_at else None,
        "closed_at": escalation.closed_at.isoformat() if escalation.closed_at else None,
    }


def step_json(step: EscalationStep) -> dict[str, Any]:
    """A logged step."""
    return {
        "at": step.at.isoformat(),
        "type": "step",
        "kind": step.kind,
        "user": person(step.user),
        "from_state": step.from_state,
        "to_state": step.to_state,
        "detail": step.detail,
    }


def follow_up_json(follow_up: FollowUp) -> dict[str, Any]:
    """A follow-up entry; e-mails with their delivery status."""
    data: dict[str, Any] = {
        "id": follow_up.id,
        "at": follow_up.created_at.isoformat(),
        "type": "follow_up",
        "kind": follow_up.kind,
        "outcome": follow_up.outcome,
        "body": follow_up.body,
        "user": person(follow_up.created_by),
    }
    if follow_up.kind == FollowUpKind.EMAIL:
        data.update(
            email_to=follow_up.email_to,
            email_subject=follow_up.email_subject,
            message_id=follow_up.message_id,
            delivery_status=follow_up.delivery_status,
            delivery_error=follow_up.delivery_error,
            attempts=follow_up.attempts,
        )
    return data


def seen_version(body: dict[str, Any]) -> int | None:
    """The version the client based its change on, if it sent one."""
    version = body.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


@bp.post("/questions/<record_id:question_id>/escalate")
@describe(
    "escalateQuestion",
    summary="Vraag doorzetten naar de coördinator",
    request_body=json_request(
        "EscalateRequest",
        required=False,
        example={
            "priority": "hoog",
            "reason": "Wil teruggebeld worden",
            "contact": {"name": "K. de Boer", "phone": "06-12345678"},
        },
    ),
    responses={
        201: json_answer("De nieuwe doorzetting", ref("Escalation")),
        403: NOT_YOURS,
        404: error("Vraag bestaat niet"),
        409: error("Al doorgezet"),
        422: error("Ongeldige invoer, bijvoorbeeld geen contactgegevens"),
    },
)
@api_permission_required(Permission.REGISTER_QUESTIONS)
def escalate(question_id: int) -> tuple[Response, int]:
    """Escalate a registered question (contact details needed if it has none)."""
    body = json_body()
    contact = body.get("contact") if isinstance(body.get("contact"), dict) else {}
    try:
        escalation = services.escalate_question(
            question_id,
            services.EscalateInput(
                priority=text_of(body, "priority"),
                reason=text_of(body, "reason"),
                contact=ContactInput(
                    name=text_of(contact, "name"),
                    phone=text_of(contact, "phone"),
                    email=text_of(contact, "email"),
                    preferred_contact=text_of(contact, "preferred_contact"),
                ),
            ),
            user=api_user(),
        )
    except KccError as error:
        return domain_error(error)
    return jsonify(escalation_json(escalation)), 201


@bp.post("/questions/<record_id:question_id>/claim")
@describe(
    "claimEscalation",
    summary="Doorzetting oppakken",
    request_body=json_request("ClaimRequest", required=False),
    responses={
        200: json_answer("U bent nu de behandelaar", ref("Escalation")),
        403: NOT_YOURS,
        404: NOT_ESCALATED,
        409: error("Iemand anders was u voor, of de vraag heeft al een behandelaar"),
    },
)
@api_permission_required(Permission.ANSWER_ESCALATIONS)
def claim(question_id: int) -> Response | tuple[Response, int]:
    """Claim an item: 200 for the winner, 409 when someone else has it."""
    # The answer shows what this request just stored: no reload after the commit.
    with keeping_loaded_state():
        try:
            escalation = services.escalation_of_question_for_claim(question_id, api_user())
            escalation = services.claim(
                escalation.id, user=api_user(), seen_version=seen_version(json_body())
            )
        except KccError as error:
            return domain_error(error)
        return jsonify(escalation_json(escalation))


def id_given_by(value: Any, key: Any, *, field: str, unknown: str, wrong_type: str) -> int | None:
    """An id given as a number, or looked up by a unique text key (a name, a username)."""
    if value in (None, ""):
        return None
    if is_record_id(value):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValidationFailed(unknown, field=field)  # no record can have this id
    if not isinstance(value, str):
        raise ValidationFailed(wrong_type, field=field)
    found = db.session.execute(db.select(key.class_.id).where(key == value)).scalar_one_or_none()
    if found is None:
        raise ValidationFailed(unknown, field=field)
    return found


def department_from(value: Any) -> int | None:
    """A department given by id or by name."""
    return id_given_by(
        value,
        Department.name,
        field="department",
        unknown="Onbekende afdeling.",
        wrong_type="Geef de afdeling als id of naam.",
    )


def user_from(value: Any) -> int | None:
    """A specialist given by id or by username."""
    return id_given_by(
        value,
        User.username,
        field="user",
        unknown="Onbekende gebruiker.",
        wrong_type="Geef de gebruiker als id of gebruikersnaam.",
    )


@bp.post("/questions/<record_id:question_id>/assign")
@describe(
    "assignEscalation",
    summary="Toewijzen aan afdeling en/of behandelaar (coördinator)",
    request_body=json_request("AssignRequest"),
    responses={
        200: json_answer("Toegewezen", ref("Escalation")),
        403: NOT_YOURS,
        404: NOT_ESCALATED,
        409: error("Afgesloten of intussen gewijzigd"),
        422: error("Onbekende afdeling of behandelaar"),
    },
)
@api_permission_required(Permission.MANAGE_QUEUE)
def assign(question_id: int) -> Response | tuple[Response, int]:
    """Route an item to a department and/or a specialist."""
    body = json_body()
    # The answer shows what this request just stored: no reload after the commit.
    with keeping_loaded_state():
        try:
            escalation = services.escalation_of_question(question_id, api_user())
            escalation = services.assign(
                escalation.id,
                user=api_user(),
                department_id=department_from(body.get("department")),
                assignee_id=user_from(body.get("user")),
                seen_version=seen_version(body),
            )
        except KccError as error:
            return domain_error(error)
        return jsonify(escalation_json(escalation))


@bp.post("/questions/<record_id:question_id>/transition")
@describe(
    "transitionEscalation",
    summary="Status wijzigen",
    request_body=json_request("TransitionRequest"),
    responses={
        200: json_answer("Nieuwe status", ref("Escalation")),
        403: NOT_YOURS,
        404: NOT_ESCALATED,
        409: error("Deze overgang is niet toegestaan of de voorwaarde ontbreekt"),
        422: error("Onbekende status of reden ontbreekt"),
    },
)
@api_permission_required(Permission.ANSWER_ESCALATIONS)
def transition(question_id: int) -> Response | tuple[Response, int]:
    """Move an item to another state; an illegal move answers 409."""
    body = json_body()
    # The answer shows what this request just stored: no reload after the commit.
    with keeping_loaded_state():
        try:
            escalation = services.escalation_of_question(question_id, api_user())
            escalation = services.transition(
                escalation.id,
                text_of(body, "state"),
                user=api_user(),
                note=text_of(body, "note"),
                seen_version=seen_version(body),
            )
        except KccError as error:
            return domain_error(error)
        return jsonify(escalation_json(escalation))


@bp.post("/questions/<record_id:question_id>/followups")
@describe(
    "addFollowUp",
    summary="Belpoging, notitie, definitief antwoord of e-mail vastleggen",
    request_body=json_request(
        "FollowUpRequest", example={"kind": "notitie", "body": "Beller wacht op de afdeling."}
    ),
    responses={
        201: json_answer("Vastgelegd (e-mail: met verzendstatus)", ref("FollowUp")),
        403: NOT_YOURS,
        404: NOT_ESCALATED,
        409: error("Intussen gewijzigd"),
        422: error("Ongeldige invoer"),
    },
)
@api_permission_required(Permission.ANSWER_ESCALATIONS)
def add_follow_up(question_id: int) -> tuple[Response, int]:
    """Log a call attempt, note or final answer; kind e-mail sends an e-mail to the caller."""
    body = json_body()
    # The answer shows what this request just stored: no reload after the commit.
    with keeping_loaded_state():
        try:
            escalation = services.escalation_of_question(question_id, api_user())
            if text_of(body, "kind") == FollowUpKind.EMAIL:
                follow_up = send_email(escalation, body)
            else:
                follow_up = services.add_follow_up(
                    escalation.id,
                    text_of(body, "kind"),
                    user=api_user(),
                    outcome=text_of(body, "outcome") or None,
                    body=text_of(body, "body"),
                )
        except KccError as error:
            return domain_error(error)
        return jsonify(follow_up_json(follow_up)), 201


def template_from(value: Any) -> int | None:
    """A template id given as a number; any other value means the crisis's default template."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if not is_record_id(value):
        raise NotFound("Dit sjabloon bestaat niet.")  # no record can have this id
    return value


def send_email(escalation: Escalation, body: dict[str, Any]) -> FollowUp:
    """Compose from the template (or the given texts) and send."""
    composed = mailing.compose_email(escalation, api_user(), template_from(body.get("template")))
    return mailing.send_email_answer(
        escalation.id,
        mailing.ComposedEmail(
            to=text_of(body, "to") or composed.to,
            subject=text_of(body, "subject") or composed.subject,
            body=text_of(body, "body") or composed.body,
        ),
        user=api_user(),
    )


@bp.get("/questions/<record_id:question_id>/timeline")
@describe(
    "getTimeline",
    summary="Stand en tijdlijn van een doorzetting",
    description="Het lezen van de tijdlijn wordt gelogd (e-mailadressen en antwoorden).",
    responses={
        200: json_answer("Doorzetting met alle stappen en follow-up", ref("Timeline")),
        403: NOT_YOURS,
        404: NOT_ESCALATED,
    },
)
@api_permission_required(Permission.ANSWER_ESCALATIONS)
def timeline(question_id: int) -> Response | tuple[Response, int]:
    """The item's state and every step and follow-up, oldest first."""
    try:
        escalation = services.escalation_of_question(question_id, api_user())
    except KccError as error:
        return domain_error(error)
    entries = [
        step_json(entry) if isinstance(entry, EscalationStep) else follow_up_json(entry)
        for entry in services.timeline_of(escalation)
    ]
    data = {"escalation": escalation_json(escalation), "timeline": entries}
    # Follow-ups hold e-mail addresses and answers to a person: reading them is logged.
    record_and_commit(
        AuditAction.VIEW_PERSONAL_DATA, object_type="escalation", object_id=escalation.id
    )
    return jsonify(data)
