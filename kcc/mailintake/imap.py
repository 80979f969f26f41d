"""Reading a crisis mailbox over IMAP (imaplib): unread messages by UID, marked read when done.

Plain Python (no Flask). Messages are fetched with BODY.PEEK, so fetching alone never marks
them read: only `mark_processed`, called after the database commit, does.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

SECURITY_MODES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}


class MailboxError(Exception):
    """The mailbox could not be reached or read; the message says why in Dutch."""


@dataclass(frozen=True)
class FolderRoute:
    """A mailbox folder and the crisis and municipality its e-mails are registered under."""

    folder: str
    crisis_code: str
    municipality_code: str


@dataclass(frozen=True)
class ImapSettings:
    """Where the crisis mailbox is and how to log in to it."""

    host: str = ""
    port: int = 993
    username: str = ""
    # Kept out of repr, so logging the settings never logs the password.
    password: str = field(default="", repr=False)
    security: str = "ssl"
    timeout: float = 30.0
    routes: tuple[FolderRoute, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImapSettings:
        """Read the MAIL_INTAKE_* keys of a Flask config (or any mapping)."""
        security = str(config.get("MAIL_INTAKE_SECURITY") or "ssl").lower()
        if security not in SECURITY_MODES:
            raise MailboxError("MAIL_INTAKE_SECURITY moet ssl, starttls of none zijn.")
        return cls(
            host=str(config.get("MAIL_INTAKE_HOST") or ""),
            port=int(config.get("MAIL_INTAKE_PORT") or DEFAULT_PORTS[security]),
            username=str(config.get("MAIL_INTAKE_USERNAME") or ""),
            password=str(config.get("MAIL_INTAKE_PASSWORD") or ""),
            security=security,
            timeout=float(config.get("MAIL_INTAKE_TIMEOUT") or 30.0),
            routes=parse_routes(str(config.get("MAIL_INTAKE_FOLDERS") or "")),
        )

    @property
    def is_configured(self) -> bool:
        """Tell whether there is a mailbox to poll at all."""
        return bool(self.host and self.routes)

    @property
    def address(self) -> str:
        """The server as host:port, for messages an administrator reads."""
        return f"{self.host}:{self.port}"


def parse_routes(value: str) -> tuple[FolderRoute, ...]:
    """Read 'INBOX=corona:GM0406, Oekraine=oekraine:GM0406' into folder routes."""
    routes = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        folder, equals, target = item.rpartition("=")
        crisis_code, colon, municipality_code = target.partition(":")
        if not (equals and colon and folder.strip() and crisis_code and municipality_code):
            raise MailboxError(
                f"MAIL_INTAKE_FOLDERS: {item!r} is geen map=crisis:gemeentecode, "
                "bijvoorbeeld INBOX=corona:GM0406."
            )
        routes.append(
            FolderRoute(folder.strip(), crisis_code.strip(), municipality_code.strip().upper())
        )
    return tuple(routes)


UID_IN_FETCH = re.compile(rb"UID (\d+)")


class ImapMailbox:
    """An open, logged-in IMAP connection; use it as a context manager."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.connection: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapMailbox:
        self.connection = self.connect()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def connect(self) -> imaplib.IMAP4:
        """Open the connection the settings ask for and log in."""
        settings = self.settings
        try:
            connection = self.open_connection()
        except (OSError, ssl.SSLError, imaplib.IMAP4.error) as error:
            raise MailboxError(
                f"De IMAP-server is niet bereikbaar ({settings.address}): {describe(error)}"
            ) from error
        try:
            connection.login(settings.username, settings.password)
        except (imaplib.IMAP4.error, OSError) as error:
            connection.shutdown()  # no logout after a refused login: just close the socket
            raise MailboxError(
                f"De IMAP-server weigerde de inlog ({settings.address}): {describe(error)}"
            ) from error
        return connection

    def open_connection(self) -> imaplib.IMAP4:
        """A connection (encrypted as the settings say), not yet logged in."""
        settings = self.settings
        if settings.security == "ssl":
            return imaplib.IMAP4_SSL(
                settings.host,
                settings.port,
                ssl_context=ssl.create_default_context(),
                timeout=settings.timeout,
            )
        connection = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            try:
                connection.starttls(ssl_context=ssl.create_default_context())
            except (imaplib.IMAP4.error, OSError, ssl.SSLError):
                connection.shutdown()
                raise
        return connection

    def close(self) -> None:
        """Log out; a failing goodbye changes nothing (the work is committed by then)."""
        if self.connection is None:
            return
        try:
            self.connection.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
        self.connection = None

    def command(self, name: str, *args: str) -> list[Any]:
        """Run a UID command; anything but OK becomes a MailboxError."""
        assert self.connection is not None, "use the mailbox as a context manager"
        try:
            status, data = self.connection.uid(name, *args)
        except (imaplib.IMAP4.error, OSError) as error:
            raise MailboxError(f"IMAP {name} mislukte: {describe(error)}") from error
        if status != "OK":
            raise MailboxError(f"IMAP {name} mislukte: {describe(data)}")
        return list(data)

    def select(self, folder: str) -> None:
        """Open a folder for reading and flagging."""
        assert self.connection is not None, "use the mailbox as a context manager"
        try:
            status, data = self.connection.select(quote_folder(folder))
        except (imaplib.IMAP4.error, OSError) as error:
            raise MailboxError(f"Map {folder!r} openen mislukte: {describe(error)}") from error
        if status != "OK":
            raise MailboxError(f"Map {folder!r} bestaat niet of is niet te openen.")

    def unread_uids(self) -> list[int]:
        """UIDs of the folder's unread messages, oldest first."""
        data = self.command("SEARCH", "UNSEEN")
        return sorted(int(uid) for uid in (data[0] or b"").split())

    def fetch(self, uid: int) -> bytes:
        """The whole message, without marking it read."""
        for item in self.command("FETCH", str(uid), "(UID BODY.PEEK[])"):
            if isinstance(item, tuple) and UID_IN_FETCH.search(item[0]):
                return bytes(item[1])
        raise MailboxError(f"Bericht met UID {uid} is niet meer in de map.")

    def mark_processed(self, uid: int) -> None:
        """Mark a message read, so the next poll skips it."""
        self.command("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")


def quote_folder(folder: str) -> str:
    """A folder name as an IMAP quoted string (spaces and quotes allowed)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def describe(error: object) -> str:
    """An IMAP error or response as readable text."""
    if isinstance(error, list):
        return " ".join(
            item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
            for item in error
            if item
        )
    if isinstance(error, Exception) and error.args and isinstance(error.args[0], bytes):
        return error.args[0].decode("utf-8", "replace")
    return str(error)
