"""Index of the data model: every model kcc has, importable from one place."""

from kcc.auth.models import ApiToken, Role, User
from kcc.classification.models import ModelKind, ModelVersion, Sentiment
from kcc.governance.models import AuditAction, AuditEvent
from kcc.intake.models import (
    AnswerSource,
    CallerType,
    Channel,
    ContactDetails,
    ContactPreference,
    Question,
    QuestionEvent,
    QuestionEventKind,
    QuestionStatus,
)
from kcc.reference.models import Crisis, Department, Municipality, Topic

__all__ = [
    "AnswerSource",
    "ApiToken",
    "AuditAction",
    "AuditEvent",
    "CallerType",
    "Channel",
    "ContactDetails",
    "ContactPreference",
    "Crisis",
    "Department",
    "ModelKind",
    "ModelVersion",
    "Municipality",
    "Question",
    "QuestionEvent",
    "QuestionEventKind",
    "QuestionStatus",
    "Role",
    "Sentiment",
    "Topic",
    "User",
]
