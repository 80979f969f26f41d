"""Exporting questions to CSV and XLSX, filtered, in chunks, safe to open in a spreadsheet.

The first columns are exactly the import's default layout (kcc/transfer/mapping.py), so an
export imports again as it is. Roles without VIEW_PERSONAL_DATA get the masked texts and no
contact columns (AVG data minimisation); every export is audit-logged with its filter.
Rows are read with a core select in batches (`yield_per`), never as ORM objects, so a million
questions stream without filling memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

from sqlalchemy import Select, select

from kcc.extensions import db
from kcc.governance.audit import record_and_commit
from kcc.governance.models import AuditAction
from kcc.insight.queries import local_midnight
from kcc.intake.models import ContactDetails, Question
from kcc.localtime import to_local
from kcc.privacy.spreadsheet import spreadsheet_safe
from kcc.reference.models import Crisis, Municipality, Topic
from kcc.transfer.mapping import DEFAULT_COLUMNS, OPTIONAL_DEFAULT_COLUMNS

EXTRA_COLUMNS = ("reference", "crisis", "status")
PERSONAL_COLUMNS = ("contact_name", "contact_phone", "contact_email")
ROWS_PER_CHUNK = 2_000


@dataclass(frozen=True)
class ExportFilter:
    """Which questions to export; None means no restriction. Days are Dutch days, inclusive."""

    crisis_id: int | None = None
    municipality_id: int | None = None
    start: date | None = None
    end: date | None = None
    channel: str | None = None
    topic_id: int | None = None

    def describe(self) -> str:
        """The filter in words, for the audit log."""
        parts = [
            f"{name}={value}"
            for name, value in vars(self).items()
            if value is not None and value != ""
        ]
        return ", ".join(parts) or "alle vragen"


def export_columns(*, with_personal_data: bool) -> tuple[str, ...]:
    """The header: the import's layout, then extra columns, then contact details if allowed."""
    columns = DEFAULT_COLUMNS + OPTIONAL_DEFAULT_COLUMNS + EXTRA_COLUMNS
    return columns + PERSONAL_COLUMNS if with_personal_data else columns


def export_query(criteria: ExportFilter, *, with_personal_data: bool) -> Select[Any]:
    """One core select for the rows, oldest first; masked texts unless personal data is allowed."""
    text = Question.text if with_personal_data else Question.text_masked
    answer = Question.answer if with_personal_data else Question.answer_masked
    columns: list[Any] = [
        Question.received_at,
        Municipality.cbs_code,
        Question.channel,
        Question.caller_type,
        text,
        answer,
        Topic.code,
        Question.sentiment,
        Question.reference,
        Crisis.code,
        Question.status,
    ]
    if with_personal_data:
        columns += [ContactDetails.name, ContactDetails.phone, ContactDetails.email]
    query = (
        select(*columns)
        .join(Municipality, Municipality.id == Question.municipality_id)
        .join(Crisis, Crisis.id == Question.crisis_id)
        .outerjoin(Topic, Topic.id == Question.topic_id)
    )
    if with_personal_data:
        query = query.outerjoin(ContactDetails, ContactDetails.question_id == Question.id)
    if criteria.crisis_id is not None:
        query = query.where(Question.crisis_id == criteria.crisis_id)
    if criteria.municipality_id is not None:
        query = query.where(Question.municipality_id == criteria.municipality_id)
    if criteria.channel:
        query = query.where(Question.channel == criteria.channel)
    if criteria.topic_id is not None:
        query = query.where(Question.topic_id == criteria.topic_id)
    if criteria.start is not None:
        query = query.where(Question.received_at >= local_midnight(criteria.start))
    if criteria.end is not None:
        query = query.where(Question.received_at < local_midnight(criteria.end + timedelta(days=1)))
    return query.order_by(Question.received_at, Question.id)


def format_moment(moment: datetime) -> str:
    """Dutch local time with its offset, which the import reads back exactly."""
    return to_local(moment).isoformat(sep=" ", timespec="seconds")


def export_rows(criteria: ExportFilter, *, with_personal_data: bool) -> Iterator[list[str]]:
    """Every exported row as spreadsheet-safe text, read from the database in batches."""
    query = export_query(criteria, with_personal_data=with_personal_data)
    result = db.session.execute(query.execution_options(yield_per=ROWS_PER_CHUNK))
    for row in result:
        received_at, *rest = row
        yield [format_moment(received_at), *(spreadsheet_safe(value or "") for value in rest)]


def record_export(criteria: ExportFilter, file_kind: str, *, with_personal_data: bool) -> None:
    """Audit-log an export, with its filter and whether it held personal data (one commit)."""
    personal = "met persoonsgegevens" if with_personal_data else "gemaskeerd"
    record_and_commit(
        AuditAction.QUESTIONS_EXPORTED,
        object_type="question",
        detail=f"{file_kind.upper()}-export, {personal}: {criteria.describe()}",
    )


def csv_chunks(criteria: ExportFilter, *, with_personal_data: bool) -> Iterator[str]:
    """The CSV (UTF-8 with byte-order mark, for Excel) in pieces of ROWS_PER_CHUNK rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(export_columns(with_personal_data=with_personal_data))
    for count, row in enumerate(
        export_rows(criteria, with_personal_data=with_personal_data), start=1
    ):
        writer.writerow(row)
        if count % ROWS_PER_CHUNK == 0:
            yield take(buffer)
    yield take(buffer)


def take(buffer: io.StringIO) -> str:
    """The buffer's text, leaving it empty."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def xlsx_cell(value: str) -> str:
    """A cell openpyxl accepts: without the control characters XML forbids."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def write_xlsx(criteria: ExportFilter, target: IO[bytes], *, with_personal_data: bool) -> None:
    """Write the workbook to a file: one sheet, text cells only (nothing is a formula)."""
    from openpyxl import Workbook

    # Write-only mode streams rows to disk instead of holding a cell object per value.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Vragen")
    sheet.append(list(export_columns(with_personal_data=with_personal_data)))
    for row in export_rows(criteria, with_personal_data=with_personal_data):
        sheet.append([xlsx_cell(value) for value in row])
    workbook.save(target)


def file_name(crisis_code: str | None, today: date, kind: str) -> str:
    """vragen-<crisis>-<date>.<kind>, for the download."""
    return f"vragen-{crisis_code or 'alle'}-{today.isoformat()}.{kind}"
