"""Polling the crisis mailbox: each unread e-mail becomes a question, a reply in a thread, or is
skipped (automatic answers, bounces); attachments are kept or refused with a reason.

Each e-mail is committed before it is marked read, so a crash re-reads it rather than loses it;
the unique Message-ID (and the question's submission token) keep a re-read from registering
anything twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from kcc.exceptions import ValidationFailed
from kcc.extensions import db, utcnow
from kcc.intake.contact_rules import is_valid_email
from kcc.intake.models import Channel, Question, QuestionEvent, QuestionEventKind, QuestionStatus
from kcc.intake.services import (
    MAX_NAME_LENGTH,
    MAX_QUESTION_LENGTH,
    ContactInput,
    QuestionInput,
    register_question,
)
from kcc.mailintake.attachments import AttachmentLimits, AttachmentVerdict, check_attachments
from kcc.mailintake.imap import FolderRoute, ImapMailbox, ImapSettings, MailboxError
from kcc.mailintake.models import MailAttachment, MailDirection, MailMessage
from kcc.mailintake.parsing import MailKind, ParsedMail, parse_mail, strip_quoted_text
from kcc.privacy.masking import mask_personal_data
from kcc.reference.models import Crisis, Municipality

# A mail body is kept whole in the thread; beyond this it is cut (a pasted log, a newsletter).
MAX_BODY_LENGTH = 100_000
EMPTY_MAIL_TEXT = "(e-mail zonder tekst)"
CUT_NOTE = "\n[… ingekort; de hele e-mail staat bij de vraag]"
SUBMISSION_TOKEN_PREFIX = "mail:"  # noqa: S105 (a label, not a secret)


class MailOutcome(StrEnum):
    """What happened to one e-mail (the report's counters)."""

    REGISTERED = "registered"
    REPLY = "reply"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    FAILED = "failed"


@dataclass
class PollReport:
    """What one poll did, e-mail by e-mail counted."""

    registered: int = 0
    replies: int = 0
    skipped: int = 0
    duplicates: int = 0
    failed: int = 0
    refused_attachments: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, outcome: MailOutcome) -> None:
        """Add one e-mail to the counter of its outcome."""
        attribute = {
            MailOutcome.REGISTERED: "registered",
            MailOutcome.REPLY: "replies",
            MailOutcome.SKIPPED: "skipped",
            MailOutcome.DUPLICATE: "duplicates",
            MailOutcome.FAILED: "failed",
        }[outcome]
        setattr(self, attribute, getattr(self, attribute) + 1)


@dataclass(frozen=True)
class Destination:
    """Where a folder's e-mails are registered: crisis and municipality by id."""

    folder: str
    crisis_id: int
    municipality_id: int


def attachment_limits(config: Mapping[str, Any]) -> AttachmentLimits:
    """The MAIL_INTAKE_MAX_* settings."""
    return AttachmentLimits(
        max_file_bytes=int(config["MAIL_INTAKE_MAX_ATTACHMENT_BYTES"]),
        max_total_bytes=int(config["MAIL_INTAKE_MAX_ATTACHMENTS_BYTES"]),
        max_count=int(config["MAIL_INTAKE_MAX_ATTACHMENTS"]),
    )


def resolve_route(route: FolderRoute) -> Destination:
    """The crisis and municipality a folder route names; a clear error when they do not exist."""
    crisis = db.session.execute(
        select(Crisis).where(Crisis.code == route.crisis_code)
    ).scalar_one_or_none()
    if crisis is None or not crisis.is_active:
        raise MailboxError(
            f"Map {route.folder!r}: crisis {route.crisis_code!r} bestaat niet of is niet actief."
        )
    municipality = db.session.execute(
        select(Municipality).where(Municipality.cbs_code == route.municipality_code)
    ).scalar_one_or_none()
    if municipality is None or not municipality.is_active:
        raise MailboxError(
            f"Map {route.folder!r}: gemeente {route.municipality_code!r} bestaat niet of is "
            "niet actief."
        )
    return Destination(route.folder, crisis.id, municipality.id)


def poll_mailbox(
    settings: ImapSettings | None = None,
    *,
    limits: AttachmentLimits | None = None,
    now: datetime | None = None,
) -> PollReport:
    """Process every unread e-mail in every configured folder; raise MailboxError if unreachable."""
    settings = settings or ImapSettings.from_config(current_app.config)
    limits = limits or attachment_limits(current_app.config)
    if not settings.is_configured:
        raise MailboxError(
            "Er is geen postvak ingesteld: zet MAIL_INTAKE_HOST en MAIL_INTAKE_FOLDERS."
        )
    # Checked before connecting: a typo in the routes should not leave mail half-read.
    destinations = [resolve_route(route) for route in settings.routes]
    report = PollReport()
    with ImapMailbox(settings) as mailbox:
        for destination in destinations:
            mailbox.select(destination.folder)
            for uid in mailbox.unread_uids():
                outcome = process_message(
                    mailbox.fetch(uid), destination, limits, report, now=now or utcnow()
                )
                report.count(outcome)
                if outcome != MailOutcome.FAILED:
                    # Only after the commit: a crash before this line means a re-read.
                    mailbox.mark_processed(uid)
    return report


def process_message(
    raw: bytes,
    destination: Destination,
    limits: AttachmentLimits,
    report: PollReport,
    *,
    now: datetime,
) -> MailOutcome:
    """Register, thread or skip one raw e-mail; a failure is logged and left unread for later."""
    try:
        return store_message(parse_mail(raw), destination, limits, report, now=now)
    except IntegrityError:
        # Another poller stored the same Message-ID between our check and our commit.
        db.session.rollback()
        return MailOutcome.DUPLICATE
    except (ValidationFailed, ValueError, LookupError, DBAPIError) as error:
        # Left unread: the next poll tries again; the others in the folder go on.
        db.session.rollback()
        current_app.logger.exception("e-mail intake: storing a message failed")
        report.errors.append(f"Een e-mail kon niet worden verwerkt: {error}")
        return MailOutcome.FAILED


def store_message(
    mail: ParsedMail,
    destination: Destination,
    limits: AttachmentLimits,
    report: PollReport,
    *,
    now: datetime,
) -> MailOutcome:
    """Decide what the e-mail is and store it in one commit."""
    if is_known(mail.message_id):
        return MailOutcome.DUPLICATE
    if mail.kind != MailKind.MESSAGE:
        # Out-of-office answers and bounces hold no question; a person reads none of them.
        current_app.logger.info(
            "e-mail intake: skipped %s %s in %s",
            mail.kind.value,
            mail.message_id,
            destination.folder,
        )
        return MailOutcome.SKIPPED
    question = question_answered_by(mail)
    if question is not None:
        add_reply(question, mail, limits, report, now=now)
        return MailOutcome.REPLY
    register_mail(mail, destination, limits, report, now=now)
    return MailOutcome.REGISTERED


def is_known(message_id: str) -> bool:
    """Tell whether this e-mail (or our answer with this id) is stored already."""
    return (
        db.session.execute(
            select(MailMessage.id).where(MailMessage.message_id == message_id)
        ).first()
        is not None
    )


def question_answered_by(mail: ParsedMail) -> Question | None:
    """The question whose thread holds an e-mail this one answers (direct parent first)."""
    if not mail.thread_ids:
        return None
    known = {
        message.message_id: message
        for message in db.session.execute(
            select(MailMessage).where(MailMessage.message_id.in_(mail.thread_ids))
        ).scalars()
    }
    for message_id in mail.thread_ids:
        if message_id in known:
            return known[message_id].question
    return None


def question_text(mail: ParsedMail) -> str:
    """Subject and the e-mail's own words (quoted text cut), within the question's length."""
    own_words = strip_quoted_text(mail.body)
    text = "\n\n".join(part for part in (mail.subject, own_words) if part.strip())
    if not text:
        return EMPTY_MAIL_TEXT
    if len(text) > MAX_QUESTION_LENGTH:
        # Nothing is lost: the whole e-mail is kept in the thread next to the question.
        text = text[: MAX_QUESTION_LENGTH - len(CUT_NOTE)].rstrip() + CUT_NOTE
    return text


def sender_contact(mail: ParsedMail) -> ContactInput | None:
    """The sender as contact: the only way to answer an e-mail is to mail back."""
    if not is_valid_email(mail.sender_email):
        return None
    return ContactInput(
        name=mail.sender_name[:MAX_NAME_LENGTH],
        email=mail.sender_email,
        preferred_contact="e-mail",
    )


def submission_token_for(message_id: str) -> str:
    """A question's one-time token from the Message-ID: a re-read finds the same question."""
    return SUBMISSION_TOKEN_PREFIX + hashlib.sha256(message_id.encode()).hexdigest()[:59]


def register_mail(
    mail: ParsedMail,
    destination: Destination,
    limits: AttachmentLimits,
    report: PollReport,
    *,
    now: datetime,
) -> Question:
    """A new question from the e-mail, open in the intake list for an agent to answer."""
    registration = register_question(
        QuestionInput(
            channel=Channel.EMAIL.value,
            caller_type="inwoner",
            municipality_id=destination.municipality_id,
            crisis_id=destination.crisis_id,
            text=question_text(mail),
            contact=sender_contact(mail),
            keep_contact=True,
            submission_token=submission_token_for(mail.message_id),
            received_at=now,
        ),
        user_id=None,
        now=now,
    )
    question = registration.question
    # register_question committed the question; the e-mail follows in a second commit. A crash
    # in between is healed by the submission token: the re-read finds this question again.
    db.session.add(build_mail_message(question, mail, limits, report, is_reply=False, now=now))
    db.session.commit()
    return question


def add_reply(
    question: Question,
    mail: ParsedMail,
    limits: AttachmentLimits,
    report: PollReport,
    *,
    now: datetime,
) -> None:
    """Add the resident's reply to the question's thread and put the question before an agent."""
    db.session.add(build_mail_message(question, mail, limits, report, is_reply=True, now=now))
    escalation = question.escalation
    if escalation is None or not escalation.is_open:
        # An answered or closed question is open again: someone has to read the reply.
        question.status = QuestionStatus.OPEN.value
    question.updated_at = now
    question.events.append(
        QuestionEvent(
            at=now,
            kind=QuestionEventKind.EMAIL_REPLY.value,
            detail="De beller reageerde per e-mail; lees de reactie bij de vraag.",
        )
    )
    db.session.commit()


def build_mail_message(
    question: Question,
    mail: ParsedMail,
    limits: AttachmentLimits,
    report: PollReport,
    *,
    is_reply: bool,
    now: datetime,
) -> MailMessage:
    """The inbound e-mail as stored in the thread, with its attachments checked."""
    body = mail.body[:MAX_BODY_LENGTH]
    message = MailMessage(
        question_id=question.id,
        direction=MailDirection.INBOUND.value,
        message_id=mail.message_id,
        subject=mail.subject,
        sender_email=mail.sender_email[:254] or None,
        body=body,
        body_masked=mask_personal_data(body),
        is_reply=is_reply,
        at=now,
    )
    for verdict in check_attachments(mail.attachments, limits):
        if not verdict.is_accepted:
            report.refused_attachments += 1
        message.attachments.append(stored_attachment(verdict, now=now))
    return message


def stored_attachment(verdict: AttachmentVerdict, *, now: datetime) -> MailAttachment:
    """An attachment row: the bytes when accepted, the reason when refused."""
    return MailAttachment(
        filename=verdict.filename[:120],
        content_type=verdict.content_type,
        size=verdict.size,
        content=verdict.content,
        refused_reason=verdict.refused_reason,
        created_at=now,
    )


def get_stored_attachment(question_id: int, attachment_id: int) -> MailAttachment | None:
    """An accepted attachment of one of the question's e-mails, with its bytes."""
    attachment = db.session.execute(
        select(MailAttachment)
        .join(MailMessage)
        .where(MailAttachment.id == attachment_id, MailMessage.question_id == question_id)
    ).scalar_one_or_none()
    if attachment is None or not attachment.is_stored or attachment.content is None:
        return None
    return attachment
