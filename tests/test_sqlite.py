"""SQLite as the embedded default: checkpoints run in the background, not in a user's commit."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from kcc.extensions import db
from tests.conftest import make_test_app


def rows_in_database_file_alone(path: Path, copy: Path) -> int:
    """Departments in the main file without its WAL: what a checkpoint has written back."""
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as connection:
        return connection.execute("SELECT count(*) FROM department").fetchone()[0]


@pytest.mark.parametrize(("background", "expected"), [(True, 100), (False, 0)])
def test_background_checkpoints_write_the_wal_back_without_a_commit_doing_it(
    tmp_path: Path, background: bool, expected: int
) -> None:
    path = tmp_path / "kcc.sqlite"
    app = make_test_app(f"sqlite:///{path}", tmp_path, SQLITE_BACKGROUND_CHECKPOINT=background)
    with app.app_context():
        upgrade()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))  # the schema, in both cases
        for number in range(100):  # a few hundred pages: below SQLite's own 1,000-page trigger
            db.session.execute(
                text("INSERT INTO department (name, is_active) VALUES (:name, 1)"),
                {"name": f"Afdeling {number}"},
            )
            db.session.commit()
        time.sleep(2.5)  # two rounds of the checkpoint thread, if there is one

        found = rows_in_database_file_alone(path, tmp_path / "copy.sqlite")

        db.session.remove()
        db.engine.dispose()
    assert found == expected
