"""CSV cells that a spreadsheet opens as text, never as a formula (OWASP CSV injection)."""

from __future__ import annotations

# Excel, LibreOffice and Google Sheets start a formula on these, also after a tab or CR.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Prefix a cell that would start a formula with an apostrophe, which shows as text.

    Numbers such as "-5" or "+31 6 ..." get the apostrophe too; a reader sees the same
    characters, and no export can run a command on an analyst's computer.
    """
    return "'" + value if value.startswith(FORMULA_STARTS) else value
