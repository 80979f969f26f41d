"""Per-process copies of small database answers that hot paths ask for on every request.

Every API call looks up its token, every registration the active models, its webhook
subscribers and the reference data; at hundreds of requests a second those same small answers
cost a round trip each. A copy here may lag the database by a bounded time (the other app
servers' changes show within it), and a commit in this process that touches the rows behind a
copy drops it at once, so whoever made a change sees it immediately.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

T = TypeVar("T")
EXTENSION_KEY = "kcc.local_cache"
# Distinct keys kept per app before the lot is dropped (tokens are keys: bounded either way).
MAX_ENTRIES = 10_000
_CHANGED_KEY = "kcc_changed_models"


class ChangeWatch:
    """Counts this process's commits that changed rows of any of `models`."""

    def __init__(self, *models: type) -> None:
        self.models = models
        self.generation = 0
        self._lock = threading.Lock()
        _watches.append(self)

    def bump(self) -> None:
        with self._lock:
            self.generation += 1


_watches: list[ChangeWatch] = []


def _note(session: Session, classes: set[type]) -> None:
    session.info.setdefault(_CHANGED_KEY, set()).update(classes)


@event.listens_for(Session, "before_flush")
def _note_flushed_changes(session: Session, flush_context: Any, instances: Any) -> None:
    _note(session, {type(item) for item in (*session.new, *session.dirty, *session.deleted)})


@event.listens_for(Session, "do_orm_execute")
def _note_statement_changes(state: ORMExecuteState) -> None:
    # update(Model)/delete(Model) statements bypass the flush (model activation uses one).
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None:
        _note(state.session, {state.bind_mapper.class_})


@event.listens_for(Session, "after_commit")
def _bump_watches_after_commit(session: Session) -> None:
    changed = session.info.pop(_CHANGED_KEY, None)
    if not changed:
        return
    for watch in _watches:
        if any(issubclass(kind, watch.models) for kind in changed):
            watch.bump()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_changes(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)


@dataclass(frozen=True)
class _Entry:
    value: Any
    stored_at: float
    generation: int


def remembered(watch: ChangeWatch, key: Hashable, compute: Callable[[], T], *, seconds: float) -> T:
    """compute()'s answer, reused for `seconds` unless this process changed `watch`'s models.

    None is not kept: a missing row may appear any moment, and unknown keys (a mistyped
    token) must not fill the store.
    """
    store: dict[Hashable, _Entry] = current_app.extensions.setdefault(EXTENSION_KEY, {})
    entry = store.get(key)
    now = time.monotonic()
    if (
        entry is not None
        and entry.generation == watch.generation
        and now - entry.stored_at < seconds
    ):
        return entry.value  # type: ignore[no-any-return]
    generation = watch.generation  # before computing: a change meanwhile makes the copy stale
    value = compute()
    if value is None:
        return value
    if len(store) >= MAX_ENTRIES:
        store.clear()
    store[key] = _Entry(value, now, generation)
    return value


def forget(key: Hashable) -> None:
    """Drop one copy (its rows were just changed through a path no watch sees)."""
    current_app.extensions.get(EXTENSION_KEY, {}).pop(key, None)
