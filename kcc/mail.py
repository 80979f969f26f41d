"""Plain-text e-mail through SMTP, for the web app, workers and the CLI alike (no Flask here)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

# Every character str.splitlines() breaks on: the email package folds and parses headers
# with it, so any of these in a header value could start a header of the sender's choosing.
LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")
FALLBACK_MESSAGE_ID_DOMAIN = "localhost"


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom to send mail."""

    host: str = "localhost"
    port: int = 25
    username: str | None = None
    # Kept out of repr, so logging the settings never logs the password.
    password: str | None = field(default=None, repr=False)
    use_starttls: bool = False
    sender: str = "kcc@localhost"
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        """Read the MAIL_* keys of a Flask config (or any mapping); missing keys keep defaults."""
        defaults = cls()
        return cls(
            host=config.get("MAIL_SERVER") or defaults.host,
            port=int(config.get("MAIL_PORT") or defaults.port),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            use_starttls=bool(config.get("MAIL_USE_TLS", defaults.use_starttls)),
            sender=config.get("MAIL_SENDER") or defaults.sender,
            timeout=float(config.get("MAIL_TIMEOUT") or defaults.timeout),
        )

    @property
    def address(self) -> str:
        """The server as host:port, for messages a coordinator reads."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class OutgoingMail:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    body: str
    reply_to: str | None = None
    # Message-ID of the message this one answers, so mail clients thread the conversation.
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    # Given when retrying, so a retry keeps the Message-ID and a duplicate threads as one.
    message_id: str | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """Whether the mail server accepted a message, and if not, why (in Dutch)."""

    delivered: bool
    message_id: str
    error: str = ""


def new_message_id(sender: str) -> str:
    """Make a unique Message-ID in the sender's domain, like <...@gemeente.nl>."""
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2] or FALLBACK_MESSAGE_ID_DOMAIN
    # A domain is always given: without one make_msgid asks DNS for this host's name.
    return make_msgid(domain=domain)


def build_message(mail: OutgoingMail, settings: MailSettings, *, message_id: str) -> EmailMessage:
    """Build the UTF-8 text/plain message; a line break in any header raises ValueError."""
    headers = {
        "From": settings.sender,
        "To": mail.to,
        "Subject": mail.subject,
        "Date": format_datetime(datetime.now(UTC)),
        "Message-ID": message_id,
        "Reply-To": mail.reply_to,
        "In-Reply-To": mail.in_reply_to,
        "References": " ".join(mail.references) or None,
    }
    message = EmailMessage()
    for name, value in headers.items():
        if value is None:
            continue
        refuse_line_breaks(name, value)
        message[name] = value
    # Quoted-printable keeps é, ë and € intact through relays that only pass 7-bit text.
    message.set_content(mail.body, charset="utf-8", cte="quoted-printable")
    return message


def refuse_line_breaks(name: str, value: str) -> None:
    """Raise ValueError when a header value could smuggle in extra headers."""
    if any(character in LINE_BREAKS for character in value):
        raise ValueError(f"De kopregel {name} mag geen regeleinde bevatten.")


def send_mail(mail: OutgoingMail, settings: MailSettings) -> DeliveryResult:
    """Send one message; delivery problems come back as a result, never as an exception."""
    message_id = mail.message_id or new_message_id(settings.sender)
    message = build_message(mail, settings, message_id=message_id)
    try:
        refused = deliver(message, settings)
    except (smtplib.SMTPException, OSError) as error:
        return DeliveryResult(
            delivered=False, message_id=message_id, error=describe_failure(error, settings)
        )
    if refused:
        return DeliveryResult(
            delivered=False, message_id=message_id, error=describe_refused_recipients(refused)
        )
    return DeliveryResult(delivered=True, message_id=message_id)


def deliver(message: EmailMessage, settings: MailSettings) -> dict[str, tuple[int, bytes]]:
    """Hand the message to the server; return the recipients it refused (if it took others)."""
    connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.use_starttls:
            connection.starttls(context=ssl.create_default_context())
        if settings.username:
            connection.login(settings.username, settings.password or "")
        return connection.send_message(message)
    finally:
        close_politely(connection)


def close_politely(connection: smtplib.SMTP) -> None:
    """Say QUIT and close the socket."""
    # The server already has the message by now: a failing goodbye must not turn a delivery
    # into a failure, or a retry would send the message twice.
    with suppress(smtplib.SMTPException, OSError):
        connection.quit()
    connection.close()


def describe_failure(error: smtplib.SMTPException | OSError, settings: MailSettings) -> str:
    """Explain a failed delivery in Dutch, for the coordinator who has to act on it."""
    # Order matters: every SMTPException and SSLError is also an OSError.
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return describe_refused_recipients(error.recipients)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"De mailserver weigerde de inlog: {server_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return (
            f"De mailserver weigerde het bericht: {server_reply(error.smtp_code, error.smtp_error)}"
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return (
            "De mailserver ondersteunt niet wat de instellingen vragen "
            f"(STARTTLS of inloggen) ({settings.address}): {error}"
        )
    if is_timeout(error):
        return (
            f"De mailserver reageerde niet binnen {settings.timeout:g} seconden "
            f"({settings.address})."
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"De mailserver verbrak de verbinding ({settings.address}): {error}"
    if isinstance(error, smtplib.SMTPException):
        return f"De mailserver gaf een fout ({settings.address}): {error}"
    if isinstance(error, ssl.SSLError):
        return f"De beveiligde verbinding met de mailserver mislukte ({settings.address}): {error}"
    return f"De mailserver is niet bereikbaar ({settings.address}): {error.strerror or error}"


def is_timeout(error: BaseException) -> bool:
    """Tell whether a failure came from the server not answering in time."""
    # smtplib turns a timeout while reading a reply into SMTPServerDisconnected, keeping the
    # TimeoutError only as the exception it was raised during.
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)


def describe_refused_recipients(refused: Mapping[str, tuple[int, bytes]]) -> str:
    """Explain which recipients the server refused, with its own reply."""
    replies = "; ".join(
        f"{server_reply(code, reply)} (ontvanger {recipient})"
        for recipient, (code, reply) in refused.items()
    )
    return f"De mailserver weigerde het bericht: {replies}"


def server_reply(code: int, reply: bytes | str) -> str:
    """Render an SMTP reply like the server sent it: '554 5.7.1 ...'."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {text}".strip()
