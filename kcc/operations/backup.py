"""Backups of the kcc database and restores into a fresh one.

PostgreSQL: `pg_dump --format=custom` (compressed, restorable table by table) and
`pg_restore` in one transaction. SQLite: the online backup API, a consistent copy while the
app keeps writing. The password never goes on a command line (other users can read those
in `ps`): it goes in PGPASSWORD. Backups hold personal data, so their folder and files are
readable by the owner only. Model files are not in a backup; `train --only-missing`
(part of `make serve-prod`) retrains the ones a restored database misses.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from kcc.exceptions import KccError

BACKUP_PREFIX = "kcc-"
TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"
POSTGRES_SUFFIX = ".dump"
SQLITE_SUFFIX = ".sqlite"


class BackupError(KccError):
    """A backup or restore could not be made; the message says why, in Dutch."""


@dataclass(frozen=True)
class LibpqTarget:
    """A PostgreSQL database as pg_dump and pg_restore take it: URL without password."""

    url: str
    password: str | None

    def environment(self) -> dict[str, str]:
        """The process environment for a client tool, with the password if there is one."""
        environment = dict(os.environ)
        if self.password:
            environment["PGPASSWORD"] = self.password
        return environment


def is_postgres(url: str) -> bool:
    """Tell whether a SQLAlchemy URL names a PostgreSQL database."""
    return make_url(url).get_backend_name() == "postgresql"


def libpq_target(url: str) -> LibpqTarget:
    """Turn a SQLAlchemy URL (postgresql+psycopg://...) into what libpq tools accept."""
    parsed = make_url(url)
    # URL.set() ignores None, so the password is dropped by building the URL anew.
    without_password = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return LibpqTarget(
        url=without_password.render_as_string(hide_password=False), password=parsed.password
    )


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; an in-memory database has none to back up."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Een SQLite-database in het geheugen heeft geen bestand om te bewaren.")
    return Path(database)


def backup_path(folder: Path, suffix: str, now: datetime) -> Path:
    """backups/kcc-YYYYmmdd-HHMMSS.<suffix>, the time in UTC."""
    return folder / f"{BACKUP_PREFIX}{now.astimezone(UTC).strftime(TIMESTAMP_FORMAT)}{suffix}"


def client_tool(name: str) -> str:
    """The path of pg_dump or pg_restore, or a Dutch explanation of what to install."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} ontbreekt; installeer de PostgreSQL-clienttools (postgresql-client)."
        )
    return found


def run_client_tool(arguments: list[str], target: LibpqTarget) -> None:
    """Run pg_dump or pg_restore; a failure raises with the tool's own message."""
    result = subprocess.run(  # noqa: S603  (fixed tool, arguments built here)
        arguments, env=target.environment(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tool = Path(arguments[0]).name
        raise BackupError(f"{tool} mislukte: {result.stderr.strip()}")


def prepare_folder(folder: Path) -> None:
    """Create the backup folder, readable by its owner only."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)


def back_up_database(url: str, folder: Path, *, now: datetime) -> Path:
    """Write a backup of the database at url into folder and return its path."""
    prepare_folder(folder)
    if is_postgres(url):
        target = backup_path(folder, POSTGRES_SUFFIX, now)
        refuse_existing(target)
        back_up_postgres(url, target)
    else:
        target = backup_path(folder, SQLITE_SUFFIX, now)
        refuse_existing(target)
        back_up_sqlite(sqlite_path(url), target)
    target.chmod(0o600)
    return target


def refuse_existing(target: Path) -> None:
    """Never overwrite a backup (two in the same second)."""
    if target.exists():
        raise BackupError(f"{target} bestaat al; probeer het over een seconde opnieuw.")


def back_up_postgres(url: str, target: Path) -> None:
    """pg_dump in the custom format, without owners and grants (a restore sets its own)."""
    libpq = libpq_target(url)
    # Created empty first with owner-only rights, so the dump is never readable by others.
    target.touch(mode=0o600)
    try:
        run_client_tool(
            [
                client_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
                f"--dbname={libpq.url}",
            ],
            libpq,
        )
    except BackupError:
        target.unlink(missing_ok=True)
        raise


def back_up_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database consistently with the online backup API."""
    if not source.is_file():
        raise BackupError(f"Database {source} bestaat niet.")
    target.touch(mode=0o600)
    copy_sqlite(source, target)


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy one SQLite database into another, page by page, while others may write."""
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reading:
        with closing(sqlite3.connect(target)) as writing:
            reading.backup(writing)


def restore_database(backup: Path, url: str) -> None:
    """Restore a backup into the (empty) database at url; refuse one that holds tables."""
    if not backup.is_file():
        raise BackupError(f"Backup {backup} bestaat niet.")
    refuse_non_empty(url)
    if is_postgres(url):
        restore_postgres(backup, url)
    else:
        restore_sqlite(backup, sqlite_path(url))


def refuse_non_empty(url: str) -> None:
    """A restore goes into a fresh database only, so it can never overwrite live data."""
    engine = create_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        shown = render_safely(make_url(url))
        raise BackupError(
            f"Database {shown} is niet leeg ({len(tables)} tabellen); herstel alleen in een "
            "nieuwe, lege database."
        )


def render_safely(url: URL) -> str:
    """A database URL for messages: the password masked."""
    return url.render_as_string(hide_password=True)


def restore_postgres(backup: Path, url: str) -> None:
    """pg_restore all or nothing; objects belong to the user that restores."""
    libpq = libpq_target(url)
    run_client_tool(
        [
            client_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={libpq.url}",
            str(backup),
        ],
        libpq,
    )


def restore_sqlite(backup: Path, target: Path) -> None:
    """Copy a SQLite backup into the target file with the backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    copy_sqlite(backup, target)


def remove_old_backups(folder: Path, *, keep_days: int, now: datetime) -> list[Path]:
    """Delete kcc backups in folder whose name says they are older than keep_days."""
    limit = now.astimezone(UTC) - timedelta(days=keep_days)
    removed = []
    for path in sorted(folder.glob(f"{BACKUP_PREFIX}*")):
        made = backup_time(path)
        if made is not None and made < limit:
            path.unlink()
            removed.append(path)
    return removed


def backup_time(path: Path) -> datetime | None:
    """When a backup was made, read from its name; None for files that are no kcc backup."""
    if path.suffix not in {POSTGRES_SUFFIX, SQLITE_SUFFIX}:
        return None
    try:
        made = datetime.strptime(path.stem.removeprefix(BACKUP_PREFIX), TIMESTAMP_FORMAT)
    except ValueError:
        return None
    return made.replace(tzinfo=UTC)
