"""Job fixtures: a real redis-server for the run, and apps whose jobs go on its queue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kcc.extensions import db, limiter
from kcc.jobs import queue
from tests.conftest import empty_all_tables, make_test_app
from tests.redis_server import RedisServer


@pytest.fixture(scope="session")
def _redis_server_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the whole run (no persistence, a free port of 127.0.0.1)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(_redis_server_session: RedisServer) -> RedisServer:
    """The run's Redis, emptied of earlier tests' queues, counters and claims."""
    _redis_server_session.clear()
    return _redis_server_session


@pytest.fixture
def app(migrated_database: str, instance_path: Path, redis_server: RedisServer) -> Iterator[Flask]:
    """A testing app whose jobs go on the test Redis and whose rate limits are counted there."""
    app = make_test_app(
        migrated_database,
        instance_path,
        REDIS_URL=redis_server.url,
        RATELIMIT_STORAGE_URI=redis_server.url,
    )
    queue.use_worker_app(app)  # the in-process SimpleWorker runs jobs in this app
    yield app
    queue.use_worker_app(None)
    queue.redis_connection(app).close()
    with app.app_context():
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()
    limiter.reset()


@contextmanager
def extra_app(migrated_database: str, instance_path: Path, **overrides: Any) -> Iterator[Flask]:
    """A second app on the test database (other settings), its connections closed afterwards."""
    other = make_test_app(migrated_database, instance_path, **overrides)
    try:
        yield other
    finally:
        if queue.REDIS_EXTENSION_KEY in other.extensions:
            other.extensions[queue.REDIS_EXTENSION_KEY].close()
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app_without_redis(app: Flask, migrated_database: str, instance_path: Path) -> Iterator[Flask]:
    """The embedded default: no REDIS_URL (the `app` fixture still empties the tables)."""
    with extra_app(migrated_database, instance_path) as plain:
        yield plain
