"""The audit log for administrators: search by user, action, object and date."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import select

from kcc.extensions import db
from kcc.governance.forms import ACTION_LABELS, AuditSearchForm
from kcc.governance.models import AuditEvent
from kcc.intake.queries import start_of_local_day
from kcc.security import Permission, permission_required

bp = Blueprint("governance", __name__)
PER_PAGE = 50


@bp.route("/audit")
@permission_required(Permission.ADMINISTER)
def audit() -> str:
    """The newest audit events first; 'older' pages by id, so paging stays fast."""
    form = AuditSearchForm(request.args)
    query = select(AuditEvent)
    if form.validate():
        if form.username.data:
            query = query.where(AuditEvent.username == form.username.data.strip().lower())
        if form.action.data:
            query = query.where(AuditEvent.action == form.action.data)
        if form.object_id.data:
            query = query.where(AuditEvent.object_id == form.object_id.data.strip())
        if form.date_from.data:
            query = query.where(AuditEvent.at >= start_of_local_day(form.date_from.data))
        if form.date_to.data:
            next_day = form.date_to.data + timedelta(days=1)
            query = query.where(AuditEvent.at < start_of_local_day(next_day))
    before = request.args.get("before", type=int)
    if before:
        query = query.where(AuditEvent.id < before)
    events = list(
        db.session.execute(query.order_by(AuditEvent.id.desc()).limit(PER_PAGE + 1)).scalars()
    )
    older = events[PER_PAGE - 1].id if len(events) > PER_PAGE else None
    return render_template(
        "governance/audit.html",
        form=form,
        events=events[:PER_PAGE],
        older=older,
        action_labels=ACTION_LABELS,
    )
