"""Reading an inbound e-mail: who, what, which thread, its attachments, and whether a robot sent it.

Plain Python (no Flask), so the poller, tests and a future worker share it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses
from enum import StrEnum
from html.parser import HTMLParser
from typing import cast

MAX_MESSAGE_ID_LENGTH = 250
MAX_SUBJECT_LENGTH = 250
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Made-up ids (messages without one) live in a domain that can never be real (RFC 2606).
GENERATED_ID_DOMAIN = "kcc.invalid"
# Prefixes mail programs put before a subject when answering or forwarding (en, nl, de).
REPLY_PREFIX = re.compile(r"^\s*((re|antw|aw|fw|fwd|doorst|wg)\s*(\[\d+\])?\s*:\s*)+", re.I)

# Out-of-office subjects from Outlook, Gmail, Apple Mail and others, in Dutch and English.
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatisch antwoord|automatisch bericht|automatic reply|auto[- ]?reply|"
    r"autoreply|out of (the )?office|afwezig|afwezigheidsmelding|niet aanwezig|"
    r"abwesenheitsnotiz|vakantiemelding)\b",
    re.I,
)
AUTO_REPLY_PRECEDENCE = {"auto_reply", "bulk", "junk"}
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}

# Where a reply's own text ends and the quoted earlier message begins.
QUOTE_INTRODUCTIONS = (
    re.compile(r"^\s*Op .{3,200} (schreef|heeft|wrote)\b.*:\s*$", re.I),
    re.compile(r"^\s*On .{3,200} wrote:\s*$", re.I),
    re.compile(r"^\s*Am .{3,200} schrieb .*:\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*(Oorspronkelijk bericht|Original Message|Origineel bericht)", re.I),
    re.compile(r"^\s*(Van|From):\s.+$", re.I),
)


class MailKind(StrEnum):
    """What an inbound e-mail is, as far as intake is concerned."""

    MESSAGE = "bericht"
    AUTO_REPLY = "automatisch antwoord"
    BOUNCE = "onbestelbaar"


@dataclass(frozen=True)
class AttachmentPart:
    """An attached file as the sender named and sent it (nothing checked yet)."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class ParsedMail:
    """The parts of an inbound e-mail intake uses."""

    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    sender_name: str
    sender_email: str
    subject: str
    body: str
    attachments: tuple[AttachmentPart, ...]
    kind: MailKind

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Every Message-ID this e-mail says it answers, the direct parent first."""
        parent = (self.in_reply_to,) if self.in_reply_to else ()
        return tuple(dict.fromkeys(parent + tuple(reversed(self.references))))


def parse_mail(raw: bytes) -> ParsedMail:
    """Read a raw RFC 5322 message (as an IMAP server hands it over)."""
    message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
    body_part = message.get_body(preferencelist=("plain", "html"))
    sender_name, sender_email = sender_of(message)
    return ParsedMail(
        message_id=message_id_of(message, raw),
        in_reply_to=next(iter(message_ids_in(header_text(message, "In-Reply-To"))), None),
        references=message_ids_in(header_text(message, "References")),
        sender_name=sender_name,
        sender_email=sender_email,
        subject=clean_line(header_text(message, "Subject"))[:MAX_SUBJECT_LENGTH],
        body=body_text(body_part) if body_part is not None else "",
        attachments=tuple(attachment_parts(message, body_part)),
        kind=kind_of(message, sender_email, header_text(message, "Subject")),
    )


def header_text(message: Message, name: str) -> str:
    """A header's decoded value, or "" when missing or beyond repair."""
    try:
        value = message.get(name)
    except (ValueError, IndexError):
        # A malformed header the parser could not even defect-tolerate.
        return ""
    return str(value) if value is not None else ""


def clean_line(value: str) -> str:
    """One line of text: control characters (a header's folding, a NUL) become spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def message_ids_in(value: str) -> tuple[str, ...]:
    """The <...> Message-IDs in a header, in order, each at most 250 characters."""
    found = MESSAGE_ID.findall(value)
    return tuple(message_id for message_id in found if len(message_id) <= MAX_MESSAGE_ID_LENGTH)


def message_id_of(message: Message, raw: bytes) -> str:
    """The e-mail's Message-ID; without one, one made from its bytes (same bytes, same id)."""
    found = message_ids_in(header_text(message, "Message-ID"))
    if found:
        return found[0]
    return f"<{hashlib.sha256(raw).hexdigest()}@{GENERATED_ID_DOMAIN}>"


def sender_of(message: Message) -> tuple[str, str]:
    """The From header's display name and address (empty strings when there is none)."""
    addresses = getaddresses([header_text(message, "From")])
    if not addresses:
        return "", ""
    name, address = addresses[0]
    return clean_line(name), clean_line(address)


def kind_of(message: Message, sender_email: str, subject: str) -> MailKind:
    """Tell a delivery failure or an automatic answer from an e-mail a person wrote."""
    # Bounces come first: they carry Auto-Submitted too (RFC 3464, RFC 3834).
    if is_delivery_report(message) or sender_email.partition("@")[0].lower() in BOUNCE_SENDERS:
        return MailKind.BOUNCE
    if is_automatic(message, subject):
        return MailKind.AUTO_REPLY
    # An empty envelope sender is what RFC 5321 prescribes for every notification.
    if header_text(message, "Return-Path").strip() == "<>":
        return MailKind.BOUNCE
    return MailKind.MESSAGE


def is_delivery_report(message: Message) -> bool:
    """A multipart/report with report-type delivery-status (RFC 3464)."""
    report_type = message.get_param("report-type", header="content-type")
    return (
        message.get_content_type() == "multipart/report"
        and isinstance(report_type, str)
        and report_type.lower() in {"delivery-status", "disposition-notification"}
    )


def is_automatic(message: Message, subject: str) -> bool:
    """Out-of-office and other automatic answers (RFC 3834 and what mail programs add)."""
    auto_submitted = header_text(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None:
        return True
    if header_text(message, "Precedence").strip().lower() in AUTO_REPLY_PRECEDENCE:
        return True
    return bool(AUTO_REPLY_SUBJECT.match(subject))


def body_text(part: Message) -> str:
    """The text of a body part; HTML becomes plain text (never rendered)."""
    text = decoded_text(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return normalise_text(text)


def decoded_text(part: Message) -> str:
    """A text part's content, also when it names a charset Python does not know."""
    try:
        return cast(EmailMessage, part).get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def normalise_text(text: str) -> str:
    """Unix line ends, no NULs or other control characters, no trailing blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(c for c in text if c in "\n\t" or c.isprintable())
    lines = [line.rstrip() for line in kept.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class TextExtractor(HTMLParser):
    """Collects an HTML body's visible text; scripts, styles and markup are dropped."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})
    INVISIBLE = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.INVISIBLE:
            self.hidden_depth += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.INVISIBLE and self.hidden_depth:
            self.hidden_depth -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(" ".join(data.split()) if data.strip() else "")


def html_to_text(html: str) -> str:
    """Visible text of an HTML e-mail, one block per line."""
    extractor = TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(lines)


def strip_quoted_text(body: str) -> str:
    """A reply's own words: the quoted earlier e-mail below them is cut off."""
    kept: list[str] = []
    for line in body.split("\n"):
        if any(pattern.match(line) for pattern in QUOTE_INTRODUCTIONS):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return normalise_text("\n".join(kept)) or body


def subject_without_prefixes(subject: str) -> str:
    """The subject without Re:, Antw:, Fwd: and friends."""
    return REPLY_PREFIX.sub("", subject).strip()


def attachment_parts(message: EmailMessage, body_part: Message | None) -> list[AttachmentPart]:
    """Every file attached anywhere in the message (not the body, not nested e-mails' text)."""
    found: list[AttachmentPart] = []
    for part in message.walk():
        if part.is_multipart() or part is body_part:
            continue
        filename = part.get_filename()
        if part.get_content_disposition() != "attachment" and not filename:
            continue  # an alternative body or a nested e-mail's text, not a file
        payload = part.get_payload(decode=True)
        found.append(
            AttachmentPart(
                filename=clean_line(filename or ""),
                content=payload if isinstance(payload, bytes) else b"",
            )
        )
    return found
