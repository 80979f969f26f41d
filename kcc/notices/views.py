"""Screens for notices: coordinators write them, agents read and acknowledge them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from kcc.auth.models import ROLE_LABELS, Role
from kcc.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from kcc.extensions import utcnow
from kcc.intake.forms import attach_service_errors
from kcc.notices import services
from kcc.notices.forms import AcknowledgeForm, EditNoticeForm, NoticeForm, WithdrawForm
from kcc.notices.models import Notice
from kcc.notices.services import CurrentNotice
from kcc.reference import services as reference_services
from kcc.security import Permission, is_safe_local_path, permission_required

bp = Blueprint("notices", __name__)


@bp.app_context_processor
def notice_helpers() -> dict[str, object]:
    """Let any page show the user's notices; nothing is queried unless a template asks."""
    return {
        "current_notices": current_notices,
        "notice_role_labels": {role.value: ROLE_LABELS[role] for role in Role},
    }


def current_notices() -> list[CurrentNotice]:
    """The logged-in user's notices now (once per request), for the banner."""
    if not current_user.is_authenticated:
        return []
    if "current_notices" not in g:
        # Intake does not tell which crisis the agent works on yet: notices of every active
        # crisis show (see services.crisis_matches).
        g.current_notices = services.notices_for(current_user, utcnow())
    return g.current_notices


def get_notice_or_404(notice_id: int) -> Notice:
    """The notice, or a 404 page."""
    try:
        return services.get_notice(notice_id)
    except NotFound:
        abort(404)


def fill_choices(form: NoticeForm) -> None:
    """Offer the crises and municipalities."""
    form.fill_choices(
        reference_services.list_crises_with_topics(), reference_services.list_municipalities()
    )


@bp.route("/")
@permission_required(Permission.MANAGE_QUEUE)
def index() -> str:
    """Every notice, newest first, with its window and how many have read it."""
    return render_template(
        "notices/index.html",
        summaries=services.list_notices(),
        now=utcnow(),
        window_state=services.window_state,
    )


@bp.route("/mine")
@login_required
def mine() -> str:
    """The user's own notices now: what the banner shows, on a page of its own."""
    return render_template("notices/mine.html")


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_QUEUE)
def new() -> Response | tuple[str, int]:
    """Write a notice; it shows from the moment chosen (now, unless changed)."""
    form = NoticeForm()
    fill_choices(form)
    if request.method == "GET":
        # The minute now, so the browser's field shows no seconds.
        form.visible_from.data = utcnow().replace(second=0, microsecond=0)
        form.role.data = Role.AGENT.value
    elif form.validate_on_submit():
        try:
            notice = services.create_notice(form.to_input(), user=current_user)
        except ValidationFailed as error:
            attach_service_errors(form, error)
        else:
            flash("Bericht geplaatst.", "success")
            return redirect(url_for("notices.detail", notice_id=notice.id))
    status = 422 if request.method == "POST" else 200
    return render_template("notices/form.html", form=form, notice=None), status


@bp.route("/<int:notice_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_QUEUE)
def edit(notice_id: int) -> Response | tuple[str, int]:
    """Change a notice, and if need be ask everyone to confirm it again."""
    notice = get_notice_or_404(notice_id)
    form = EditNoticeForm()
    fill_choices(form)
    if request.method == "GET":
        form.fill_from(notice)
    elif form.validate_on_submit():
        try:
            services.update_notice(
                notice_id,
                form.to_input(),
                user=current_user,
                ask_again=bool(form.ask_again.data),
            )
        except ValidationFailed as error:
            attach_service_errors(form, error)
        else:
            flash("Wijziging bewaard.", "success")
            return redirect(url_for("notices.detail", notice_id=notice_id))
    status = 422 if request.method == "POST" else 200
    return render_template("notices/form.html", form=form, notice=notice), status


@bp.route("/<int:notice_id>")
@permission_required(Permission.MANAGE_QUEUE)
def detail(notice_id: int) -> str:
    """The notice, who read it when, and who in its audience has not yet."""
    notice = get_notice_or_404(notice_id)
    now = utcnow()
    return render_template(
        "notices/detail.html",
        notice=notice,
        readers=services.readers(notice_id),
        state=services.window_state(notice, now),
        is_withdrawable=notice.visible_until is None or notice.visible_until > now,
        withdraw_form=WithdrawForm(),
    )


@bp.post("/<int:notice_id>/withdraw")
@permission_required(Permission.MANAGE_QUEUE)
def withdraw(notice_id: int) -> Response:
    """End the notice's window now."""
    if WithdrawForm().validate_on_submit():
        try:
            services.withdraw_notice(notice_id, user=current_user)
        except NotFound:
            abort(404)
        except Conflict as error:
            flash(str(error), "error")
        else:
            flash("Bericht ingetrokken: niemand ziet het nog.", "success")
    else:
        flash("Intrekken is niet gelukt; laad de pagina opnieuw en probeer het nog eens.", "error")
    return redirect(url_for("notices.detail", notice_id=notice_id))


@bp.post("/<int:notice_id>/acknowledge")
@login_required
def acknowledge(notice_id: int) -> Response:
    """'Gelezen': record it, then go back to the page the button was on (only on this site)."""
    form = AcknowledgeForm()
    back = form.next.data if is_safe_local_path(form.next.data) else url_for("notices.mine")
    if not form.validate_on_submit():
        flash("Bevestigen is niet gelukt; laad de pagina opnieuw en probeer het nog eens.", "error")
        return redirect(back)
    try:
        services.acknowledge(notice_id, current_user)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    flash("Bedankt: vastgelegd dat u het bericht gelezen hebt.", "success")
    return redirect(back)
