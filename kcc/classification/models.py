"""The model registry: every trained version with its metrics and the checksum of its file."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kcc.extensions import UTCDateTime, db, utcnow
from kcc.reference.models import Crisis


class ModelKind(StrEnum):
    """What a model predicts: a crisis's topic, or the sentiment of any question."""

    TOPIC = "topic"
    SENTIMENT = "sentiment"


class Sentiment(StrEnum):
    """The sentiment labels, the same for every crisis."""

    NEGATIEF = "negatief"
    NEUTRAAL = "neutraal"
    POSITIEF = "positief"


class ModelVersion(db.Model):
    """One trained model file: kind, crisis (topic models), metrics, checksum, active or not."""

    __table_args__ = (Index("ix_model_version_kind_crisis", "kind", "crisis_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    crisis_id: Mapped[int | None] = mapped_column(ForeignKey("crisis.id"))
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    file_name: Mapped[str] = mapped_column(String(200), unique=True)
    # SHA-256 of the file as written: only files the app wrote itself are ever loaded.
    sha256: Mapped[str] = mapped_column(String(64))
    sklearn_version: Mapped[str] = mapped_column(String(20))
    training_size: Mapped[int]
    confirmed_labels: Mapped[int] = mapped_column(default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(default=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(300), default="")

    crisis: Mapped[Crisis | None] = relationship()

    @property
    def macro_f1(self) -> float | None:
        """Macro-F1 on the evaluation set, if it was measured."""
        value = self.metrics.get("macro_f1")
        return float(value) if value is not None else None

    def __repr__(self) -> str:
        return f"<ModelVersion {self.kind} crisis={self.crisis_id} v{self.version}>"
