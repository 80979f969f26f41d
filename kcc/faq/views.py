"""The coordinator's FAQ screens: entries and their workflow (clusters in cluster_views.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from kcc.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from kcc.extensions import utcnow
from kcc.faq import editorial, queries
from kcc.faq.formatting import render_answer
from kcc.faq.forms import ActionForm, CheckedForm, EntryFilterForm, EntryForm
from kcc.faq.impact import entry_impact
from kcc.faq.models import LANGUAGE_LABELS, FaqEntry, Language
from kcc.faq.public import vote_counts
from kcc.insight import services as insight_services
from kcc.intake.forms import attach_service_errors
from kcc.nlp.plain_language import plain_language_hints
from kcc.reference import services as reference_services
from kcc.security import Permission, permission_required

bp = Blueprint("faq", __name__)

ACTION_BUTTONS = {
    "submit": "Aanbieden voor review",
    "send_back": "Terugsturen naar concept",
    "publish": "Publiceren",
    "withdraw": "Intrekken",
}


@bp.app_template_filter("faq_answer")
def faq_answer_filter(text: str) -> str:
    """Render an answer's safe formatting in a template."""
    return render_answer(text or "")


def fill_entry_choices(form: EntryForm) -> None:
    """Offer crises, topics, municipalities, replaceable entries and measures."""
    crises = reference_services.list_crises_with_topics()
    crisis_ids = [crisis.id for crisis in crises]
    form.fill_choices(
        crises,
        reference_services.list_municipalities(),
        queries.regional_entries(crisis_ids),
        insight_services.list_measures(crisis_ids),
    )


@bp.route("/")
@permission_required(Permission.CURATE_FAQ)
def entries() -> str:
    """Every entry: flagged ones first, then those waiting for review, then recent changes."""
    form = EntryFilterForm(request.args)
    form.fill_choices(reference_services.list_crises_with_topics())
    criteria = queries.EntryFilter()
    if form.validate():
        criteria = queries.EntryFilter(
            crisis_id=form.crisis_id.data,
            state=form.state.data or None,
            needs_check=form.check.data == "controleren",
        )
    page = queries.list_entries(criteria, request.args.get("page", 1, type=int))
    return render_template(
        "faq/entries.html",
        form=form,
        result=page,
        votes=vote_counts([entry.id for entry in page.entries]),
    )


@bp.route("/entries/new", methods=["GET", "POST"])
@permission_required(Permission.CURATE_FAQ)
def new_entry() -> Response | tuple[str, int] | str:
    """Write an entry by hand; it starts as a concept."""
    form = EntryForm()
    fill_entry_choices(form)
    if form.validate_on_submit():
        try:
            entry = editorial.create_entry(form.to_input(), user=current_user)
        except ValidationFailed as error:
            attach_service_errors(form, error)
        else:
            flash("Concept bewaard.", "success")
            return redirect(url_for("faq.entry", entry_id=entry.id))
    status = 422 if request.method == "POST" else 200
    return render_template("faq/entry_form.html", form=form, entry=None, hints=[]), status


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.CURATE_FAQ)
def edit_entry(entry_id: int) -> Response | tuple[str, int]:
    """Change the working copy; a published text stays public until the change is published."""
    entry = get_entry_or_404(entry_id)
    form = EntryForm(obj=entry)
    fill_entry_choices(form)
    if request.method == "GET":
        form.fill_from(entry)
    elif form.validate_on_submit():
        try:
            editorial.update_entry(
                entry_id, form.to_input(), user=current_user, seen_version=form.version.data
            )
        except ValidationFailed as error:
            attach_service_errors(form, error)
        except Conflict as error:
            flash(str(error), "error")
        else:
            flash("Wijziging bewaard. Bied de vraag opnieuw aan voor review.", "success")
            return redirect(url_for("faq.entry", entry_id=entry_id))
    status = 422 if request.method == "POST" else 200
    hints = plain_language_hints(f"{form.question.data or ''}\n{form.answer.data or ''}")
    return render_template("faq/entry_form.html", form=form, entry=entry, hints=hints), status


def get_entry_or_404(entry_id: int) -> FaqEntry:
    """The entry, or a 404 page."""
    try:
        return editorial.get_entry(entry_id)
    except NotFound:
        abort(404)


@bp.route("/entries/<int:entry_id>")
@permission_required(Permission.CURATE_FAQ)
def entry(entry_id: int) -> str:
    """An entry: working and live text, translations, history, actions, votes and effect."""
    found = get_entry_or_404(entry_id)
    helpful, not_helpful = vote_counts([found.id]).get(found.id, (0, 0))
    return render_template(
        "faq/entry.html",
        entry=found,
        actions=[(action, ACTION_BUTTONS[action]) for action in editorial.allowed_actions(found)],
        action_form=ActionForm(version=found.version),
        checked_form=CheckedForm(version=found.version),
        hints=plain_language_hints(f"{found.question}\n{found.answer}"),
        action_labels=editorial.ACTION_LABELS,
        helpful=helpful,
        not_helpful=not_helpful,
        impact=entry_impact(found.id, now=utcnow()) if found.first_published_at else None,
        languages=LANGUAGE_LABELS,
        Language=Language,
    )


@bp.post("/entries/<int:entry_id>/action")
@permission_required(Permission.CURATE_FAQ)
def entry_action(entry_id: int) -> Response:
    """Submit, send back, publish or withdraw."""
    form = ActionForm()
    if not form.validate_on_submit():
        flash("Deze actie kon niet worden uitgevoerd; laad de pagina opnieuw.", "error")
        return redirect(url_for("faq.entry", entry_id=entry_id))
    action = form.action.data or ""
    try:
        editorial.take_action(
            entry_id,
            action,
            user=current_user,
            seen_version=form.version.data,
            reason=form.reason.data or "",
        )
    except (ValidationFailed, Conflict, Forbidden, NotFound) as error:
        flash(str(error), "error")
    else:
        flash(f"{editorial.ACTION_LABELS.get(action, action)}.", "success")
    return redirect(url_for("faq.entry", entry_id=entry_id))


@bp.post("/entries/<int:entry_id>/checked")
@permission_required(Permission.CURATE_FAQ)
def entry_checked(entry_id: int) -> Response:
    """Clear the 'controleren' flag after looking at the entry."""
    form = CheckedForm()
    if form.validate_on_submit():
        try:
            editorial.mark_checked(entry_id, user=current_user, seen_version=form.version.data)
            flash("Markering 'controleren' verwijderd.", "success")
        except (Conflict, NotFound) as error:
            flash(str(error), "error")
    return redirect(url_for("faq.entry", entry_id=entry_id))
