"""Which column of a file holds which field of a question (plain Python, no Flask).

The default layout is the one the CSV export writes, so an export imports as is. Other files
(an old Excel registration) are mapped by a person once; the mapping is remembered per layout:
the file's column names, normalised, in order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kcc.exceptions import ValidationFailed

# The export writes these first, in this order; the import reads them without a mapping.
DEFAULT_COLUMNS = ("received_at", "municipality", "channel", "caller_type", "text", "answer")
OPTIONAL_DEFAULT_COLUMNS = ("topic", "sentiment")
TARGETS = DEFAULT_COLUMNS + OPTIONAL_DEFAULT_COLUMNS
REQUIRED_TARGETS = ("received_at", "municipality", "channel", "caller_type", "text")
TARGET_LABELS = {
    "received_at": "Datum en tijd van binnenkomst",
    "municipality": "Gemeente",
    "channel": "Kanaal",
    "caller_type": "Type beller",
    "text": "Vraag",
    "answer": "Antwoord",
    "topic": "Onderwerp",
    "sentiment": "Sentiment",
}
# Column names people use in their own sheets, compared normalised.
ALIASES = {
    "received_at": {"datum", "datum/tijd", "datum en tijd", "ontvangen", "tijdstip", "date"},
    "municipality": {"gemeente", "gemeentecode", "cbs-code", "cbs code"},
    "channel": {"kanaal"},
    "caller_type": {"type beller", "beller", "soort beller", "type"},
    "text": {"vraag", "tekst", "omschrijving", "question"},
    "answer": {"antwoord", "reactie"},
    "topic": {"onderwerp"},
    "sentiment": {"stemming"},
}

ColumnMapping = dict[str, str]


@dataclass(frozen=True)
class ResolvedMapping:
    """For each mapped target, the position of its column in a row."""

    positions: dict[str, int]

    def value(self, row: Sequence[str], target: str) -> str:
        """The row's cell for a target ('' when unmapped or the row is short)."""
        position = self.positions.get(target)
        if position is None or position >= len(row):
            return ""
        return row[position]


def normalise_column_name(name: str) -> str:
    """A column name compared without case, surrounding spaces, quotes or underscores."""
    return " ".join(name.strip().strip('"').replace("_", " ").lower().split())


def layout_key(headers: Sequence[str]) -> str:
    """The key of a file layout: sha256 of its normalised column names, in order."""
    joined = "\x1f".join(normalise_column_name(name) for name in headers)
    return hashlib.sha256(joined.encode()).hexdigest()


def guess_mapping(headers: Sequence[str]) -> ColumnMapping:
    """Map columns named like a target (or a Dutch alias) to that target."""
    mapping: ColumnMapping = {}
    for name in headers:
        normalised = normalise_column_name(name)
        for target in TARGETS:
            names = {normalise_column_name(target)} | ALIASES[target]
            if target not in mapping and normalised in names:
                mapping[target] = name
                break
    return mapping


def is_default_layout(headers: Sequence[str]) -> bool:
    """Tell whether a file starts with the export's columns, in order."""
    names = [normalise_column_name(name) for name in headers[: len(DEFAULT_COLUMNS)]]
    return names == [normalise_column_name(target) for target in DEFAULT_COLUMNS]


def default_mapping(headers: Sequence[str]) -> ColumnMapping:
    """The command line's mapping without --mapping: the export's layout, or a Dutch error."""
    if not is_default_layout(headers):
        found = ",".join(headers) or "geen"
        raise ValidationFailed(
            "Het bestand heeft niet de standaardkolommen "
            f"{','.join(DEFAULT_COLUMNS)} (optioneel {','.join(OPTIONAL_DEFAULT_COLUMNS)}). "
            f"Gevonden: {found}. Geef met --mapping een koppeling op.",
            field="file",
        )
    present = {normalise_column_name(name): name for name in headers}
    return {
        target: present[normalise_column_name(target)]
        for target in TARGETS
        if normalise_column_name(target) in present
    }


def resolve_mapping(headers: Sequence[str], mapping: Mapping[str, str]) -> ResolvedMapping:
    """Positions for a target -> column-name mapping; a Dutch error listing what is wrong."""
    positions_by_name: dict[str, int] = {}
    for position, name in enumerate(headers):
        positions_by_name.setdefault(normalise_column_name(name), position)
    problems = []
    positions: dict[str, int] = {}
    for target, column in mapping.items():
        if target not in TARGETS:
            problems.append(f"onbekend veld {target!r} (kies uit {', '.join(TARGETS)})")
            continue
        if not column:
            continue
        position = positions_by_name.get(normalise_column_name(str(column)))
        if position is None:
            problems.append(
                f"kolom {column!r} voor {TARGET_LABELS[target]} staat niet in het bestand"
            )
        else:
            positions[target] = position
    missing = [TARGET_LABELS[target] for target in REQUIRED_TARGETS if target not in positions]
    if missing:
        problems.append("kies een kolom voor " + ", ".join(missing))
    if problems:
        raise ValidationFailed("De koppeling klopt niet: " + "; ".join(problems) + ".")
    return ResolvedMapping(positions)
