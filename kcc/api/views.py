"""API v1 endpoints. Bearer tokens only: a browser session never authorises an API call, so
the API needs no CSRF token and cannot be driven by a forged cross-site request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from sqlalchemy.exc import DBAPIError
from werkzeug.routing import IntegerConverter, Map

from kcc.api.components import ref
from kcc.api.openapi import (
    describe,
    error,
    header,
    json_answer,
    json_request,
    mark_permission,
    query,
    render_openapi_document,
)
from kcc.api.schemas import (
    MAX_RECORD_ID,
    BadRequest,
    api_errors,
    check_shape,
    crisis_json,
    question_input_from,
    question_json,
    resolve_codes,
    submission_token_for,
)
from kcc.auth.models import User
from kcc.auth.services import TokenHolder, find_token_holder
from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import csrf, db, keeping_loaded_state
from kcc.governance.audit import record_and_commit
from kcc.governance.models import AuditAction
from kcc.intake import queries, services
from kcc.intake.models import Channel, Question, QuestionStatus
from kcc.reference import services as reference_services
from kcc.security import Permission, role_has_permission

bp = Blueprint("api", __name__)
csrf.exempt(bp)


class RecordIdConverter(IntegerConverter):
    """A record id in a URL, written `<record_id:name>`; a larger number matches no route (404)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_RECORD_ID)


# Recorded before any route, so the converter exists when the blueprint's rules are added.
bp.record_once(
    lambda state: state.app.url_map.converters.setdefault("record_id", RecordIdConverter)
)
F = TypeVar("F", bound=Callable[..., Any])


def error_response(status: int, errors: dict[str, list[str]]) -> tuple[Response, int]:
    """The API's error body: every field with its messages."""
    return jsonify({"errors": errors}), status


def bearer_token() -> str | None:
    """The token from an `Authorization: Bearer ...` header."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_permission_required(permission: Permission) -> Callable[[F], F]:
    """401 without a valid token, 403 when the token's user lacks the permission."""

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            token = bearer_token()
            holder = find_token_holder(token) if token else None
            if holder is None:
                response = jsonify({"errors": {"": ["Geef een geldig API-token mee."]}})
                response.headers["WWW-Authenticate"] = 'Bearer realm="kcc"'
                return response, 401
            if not role_has_permission(holder.role, permission):
                return error_response(403, {"": ["Dit token heeft geen recht op deze handeling."]})
            g.api_caller = holder
            return view(*args, **kwargs)

        mark_permission(guarded, permission)
        return guarded  # type: ignore[return-value]

    return decorator


def api_caller() -> TokenHolder:
    """Who this request's token belongs to (id, name and role, without a query)."""
    return g.api_caller  # type: ignore[no-any-return]


def api_user() -> User:
    """The user whose token authorised this request, for services that take a User."""
    # Kept in g for the request: the session's identity map holds objects only weakly.
    if "api_user" not in g:
        g.api_user = db.session.get_one(User, api_caller().user_id)
    return g.api_user  # type: ignore[no-any-return]


def may_see_personal_data() -> bool:
    return role_has_permission(api_caller().role, Permission.VIEW_PERSONAL_DATA)


@bp.post("/questions")
@describe(
    "createQuestion",
    summary="Registreer een vraag",
    parameters=[
        header(
            "Idempotency-Key",
            {"type": "string", "maxLength": 200},
            "Zelfde sleutel = dezelfde vraag: een herhaald verzoek slaat niets dubbel op en "
            "antwoordt 200 met het eerder opgeslagen record.",
        )
    ],
    request_body=json_request(
        "NewQuestion",
        example={
            "text": "Wanneer wordt het leefgeld betaald?",
            "channel": "telefoon",
            "caller_type": "inwoner",
            "municipality": "GM0402",
            "crisis": "oekraine",
            "answer": "Elke twee weken op vrijdag.",
        },
    ),
    responses={
        201: json_answer(
            "Opgeslagen", ref("Question"), headers={"Location": {"schema": {"type": "string"}}}
        ),
        200: json_answer("Al eerder opgeslagen met deze Idempotency-Key", ref("Question")),
        400: error("Geen JSON-object of een veld van het verkeerde type"),
        403: error("Rol mag geen vragen registreren"),
        422: error("Regels geschonden; er is niets opgeslagen"),
        503: error("Storing bij opslaan; probeer opnieuw met dezelfde Idempotency-Key"),
    },
)
@api_permission_required(Permission.REGISTER_QUESTIONS)
def create_question() -> tuple[Response, int]:
    """Register a question; an Idempotency-Key header makes a retry safe."""
    try:
        body = request.get_json(silent=True)
        check_shape(body)
    except BadRequest as error:
        return error_response(400, error.errors)
    municipality_id, crisis_id, code_errors = resolve_codes(body)
    token = submission_token_for(api_caller().user_id, request.headers.get("Idempotency-Key"))
    data = question_input_from(body, municipality_id, crisis_id, token)
    try:
        # The answer shows what was just stored: no need to read it back after the commit.
        with keeping_loaded_state():
            registration = services.register_question(data, user_id=api_caller().user_id)
    except ValidationFailed as error:
        return error_response(422, {**api_errors(error.errors), **code_errors})
    except DBAPIError:
        db.session.rollback()
        return error_response(503, {"": ["Opslaan lukte niet door een storing; probeer opnieuw."]})
    question = registration.question
    response = jsonify(question_json(question, include_personal_data=may_see_personal_data()))
    response.headers["Location"] = url_for("api.get_question", question_id=question.id)
    return response, 201 if registration.created else 200


@bp.get("/questions/<record_id:question_id>")
@describe(
    "getQuestion",
    summary="Eén vraag",
    description="Met het recht om persoonsgegevens te zien: de echte tekst en het contact "
    "(wordt gelogd); anders de gemaskeerde tekst.",
    responses={200: json_answer("De vraag", ref("Question")), 404: error("Bestaat niet")},
)
@api_permission_required(Permission.VIEW_QUESTIONS)
def get_question(question_id: int) -> Response | tuple[Response, int]:
    """One question."""
    try:
        question = services.get_question(question_id)
    except NotFound as error:
        return error_response(404, {"": [str(error)]})
    include = may_see_personal_data()
    shown = question_json(question, include_personal_data=include)  # before the commit expires it
    if include:
        record_and_commit(
            AuditAction.VIEW_PERSONAL_DATA, object_type="question", object_id=shown["id"]
        )
    return jsonify(shown)


def criteria_from_args() -> queries.SearchCriteria:
    """Search criteria from the query string; unknown codes raise BadRequest with field errors."""
    errors: dict[str, list[str]] = {}
    crisis_id = municipality_id = None
    if code := request.args.get("crisis"):
        crisis = reference_services.find_crisis_by_code(code)
        if crisis is None:
            errors["crisis"] = ["Onbekende crisis."]
        else:
            crisis_id = crisis.id
    if code := request.args.get("municipality"):
        municipality = reference_services.find_municipality_by_cbs_code(code)
        if municipality is None:
            errors["municipality"] = ["Onbekende gemeente."]
        else:
            municipality_id = municipality.id
    status = request.args.get("status") or None
    if status and status not in {s.value for s in QuestionStatus}:
        errors["status"] = ["Onbekende status."]
    channel = request.args.get("channel") or None
    if channel and channel not in {c.value for c in Channel}:
        errors["channel"] = ["Onbekend kanaal."]
    if errors:
        raise BadRequest(errors)
    return queries.SearchCriteria(
        text=request.args.get("q", "")[:200],
        crisis_id=crisis_id,
        municipality_id=municipality_id,
        topic_code=request.args.get("topic") or None,
        status=status,
        channel=channel,
    )


@bp.get("/questions")
@describe(
    "listQuestions",
    summary=f"Zoek vragen, nieuwste eerst ({queries.PER_PAGE} per pagina)",
    parameters=[
        query("crisis", {"type": "string"}, "Crisiscode", example="oekraine"),
        query("municipality", {"type": "string"}, "CBS-code", example="GM0402"),
        query("status", ref("Status")),
        query("channel", ref("Channel")),
        query("topic", {"type": "string"}, "Onderwerpcode", example="leefgeld"),
        query(
            "q",
            {"type": "string", "maxLength": 200},
            "Zoekwoorden; alle woorden moeten voorkomen (gemaskeerde tekst)",
        ),
        query("page", {"type": "integer", "minimum": 1, "maximum": queries.MAX_PAGE, "default": 1}),
    ],
    responses={
        200: json_answer("Een pagina resultaten", ref("QuestionPage")),
        400: error("Onbekende code of ongeldige pagina"),
    },
)
@api_permission_required(Permission.VIEW_QUESTIONS)
def list_questions() -> Response | tuple[Response, int]:
    """Search questions, newest first, 25 per page."""
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > queries.MAX_PAGE:
        return error_response(400, {"page": [f"Kies een pagina van 1 tot {queries.MAX_PAGE}."]})
    try:
        criteria = criteria_from_args()
    except BadRequest as error:
        return error_response(400, error.errors)
    include = may_see_personal_data()
    # The codes come from the reference snapshot; only contacts are worth loading (for all
    # 25 rows in one query, not one per row).
    results = queries.search_questions(
        criteria, page=page, load=[Question.contact] if include else []
    )
    # Serialised before the audit commit, which expires every loaded row (a query per row).
    items = [question_json(q, include_personal_data=include) for q in results.items]
    if include and results.items:
        record_and_commit(
            AuditAction.VIEW_PERSONAL_DATA,
            object_type="question",
            detail="API-lijst: " + ", ".join(str(item["id"]) for item in items),
        )
    return jsonify(
        {
            "items": items,
            "total": results.total,
            "total_is_capped": results.total_is_capped,
            "page": results.page,
            "per_page": results.per_page,
        }
    )


@bp.get("/municipalities")
@describe(
    "listMunicipalities",
    summary="Alle gemeenten",
    responses={200: json_answer("Gemeenten", {"type": "array", "items": ref("Municipality")})},
)
@api_permission_required(Permission.REGISTER_QUESTIONS)
def list_municipalities() -> Response:
    """Every municipality with its CBS code."""
    return jsonify(
        [
            {"cbs_code": m.cbs_code, "name": m.name, "active": m.is_active}
            for m in reference_services.list_municipalities()
        ]
    )


@bp.get("/crises")
@describe(
    "listCrises",
    summary="Alle crises met hun onderwerpen",
    responses={200: json_answer("Crises", {"type": "array", "items": ref("Crisis")})},
)
@api_permission_required(Permission.REGISTER_QUESTIONS)
def list_crises() -> Response:
    """Every crisis with its topics."""
    return jsonify([crisis_json(c) for c in reference_services.list_crises_with_topics()])


@bp.get("/openapi.json")
@describe(
    "openapi",
    summary="Deze beschrijving",
    responses={200: json_answer("OpenAPI 3.1", {"type": "object"})},
)
def openapi() -> Response:
    """The API's description (OpenAPI 3.1), public so clients can be generated from it."""
    return Response(render_openapi_document(current_app), mimetype="application/json")
