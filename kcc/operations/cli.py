"""`flask --app kcc backup` and `flask --app kcc restore`: thin wrappers around backup.py."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kcc.extensions import utcnow
from kcc.operations.backup import (
    BackupError,
    back_up_database,
    remove_old_backups,
    restore_database,
)


@click.command("backup")
@with_appcontext
@click.option(
    "--output",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default="backups",
    show_default=True,
    envvar="KCC_BACKUP_DIR",
    help="Map voor de backups (KCC_BACKUP_DIR).",
)
@click.option(
    "--keep-days",
    type=click.IntRange(min=1),
    default=None,
    help="Verwijder daarna backups in die map die ouder zijn dan dit aantal dagen.",
)
def backup_command(folder: Path, keep_days: int | None) -> None:
    """Back up the app's database into FOLDER/kcc-YYYYmmdd-HHMMSS.dump (or .sqlite)."""
    now = utcnow()
    try:
        path = back_up_database(current_app.config["SQLALCHEMY_DATABASE_URI"], folder, now=now)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    current_app.logger.info(
        "backup written", extra={"backup": path.name, "bytes": path.stat().st_size}
    )
    click.echo(f"Backup geschreven: {path} ({path.stat().st_size} bytes)")
    if keep_days is not None:
        for removed in remove_old_backups(folder, keep_days=keep_days, now=now):
            click.echo(f"Oude backup verwijderd: {removed}")


@click.command("restore")
@with_appcontext
@click.argument("backup", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def restore_command(backup: Path) -> None:
    """Restore BACKUP into the app's database (DATABASE_URL), which must be new and empty."""
    try:
        restore_database(backup, current_app.config["SQLALCHEMY_DATABASE_URI"])
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    current_app.logger.info("backup restored", extra={"backup": backup.name})
    click.echo(
        f"Hersteld uit {backup}. Start de app; `train --only-missing` maakt ontbrekende modellen."
    )
