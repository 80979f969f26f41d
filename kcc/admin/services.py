"""Rules that only the administration screens need, on top of the auth and reference services."""

from __future__ import annotations

from sqlalchemy import func, select

from kcc.auth import services as auth_services
from kcc.auth.models import User
from kcc.exceptions import ValidationFailed
from kcc.extensions import db
from kcc.reference.services import count_reference_data
from kcc.security import Permission, role_has_permission


def count_managed_records() -> dict[str, int]:
    """Return how many of each thing an administrator manages exist, for the overview."""
    counts = count_reference_data()
    counts["users"] = db.session.execute(select(func.count()).select_from(User)).scalar_one()
    return counts


def update_user_as_admin(
    acting_user_id: int,
    user_id: int,
    data: auth_services.UserInput,
    *,
    new_password: str | None = None,
) -> User:
    """Change a user, refusing changes by which administrators would lock themselves out."""
    if user_id == acting_user_id:
        # Any edit is made by an active administrator, so forbidding only self-lockout is
        # enough to keep at least one administrator able to log in.
        if not data.is_enabled:
            raise ValidationFailed(
                "U kunt uw eigen account niet uitzetten: dan kunt u niet meer inloggen. "
                "Vraag een andere beheerder dit te doen.",
                field="is_enabled",
            )
        if not role_has_permission(data.role, Permission.ADMINISTER):
            raise ValidationFailed(
                "U kunt uw eigen beheerdersrol niet afnemen: dan kunt u niet meer beheren. "
                "Vraag een andere beheerder dit te doen.",
                field="role",
            )
    return auth_services.update_user(user_id, data, new_password=new_password)
