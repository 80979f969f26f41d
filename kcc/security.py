"""Permissions per role, the decorator every internal view uses, and response headers."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Response, abort
from flask_login import current_user, login_required

from kcc.auth.models import Role

F = TypeVar("F", bound=Callable[..., Any])


class Permission(StrEnum):
    """Something a role may do; views ask for one of these, never for a role."""

    REGISTER_QUESTIONS = "register_questions"
    VIEW_QUESTIONS = "view_questions"
    VIEW_PERSONAL_DATA = "view_personal_data"
    MANAGE_QUEUE = "manage_queue"
    ANSWER_ESCALATIONS = "answer_escalations"
    CURATE_FAQ = "curate_faq"
    VIEW_INSIGHTS = "view_insights"
    REVIEW_LABELS = "review_labels"
    MANAGE_MODELS = "manage_models"
    ADMINISTER = "administer"
    # Bringing in old registrations in bulk: the crisis desk and the application manager.
    IMPORT_QUESTIONS = "import_questions"
    # Downloading questions as CSV/XLSX; personal data only with VIEW_PERSONAL_DATA too.
    EXPORT_QUESTIONS = "export_questions"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset(
        {Permission.REGISTER_QUESTIONS, Permission.VIEW_QUESTIONS, Permission.VIEW_PERSONAL_DATA}
    ),
    Role.COORDINATOR: frozenset(
        {
            Permission.REGISTER_QUESTIONS,
            Permission.VIEW_QUESTIONS,
            Permission.VIEW_PERSONAL_DATA,
            Permission.MANAGE_QUEUE,
            Permission.ANSWER_ESCALATIONS,
            Permission.CURATE_FAQ,
            Permission.VIEW_INSIGHTS,
            Permission.REVIEW_LABELS,
            Permission.IMPORT_QUESTIONS,
            Permission.EXPORT_QUESTIONS,
        }
    ),
    Role.SPECIALIST: frozenset(
        {Permission.VIEW_QUESTIONS, Permission.VIEW_PERSONAL_DATA, Permission.ANSWER_ESCALATIONS}
    ),
    # Analysts see aggregates and masked text only: no personal data (AVG data minimisation).
    # They also review and publish FAQ entries: public text is a communication adviser's trade,
    # and it makes the coordinator's draft and the adviser's publication four eyes.
    Role.ANALYST: frozenset(
        {
            Permission.VIEW_INSIGHTS,
            Permission.REVIEW_LABELS,
            Permission.MANAGE_MODELS,
            Permission.CURATE_FAQ,
            Permission.EXPORT_QUESTIONS,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Permission.ADMINISTER,
            Permission.VIEW_INSIGHTS,
            Permission.MANAGE_MODELS,
            Permission.IMPORT_QUESTIONS,
            Permission.EXPORT_QUESTIONS,
        }
    ),
}


def role_has_permission(role: str, permission: Permission) -> bool:
    """Tell whether a role (by its code) grants a permission."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


def user_can(permission: Permission) -> bool:
    """Tell whether the logged-in user has a permission (False when anonymous)."""
    return bool(
        current_user.is_authenticated and role_has_permission(current_user.role, permission)
    )


def permission_required(permission: Permission) -> Callable[[F], F]:
    """Send anonymous users to the login page and answer 403 to users without the permission."""

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not user_can(permission):
                abort(403)
            return view(*args, **kwargs)

        return login_required(guarded)  # type: ignore[return-value]

    return decorator


# 'self' only: kcc serves its own CSS/JS and never inlines scripts or styles.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def apply_security_headers(response: Response) -> Response:
    """Add the headers every kcc response carries."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def is_safe_local_path(target: str | None) -> bool:
    """Tell whether a `next` value is a path on this site, never another host.

    Browsers read a backslash as a slash, so "/\\evil.example" would leave the site as surely
    as "//evil.example"; control characters could smuggle in another header line.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(character) < 32 for character in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
