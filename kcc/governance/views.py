"""The audit log for administrators: search by user, action, object and date."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from kcc.exceptions import ValidationFailed
from kcc.extensions import db
from kcc.governance.audit import record_and_commit
from kcc.governance.forms import ACTION_LABELS, AuditSearchForm, SubjectRequestForm
from kcc.governance.models import AuditAction, AuditEvent
from kcc.governance.subject_requests import (
    anonymise_subject_data,
    export_subject_data,
    export_subject_pdf,
    find_subject_questions,
)
from kcc.intake.forms import attach_service_errors
from kcc.intake.models import Question
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


@bp.route("/subject-requests", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def subject_requests() -> str | Response | tuple[str, int]:
    """Inzage- en verwijderverzoeken: find a person's data, export it or anonymise it."""
    form = SubjectRequestForm()
    questions: list[Question] = []
    status = 200
    if form.validate_on_submit():
        query = form.to_query()
        try:
            if form.export.data:
                return subject_export_response(export_subject_data(query))
            # export_pdf is a plain <button> in the template, not a field of the form.
            if request.form.get("export_pdf"):
                return subject_pdf_response(export_subject_pdf(query))
            if form.anonymise.data:
                if not form.confirm.data:
                    raise ValidationFailed(
                        "Bevestig eerst dat u de identiteit van de verzoeker heeft vastgesteld.",
                        field="confirm",
                    )
                count = anonymise_subject_data(query)
                flash(f"{count} vragen geanonimiseerd; contactgegevens verwijderd.", "success")
                return redirect(url_for("governance.subject_requests"))
            questions = find_subject_questions(query)
            record_and_commit(
                AuditAction.SUBJECT_SEARCH,
                detail=f"gezocht op {query.describe()}: {len(questions)} vragen",
            )
        except ValidationFailed as error:
            attach_service_errors(form, error, fallback="phone")
            status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "governance/subject_requests.html",
        form=form,
        questions=questions,
        searched=request.method == "POST" and status == 200,
    ), status


def subject_export_response(data: dict[str, object]) -> Response:
    """The export as a JSON download."""
    response = jsonify(data)
    response.headers["Content-Disposition"] = 'attachment; filename="inzageverzoek.json"'
    return response


def subject_pdf_response(pdf: bytes) -> Response:
    """The export as a PDF download that no browser or proxy keeps."""
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="inzageverzoek.pdf"',
            "Cache-Control": "no-store",
        },
    )
