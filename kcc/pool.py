"""Pooled database connections: tested for life only when they sat idle.

SQLAlchemy's `pool_pre_ping` sends a `SELECT 1` at every checkout: one extra round trip on
every request, for the rare case that the server went away while the connection sat in the
pool. Under load a connection is back in use within milliseconds, so here only a connection
idle for longer than DATABASE_PING_AFTER_IDLE_SECONDS is pinged. A connection that breaks
while in use (the database crashed mid-run) fails that one request with a 503 (kcc/errors.py)
and SQLAlchemy then renews every older connection of the pool, as pre-ping would.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

CHECKED_IN_AT = "kcc_checked_in_at"


def ping_idle_connections(app: Flask) -> None:
    """Install the idle check on the app's engine (every dialect: SQLite answers it too)."""
    from kcc.extensions import db

    with app.app_context():
        watch_idle_connections(db.engine, float(app.config["DATABASE_PING_AFTER_IDLE_SECONDS"]))


def watch_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Ping at checkout a connection that was back in the pool for over `idle_seconds`."""

    def ping_after_idle(dbapi_connection: Any, connection_record: Any, _proxy: Any) -> None:
        checked_in_at = connection_record.info.get(CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at <= idle_seconds:
            return  # fresh from connect(), or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards every connection made before now and checks out a new one.
            raise exc.InvalidatePoolError() from error

    event.listen(engine, "checkin", note_checkin)
    event.listen(engine, "checkout", ping_after_idle)


def note_checkin(_dbapi_connection: Any, connection_record: Any) -> None:
    """Remember when the connection went back into the pool."""
    if connection_record is not None:
        connection_record.info[CHECKED_IN_AT] = time.monotonic()
