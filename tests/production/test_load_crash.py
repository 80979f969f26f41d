"""Short load and crash tests (issue 10) against gunicorn on a PostgreSQL cluster of their own.

The long version with its figures is bench/load.py; these run a few seconds each in CI. They
start their own durable PostgreSQL server (fsync and synchronous commit on) because they crash
it, and the suite's shared server runs without durability.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.load_harness import (
    AppServer,
    Ledger,
    PostgresCluster,
    Seeded,
    check_database,
    free_port,
    postgres_bin_dir,
    postgres_cluster,
    production_environment,
    request,
    run_clients,
    seed,
    server_error_kinds,
    wait_until_ready,
)
from tests.conftest import is_postgres

AGENTS = 8
COORDINATORS = 2


@dataclass
class Deployment:
    """A database cluster, the app server on it and the run's API tokens."""

    cluster: PostgresCluster
    server: AppServer
    seeded: Seeded


@pytest.fixture(scope="module")
def deployment(database_url: str) -> Iterator[Deployment]:
    """A fresh cluster, seeded (migrations, demo, trained models, FAQ, tokens), gunicorn on it."""
    if not is_postgres(database_url):
        pytest.skip("load and crash tests need PostgreSQL (run with KCC_TEST_DATABASE_URL)")
    if postgres_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    with postgres_cluster() as cluster, tempfile.TemporaryDirectory() as folder:
        environment = production_environment(
            cluster.url, Path(folder) / "instance", WEB_CONCURRENCY="2", KCC_THREADS="4"
        )
        seeded = seed(environment, agents=AGENTS, coordinators=COORDINATORS, faq_entries=10)
        server = AppServer(environment, free_port(), Path(folder) / "gunicorn.log")
        server.start()
        try:
            yield Deployment(cluster, server, seeded)
        finally:
            server.stop()


def server_errors(ledger: Ledger) -> dict[str, int]:
    """5xx answers other than 503 (which tells the client to retry): there must be none."""
    return {
        kind: count
        for kind, counts in ledger.statuses.items()
        for status, count in counts.items()
        if status >= 500 and status != 503
    }


def test_under_load_every_acknowledged_registration_is_stored_exactly_once(
    deployment: Deployment,
) -> None:
    ledger, _ = run_clients(
        deployment.server,
        deployment.seeded,
        seconds=4,
        agents=AGENTS,
        coordinators=COORDINATORS,
        faq_readers=2,
    )

    verdict = check_database(deployment.cluster.url, ledger)
    assert verdict.acknowledged > 20
    assert verdict.lost == []
    assert verdict.duplicated == 0
    assert verdict.half_written == []
    assert server_errors(ledger) == {}
    assert set(ledger.statuses["register"]) <= {201}
    assert ledger.statuses["faq"].get(200, 0) > 0
    # Coordinators claimed, answered and closed escalations while agents registered them.
    assert ledger.statuses["coordinator transition"].get(200, 0) >= 2


def test_after_kill_9_of_workers_server_and_a_database_crash_nothing_acknowledged_is_lost(
    deployment: Deployment,
) -> None:
    server, cluster = deployment.server, deployment.cluster

    def restart_server() -> None:
        server.kill_everything()
        server.start()  # what the process manager (systemd Restart=always) does

    def crash_database() -> None:
        cluster.crash()
        cluster.start()

    ledger, recovery = run_clients(
        server,
        deployment.seeded,
        seconds=12,
        agents=AGENTS,
        coordinators=COORDINATORS,
        prefix="crash",
        disruptions=[
            (1.5, "worker", server.kill_worker),
            (3.5, "server", restart_server),
            (7.0, "database", crash_database),
        ],
    )

    verdict = check_database(cluster.url, ledger)
    assert verdict.lost == [], "acknowledged registrations are missing"
    assert verdict.duplicated == 0
    assert verdict.half_written == [], "questions without their event, audit line or work item"
    assert verdict.acknowledged > 20
    # A lost connection is a 503 with Retry-After, never a 500; the clients retried and the
    # service came back without anyone restarting it (gunicorn replaced its worker, the pool
    # replaced its connections after PostgreSQL's recovery).
    assert server_errors(ledger) == {}, server_error_kinds(server.log)
    assert recovery["worker"] < 5
    assert recovery["database"] < 15
    assert wait_until_ready(server.url("/readyz"), timeout=10) < 10
    status, _ = request("GET", server.url("/faq/oekraine/"))
    assert status == 200
