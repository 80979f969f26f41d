"""Helpers the tests share: the demo password and a client that fills in forms like a browser."""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from kcc.auth.models import Role

TEST_PASSWORD = "correct-horse-battery-staple"
ALL_ROLES = [role.value for role in Role]
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class BackgroundServer:
    """A real server (HTTP, WSGI, ...) answering from a daemon thread between start and stop."""

    def __init__(self, server: socketserver.BaseServer, name: str) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    def start(self) -> None:
        """Serve in the background."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving, wait for the thread and free the port (connections are refused)."""
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


@contextmanager
def serving(server: socketserver.BaseServer, name: str) -> Iterator[None]:
    """Serve in the background for the duration of the block."""
    background = BackgroundServer(server, name)
    background.start()
    try:
        yield
    finally:
        background.stop()


def csrf_token_from(response: TestResponse) -> str:
    """Read the CSRF token from a rendered page, as a browser would submit it."""
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, "page has no CSRF token"
    return match.group(1)


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = "admin", password: str = TEST_PASSWORD) -> TestResponse:
        """Submit the login form with a token read from the page."""
        token = csrf_token_from(self._client.get("/login"))
        return self._client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def logout(self) -> TestResponse:
        """Submit the logout form from the start page."""
        token = csrf_token_from(self._client.get("/"))
        return self._client.post("/logout", data={"csrf_token": token})


def post_form(client: FlaskClient, url: str, data: dict[str, object]) -> TestResponse:
    """GET a form page, then POST data with the page's CSRF token."""
    token = csrf_token_from(client.get(url))
    return client.post(url, data={**data, "csrf_token": token})
