"""Notices: short news and work instructions for agents, and who has read them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.auth.models import User
from kcc.extensions import UTCDateTime, db, utcnow
from kcc.reference.models import Crisis, Municipality


class Notice(db.Model):
    """A message to agents with a publication window and an audience; important ones must be
    acknowledged. An empty audience field means everyone (all crises, municipalities, roles)."""

    __table_args__ = (Index("ix_notice_window", "visible_from", "visible_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    is_important: Mapped[bool] = mapped_column(default=False, server_default=false())
    visible_from: Mapped[datetime] = mapped_column(UTCDateTime)
    visible_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    crisis_id: Mapped[int | None] = mapped_column(ForeignKey("crisis.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    role: Mapped[str | None] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    crisis: Mapped[Crisis | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class NoticeRead(db.Model):
    """That a user has seen (and, for an important notice, acknowledged) a notice, and when."""

    __table_args__ = (UniqueConstraint("notice_id", "user_id", name="uq_notice_read"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
