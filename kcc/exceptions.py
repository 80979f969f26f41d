"""Domain exceptions: services raise these, views and the CLI turn them into Dutch messages."""

from __future__ import annotations


class KccError(Exception):
    """Base for errors a user can act on; the message is Dutch and shown as is."""


class ValidationFailed(KccError):
    """Input breaks a rule the form could not check on its own (e.g. a duplicate code).

    `errors` maps each field to its messages, so a form or API can show them all at once.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.errors = errors if errors is not None else {field or "": [message]}

    @classmethod
    def from_errors(cls, errors: dict[str, list[str]]) -> ValidationFailed:
        """One exception for several broken rules; its message is the first one."""
        field, messages = next(iter(errors.items()))
        return cls(messages[0], field=field, errors=errors)


class NotFound(KccError):
    """The thing asked for does not exist."""


class Conflict(KccError):
    """The request clashes with the record's current state (claimed, moved on, changed)."""


class Forbidden(KccError):
    """The user may not do this to this record."""
