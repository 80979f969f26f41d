"""Writing audit events; each joins the caller's transaction (one commit for both)."""

from __future__ import annotations

from datetime import datetime

from flask import g, has_request_context, request
from flask_login import current_user

from kcc.extensions import db, utcnow
from kcc.governance.models import AuditAction, AuditEvent


def acting_user() -> tuple[int | None, str]:
    """The logged-in user (or the API token's user) of this request, if any."""
    if not has_request_context():
        return None, ""
    api_caller = g.get("api_caller")
    if api_caller is not None:
        return api_caller.user_id, api_caller.username
    if current_user and current_user.is_authenticated:
        return current_user.id, current_user.username
    return None, ""


def request_origin() -> tuple[str, str]:
    """The client's address and the request id, when there is a request."""
    if not has_request_context():
        return "", ""
    return request.remote_addr or "", str(g.get("request_id", ""))


def record_event(
    action: AuditAction,
    *,
    object_type: str = "",
    object_id: object = "",
    detail: str = "",
    user_id: int | None = None,
    username: str = "",
    now: datetime | None = None,
) -> AuditEvent:
    """Add an event to the session; the caller's commit stores it with the change it records."""
    if user_id is None and not username:
        user_id, username = acting_user()
    ip_address, request_id = request_origin()
    event = AuditEvent(
        at=now or utcnow(),
        user_id=user_id,
        username=username[:80],
        action=action.value,
        object_type=object_type,
        object_id=str(object_id)[:40],
        detail=detail,
        ip_address=ip_address[:45],
        request_id=request_id[:64],
    )
    db.session.add(event)
    return event


def record_and_commit(action: AuditAction, **details: object) -> None:
    """Record an event that goes with no other change (a view, a login)."""
    record_event(action, **details)  # type: ignore[arg-type]
    db.session.commit()
