"""The coordinator's queue, the item page with its actions, and the e-mail templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from kcc.escalation import mailing, queries, services
from kcc.escalation.forms import (
    AnswerForm,
    AssignForm,
    ClaimForm,
    EmailForm,
    EscalateForm,
    FollowUpForm,
    PriorityForm,
    QueueFilterForm,
    RetryForm,
    SavedViewForm,
    TemplateForm,
    TransitionForm,
)
from kcc.escalation.models import Escalation, EscalationState, EscalationStep
from kcc.escalation.opening import working_calendar
from kcc.escalation.services import TRANSITION_LABELS
from kcc.exceptions import Conflict, NotFound, ValidationFailed
from kcc.extensions import utcnow
from kcc.governance.audit import record_and_commit
from kcc.governance.models import AuditAction
from kcc.intake.forms import attach_service_errors
from kcc.intake.services import ContactInput, get_question
from kcc.reference import services as reference_services
from kcc.security import Permission, permission_required, user_can

bp = Blueprint("escalation", __name__)
# The query-string parameters of the queue page, the only ones a saved view keeps.
QUEUE_FILTER_NAMES = frozenset(
    {"view", "state", "priority", "crisis_id", "municipality_id", "department_id", "topic_id"}
)


@bp.app_template_global()
def age(since: datetime, now: datetime) -> str:
    """How long ago, the way a queue shows it: minutes, hours or days."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} u"
    return f"{minutes // (24 * 60)} d"


# Which form field shows a service's error about a field of another name.
FIELD_ALIASES = {"phone": "contact_phone", "email": "contact_email", "name": "contact_name"}


def attach_errors(form: Any, error: ValidationFailed) -> None:
    """Put each rule violation next to its field (or the first field when none fits)."""
    attach_service_errors(form, error, aliases=FIELD_ALIASES)


def default_view() -> queries.QueueView:
    """Coordinators start on the whole queue, specialists on their own work."""
    if user_can(Permission.MANAGE_QUEUE):
        return queries.QueueView.OPEN
    return queries.QueueView.MINE


@bp.route("")
@permission_required(Permission.ANSWER_ESCALATIONS)
def queue() -> str:
    """The queue in urgency order, with views, filters and counts per state."""
    form = QueueFilterForm(request.args)
    form.fill_choices(
        reference_services.list_crises_with_topics(),
        reference_services.list_municipalities(),
        reference_services.list_active_departments(),
    )
    if form.validate():
        criteria = form.to_filter(default_view())
    else:
        criteria = queries.QueueFilter(view=default_view())
    form.view.data = criteria.view.value
    now = utcnow()
    page = queries.queue_page(
        criteria,
        current_user,
        now=now,
        calendar=working_calendar(current_app.config),
        nearly_due_hours=current_app.config["NEARLY_DUE_HOURS"],
        page=request.args.get("page", 1, type=int),
    )
    query = urlencode({k: v for k, v in request.args.items() if k != "page" and v})
    return render_template(
        "escalation/queue.html",
        form=form,
        criteria=criteria,
        result=page,
        views=list(queries.QueueView),
        saved_views=services.saved_views_of(current_user),
        save_form=SavedViewForm(query=query),
        states=list(EscalationState),
        now=now,
    )


@bp.post("/views")
@permission_required(Permission.ANSWER_ESCALATIONS)
def save_view() -> Response:
    """Save the current filters under a name."""
    form = SavedViewForm()
    # Only the queue's own filters are kept: anything else in the posted query is dropped, so
    # the saved link and the redirect below never carry what a forged form put in.
    query = queue_query(form.query.data or "")
    if form.validate_on_submit():
        try:
            services.save_view(form.name.data or "", query, user=current_user)
            flash(f"Weergave '{form.name.data}' bewaard.", "success")
        except ValidationFailed as error:
            flash(str(error), "error")
    else:
        flash("Geef de weergave een naam van hoogstens 80 tekens.", "error")
    return redirect(url_for("escalation.queue") + ("?" + query if query else ""))


def queue_query(raw: str) -> str:
    """The queue's filter parameters from a query string, re-encoded; the rest is dropped."""
    pairs = [
        (key, value) for key, value in parse_qsl(raw[:1000]) if key in QUEUE_FILTER_NAMES and value
    ]
    return urlencode(pairs)


@bp.post("/views/<int:view_id>/delete")
@permission_required(Permission.ANSWER_ESCALATIONS)
def delete_view(view_id: int) -> Response:
    """Remove a saved view."""
    if RetryForm().validate_on_submit():
        services.delete_view(view_id, user=current_user)
        flash("Weergave verwijderd.", "success")
    return redirect(url_for("escalation.queue"))


def timeline_of(escalation: Escalation) -> list[dict[str, Any]]:
    """The item's story for the template: each entry with its moment and what it is."""
    return [
        {
            "at": services.moment_of(entry),
            "kind": "step" if isinstance(entry, EscalationStep) else "follow_up",
            "item": entry,
        }
        for entry in services.timeline_of(escalation)
    ]


def render_detail(escalation: Escalation, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The item page; forms given here keep what the user typed."""
    version = escalation.version
    assign_form = forms.get("assign_form") or AssignForm(
        prefix="assign",
        formdata=None,
        version=version,
        department_id=escalation.department_id or escalation.suggested_department_id,
        assignee_id=escalation.assignee_id,
    )
    assign_form.fill_choices(
        reference_services.list_active_departments(), services.assignable_users()
    )
    email_form = forms.get("email_form") or prefilled_email_form(escalation)
    email_form.template_id.choices = [
        ("", "— standaardtekst —"),
        *((str(t.id), t.name) for t in mailing.templates_for(escalation.crisis_id)),
    ]
    now = utcnow()
    row = queries.queue_row(
        escalation,
        now=now,
        calendar=working_calendar(current_app.config),
        nearly_due_hours=current_app.config["NEARLY_DUE_HOURS"],
    )
    html = render_template(
        "escalation/detail.html",
        escalation=escalation,
        question=escalation.question,
        row=row,
        timeline=timeline_of(escalation),
        next_states=services.allowed_next_states(escalation),
        transition_labels=TRANSITION_LABELS,
        may_manage=services.can_manage(current_user),
        may_work=services.can_work_on(current_user, escalation),
        may_claim=services.can_claim(current_user, escalation)
        and escalation.assignee_id is None
        and escalation.is_open,
        claim_form=ClaimForm(prefix="claim", formdata=None, version=version),
        assign_form=assign_form,
        transition_form=forms.get("transition_form")
        or TransitionForm(prefix="transition", formdata=None, version=version),
        priority_form=PriorityForm(
            prefix="priority", formdata=None, version=version, priority=escalation.priority
        ),
        follow_up_form=forms.get("follow_up_form")
        or FollowUpForm(prefix="followup", formdata=None),
        answer_form=forms.get("answer_form")
        or AnswerForm(
            prefix="answer", formdata=None, version=version, body=escalation.final_answer or ""
        ),
        email_form=email_form,
        retry_form=RetryForm(prefix="retry", formdata=None),
    )
    # The page shows the caller's contact details and unmasked text: the view is logged.
    record_and_commit(
        AuditAction.VIEW_PERSONAL_DATA, object_type="escalation", object_id=escalation.id
    )
    return html, status


def prefilled_email_form(escalation: Escalation) -> EmailForm:
    """The e-mail form filled from the chosen (or first) template."""
    template_id = request.args.get("template", type=int)
    try:
        composed = mailing.compose_email(escalation, current_user, template_id)
    except NotFound:
        composed = mailing.compose_email(escalation, current_user)
    return EmailForm(
        prefix="email",
        formdata=None,
        template_id=template_id,
        to=composed.to,
        subject=composed.subject,
        body=composed.body,
    )


def load(escalation_id: int) -> Escalation:
    """The item, if the user may see it (NotFound/Forbidden become 404/403)."""
    return services.get_escalation(escalation_id, current_user)


def back_to(escalation_id: int, anchor: str = "") -> Response:
    """Post/Redirect/Get to the item page."""
    return redirect(url_for("escalation.detail", escalation_id=escalation_id) + anchor)


@bp.route("/<int:escalation_id>")
@permission_required(Permission.ANSWER_ESCALATIONS)
def detail(escalation_id: int) -> tuple[str, int]:
    """One item: question, caller, deadline, timeline and what can be done next."""
    return render_detail(load(escalation_id))


@bp.post("/<int:escalation_id>/claim")
@permission_required(Permission.ANSWER_ESCALATIONS)
def claim(escalation_id: int) -> Response:
    """Take the item."""
    form = ClaimForm(prefix="claim")
    if form.validate_on_submit():
        try:
            services.claim(escalation_id, user=current_user, seen_version=form.version.data)
            flash("De vraag is nu van u.", "success")
        except Conflict as error:
            flash(str(error), "error")
    return back_to(escalation_id)


@bp.post("/<int:escalation_id>/assign")
@permission_required(Permission.MANAGE_QUEUE)
def assign(escalation_id: int) -> Response | tuple[str, int]:
    """Route the item to a department and/or a specialist."""
    form = AssignForm(prefix="assign")
    form.fill_choices(reference_services.list_active_departments(), services.assignable_users())
    if form.validate_on_submit():
        try:
            services.assign(
                escalation_id,
                user=current_user,
                department_id=form.department_id.data,
                assignee_id=form.assignee_id.data,
                seen_version=form.version.data,
            )
            flash("Toegewezen.", "success")
        except Conflict as error:
            flash(str(error), "error")
        except ValidationFailed as error:
            attach_errors(form, error)
            return render_detail(load(escalation_id), 422, assign_form=form)
    return back_to(escalation_id)


@bp.post("/<int:escalation_id>/transition")
@permission_required(Permission.ANSWER_ESCALATIONS)
def transition(escalation_id: int) -> Response | tuple[str, int]:
    """Move the item to the state on the button pressed."""
    form = TransitionForm(prefix="transition")
    if not form.validate_on_submit():
        return render_detail(load(escalation_id), 422, transition_form=form)
    try:
        escalation = services.transition(
            escalation_id,
            form.state.data or "",
            user=current_user,
            note=form.note.data or "",
            seen_version=form.version.data,
        )
    except ValidationFailed as error:
        attach_errors(form, error)
        return render_detail(load(escalation_id), 422, transition_form=form)
    except Conflict as error:
        flash(str(error), "error")
        return render_detail(load(escalation_id), 409, transition_form=form)
    flash(f"Status: {escalation.state_label}.", "success")
    return back_to(escalation_id)


@bp.post("/<int:escalation_id>/priority")
@permission_required(Permission.MANAGE_QUEUE)
def priority(escalation_id: int) -> Response:
    """Change the priority."""
    form = PriorityForm(prefix="priority")
    if form.validate_on_submit():
        try:
            services.change_priority(
                escalation_id, form.priority.data, user=current_user, seen_version=form.version.data
            )
            flash("Prioriteit gewijzigd.", "success")
        except (Conflict, ValidationFailed) as error:
            flash(str(error), "error")
    return back_to(escalation_id)


@bp.post("/<int:escalation_id>/followups")
@permission_required(Permission.ANSWER_ESCALATIONS)
def follow_up(escalation_id: int) -> Response | tuple[str, int]:
    """Log a call attempt or a note."""
    form = FollowUpForm(prefix="followup")
    if form.validate_on_submit():
        try:
            services.add_follow_up(
                escalation_id,
                form.kind.data or "",
                user=current_user,
                outcome=form.outcome.data or None,
                body=form.body.data or "",
            )
            flash("Vastgelegd.", "success")
            return back_to(escalation_id, "#tijdlijn")
        except ValidationFailed as error:
            attach_errors(form, error)
        except Conflict as error:
            flash(str(error), "error")
    return render_detail(load(escalation_id), 422, follow_up_form=form)


@bp.post("/<int:escalation_id>/answer")
@permission_required(Permission.ANSWER_ESCALATIONS)
def answer(escalation_id: int) -> Response | tuple[str, int]:
    """Record the final answer (and, by default, mark the item answered)."""
    form = AnswerForm(prefix="answer")
    if form.validate_on_submit():
        try:
            services.add_follow_up(
                escalation_id,
                "antwoord",
                user=current_user,
                body=form.body.data or "",
                seen_version=form.version.data,
            )
            escalation = load(escalation_id)
            if form.mark_answered.data and escalation.state == EscalationState.IN_BEHANDELING:
                services.transition(escalation_id, "beantwoord", user=current_user)
            flash("Antwoord vastgelegd.", "success")
            return back_to(escalation_id, "#mail")
        except ValidationFailed as error:
            attach_errors(form, error)
        except Conflict as error:
            flash(str(error), "error")
    return render_detail(load(escalation_id), 422, answer_form=form)


@bp.post("/<int:escalation_id>/email")
@permission_required(Permission.ANSWER_ESCALATIONS)
def email(escalation_id: int) -> Response | tuple[str, int]:
    """Send the e-mail as edited; it is stored first, so a failure loses nothing."""
    form = EmailForm(prefix="email")
    form.template_id.choices = []
    if form.validate_on_submit():
        try:
            follow_up = mailing.send_email_answer(
                escalation_id,
                mailing.ComposedEmail(
                    to=form.to.data or "",
                    subject=form.subject.data or "",
                    body=form.body.data or "",
                ),
                user=current_user,
            )
        except ValidationFailed as error:
            attach_errors(form, error)
        except Conflict as error:
            flash(str(error), "error")
        else:
            if follow_up.delivery_status == "verzonden":
                flash(f"E-mail verstuurd aan {follow_up.email_to}.", "success")
            else:
                flash(
                    "Versturen mislukt: "
                    f"{follow_up.delivery_error} De e-mail is bewaard; probeer het later opnieuw.",
                    "error",
                )
            return back_to(escalation_id, "#tijdlijn")
    return render_detail(load(escalation_id), 422, email_form=form)


@bp.post("/followups/<int:follow_up_id>/retry")
@permission_required(Permission.ANSWER_ESCALATIONS)
def retry(follow_up_id: int) -> Response:
    """Send a failed e-mail again."""
    form = RetryForm(prefix="retry")
    if not form.validate_on_submit():
        flash("Het formulier is verlopen; probeer het opnieuw.", "error")
        return redirect(url_for("escalation.queue"))
    follow_up = mailing.retry_email(follow_up_id, user=current_user)
    if follow_up.delivery_status == "verzonden":
        flash(f"E-mail alsnog verstuurd aan {follow_up.email_to}.", "success")
    else:
        flash(f"Opnieuw mislukt: {follow_up.delivery_error}", "error")
    return back_to(follow_up.escalation_id, "#tijdlijn")


@bp.route("/escalate/<int:question_id>", methods=["GET", "POST"])
@permission_required(Permission.REGISTER_QUESTIONS)
def escalate(question_id: int) -> Response | tuple[str, int]:
    """Escalate a question that was registered without escalation."""
    question = get_question(question_id)
    form = EscalateForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.escalate_question(
                question_id,
                services.EscalateInput(
                    priority=form.priority.data or "",
                    reason=form.reason.data or "",
                    contact=ContactInput(
                        name=form.contact_name.data or "",
                        phone=form.contact_phone.data or "",
                        email=form.contact_email.data or "",
                        preferred_contact=form.contact_preference.data or "",
                    ),
                ),
                user=current_user,
            )
            flash(f"{question.reference} is doorgezet naar de coördinator.", "success")
            return redirect(url_for("intake.detail", question_id=question_id))
        except ValidationFailed as error:
            attach_errors(form, error)
            status = 422
        except Conflict as error:
            flash(str(error), "error")
            return redirect(url_for("intake.detail", question_id=question_id))
    elif request.method == "POST":
        status = 422
    return render_template("escalation/escalate.html", form=form, question=question), status


@bp.route("/templates")
@permission_required(Permission.MANAGE_QUEUE)
def templates() -> str:
    """The e-mail templates per crisis."""
    return render_template("escalation/templates.html", templates=mailing.all_templates())


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_QUEUE)
def template_form(template_id: int | None = None) -> Response | tuple[str, int]:
    """Write or change an e-mail template."""
    template = mailing.get_template(template_id) if template_id else None
    form = TemplateForm(obj=template)
    form.crisis_id.choices = [
        (str(c.id), c.name) for c in reference_services.list_crises_with_topics()
    ]
    status = 200
    if form.validate_on_submit():
        try:
            mailing.save_template(
                mailing.TemplateInput(
                    crisis_id=form.crisis_id.data or 0,
                    name=form.name.data or "",
                    subject=form.subject.data or "",
                    body=form.body.data or "",
                    is_active=bool(form.is_active.data),
                ),
                user=current_user,
                template_id=template_id,
            )
            flash("Sjabloon bewaard.", "success")
            return redirect(url_for("escalation.templates"))
        except ValidationFailed as error:
            attach_errors(form, error)
            status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "escalation/template_form.html",
        form=form,
        template=template,
        placeholders=mailing.PLACEHOLDERS,
    ), status
