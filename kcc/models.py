"""Index of the data model: every model kcc has, importable from one place."""

from kcc.auth.models import ApiToken, Role, User
from kcc.classification.models import ModelKind, ModelVersion, Sentiment
from kcc.escalation.models import (
    CallOutcome,
    DeliveryStatus,
    EmailTemplate,
    Escalation,
    EscalationState,
    EscalationStep,
    FollowUp,
    FollowUpKind,
    Priority,
    SavedView,
    StepKind,
)
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
    "CallOutcome",
    "CallerType",
    "Channel",
    "ContactDetails",
    "ContactPreference",
    "Crisis",
    "DeliveryStatus",
    "Department",
    "EmailTemplate",
    "Escalation",
    "EscalationState",
    "EscalationStep",
    "FollowUp",
    "FollowUpKind",
    "ModelKind",
    "ModelVersion",
    "Municipality",
    "Priority",
    "Question",
    "QuestionEvent",
    "QuestionEventKind",
    "QuestionStatus",
    "Role",
    "SavedView",
    "Sentiment",
    "StepKind",
    "Topic",
    "User",
]
