"""Pooled connections are pinged only after sitting idle; a dead one never stays (issue 10).

PostgreSQL only: the connection is killed on the server (pg_terminate_backend), as a database
restart or a failover does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from kcc.auth.services import create_api_token
from kcc.errors import release_session_without_database
from kcc.extensions import db
from tests.conftest import is_postgres, make_test_app


@pytest.fixture
def token(app: Flask, demo: None) -> str:
    with app.app_context():
        return create_api_token("agent")


@pytest.fixture
def pooled_app(
    request: pytest.FixtureRequest, migrated_database: str, instance_path: Path, app: Flask
) -> Iterator[Flask]:
    """A second app on the run's database, whose pool only the test uses.

    Parametrised with DATABASE_PING_AFTER_IDLE_SECONDS.
    """
    if not is_postgres(migrated_database):
        pytest.skip("kills a server process: PostgreSQL only")
    pooled = make_test_app(
        migrated_database, instance_path, DATABASE_PING_AFTER_IDLE_SECONDS=request.param
    )
    yield pooled
    with pooled.app_context():
        db.engine.dispose()


def pooled_backend(app: Flask) -> int:
    """The server process of the pool's one connection, which goes back into the pool."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()
    return int(pid)


def kill_backend(database_url: str, pid: int) -> None:
    """Terminate the server process and wait until it is gone (termination is a signal)."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        deadline = time.monotonic() + 10
        while connection.execute(
            text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).first():
            assert time.monotonic() < deadline, "the terminated backend did not exit"
            time.sleep(0.01)
    engine.dispose()


def search(app: Flask, token: str) -> int:
    response = app.test_client().get(
        "/api/v1/questions?q=opvang", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


@pytest.mark.parametrize("pooled_app", [0.0], indirect=True)
def test_a_connection_that_died_while_idle_is_replaced_before_the_request_uses_it(
    pooled_app: Flask, migrated_database: str, token: str
) -> None:
    killed = pooled_backend(pooled_app)
    kill_backend(migrated_database, killed)

    assert search(pooled_app, token) == 200
    assert pooled_backend(pooled_app) != killed


@pytest.mark.parametrize("pooled_app", [60.0], indirect=True)
def test_a_connection_in_use_a_moment_ago_is_not_pinged_and_a_dead_one_costs_one_503(
    pooled_app: Flask, migrated_database: str, token: str
) -> None:
    killed = pooled_backend(pooled_app)
    kill_backend(migrated_database, killed)

    # Checked in a moment ago: used without a ping, so the request meets the dead connection.
    assert search(pooled_app, token) == 503
    # SQLAlchemy dropped it (and every older connection): the next request is served.
    assert search(pooled_app, token) == 200
    assert pooled_backend(pooled_app) != killed


@pytest.mark.parametrize("pooled_app", [60.0], indirect=True)
def test_a_request_whose_connection_died_mid_transaction_ends_without_an_error(
    pooled_app: Flask, migrated_database: str
) -> None:
    with pooled_app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        kill_backend(migrated_database, pid)
        # What Flask's teardown runs: closing the session would ROLLBACK on the dead connection.
        release_session_without_database(None)

    assert pooled_backend(pooled_app) != pid
