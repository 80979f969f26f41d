"""Index of the data model: every model kcc has, importable from one place."""

from kcc.auth.models import ApiToken, Role, User
from kcc.intake.models import CallerType, Channel, Question, QuestionStatus
from kcc.reference.models import Crisis, Department, Municipality, Topic

__all__ = [
    "ApiToken",
    "CallerType",
    "Channel",
    "Crisis",
    "Department",
    "Municipality",
    "Question",
    "QuestionStatus",
    "Role",
    "Topic",
    "User",
]
