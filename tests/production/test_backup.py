"""`make backup` and the documented restore: data and schema version survive the round trip."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text

from kcc.extensions import db
from kcc.intake.models import Question
from kcc.intake.services import QuestionInput, register_question
from kcc.operations.backup import (
    BackupError,
    back_up_database,
    libpq_target,
    remove_old_backups,
    restore_database,
)
from kcc.reference.models import Crisis, Municipality

PROJECT_ROOT = Path(__file__).resolve().parents[2]
QUESTION_TEXT = "Waar kan ik mijn zandzakken ophalen bij hoogwater?"


def register_a_question(app: Flask) -> None:
    """One question, so the backup holds data a user entered."""
    with app.app_context():
        crisis = db.session.scalars(select(Crisis).where(Crisis.code == "corona")).one()
        municipality = db.session.scalars(select(Municipality)).first()
        register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=municipality.id,
                crisis_id=crisis.id,
                text=QUESTION_TEXT,
            ),
            user_id=None,
        )


def contents(url: str) -> tuple[list[str], str]:
    """The question texts and the Alembic revision stored in a database."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            texts = connection.execute(text("SELECT text FROM question ORDER BY id")).scalars()
            revision = connection.execute(text("SELECT version_num FROM alembic_version"))
            return list(texts), revision.scalar_one()
    finally:
        engine.dispose()


def script_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment the backup and restore scripts run with in these tests."""
    return {
        **os.environ,
        "KCC_ENV": "testing",
        "DATABASE_URL": database_url,
        "KCC_INSTANCE_PATH": extra.pop("KCC_INSTANCE_PATH"),
        **extra,
    }


def test_a_backup_restores_into_a_fresh_database_with_data_and_schema_version(
    app: Flask, demo: None, database_url: str, fresh_database_url: str, tmp_path: Path
) -> None:
    register_a_question(app)
    folder = tmp_path / "backups"

    made = subprocess.run(
        [PROJECT_ROOT / "scripts" / "backup.sh"],
        env=script_environment(
            database_url, KCC_INSTANCE_PATH=str(tmp_path), KCC_BACKUP_DIR=str(folder)
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    (backup,) = folder.iterdir()
    restored = subprocess.run(
        [PROJECT_ROOT / "scripts" / "restore.sh", backup],
        env=script_environment(fresh_database_url, KCC_INSTANCE_PATH=str(tmp_path)),
        capture_output=True,
        text=True,
        check=False,
    )

    assert restored.returncode == 0, restored.stderr
    assert backup.name.startswith("kcc-") and backup.suffix in {".dump", ".sqlite"}
    assert backup.stat().st_mode & 0o077 == 0 and folder.stat().st_mode & 0o077 == 0
    texts, revision = contents(fresh_database_url)
    assert texts == [QUESTION_TEXT]
    assert (texts, revision) == contents(database_url)


def test_a_restore_refuses_a_database_that_holds_tables(
    app: Flask, demo: None, database_url: str, tmp_path: Path
) -> None:
    register_a_question(app)
    backup = back_up_database(database_url, tmp_path, now=datetime.now(UTC))

    with pytest.raises(BackupError, match="niet leeg"):
        restore_database(backup, database_url)

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Question)) == 1


def test_old_backups_are_removed_by_the_time_in_their_name(tmp_path: Path) -> None:
    for name in (
        "kcc-20260101-020000.dump",
        "kcc-20260124-020000.sqlite",
        "kcc-20260131-020000.dump",
        "kcc-notes.txt",
    ):
        (tmp_path / name).touch()

    removed = remove_old_backups(tmp_path, keep_days=7, now=datetime(2026, 2, 1, 2, 0, tzinfo=UTC))

    assert [path.name for path in removed] == [
        "kcc-20260101-020000.dump",
        "kcc-20260124-020000.sqlite",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "kcc-20260131-020000.dump",
        "kcc-notes.txt",
    ]


def test_the_password_goes_to_the_client_tools_by_environment_not_command_line() -> None:
    target = libpq_target("postgresql+psycopg://kcc:s3cr%40t@db.example:5432/kcc?sslmode=require")

    assert target.url == "postgresql://kcc@db.example:5432/kcc?sslmode=require"
    assert target.environment()["PGPASSWORD"] == "s3cr@t"
