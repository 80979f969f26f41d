"""E-mails that questions came in by or were answered with, and the attachments residents sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.extensions import UTCDateTime, db, utcnow
from kcc.intake.models import Question
from kcc.mailintake.attachments import format_size


class MailDirection(StrEnum):
    """Whether an e-mail came from the resident or went to them."""

    INBOUND = "in"
    OUTBOUND = "uit"


class MailMessage(db.Model):
    """One e-mail in a question's thread, found again by its Message-ID.

    Inbound: the resident's first e-mail (which became the question) and their later replies.
    Outbound: only the Message-ID of an answer we sent (the text lives in the follow-up log),
    so a reply to it is recognised as part of the same question.
    """

    __table_args__ = (Index("ix_mail_message_question_direction", "question_id", "direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    direction: Mapped[str] = mapped_column(String(10))
    # Unique: the same e-mail polled twice (or by two pollers at once) is stored once.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    subject: Mapped[str] = mapped_column(String(250), default="")
    # Personal data: removed with the contact details (retention) or on an erasure request.
    sender_email: Mapped[str | None] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text, default="")
    body_masked: Mapped[str] = mapped_column(Text, default="")
    # A resident's answer to our answer, attached to the question it belongs to.
    is_reply: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship()
    attachments: Mapped[list[MailAttachment]] = relationship(
        back_populates="mail_message", order_by="MailAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def is_inbound(self) -> bool:
        """Tell whether the resident sent this e-mail."""
        return self.direction == MailDirection.INBOUND


class MailAttachment(db.Model):
    """An attachment of an inbound e-mail: stored bytes, or the reason it was refused."""

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_message_id: Mapped[int] = mapped_column(ForeignKey("mail_message.id"), index=True)
    # Sanitised: no path, no control characters, the extension of the checked type.
    filename: Mapped[str] = mapped_column(String(120))
    # Derived from the bytes' signature, never copied from the sender's header.
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(default=0)
    # Deferred: lists of attachments never load the files themselves.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    refused_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mail_message: Mapped[MailMessage] = relationship(back_populates="attachments")

    @property
    def is_stored(self) -> bool:
        """Tell whether the file was accepted and kept."""
        return self.refused_reason is None and self.content_type is not None

    @property
    def size_label(self) -> str:
        """The size as people read it (80 kB)."""
        return format_size(self.size)
