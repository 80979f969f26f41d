"""Real SMTP servers on localhost (aiosmtpd) that tests send mail to and read it back from."""

from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

LOCALHOST = "127.0.0.1"
# Given explicitly: without it aiosmtpd asks DNS for this machine's name at every start.
SERVER_NAME = "smtp.gemeente.test"
TEST_SENDER = "kcc@gemeente.test"


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOCALHOST, 0))
        return int(probe.getsockname()[1])


class CollectingHandler:
    """Accepts every message and keeps it, parsed, in the given list."""

    def __init__(self, messages: list[EmailMessage]) -> None:
        self.messages = messages

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Parse the message as received and keep it."""
        # SMTP carries CRLF line ends; turn them into "\n" as a mailbox on disk would, so
        # tests compare bodies with the Python strings they sent.
        raw = cast(bytes, envelope.original_content).replace(b"\r\n", b"\n")
        self.messages.append(cast(EmailMessage, message_from_bytes(raw, policy=policy.default)))
        return "250 Message accepted for delivery"


class RejectingHandler(CollectingHandler):
    """Refuses every recipient, as a server does that blocks the sender."""

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Refuse the recipient with a permanent error."""
        return "554 5.7.1 Bericht geweigerd"


class SmtpServer:
    """An SMTP server in a background thread that keeps every message it accepts."""

    def __init__(self) -> None:
        self.host = LOCALHOST
        self.port = 0
        self.messages: list[EmailMessage] = []
        self._controller: Controller | None = None

    def create_handler(self) -> Any:
        """The aiosmtpd handler that decides what happens to each command."""
        return CollectingHandler(self.messages)

    def start(self) -> None:
        """Listen on a free port of localhost."""
        # Controller(port=0) would bind fine, but its ready-check then connects to port 0.
        self.port = free_port()
        self._controller = Controller(
            self.create_handler(), hostname=self.host, port=self.port, server_hostname=SERVER_NAME
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening; harmless when not running."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        """Forget the messages received so far."""
        self.messages.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived and return them all."""
        # The server thread may still be storing a message the client already got a 250 for.
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} message(s) within {timeout:g} s, "
                    f"the SMTP server on port {self.port} got {len(self.messages)}"
                )
            time.sleep(0.01)
        return list(self.messages)


class RejectingSmtpServer(SmtpServer):
    """A real SMTP server that answers every RCPT TO with 554, so every send fails."""

    def create_handler(self) -> Any:
        """A handler that refuses each recipient."""
        return RejectingHandler(self.messages)


def configure_mail(app: Flask, server: SmtpServer) -> None:
    """Point an app's mail settings at a test server (no TLS, no login)."""
    app.config.update(
        MAIL_SERVER=server.host,
        MAIL_PORT=server.port,
        MAIL_USE_TLS=False,
        MAIL_USERNAME=None,
        MAIL_PASSWORD=None,
        MAIL_SENDER=TEST_SENDER,
        MAIL_TIMEOUT=5,
    )
