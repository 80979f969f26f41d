"""A webhook receiver for the tests: a real HTTPS server in a thread, with a trustme certificate.

It records every request (headers and raw body) on arrival and answers 204, or the statuses it
was told to answer to the next few requests (to test retries), after `delay_seconds` (a slow
receiver keeps a sender mid-request).
"""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

from tests.helpers import BackgroundServer


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: Message  # case-insensitive, as HTTP header names are
    body: bytes


@dataclass
class ReceiverState:
    """Requests so far and the statuses planned for the next ones."""

    requests: list[Received] = field(default_factory=list)
    planned: list[int] = field(default_factory=list)
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *statuses: int) -> None:
        """Answer these statuses to the next requests, one each, then 204 again."""
        with self.lock:
            self.planned = list(statuses)

    def clear(self) -> None:
        """Forget requests and plans (between tests)."""
        with self.lock:
            self.requests.clear()
            self.planned.clear()


class HttpsReceiver:
    """Start with `start()`, read `url` and `ca_file`, stop with `stop()`."""

    def __init__(self, ca: trustme.CA, ca_file: Path) -> None:
        self.state = ReceiverState()
        self.ca_file = ca_file
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.state))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.background = BackgroundServer(self.httpd, "webhook-receiver")

    @property
    def url(self) -> str:
        """The address to register as an endpoint."""
        host, port = self.httpd.server_address[:2]
        return f"https://{host}:{port}/kcc-hook"

    def start(self) -> HttpsReceiver:
        """Serve in the background."""
        self.background.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.background.stop()


def make_handler(state: ReceiverState) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to this receiver's state."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.requests.append(Received(self.path, self.headers, body))
                status = state.planned.pop(0) if state.planned else 204
            time.sleep(state.delay_seconds)
            self.send_response(status)
            if 300 <= status < 400:  # a redirect to plain HTTP, which kcc must not follow
                self.send_header("Location", "http://127.0.0.1:9/elders")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Keep the test output quiet."""

    return Handler
