"""Keeping a question's e-mails in one thread: the headers our answers carry, and their ids.

Mail programs thread by In-Reply-To and References (RFC 5322 section 3.6.4); Gmail also wants
the subject to stay the same, hence "Re: <the resident's subject>".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from kcc.extensions import db
from kcc.mailintake.models import MailDirection, MailMessage
from kcc.mailintake.parsing import subject_without_prefixes

# Long threads would make the References header huge; the first and latest ids suffice
# (RFC 5322 allows trimming, keeping the first one).
MAX_REFERENCES = 20


@dataclass(frozen=True)
class ThreadHeaders:
    """What an answer to a question's e-mail thread says it answers."""

    in_reply_to: str | None
    references: tuple[str, ...]


def thread_messages(question_id: int) -> list[MailMessage]:
    """The question's e-mails, inbound and outbound, oldest first."""
    return list(
        db.session.execute(
            select(MailMessage)
            .where(MailMessage.question_id == question_id)
            .order_by(MailMessage.at, MailMessage.id)
        ).scalars()
    )


def thread_headers(
    question_id: int, *, also: tuple[str, ...] = (), exclude: str | None = None
) -> ThreadHeaders:
    """Headers for an answer: the latest inbound e-mail answered, the whole thread referred to.

    `also` adds Message-IDs known elsewhere (earlier answers in the follow-up log); `exclude`
    leaves out the answer's own id when it is sent again.
    """
    messages = thread_messages(question_id)
    known = [message.message_id for message in messages] + list(also)
    references = tuple(dict.fromkeys(i for i in known if i and i != exclude))
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    inbound = [message.message_id for message in messages if message.is_inbound]
    in_reply_to = inbound[-1] if inbound else (references[-1] if references else None)
    return ThreadHeaders(in_reply_to=in_reply_to, references=references)


def reply_subject(question_id: int) -> str | None:
    """'Re: <subject of the resident's first e-mail>', or None when it did not come by e-mail."""
    first = db.session.execute(
        select(MailMessage.subject)
        .where(
            MailMessage.question_id == question_id,
            MailMessage.direction == MailDirection.INBOUND.value,
        )
        .order_by(MailMessage.at, MailMessage.id)
        .limit(1)
    ).scalar_one_or_none()
    if first is None:
        return None
    subject = subject_without_prefixes(first)
    return f"Re: {subject}" if subject else None


def record_outgoing(question_id: int, message_id: str, subject: str, *, now: datetime) -> None:
    """Remember an answer's Message-ID, so the resident's reply to it finds the question.

    Joins the caller's transaction; sending the same answer again records it once.
    """
    exists = db.session.execute(
        select(MailMessage.id).where(MailMessage.message_id == message_id)
    ).first()
    if exists:
        return
    db.session.add(
        MailMessage(
            question_id=question_id,
            direction=MailDirection.OUTBOUND.value,
            message_id=message_id,
            subject=subject[:250],
            at=now,
        )
    )
