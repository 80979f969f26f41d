"""Readiness: can this process serve questions (database reachable, active models loadable)?

Liveness (/healthz) needs no function here: a process that answers is alive. Readiness
checks what a request needs besides the process, so a load balancer sends no traffic to a
worker whose database is gone or whose model files are missing or tampered with. Reasons are
Dutch with the English in brackets (operators and platforms read them) and never carry
connection details or error texts, which may name hosts and users.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from kcc.classification.models import ModelKind, ModelVersion
from kcc.classification.services import load_classifier
from kcc.extensions import db
from kcc.nlp.store import ModelStoreError

OK = "ok"


@dataclass(frozen=True)
class Readiness:
    """The outcome of each readiness check: "ok" or the reason it failed."""

    checks: dict[str, str]

    @property
    def is_ready(self) -> bool:
        """Every check passed."""
        return all(outcome == OK for outcome in self.checks.values())


def check_database() -> str:
    """Run SELECT 1 on the app's database."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning(
            "readiness: database unreachable", extra={"error": type(error).__name__}
        )
        return "Database niet bereikbaar (database unreachable)"
    return OK


def check_models() -> str:
    """Load every active model version (checksum verified); a sentiment model must be one."""
    try:
        versions = list(db.session.scalars(select(ModelVersion).where(ModelVersion.is_active)))
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning(
            "readiness: model registry unreadable", extra={"error": type(error).__name__}
        )
        return "Modelregister niet leesbaar, migraties toegepast? (model registry unreadable)"
    if not any(version.kind == ModelKind.SENTIMENT.value for version in versions):
        return "Geen actief sentimentmodel (no active sentiment model)"
    for version in versions:
        try:
            load_classifier(version)
        except ModelStoreError as error:
            current_app.logger.warning(
                "readiness: model cannot be loaded",
                extra={"model_version_id": version.id, "error": type(error).__name__},
            )
            return (
                f"Model {version.file_name} kan niet worden geladen (active model cannot be loaded)"
            )
    return OK


def check_readiness() -> Readiness:
    """Check the database, then (only when it answers) the models."""
    database = check_database()
    models = check_models() if database == OK else "Niet gecontroleerd (not checked)"
    return Readiness(checks={"database": database, "models": models})
