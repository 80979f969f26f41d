"""The KCC agent's screens: register a question, see today's work, search, open one."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response

from kcc.escalation import services as escalation_services
from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import db
from kcc.governance.audit import record_and_commit
from kcc.governance.models import AuditAction
from kcc.intake import queries, services, suggestions
from kcc.intake.forms import (
    CALLER_TYPE_LABELS,
    CHANNEL_LABELS,
    CONTACT_PREFERENCE_LABELS,
    EVENT_LABELS,
    SERVICE_FIELD_TO_FORM_FIELD,
    STATUS_LABELS,
    QuestionForm,
    SearchForm,
    attach_service_errors,
)
from kcc.intake.models import Question
from kcc.mailintake.threads import thread_messages
from kcc.reference import services as reference_services
from kcc.security import Permission, permission_required, user_can

bp = Blueprint("intake", __name__)


@bp.context_processor
def labels() -> dict[str, object]:
    """Dutch names of the coded values the intake pages show."""
    return {
        "channel_labels": CHANNEL_LABELS,
        "caller_type_labels": CALLER_TYPE_LABELS,
        "status_labels": STATUS_LABELS,
        "contact_preference_labels": CONTACT_PREFERENCE_LABELS,
        "event_labels": EVENT_LABELS,
    }


def fill_choices(form: QuestionForm) -> None:
    """Offer the active municipalities and crises."""
    form.fill_choices(
        reference_services.list_active_municipalities(), reference_services.list_active_crises()
    )


def fill_defaults(form: QuestionForm) -> None:
    """A fresh form: the agent's municipality, the crisis they last used, a new token."""
    form.municipality_id.data = current_user.municipality_id
    crisis_ids = [int(choice.value) for choice in form.crisis_id.choices or []]
    last_crisis = session.get("last_crisis_id")
    form.crisis_id.data = last_crisis if last_crisis in crisis_ids else next(iter(crisis_ids), None)
    form.channel.data = session.get("last_channel", "telefoon")
    form.caller_type.data = "inwoner"
    form.submission_token.data = uuid.uuid4().hex


def attach_errors(form: QuestionForm, error: ValidationFailed) -> None:
    """Show each of a service's rule violations next to the field it concerns."""
    attach_service_errors(form, error, aliases=SERVICE_FIELD_TO_FORM_FIELD, fallback="text")


def last_saved_question() -> Question | None:
    """The question this agent just saved, shown above the fresh form."""
    saved_id = request.args.get("saved", type=int)
    if saved_id is None:
        return None
    question = db.session.get(Question, saved_id)
    if question is None or question.created_by_id != current_user.id:
        return None
    return question


def has_contact_keys(form: QuestionForm) -> bool:
    """Tell whether a phone number or e-mail address was typed to look a caller up by."""
    return bool((form.contact_phone.data or "").strip() or (form.contact_email.data or "").strip())


def caller_history_for(form: QuestionForm) -> list[Question]:
    """Earlier contacts matching the typed phone number or e-mail, for those allowed to see."""
    if not user_can(Permission.VIEW_PERSONAL_DATA) or not has_contact_keys(form):
        return []
    return looked_up_history(form.contact_phone.data or "", form.contact_email.data or "")


def looked_up_history(phone: str, email: str) -> list[Question]:
    """A caller's earlier contacts; the lookup is logged (by what, not the number itself)."""
    found = queries.find_caller_history(phone, email)
    keys = " en ".join(
        name for name, value in (("telefoonnummer", phone), ("e-mailadres", email)) if value.strip()
    )
    found_ids = ", ".join(str(question.id) for question in found) or "geen"
    record_and_commit(
        AuditAction.SEARCH_PERSONAL_DATA,
        object_type="question",
        detail=f"eerdere contacten gezocht op {keys}: {found_ids}",
    )
    return found


def log_list_view(what: str, questions: list[Question]) -> None:
    """Lists show the start of the unmasked text to roles that may see it: log which ones."""
    if questions and user_can(Permission.VIEW_PERSONAL_DATA):
        record_and_commit(
            AuditAction.VIEW_PERSONAL_DATA,
            object_type="question",
            detail=f"lijst ({what}): " + ", ".join(str(question.id) for question in questions),
        )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.REGISTER_QUESTIONS)
def new() -> str | Response | tuple[str, int]:
    """Register a question; on success a fresh form shows the previous reference."""
    form = QuestionForm()
    fill_choices(form)
    status = 200
    storage_failed = False
    if request.method == "GET":
        fill_defaults(form)
    elif form.lookup_history.data:
        pass  # the non-JavaScript way to recognise a caller: look up, then save
    elif form.validate_on_submit():
        try:
            registration = services.register_question(
                form.to_question_input(), user_id=current_user.id
            )
        except ValidationFailed as error:
            attach_errors(form, error)
            status = 422
        except DBAPIError:
            # A database hiccup: keep everything typed and let the agent retry. The form's
            # token makes a retry safe even if the first attempt did reach the database.
            db.session.rollback()
            current_app.logger.exception("storing a question failed")
            storage_failed = True
            status = 503
        else:
            question = registration.question
            session["last_crisis_id"] = question.crisis_id
            session["last_channel"] = question.channel
            return redirect(url_for("intake.new", saved=question.id))
    else:
        status = 422
    looked_up = request.method == "POST" and not storage_failed and has_contact_keys(form)
    history = caller_history_for(form) if looked_up else []
    return render_template(
        "intake/new.html",
        form=form,
        saved=last_saved_question() if request.method == "GET" else None,
        history=history,
        history_looked_up=looked_up,
        storage_failed=storage_failed,
    ), status


@bp.route("/history")
@permission_required(Permission.VIEW_PERSONAL_DATA)
def history() -> str:
    """Earlier contacts of a caller, as the form's partial (fetched while the agent types)."""
    phone = request.args.get("phone", "")[:40]
    email = request.args.get("email", "")[:254]
    return render_template(
        "intake/_history.html",
        history=looked_up_history(phone, email) if (phone.strip() or email.strip()) else [],
        looked_up=bool(phone.strip() or email.strip()),
        selected=None,
    )


@bp.route("/suggest")
@permission_required(Permission.REGISTER_QUESTIONS)
def suggest() -> Response:
    """Suggestions while the agent types: predicted topic and earlier answers (JSON)."""
    crisis_id = request.args.get("crisis_id", type=int)
    text = request.args.get("text", "")[: services.MAX_QUESTION_LENGTH]
    if crisis_id is None:
        return jsonify({"topic": None, "sentiment": None, "suggestions": []})
    return jsonify(suggestions.suggest_for(crisis_id, text))


@bp.route("/mine")
@permission_required(Permission.REGISTER_QUESTIONS)
def mine() -> str:
    """The agent's registrations of today."""
    questions = queries.registered_today_by(current_user.id)
    page = render_template("intake/mine.html", questions=questions)
    log_list_view("mijn vragen", questions)  # after rendering: the commit expires the rows
    return page


@bp.route("")
@permission_required(Permission.VIEW_QUESTIONS)
def search() -> str:
    """Search all questions with filters, newest first."""
    form = SearchForm(request.args)
    form.fill_choices(
        reference_services.list_municipalities(), reference_services.list_crises_with_topics()
    )
    criteria = form.to_criteria() if form.validate() else queries.SearchCriteria()
    page = min(max(request.args.get("page", 1, type=int), 1), queries.MAX_PAGE)
    results = queries.search_questions(criteria, page=page)
    html = render_template("intake/search.html", form=form, results=results)
    log_list_view(f"zoeken, pagina {page}", results.items)  # after rendering, as above
    return html


@bp.route("/<int:question_id>")
@permission_required(Permission.VIEW_QUESTIONS)
def detail(question_id: int) -> str:
    """One question with its contact details (if allowed) and history."""
    try:
        question = services.get_question(question_id)
    except NotFound:
        abort(404)
    may_see_personal_data = user_can(Permission.VIEW_PERSONAL_DATA)
    if may_see_personal_data:
        # The unmasked text and contact details are personal data: every view is logged.
        record_and_commit(
            AuditAction.VIEW_PERSONAL_DATA, object_type="question", object_id=question.id
        )
    escalation = question.escalation
    return render_template(
        "intake/detail.html",
        question=question,
        may_see_personal_data=may_see_personal_data,
        may_see_escalation=escalation is not None
        and escalation_services.can_see(current_user, escalation),
        mail_thread=thread_messages(question.id),
    )
