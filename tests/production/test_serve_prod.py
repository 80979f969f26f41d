"""`make serve-prod`: refuses a bad environment, serves JSON-logged, stops gracefully on SIGTERM.

These tests run scripts/serve-prod.sh itself, which ends by exec'ing gunicorn: the process
the test starts is gunicorn's master, as it would be under systemd or in a container.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.production.conftest import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVE_PROD = PROJECT_ROOT / "scripts" / "serve-prod.sh"
STARTUP_SECONDS = 60


def production_environment(**settings: str) -> dict[str, str]:
    """This process's environment without kcc settings, plus the given ones."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("KCC_", "FLASK_")) and name not in {"DATABASE_URL", "SECRET_KEY"}
    }
    return {**environment, **settings}


def plain_url(url: str) -> str:
    """The URL as an operator writes it: postgresql:// without a driver name."""
    parsed = make_url(url)
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"SECRET_KEY": secrets.token_hex(32)}, "DATABASE_URL ontbreekt"),
        (
            {"DATABASE_URL": "sqlite:////tmp/kcc-never.sqlite", "SECRET_KEY": "kcc"},
            "KCC_ENV=production vraagt een SECRET_KEY",
        ),
    ],
)
def test_serve_prod_refuses_a_missing_database_or_a_weak_key(
    settings: dict[str, str], reason: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [SERVE_PROD],
        env=production_environment(KCC_INSTANCE_PATH=str(tmp_path), **settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert f"kcc start niet: {reason}" in result.stderr
    assert "Traceback" not in result.stderr


@dataclass
class Server:
    """A running serve-prod process and where its log goes."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        """An address on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def log_lines(self) -> list[str]:
        """What the server wrote to stderr so far."""
        return self.log.read_text(encoding="utf-8").splitlines()


def fetch(url: str) -> tuple[int, dict[str, object]]:
    """GET a JSON probe; return its status and body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (127.0.0.1)
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait_until_healthy(server: Server) -> None:
    """Poll /healthz until gunicorn's workers answer."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if server.process.poll() is not None:
            raise AssertionError("serve-prod stopped:\n" + "\n".join(server.log_lines()))
        try:
            if fetch(server.url("/healthz"))[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("serve-prod did not answer:\n" + "\n".join(server.log_lines()))
        time.sleep(0.2)


@pytest.fixture
def server(
    active_models: None, database_url: str, instance_path: Path, tmp_path: Path
) -> Iterator[Server]:
    """serve-prod on the test database, with the test's models, on a free port."""
    port = free_port()
    log = tmp_path / "serve-prod.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [SERVE_PROD],
            env=production_environment(
                DATABASE_URL=plain_url(database_url),
                SECRET_KEY=secrets.token_hex(32),
                KCC_INSTANCE_PATH=str(instance_path),
                PORT=str(port),
                WEB_CONCURRENCY="1",
                KCC_THREADS="2",
                KCC_GRACEFUL_TIMEOUT="10",
            ),
            stdout=output,
            stderr=output,
        )
    running = Server(process, port, log)
    try:
        wait_until_healthy(running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_serve_prod_serves_logs_json_and_lets_requests_finish_on_sigterm(server: Server) -> None:
    # One server for the whole story: each start migrates, checks models and boots gunicorn.
    assert fetch(server.url("/readyz")) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "models": "ok"}},
    )
    page = server.url("/login?next=/queue&token=geheim-123")
    with urllib.request.urlopen(page) as response:  # noqa: S310  (127.0.0.1)
        request_id = response.headers["X-Request-ID"]
        assert response.status == 200

    answer = post_slowly_across_sigterm(server)

    # No CSRF token in this form: the app refuses it, with its own complete error page.
    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 400 BAD REQUEST"
    assert answer.rstrip().endswith(b"</html>")
    assert server.process.wait(timeout=30) == 0
    lines = server.log_lines()
    served = [line for line in lines if line.startswith("{")]
    # Everything gunicorn and the app said while serving is JSON; only the migration and
    # training steps before gunicorn print plain text.
    assert served == lines[lines.index(served[0]) :]
    entries = [json.loads(line) for line in served]
    requests = [entry for entry in entries if entry["message"] == "request"]
    (login,) = [entry for entry in requests if entry["request_id"] == request_id]
    assert (login["method"], login["path"], login["status"]) == ("GET", "/login", 200)
    assert {"time", "level", "logger", "duration_ms"} <= set(login)
    (refused,) = [entry for entry in requests if entry["method"] == "POST"]
    assert refused["status"] == 400 and refused["request_id"] != "-"
    assert not any("geheim-123" in line for line in lines)
    assert not any(entry["path"] in {"/healthz", "/readyz"} for entry in requests)


def post_slowly_across_sigterm(server: Server) -> bytes:
    """Start a login POST, send SIGTERM while the app waits for the form, then finish it."""
    body = b"username=agent&password=niet-goed"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10]
        )
        time.sleep(0.5)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert server.process.poll() is None, "gunicorn left before the request finished"
        connection.sendall(body[10:])
        return receive_all(connection)


def receive_all(connection: socket.socket) -> bytes:
    """Read until the server closes the connection (it does so once it stops)."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
