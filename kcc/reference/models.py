"""Reference data the rest of kcc points at."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.extensions import UTCDateTime, db, utcnow


class Municipality(db.Model):
    """A gemeente, identified by its CBS code (e.g. GM0406)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    cbs_code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Municipality {self.cbs_code} {self.name}>"


class Department(db.Model):
    """An afdeling where specialists answer escalated questions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    is_active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


class Crisis(db.Model):
    """A crisis (dossier) such as corona or oekraine; questions are registered under one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    start_date: Mapped[date]
    # Service level for escalations: answered within this many working hours (two days).
    response_hours: Mapped[float] = mapped_column(default=17.0, server_default="17")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    topics: Mapped[list[Topic]] = relationship(
        back_populates="crisis", order_by="Topic.name", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Crisis {self.code}>"


class Topic(db.Model):
    """An onderwerp within a crisis, the label the classifier predicts."""

    __table_args__ = (UniqueConstraint("crisis_id", "code", name="uq_topic_crisis_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    default_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    # A topic may need a faster (or slower) answer than its crisis; empty means the crisis's.
    response_hours: Mapped[float | None]
    is_active: Mapped[bool] = mapped_column(default=True)

    crisis: Mapped[Crisis] = relationship(back_populates="topics")
    default_department: Mapped[Department | None] = relationship()

    def __repr__(self) -> str:
        return f"<Topic {self.code}>"
