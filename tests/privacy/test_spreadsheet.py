"""CSV exports open as text in a spreadsheet, never as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from kcc.privacy.masking import scrub_csv
from kcc.privacy.spreadsheet import spreadsheet_safe


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x","klik")', '\'=HYPERLINK("http://x","klik")'),
        ("+31 6 12345678", "'+31 6 12345678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Waar is de opvang?", "Waar is de opvang?"),
        ("", ""),
    ],
)
def test_cells_that_would_start_a_formula_are_quoted(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


def test_scrub_writes_no_formulas() -> None:
    source = io.StringIO('id,text\n=1+1,"=cmd|\' /C calc\'!A0 belt over leefgeld"\n')
    target = io.StringIO()

    scrub_csv(source, target)

    rows = list(csv.reader(io.StringIO(target.getvalue())))
    assert rows[1][0] == "'=1+1"
    assert rows[1][1].startswith("'=cmd")
