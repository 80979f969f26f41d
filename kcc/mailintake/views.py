"""Attachments residents sent by e-mail, downloaded from the question page (intake blueprint)."""

from __future__ import annotations

from io import BytesIO

from flask import abort, send_file
from werkzeug.wrappers import Response

from kcc.governance.audit import record_and_commit
from kcc.governance.models import AuditAction
from kcc.intake.views import bp
from kcc.mailintake.services import get_stored_attachment
from kcc.security import Permission, permission_required


@bp.route("/<int:question_id>/attachments/<int:attachment_id>")
@permission_required(Permission.VIEW_PERSONAL_DATA)
def mail_attachment(question_id: int, attachment_id: int) -> Response:
    """One stored attachment as a download; never shown inline, every download logged."""
    attachment = get_stored_attachment(question_id, attachment_id)
    if attachment is None:
        abort(404)
    content, content_type, filename = (
        attachment.content,
        attachment.content_type,
        attachment.filename,
    )
    # A resident's file is personal data: who fetched which one is logged (AVG art. 32).
    record_and_commit(
        AuditAction.VIEW_PERSONAL_DATA,
        object_type="mail_attachment",
        object_id=attachment_id,
        detail=f"bijlage van vraag {question_id} gedownload",
    )
    response = send_file(
        BytesIO(content or b""),
        mimetype=content_type,
        as_attachment=True,  # never rendered by the browser, whatever the file holds
        download_name=filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
