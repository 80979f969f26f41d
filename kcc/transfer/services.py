"""Import runs from upload to result, remembered layouts, and the command line's import.

The screens go upload → mapping → preview → import; between the steps the file waits in the
instance folder under a random name (never in the session cookie) and is removed after the
import, or after a day when nobody finishes it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from kcc.auth.models import User
from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import db
from kcc.reference.models import Crisis
from kcc.transfer.importing import (
    CheckedFile,
    ImportCounts,
    RowProblem,
    check_file,
    commit_import,
    store_checked_file,
)
from kcc.transfer.mapping import (
    ColumnMapping,
    default_mapping,
    guess_mapping,
    layout_key,
    resolve_mapping,
)
from kcc.transfer.models import ImportLayout, ImportRun, ImportStatus
from kcc.transfer.reading import FileKind, Table, read_table, read_table_file

UPLOAD_FOLDER = "imports"
# An upload nobody takes to the end is removed after this long (it may hold personal data).
UPLOAD_LIFETIME = timedelta(days=1)
# The preview shows this many importable rows; problem rows are all listed (up to the cap).
PREVIEW_ROWS = 10
PREVIEW_PROBLEMS = 1_000


@dataclass(frozen=True)
class Preview:
    """What an import would do: counts, the first rows and the rows with problems."""

    checked: CheckedFile
    sample: list[RowProblem]

    @property
    def problems(self) -> list[RowProblem]:
        """The problem rows shown (at most PREVIEW_PROBLEMS)."""
        return self.checked.problems[:PREVIEW_PROBLEMS]


# Remembered layouts


def remembered_mapping(headers: list[str]) -> ColumnMapping | None:
    """The mapping last used for files with these column names, if any."""
    layout = db.session.execute(
        select(ImportLayout).where(ImportLayout.header_key == layout_key(headers))
    ).scalar_one_or_none()
    return dict(layout.mapping) if layout else None


def remember_mapping(headers: list[str], mapping: ColumnMapping, *, now: datetime) -> None:
    """Keep a mapping for the next file with the same column names (no commit)."""
    key = layout_key(headers)
    layout = db.session.execute(
        select(ImportLayout).where(ImportLayout.header_key == key)
    ).scalar_one_or_none()
    if layout is None:
        layout = ImportLayout(header_key=key, headers=list(headers))
        db.session.add(layout)
    layout.mapping = dict(mapping)
    layout.updated_at = now


# Stored uploads


def upload_folder() -> Path:
    """Where uploads wait between the steps (under the instance folder, never served)."""
    folder = Path(current_app.instance_path) / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def remove_upload(run: ImportRun) -> None:
    """Delete a run's stored file (it may hold personal data) and forget its name."""
    if run.stored_name:
        (upload_folder() / run.stored_name).unlink(missing_ok=True)
        run.stored_name = None


def remove_stale_uploads(*, now: datetime) -> int:
    """Remove uploads older than UPLOAD_LIFETIME that were never imported; count them."""
    stale = db.session.scalars(
        select(ImportRun).where(
            ImportRun.stored_name.is_not(None), ImportRun.created_at < now - UPLOAD_LIFETIME
        )
    ).all()
    for run in stale:
        remove_upload(run)
        if run.status != ImportStatus.IMPORTED:
            run.status = ImportStatus.EXPIRED.value
    return len(stale)


def stored_table(run: ImportRun) -> Table:
    """The table of a run's stored upload; a Dutch error when it is gone."""
    if not run.stored_name:
        raise ValidationFailed(
            "Het bestand van deze import is niet meer bewaard. Upload het opnieuw."
        )
    path = upload_folder() / run.stored_name
    if not path.exists():
        raise ValidationFailed(
            "Het bestand van deze import is niet meer bewaard. Upload het opnieuw."
        )
    return read_table_file(path)[1]


# The steps of the screens


def start_import(
    crisis_id: int, content: bytes, *, filename: str, user: User, now: datetime
) -> ImportRun:
    """Check and keep an upload, and propose a mapping (remembered, or guessed from names)."""
    crisis = db.session.get(Crisis, crisis_id)
    if crisis is None:
        raise ValidationFailed("Kies een crisis.", field="crisis_id")
    kind, table = read_table(content)
    if not table.rows:
        raise ValidationFailed("Het bestand heeft een kopregel maar geen rijen.", field="file")
    remove_stale_uploads(now=now)
    stored_name = f"{secrets.token_hex(16)}.{kind.value}"
    (upload_folder() / stored_name).write_bytes(content)
    run = ImportRun(
        crisis_id=crisis.id,
        filename=filename[:255],
        stored_name=stored_name,
        file_kind=kind.value,
        headers=table.headers,
        mapping=remembered_mapping(table.headers) or guess_mapping(table.headers),
        status=ImportStatus.UPLOADED.value,
        total_rows=len(table.rows),
        created_by_id=user.id,
        created_at=now,
    )
    db.session.add(run)
    db.session.commit()
    return run


def get_open_run(run_id: int, user: User) -> ImportRun:
    """A run of this user that is not imported yet; NotFound otherwise (also for others' runs)."""
    run = get_run(run_id, user)
    if run.status not in (ImportStatus.UPLOADED, ImportStatus.MAPPED):
        raise NotFound("Deze import is al afgerond of verlopen.")
    return run


def get_run(run_id: int, user: User) -> ImportRun:
    """A run this user started; NotFound for anyone else's (uploads may hold personal data)."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.created_by_id != user.id:
        raise NotFound("Deze import bestaat niet.")
    return run


def set_mapping(run: ImportRun, mapping: ColumnMapping, *, now: datetime) -> None:
    """Store the chosen mapping on the run and remember it for this layout."""
    chosen = {target: column for target, column in mapping.items() if column}
    resolve_mapping(run.headers, chosen)  # raises a Dutch error when it is incomplete
    run.mapping = chosen
    run.status = ImportStatus.MAPPED.value
    remember_mapping(run.headers, chosen, now=now)
    db.session.commit()


def preview_run(run: ImportRun, *, now: datetime) -> Preview:
    """Check every row of the run's file with its mapping; nothing is written."""
    table = stored_table(run)
    checked = check_file(table, resolve_mapping(run.headers, run.mapping), run.crisis, now=now)
    sample = [RowProblem(row.line, (), row.text) for row in checked.rows[:PREVIEW_ROWS]]
    return Preview(checked=checked, sample=sample)


def finish_import(
    run: ImportRun,
    *,
    skip_lines: set[int],
    all_or_nothing: bool,
    user: User,
    now: datetime,
) -> ImportCounts:
    """Import the run's file as previewed; one commit, then the upload is removed."""
    table = stored_table(run)
    checked = check_file(table, resolve_mapping(run.headers, run.mapping), run.crisis, now=now)
    counts = store_checked_file(
        checked,
        run.crisis,
        skip_lines=skip_lines,
        all_or_nothing=all_or_nothing,
        run_id=run.id,
        filename=run.filename,
        user=user,
        now=now,
    )
    record_counts(run, counts, now=now)
    commit_import()
    # Only now: if the commit had failed, the user could still try again with the same file.
    remove_upload(run)
    db.session.commit()
    return counts


def record_counts(run: ImportRun, counts: ImportCounts, *, now: datetime) -> None:
    """Write an import's counts on its run."""
    run.status = ImportStatus.IMPORTED.value
    run.total_rows = counts.total_rows
    run.imported = counts.imported
    run.already_imported = counts.already_imported
    run.skipped = counts.skipped
    run.finished_at = now


def recent_runs(user: User, *, limit: int = 20) -> list[ImportRun]:
    """The user's latest import runs, newest first."""
    return list(
        db.session.scalars(
            select(ImportRun)
            .where(ImportRun.created_by_id == user.id)
            .order_by(ImportRun.created_at.desc(), ImportRun.id.desc())
            .limit(limit)
        )
    )


# The command line (and the benchmark)


@dataclass(frozen=True)
class FileImport:
    """What `flask --app kcc import` did, and the rows it left out because of problems."""

    run: ImportRun
    counts: ImportCounts
    problems: list[RowProblem]


def read_mapping_file(path: Path) -> ColumnMapping:
    """A mapping file: a JSON object of target field -> column name."""
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationFailed(f"Het koppelingsbestand is geen leesbare JSON: {error}.") from error
    if not isinstance(mapping, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in mapping.items()
    ):
        raise ValidationFailed(
            'Het koppelingsbestand moet een JSON-object zijn, bijvoorbeeld {"text": "Vraag"}.'
        )
    return mapping


def import_file(
    path: Path,
    crisis_code: str,
    *,
    mapping: ColumnMapping | None = None,
    skip_problem_rows: bool = False,
    user: User | None = None,
    now: datetime,
) -> FileImport:
    """Import a CSV/XLSX file as the screens do: all-or-nothing unless problem rows are skipped."""
    crisis = db.session.execute(
        select(Crisis).where(Crisis.code == crisis_code)
    ).scalar_one_or_none()
    if crisis is None:
        raise NotFound(f"Crisis {crisis_code!r} bestaat niet.")
    try:
        kind, table = read_table_file(path)
    except OSError as error:
        raise ValidationFailed(f"Het bestand kan niet worden gelezen: {error.strerror}.") from error
    chosen = mapping if mapping is not None else default_mapping(table.headers)
    checked = check_file(table, resolve_mapping(table.headers, chosen), crisis, now=now)
    run = ImportRun(
        crisis_id=crisis.id,
        filename=path.name[:255],
        file_kind=FileKind(kind).value,
        headers=table.headers,
        mapping=dict(chosen),
        created_by_id=user.id if user else None,
        created_at=now,
    )
    db.session.add(run)
    db.session.flush()
    try:
        counts = store_checked_file(
            checked,
            crisis,
            skip_lines=checked.problem_lines if skip_problem_rows else (),
            all_or_nothing=not skip_problem_rows,
            run_id=run.id,
            filename=run.filename,
            user=user,
            now=now,
        )
    except ValidationFailed as error:
        db.session.rollback()
        # The command line lists every problem row, not only the few the message names.
        raise ValidationFailed(
            str(error), errors={"rows": [problem.describe() for problem in checked.problems]}
        ) from error
    record_counts(run, counts, now=now)
    commit_import()
    return FileImport(run=run, counts=counts, problems=checked.problems)
