"""CSV for exchange: cells a spreadsheet opens as text, never as a formula (OWASP CSV
injection), and the `id,text` files the command-line tools read."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from kcc.exceptions import ValidationFailed

# Excel, LibreOffice and Google Sheets start a formula on these, also after a tab or CR.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Prefix a cell that would start a formula with an apostrophe, which shows as text.

    Numbers such as "-5" or "+31 6 ..." get the apostrophe too; a reader sees the same
    characters, and no export can run a command on an analyst's computer.
    """
    return "'" + value if value.startswith(FORMULA_STARTS) else value


ID_TEXT_COLUMNS = ("id", "text")


def read_id_text_rows(source: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Yield (id, text) from an `id,text` CSV, one row at a time.

    Raises ValidationFailed (Dutch message) for a wrong header, a row without exactly two
    columns, bad encoding or broken CSV. Blank lines are skipped.
    """
    reader = csv.reader(source)
    try:
        header = next(reader, None)
        if header is None or normalise_header(header) != list(ID_TEXT_COLUMNS):
            raise ValidationFailed("De eerste regel moet de kolomnamen id,text bevatten.")
        for row in reader:
            if not row:
                continue  # a blank line carries no row
            if len(row) != len(ID_TEXT_COLUMNS):
                raise ValidationFailed(
                    f"Regel {reader.line_num} heeft {len(row)} kolommen; verwacht: id,text."
                )
            yield row[0], row[1]
    except UnicodeDecodeError as error:
        raise ValidationFailed("Het invoerbestand is geen UTF-8.") from error
    except csv.Error as error:
        raise ValidationFailed(f"Regel {reader.line_num} is geen geldige CSV: {error}.") from error


def normalise_header(header: list[str]) -> list[str]:
    """Column names without case, surrounding spaces or a byte-order mark."""
    return [name.strip().lstrip("\ufeff").strip().lower() for name in header]
