"""Screens of the integrations (Klantinteracties pushes)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from kcc.exceptions import NotFound
from kcc.extensions import db, utcnow
from kcc.integration import push as pushes
from kcc.integration.forms import RetryPushForm
from kcc.integration.klantinteracties import SPEC_VERSION
from kcc.security import Permission, permission_required

bp = Blueprint("integration", __name__)


@bp.get("/")
@permission_required(Permission.ADMINISTER)
def index() -> str:
    """The push log: status, attempts and last error per question, failures first."""
    page = pushes.list_pushes(request.args.get("page", 1, type=int))
    return render_template(
        "integration/index.html",
        page=page,
        references=pushes.references_of([push.question_id for push in page.items]),
        counts=pushes.counts_by_status(),
        statuses=list(pushes.PushStatus),
        configured_url=current_app.config.get("KLANTINTERACTIES_URL") or "",
        is_configured=pushes.is_configured(),
        spec_version=SPEC_VERSION,
        max_attempts=pushes.MAX_ATTEMPTS,
        retry_form=RetryPushForm(prefix="retry"),
        now=utcnow(),
    )


@bp.post("/<int:push_id>/retry")
@permission_required(Permission.ADMINISTER)
def retry(push_id: int) -> Response:
    """Send one question to Open Klant again, now."""
    if not RetryPushForm(prefix="retry").validate_on_submit():
        flash("Het formulier is verlopen; probeer het opnieuw.", "error")
        return redirect(url_for("integration.index"))
    try:
        push = pushes.retry_push(push_id, user=current_user)
    except (pushes.NotConfigured, NotFound) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("integration.index"))
    reference = pushes.references_of([push.question_id]).get(push.question_id, push.question_id)
    if push.status == pushes.PushStatus.SENT:
        flash(f"Vraag {reference} is naar Open Klant verstuurd.", "success")
    else:
        flash(f"Versturen van vraag {reference} lukte niet: {push.last_error}", "error")
    return redirect(url_for("integration.index"))
