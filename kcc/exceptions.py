"""Domain exceptions: services raise these, views and the CLI turn them into Dutch messages."""


class KccError(Exception):
    """Base for errors a user can act on; the message is Dutch and shown as is."""


class ValidationFailed(KccError):
    """Input breaks a rule the form could not check on its own (e.g. a duplicate code)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(KccError):
    """The thing asked for does not exist."""
