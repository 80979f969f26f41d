"""What an import remembers: column mappings per file layout, and each import run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.auth.models import User
from kcc.extensions import UTCDateTime, db, utcnow
from kcc.reference.models import Crisis


class ImportStatus(StrEnum):
    """Where an import run stands."""

    UPLOADED = "geüpload"
    MAPPED = "gekoppeld"
    IMPORTED = "geïmporteerd"
    EXPIRED = "verlopen"


class ImportLayout(db.Model):
    """The column mapping last used for files with these column names (a 'layout').

    The next upload with the same header pre-fills the mapping, so a municipality that sends
    the same Excel sheet every week maps its columns once.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the normalised column names, in order.
    header_key: Mapped[str] = mapped_column(String(64), unique=True)
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Target field -> column name, e.g. {"text": "Vraag", "received_at": "Datum"}.
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportRun(db.Model):
    """One uploaded file on its way through mapping, preview and import, and its counts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crisis.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    # The upload's random name in the instance folder; None once the file is removed.
    stored_name: Mapped[str | None] = mapped_column(String(80))
    file_kind: Mapped[str] = mapped_column(String(10))
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.UPLOADED.value)
    total_rows: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    already_imported: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    crisis: Mapped[Crisis] = relationship()
    created_by: Mapped[User | None] = relationship()
