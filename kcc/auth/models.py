"""Users and their API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.extensions import UTCDateTime, db, utcnow
from kcc.reference.models import Department, Municipality


class Role(StrEnum):
    """What a user does in the contact centre; decides what they may reach."""

    AGENT = "agent"
    COORDINATOR = "coordinator"
    SPECIALIST = "specialist"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """Dutch name shown in the interface."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.AGENT: "KCC-medewerker",
    Role.COORDINATOR: "Coördinator",
    Role.SPECIALIST: "Vakspecialist",
    Role.ANALYST: "Communicatieadviseur / analist",
    Role.ADMIN: "Beheerder",
}


class User(UserMixin, db.Model):
    """Someone who logs in: agent, coordinator, specialist, analyst or admin."""

    __tablename__ = "app_user"  # "user" is a reserved word in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(160), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised on logout and password change: every session cookie issued before is then void.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Lock-out after repeated wrong passwords (BIO 9.4.2): counted, then locked for a while.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Second factor (TOTP): the shared secret, when it was switched on, the last code's time
    # step (a code is accepted once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_counter: Mapped[int | None]
    # E-mail when work is assigned to me or its deadline nears (switched off per user).
    notify_by_email: Mapped[bool] = mapped_column(default=True, server_default=true())

    @property
    def has_two_factor(self) -> bool:
        """Tell whether this user logs in with a code as well."""
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    municipality: Mapped[Municipality | None] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login and load
        return self.is_enabled

    @property
    def display_name(self) -> str:
        """Name to greet the user with."""
        return self.full_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class ApiToken(db.Model):
    """A bearer token for the API; only its SHA-256 hash is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
