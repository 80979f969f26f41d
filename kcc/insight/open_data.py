"""Open data: how many questions per Dutch day, topic and municipality, safe to publish (Woo).

The file holds counts only, never text, and no count from which a person could be singled
out. The suppression rule (also written into the README that goes with the file):

1. Primary: a cell (day × topic × municipality) with fewer than `min_count` questions is
   published without its number.
2. Secondary: a hidden number must not be recoverable by subtraction from a total published
   elsewhere (a day's total, a municipality's total per topic, ...). So in every group of cells
   that shares such a total (the same day and municipality; the same day and topic; the same
   topic and municipality over the period) that holds a hidden cell, at least two cells are
   hidden and the hidden cells add up to at least `min_count`. Where that is not so, the
   smallest visible cells of the group are hidden too, repeated until no group needs more.
3. The file itself contains no totals, and combinations without questions are left out.

Counting is one GROUP BY in the database; the rule then runs over those aggregates only.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TextIO

from sqlalchemy import func, select

from kcc.exceptions import ValidationFailed
from kcc.extensions import db
from kcc.insight import queries
from kcc.intake.models import Question
from kcc.localtime import format_local
from kcc.privacy.spreadsheet import spreadsheet_safe
from kcc.reference.models import Crisis, Municipality, Topic

HEADERS = ("datum", "onderwerp", "gemeente_code", "gemeente", "aantal")
NO_TOPIC = "onbekend"
MAX_DAYS = queries.MAX_PERIOD_DAYS  # a longer period is published as several files
DEFAULT_MIN_COUNT = 5

CellKey = tuple[date, int | None, int]  # day, topic id, municipality id


@dataclass(frozen=True)
class OpenDataRow:
    """One published line: a day, a topic, a municipality and its count (None: suppressed)."""

    day: date
    topic: str
    municipality_code: str
    municipality: str
    count: int | None


@dataclass(frozen=True)
class OpenDataExport:
    """The rows of an export and what the reader needs to know about them."""

    crisis: Crisis
    first_day: date
    last_day: date
    min_count: int
    rows: list[OpenDataRow]
    generated_at: datetime

    @property
    def suppressed(self) -> int:
        """How many rows are published without their number."""
        return sum(1 for row in self.rows if row.count is None)

    @property
    def filename(self) -> str:
        """vragen-oekraine-2026-03-02-2026-03-08.csv."""
        return f"vragen-{self.crisis.code}-{self.first_day}-{self.last_day}.csv"

    @property
    def readme_filename(self) -> str:
        """The README's name next to the CSV."""
        return self.filename.removesuffix(".csv") + "-toelichting.txt"


def check_period(first_day: date, last_day: date) -> None:
    """A period runs forward and is at most a year long."""
    if last_day < first_day:
        raise ValidationFailed("De einddatum ligt voor de begindatum.", field="date_to")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"Kies een periode van hoogstens {MAX_DAYS} dagen.", field="date_to")


def count_cells(crisis_id: int, first_day: date, last_day: date) -> dict[CellKey, int]:
    """Questions per Dutch day × topic × municipality, counted in the database."""
    period = queries.InsightFilter(crisis_id, first_day, last_day)
    day = queries.local_day_of(Question.received_at, period).label("day")
    rows = db.session.execute(
        select(day, Question.topic_id, Question.municipality_id, func.count())
        .where(*queries.question_conditions(period))
        .group_by(day, Question.topic_id, Question.municipality_id)
    ).all()
    return {(queries.as_date(value), topic, place): int(n) for value, topic, place, n in rows}


# The totals someone could know from elsewhere: each groups the cells that add up to it.
GROUPINGS: tuple[Callable[[CellKey], tuple[object, ...]], ...] = (
    lambda key: (key[0], key[2]),  # a day in a municipality, all topics
    lambda key: (key[0], key[1]),  # a day for a topic, all municipalities
    lambda key: (key[1], key[2]),  # a topic in a municipality, the whole period
)


def suppressed_cells(counts: dict[CellKey, int], min_count: int) -> set[CellKey]:
    """The cells to publish without their number: primary and secondary suppression."""
    hidden = {key for key, count in counts.items() if count < min_count}
    groups = [group_cells(counts, grouping) for grouping in GROUPINGS]
    changed = bool(hidden)
    while changed:
        changed = False
        for grouped in groups:
            for members in grouped.values():
                changed |= protect_group(members, counts, hidden, min_count)
    return hidden


def group_cells(
    counts: dict[CellKey, int], grouping: Callable[[CellKey], tuple[object, ...]]
) -> dict[tuple[object, ...], list[CellKey]]:
    """The cells per group, each group smallest count first (the cheapest to hide next)."""
    grouped: dict[tuple[object, ...], list[CellKey]] = defaultdict(list)
    for key in counts:
        grouped[grouping(key)].append(key)
    for members in grouped.values():
        members.sort(key=lambda key: (counts[key], sort_key(key)))
    return grouped


def sort_key(key: CellKey) -> tuple[date, int, int]:
    """A stable order for cells of equal count (None topic first)."""
    return key[0], key[1] if key[1] is not None else -1, key[2]


def protect_group(
    members: list[CellKey], counts: dict[CellKey, int], hidden: set[CellKey], min_count: int
) -> bool:
    """Hide more of a group until its hidden cells are two or more and add up to min_count.

    Returns whether anything was hidden. A group whose cells are all hidden is left as it is.
    """
    hidden_here = [key for key in members if key in hidden]
    if not hidden_here:
        return False
    hidden_count = len(hidden_here)
    hidden_total = sum(counts[key] for key in hidden_here)
    changed = False
    for key in members:
        if hidden_count >= 2 and hidden_total >= min_count:
            break
        if key in hidden:
            continue
        hidden.add(key)
        hidden_count += 1
        hidden_total += counts[key]
        changed = True
    return changed


def open_data_export(
    crisis_id: int, first_day: date, last_day: date, *, min_count: int, now: datetime
) -> OpenDataExport:
    """The anonymised counts of a crisis for a period of Dutch days, with suppression."""
    crisis = db.session.get(Crisis, crisis_id)
    if crisis is None:
        raise ValidationFailed("Kies een crisis.", field="crisis")
    check_period(first_day, last_day)
    if min_count < 1:
        raise ValidationFailed("De drempel moet minstens 1 zijn.", field="min_count")
    counts = count_cells(crisis.id, first_day, last_day)
    hidden = suppressed_cells(counts, min_count)
    topics = dict(
        db.session.execute(select(Topic.id, Topic.name).where(Topic.crisis_id == crisis.id)).all()
    )
    places = {
        place_id: (code, name)
        for place_id, code, name in db.session.execute(
            select(Municipality.id, Municipality.cbs_code, Municipality.name)
        )
    }
    rows = [
        OpenDataRow(
            day=key[0],
            topic=topics.get(key[1], NO_TOPIC) if key[1] is not None else NO_TOPIC,
            municipality_code=places[key[2]][0],
            municipality=places[key[2]][1],
            count=None if key in hidden else count,
        )
        for key, count in counts.items()
    ]
    rows.sort(key=lambda row: (row.day, row.topic, row.municipality_code))
    return OpenDataExport(
        crisis=crisis,
        first_day=first_day,
        last_day=last_day,
        min_count=min_count,
        rows=rows,
        generated_at=now,
    )


def write_open_data_csv(export: OpenDataExport, target: TextIO) -> None:
    """The export as CSV: Dutch headers, ISO dates, an empty count where it is suppressed."""
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(HEADERS)
    for row in export.rows:
        writer.writerow(
            (
                row.day.isoformat(),
                spreadsheet_safe(row.topic),
                row.municipality_code,
                spreadsheet_safe(row.municipality),
                "" if row.count is None else row.count,
            )
        )


def open_data_csv(export: OpenDataExport) -> str:
    """The export as CSV text."""
    buffer = io.StringIO()
    write_open_data_csv(export, buffer)
    return buffer.getvalue()


def open_data_readme(export: OpenDataExport) -> str:
    """The metadata published with the file: source, definitions, licence, suppression rule."""
    k = export.min_count
    return "\n".join(
        [
            f"Vragen aan het KCC over {export.crisis.name}, per dag, onderwerp en gemeente",
            "",
            f"Bestand: {export.filename}",
            f"Periode: {export.first_day.strftime('%d-%m-%Y')} t/m "
            f"{export.last_day.strftime('%d-%m-%Y')} (Nederlandse tijd)",
            f"Gemaakt: {format_local(export.generated_at)}",
            f"Regels: {len(export.rows)}, waarvan {export.suppressed} zonder aantal",
            "Licentie: CC0 1.0 (publiek domein), "
            "https://creativecommons.org/publicdomain/zero/1.0/deed.nl",
            "",
            "Kolommen",
            "- datum: de dag waarop de vraag binnenkwam (JJJJ-MM-DD, Nederlandse tijd).",
            "- onderwerp: het onderwerp van de vraag binnen de crisis; 'onbekend' als er "
            "(nog) geen onderwerp is vastgesteld.",
            "- gemeente_code: de CBS-code van de gemeente waar de vraag over ging (GMxxxx).",
            "- gemeente: de naam van die gemeente.",
            "- aantal: het aantal vragen (telefoon, e-mail, balie, chat, social media, brief) "
            "dat het Klantcontactcentrum die dag over dat onderwerp uit die gemeente kreeg.",
            "",
            "Bescherming van personen",
            "Het bestand bevat alleen aantallen, geen teksten of andere gegevens van personen.",
            f"- Een aantal kleiner dan {k} laten wij weg (lege cel), zodat niemand herkenbaar is.",
            "- Een weggelaten aantal mag niet terug te rekenen zijn uit een totaal. Daarom "
            "laten wij in elke groep cellen met een gezamenlijk totaal (dezelfde dag en "
            "gemeente; dezelfde dag en hetzelfde onderwerp; hetzelfde onderwerp en dezelfde "
            "gemeente over de hele periode) minstens twee aantallen weg, die samen minstens "
            f"{k} zijn. Zo nodig laten wij daarvoor ook het kleinste andere aantal weg.",
            "- Een lege cel betekent dus: weggelaten, klein of om terugrekenen te voorkomen.",
            "- Het bestand bevat geen totalen. Combinaties zonder vragen staan er niet in "
            "(aantal 0).",
            "",
        ]
    )


def parse_day(text: str, field: str) -> date:
    """A YYYY-MM-DD date, or a Dutch error for the field."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed("Vul een datum in als 2026-03-02.", field=field) from None
