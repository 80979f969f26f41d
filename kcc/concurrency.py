"""Optimistic locking for records several people edit: a stale write becomes a clear Conflict.

Models that need it carry a version column registered as SQLAlchemy's `version_id_col`; every
UPDATE then says "WHERE version = <the one I read>". A change based on an older read fails
instead of silently overwriting someone else's work (no lost updates).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from kcc.exceptions import Conflict
from kcc.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def refuses_stale_changes(message: str) -> Callable[[F], F]:
    """Turn "someone else changed this record first" into a Conflict with the given message.

    The version check fires wherever SQLAlchemy writes the record: at commit, or earlier when a
    query autoflushes. Either way the whole change is rolled back; nothing half-done stays.
    """

    def decorator(change: F) -> F:
        @wraps(change)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return change(*args, **kwargs)
            except StaleDataError as error:
                db.session.rollback()
                raise Conflict(message) from error

        return guarded  # type: ignore[return-value]

    return decorator
