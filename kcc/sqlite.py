"""SQLite as a server database: connection settings and checkpoints off the request path."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from flask import Flask
from sqlalchemy import event

# Seconds between background checkpoints: small enough that the WAL stays a few MB.
CHECKPOINT_INTERVAL = 1.0


def configure_sqlite_connections(app: Flask) -> None:
    """Foreign keys on, wait on locks (SQLITE_BUSY_TIMEOUT_MS), WAL, and where checkpoints run.

    By default SQLite copies the WAL back into the database inside whichever commit crosses
    1,000 pages: one registration in fifty then waits tens of milliseconds. With
    SQLITE_BACKGROUND_CHECKPOINT a thread does that every second instead.
    """
    from kcc.extensions import db

    busy_timeout = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    background = bool(app.config["SQLITE_BACKGROUND_CHECKPOINT"])

    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # SQLite's own lower() only knows A-Z: "Олена" and "ÉÉN" would not match their lower
        # case. PostgreSQL lowers every script; this makes SQLite do the same.
        dbapi_connection.create_function("lower", 1, lower_any_script, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if background:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        event.listen(db.engine, "connect", on_connect)
        path = db.engine.url.database
        if background and path and path != ":memory:":
            start_checkpointer(path, busy_timeout)


def lower_any_script(value: object) -> object:
    """lower() for SQLite with Unicode rules; NULL and numbers pass through."""
    return value.lower() if isinstance(value, str) else value


def checkpoint_forever(path: str, busy_timeout: int) -> None:
    """Run a passive checkpoint every CHECKPOINT_INTERVAL seconds; it never blocks writers."""
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout={busy_timeout}")
    while True:
        time.sleep(CHECKPOINT_INTERVAL)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            continue  # busy or briefly unavailable: the next round catches up


def start_checkpointer(path: str, busy_timeout: int) -> None:
    """One checkpoint thread per database file and process."""
    name = f"sqlite-checkpoint:{path}"
    if any(thread.name == name for thread in threading.enumerate()):
        return
    threading.Thread(
        target=checkpoint_forever, args=(path, busy_timeout), name=name, daemon=True
    ).start()
