"""Reading an uploaded table: CSV or XLSX, recognised by its content, as header + text rows.

Plain Python (no Flask): the web screens, the command line and the benchmark read files the
same way. Every cell comes out as a string (XLSX dates as ISO text), so the rules that check a
row never care which kind of file it came from.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path

from kcc.exceptions import ValidationFailed

# 100,000 rows of a few hundred characters are ~40 MB as CSV; the cap leaves room for longer
# answers and stops a runaway file before it holds a worker for minutes.
MAX_ROWS = 200_000
DELIMITERS = (";", ",", "\t")
# A ZIP file (XLSX is one) starts with these bytes; the old binary .xls with the OLE2 ones.
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileKind(StrEnum):
    """The kinds of table kcc reads."""

    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Table:
    """A file's column names and its rows (each with its line number, 1 = the header)."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


def detect_kind(content: bytes) -> FileKind:
    """CSV or XLSX by what the bytes are, not by the file name; a Dutch error otherwise."""
    if content.startswith(ZIP_MAGIC):
        return FileKind.XLSX
    if content.startswith(OLE2_MAGIC):
        raise ValidationFailed(
            "Dit is een oud Excel-bestand (.xls). Sla het op als Excel-werkmap (.xlsx) of als "
            "CSV en probeer het opnieuw.",
            field="file",
        )
    if not content.strip():
        raise ValidationFailed("Het bestand is leeg.", field="file")
    if b"\x00" in content[:4096]:
        raise ValidationFailed(
            "Dit is geen CSV- of Excel-bestand (.xlsx). Kies een ander bestand.", field="file"
        )
    return FileKind.CSV


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without Excel's byte-order mark), else Windows-1252, which Dutch Excel
    writes for 'CSV (gescheiden door lijstscheidingsteken)'."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            "De tekens in het bestand zijn niet te lezen. Sla het op als CSV (UTF-8).",
            field="file",
        ) from error


def sniff_delimiter(header_line: str) -> str:
    """The separator of the header line: the most frequent of ; , and tab (, on a tie)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: (counts[delimiter], delimiter == ","))
    return best if counts[best] else ","


def read_csv(content: bytes) -> Table:
    """Header and non-blank rows of a CSV file, separator sniffed from the header line."""
    text = decode_text(content)
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(header_line))
    try:
        headers = next(reader, [])
        rows = []
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
                check_row_count(len(rows))
    except csv.Error as error:
        raise ValidationFailed(
            f"Regel {reader.line_num} is geen geldige CSV ({error}). Controleer de "
            "aanhalingstekens in het bestand.",
            field="file",
        ) from error
    return Table(headers=[cell.strip() for cell in headers], rows=rows)


def check_row_count(count: int) -> None:
    """Refuse a file with more than MAX_ROWS rows while reading it."""
    if count > MAX_ROWS:
        limit = f"{MAX_ROWS:,}".replace(",", ".")
        raise ValidationFailed(
            f"Het bestand heeft meer dan {limit} rijen. Splits het op in kleinere bestanden.",
            field="file",
        )


def cell_text(value: object) -> str:
    """An XLSX cell as text: dates in ISO form, whole numbers without '.0', empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(content: bytes) -> Table:
    """Header and non-blank rows of an XLSX workbook's first sheet."""
    from openpyxl import load_workbook  # only imported when a workbook arrives

    try:
        # openpyxl warns about styles and extensions it ignores; they do not matter here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                rows_iter: Iterator[tuple[object, ...]] = workbook.worksheets[0].iter_rows(
                    values_only=True
                )
                headers = [cell_text(value).strip() for value in next(rows_iter, ())]
                rows = []
                for line_number, values in enumerate(rows_iter, start=2):
                    row = [cell_text(value) for value in values]
                    if any(cell.strip() for cell in row):
                        rows.append((line_number, row))
                        check_row_count(len(rows))
            finally:
                workbook.close()
    except ValidationFailed:
        raise
    except Exception as error:  # a damaged or disguised ZIP: openpyxl raises many kinds
        raise ValidationFailed(
            "Het Excel-bestand kan niet worden gelezen. Sla het opnieuw op als .xlsx of als CSV.",
            field="file",
        ) from error
    while headers and not headers[-1]:
        headers.pop()
    return Table(headers=headers, rows=rows)


def read_table(content: bytes) -> tuple[FileKind, Table]:
    """Recognise and read a file; a Dutch error when it has no header."""
    kind = detect_kind(content)
    table = read_xlsx(content) if kind is FileKind.XLSX else read_csv(content)
    if not any(table.headers):
        raise ValidationFailed(
            "De eerste regel van het bestand moet de kolomnamen bevatten.", field="file"
        )
    return kind, table


def read_table_file(path: Path) -> tuple[FileKind, Table]:
    """Read a file from disk (the command line and stored uploads)."""
    return read_table(path.read_bytes())
