"""The audit log: who did what with which record, when and from where. Append-only."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kcc.extensions import UTCDateTime, db, utcnow


class AuditAction(StrEnum):
    """What an audit event records (Dutch labels live in the view)."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    VIEW_PERSONAL_DATA = "view_personal_data"
    SEARCH_PERSONAL_DATA = "search_personal_data"
    QUESTION_REGISTERED = "question_registered"
    LABELS_CONFIRMED = "labels_confirmed"
    USER_CHANGED = "user_changed"
    PURGE = "purge"
    SUBJECT_SEARCH = "subject_search"
    SUBJECT_EXPORT = "subject_export"
    SUBJECT_ERASURE = "subject_erasure"
    TWO_FACTOR_CHANGED = "two_factor_changed"
    ESCALATION_CHANGED = "escalation_changed"
    EMAIL_SENT = "email_sent"
    FAQ_CHANGED = "faq_changed"
    CLUSTER_RUN = "cluster_run"
    NOTICE_CHANGED = "notice_changed"
    KLANTINTERACTIES_PUSHED = "klantinteracties_pushed"
    ONLINE_IMPORT = "online_import"
    QUESTIONS_IMPORTED = "questions_imported"
    QUESTIONS_EXPORTED = "questions_exported"
    WEBHOOK_CHANGED = "webhook_changed"


# Login traces are kept shorter than the rest of the log (6 months, see retention).
LOGIN_ACTIONS = (AuditAction.LOGIN, AuditAction.LOGIN_FAILED, AuditAction.LOGOUT)


class AuditEvent(db.Model):
    """One entry of the audit log.

    No foreign keys on purpose: the log must outlive the users and records it mentions, so it
    keeps the username and the object's id as they were. Nothing in kcc updates or deletes
    entries except the retention purge.
    """

    __table_args__ = (Index("ix_audit_event_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(40), default="", index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
