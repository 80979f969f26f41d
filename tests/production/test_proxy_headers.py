"""Behind a trusted reverse proxy the login rate limit counts per client, not per proxy."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from kcc.extensions import db, limiter
from tests.conftest import make_test_app
from tests.helpers import csrf_token_from


def failed_logins(app: Flask, client_address: str, attempts: int) -> list[int]:
    """Post wrong passwords from one client address (as the proxy reports it)."""
    client = app.test_client()
    token = csrf_token_from(client.get("/login"))
    return [
        client.post(
            "/login",
            data={"username": "agent", "password": "fout", "csrf_token": token},
            headers={"X-Forwarded-For": client_address},
        ).status_code
        for _ in range(attempts)
    ]


@pytest.mark.parametrize(("trusted_proxies", "second_client_limited"), [(1, False), (0, True)])
def test_the_login_limit_counts_per_forwarded_address_only_behind_trusted_proxies(
    migrated_database: str,
    instance_path: Path,
    demo: None,
    trusted_proxies: int,
    second_client_limited: bool,
) -> None:
    app = make_test_app(migrated_database, instance_path, TRUSTED_PROXIES=trusted_proxies)
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    try:
        first = failed_logins(app, "203.0.113.7", limit + 1)
        second = failed_logins(app, "198.51.100.23", 1)
    finally:
        limiter.reset()
        with app.app_context():
            db.engine.dispose()  # its pooled PostgreSQL connections, before the GC finds them

    assert first[-1] == 429 and 429 not in first[:-1]
    assert (second == [429]) is second_client_limited
