"""In-memory indexes per process that refresh themselves behind the scenes.

Suggestions and department routing each keep an index over recent rows. An index is rebuilt
when it is older than its time-to-live, in a background thread while the old one keeps
answering, so a request never waits for the seconds a rebuild takes (only the very first
request of a process does).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, current_app

from kcc.extensions import db
from kcc.memory import exempt_long_lived_objects_from_collection

T = TypeVar("T")


@dataclass
class CachedIndex:
    """An index and when it was built (monotonic seconds)."""

    index: Any
    built_at: float


@dataclass
class IndexCache:
    """One family of indexes on one app, the lock that guards them, and rebuilds under way."""

    indexes: dict[Hashable, CachedIndex] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rebuilding: set[Hashable] = field(default_factory=set)


def index_cache_named(name: str) -> IndexCache:
    """The cache of this name kept on the current app (one per process)."""
    return current_app.extensions.setdefault(f"kcc.index_cache.{name}", IndexCache())


def build_cached(build: Callable[[], T]) -> CachedIndex:
    """Build an index now; it lives long, so keep it out of the garbage collector's way."""
    cached = CachedIndex(build(), time.monotonic())
    exempt_long_lived_objects_from_collection()
    return cached


def rebuild_in_background(
    app: Flask, cache: IndexCache, key: Hashable, build: Callable[[], T]
) -> None:
    """Replace a stale index in a thread; at most one rebuild per key at a time."""
    with cache.lock:
        if key in cache.rebuilding:
            return
        cache.rebuilding.add(key)

    def rebuild() -> None:
        try:
            with app.app_context():
                cache.indexes[key] = build_cached(build)
                db.session.remove()
        finally:
            cache.rebuilding.discard(key)

    threading.Thread(target=rebuild, name=f"index-{key}", daemon=True).start()


def fresh_index(
    cache: IndexCache,
    key: Hashable,
    build: Callable[[], T],
    *,
    ttl: float,
    refresh_in_background: bool,
) -> T:
    """Return the cached index for `key`; a stale one is refreshed behind the scenes."""
    cached = cache.indexes.get(key)
    if cached is not None and time.monotonic() - cached.built_at < ttl:
        return cached.index
    if cached is not None and refresh_in_background:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        rebuild_in_background(app, cache, key, build)
        return cached.index
    cached = build_cached(build)
    cache.indexes[key] = cached
    return cached.index
