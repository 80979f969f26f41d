"""The weekly report: a crisis's week in numbers, counted in the database, as plain tables.

Every section is a `Table` (columns with a kind, rows of raw values), so the printable page,
the PDF and the CSV downloads show the same figures. A week is an ISO week (2026-W10) of Dutch
calendar days, Monday to Sunday; every count groups by the Dutch local day in SQL, so a
question at 00:30 on a Monday in summer (22:30 UTC on Sunday) counts on Monday.

No personal data leaves this module: texts are only ever cluster examples and signal details,
which are masked when stored and masked again here (defence in depth, the report is forwarded).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TextIO

from sqlalchemy import case, func, or_, select

from kcc.escalation.models import Escalation
from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import db
from kcc.insight import queries
from kcc.insight.models import Signal, SignalKind, SignalSource
from kcc.localtime import format_local, to_local
from kcc.privacy.masking import mask_personal_data
from kcc.privacy.spreadsheet import spreadsheet_safe
from kcc.reference.models import Crisis, Municipality, Topic

ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
NO_TOPIC = "Geen onderwerp"
TOP_CLUSTERS = 10
SIGNALS_SHOWN = 50
EXAMPLE_LENGTH = 200
SOURCE_LABELS = {SignalSource.KCC.value: "KCC", SignalSource.ONLINE.value: "Online"}

Cell = str | int | float | date | None


# --- Tables: the one shape every section has ------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column: its Dutch header and how its values read (count, change, percent ...)."""

    header: str
    # text | date | count | change | percent | percent_change | decimal | auto (int or float)
    kind: str = "text"

    @property
    def is_numeric(self) -> bool:
        """Numbers align right in HTML and PDF."""
        return self.kind not in {"text", "date"}


@dataclass(frozen=True)
class Table:
    """One section's figures: a name for files and URLs, a caption, columns and rows."""

    name: str
    heading: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty_text: str = "Geen gegevens in deze week."

    @property
    def headers(self) -> list[str]:
        """The column headers, as the CSV's first line."""
        return [column.header for column in self.columns]

    def display_rows(self) -> list[list[str]]:
        """Every cell as Dutch text: 1.234, 12,5%, +3, 02-03-2026, a dash for nothing."""
        return [
            [
                format_cell(value, column.kind)
                for value, column in zip(row, self.columns, strict=True)
            ]
            for row in self.rows
        ]

    def csv_rows(self) -> list[list[str]]:
        """Every cell for a CSV: ISO dates, decimal points, empty for nothing."""
        return [[csv_cell(value) for value in row] for row in self.rows]


def dutch_integer(value: int) -> str:
    """12345 as 12.345."""
    return f"{value:,}".replace(",", ".")


def dutch_decimal(value: float) -> str:
    """12.5 as 12,5 (one decimal)."""
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def format_cell(value: Cell, kind: str) -> str:
    """One value as a person reads it in a Dutch report."""
    if value is None:
        return "–"
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if kind == "count" and isinstance(value, int):
        return dutch_integer(value)
    if kind == "change" and isinstance(value, int):
        return ("+" if value > 0 else "") + dutch_integer(value)
    if kind == "percent" and isinstance(value, int | float):
        return dutch_decimal(value) + "%"
    if kind == "percent_change" and isinstance(value, int | float):
        return ("+" if value > 0 else "") + dutch_decimal(value) + "%"
    if kind == "decimal" and isinstance(value, int | float):
        return dutch_decimal(value)
    if kind == "auto" and isinstance(value, int):
        return dutch_integer(value)
    if kind == "auto" and isinstance(value, float):
        return dutch_decimal(value)
    return str(value)


def csv_cell(value: Cell) -> str:
    """One value for a machine: ISO date, plain number, empty for nothing."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return spreadsheet_safe(value)  # no formula runs when an analyst opens the file
    return str(value)


def write_table_csv(table: Table, target: TextIO) -> None:
    """A table as UTF-8 CSV with its headers as the first line."""
    writer = csv.writer(target)
    writer.writerow(table.headers)
    writer.writerows(table.csv_rows())


def table_csv(table: Table) -> str:
    """A table as CSV text."""
    buffer = io.StringIO()
    write_table_csv(table, buffer)
    return buffer.getvalue()


# --- The week ---------------------------------------------------------


@dataclass(frozen=True)
class ReportWeek:
    """An ISO week of Dutch days and the UTC moments it starts and ends."""

    iso_week: str
    monday: date

    @property
    def days(self) -> list[date]:
        """Monday to Sunday."""
        return [self.monday + timedelta(days=offset) for offset in range(7)]

    @property
    def sunday(self) -> date:
        """The week's last day."""
        return self.monday + timedelta(days=6)

    @property
    def starts(self) -> datetime:
        """Monday 00:00 Dutch time."""
        return queries.local_midnight(self.monday)

    @property
    def ends(self) -> datetime:
        """The next Monday 00:00 Dutch time (exclusive)."""
        return queries.local_midnight(self.monday + timedelta(days=7))

    @property
    def previous(self) -> ReportWeek:
        """The week before, for the trend."""
        return week_of(self.monday - timedelta(days=7))

    @property
    def label(self) -> str:
        """Week 10 (2 t/m 8 maart 2026) the way a Dutch reader says it."""
        number = self.monday.isocalendar().week
        return (
            f"week {number} van {self.monday.isocalendar().year} "
            f"({self.monday.strftime('%d-%m-%Y')} t/m {self.sunday.strftime('%d-%m-%Y')})"
        )


def week_of(day: date) -> ReportWeek:
    """The ISO week a day falls in."""
    year, number, _ = day.isocalendar()
    return ReportWeek(f"{year}-W{number:02d}", date.fromisocalendar(year, number, 1))


def parse_iso_week(text: str) -> ReportWeek:
    """2026-W10 as a ReportWeek; a Dutch error for anything else."""
    match = ISO_WEEK.match(text.strip())
    if not match:
        raise ValidationFailed("Kies een week als 2026-W10 (jaar, W, weeknummer).", field="week")
    try:
        return week_of(date.fromisocalendar(int(match[1]), int(match[2]), 1))
    except ValueError:
        raise ValidationFailed(f"Week {text.strip()} bestaat niet.", field="week") from None


def last_complete_week(now: datetime) -> ReportWeek:
    """The most recent week whose Sunday has passed in the Netherlands."""
    today = to_local(now).date()
    return week_of(today - timedelta(days=today.weekday() + 7))


# --- The report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigure:
    """One headline number with last week's, for the summary at the top."""

    label: str
    value: Cell
    previous: Cell
    kind: str

    @property
    def shown_value(self) -> str:
        """This week's value as Dutch text."""
        return format_cell(self.value, self.kind)

    @property
    def shown_previous(self) -> str:
        """Last week's value as Dutch text (a dash when not compared)."""
        return format_cell(self.previous, self.kind)


@dataclass(frozen=True)
class DayCounts:
    """A day's (or week's) questions: all, with a sentiment, negative, answered at first line."""

    questions: int = 0
    with_sentiment: int = 0
    negative: int = 0
    first_line: int = 0

    def __add__(self, other: DayCounts) -> DayCounts:
        return DayCounts(
            self.questions + other.questions,
            self.with_sentiment + other.with_sentiment,
            self.negative + other.negative,
            self.first_line + other.first_line,
        )


@dataclass(frozen=True)
class TopicCounts:
    """A topic's questions this week (with sentiment) and the week before."""

    topic_id: int | None
    this_week: DayCounts
    last_week: DayCounts


@dataclass(frozen=True)
class WeeklyReport:
    """Everything the week's summary shows, as tables that HTML, PDF and CSV render alike."""

    crisis: Crisis
    week: ReportWeek
    generated_at: datetime
    key_figures: list[KeyFigure]
    days: list[tuple[date, DayCounts, DayCounts]]  # day, this week, same weekday a week before
    tables: list[Table] = field(default_factory=list)

    @property
    def title(self) -> str:
        """Weekrapport <crisis>, week 10 van 2026 (...)."""
        return f"Weekrapport {self.crisis.name}, {self.week.label}"

    @property
    def is_complete(self) -> bool:
        """Whether the week was over when the report was made."""
        return self.generated_at >= self.week.ends

    def table(self, name: str) -> Table:
        """One table by its name, or NotFound."""
        for table in self.tables:
            if table.name == name:
                return table
        raise NotFound(f"Het weekrapport heeft geen tabel '{name}'.")


def weekly_report(crisis_id: int, iso_week: str, *, now: datetime) -> WeeklyReport:
    """The week's summary of a crisis: volumes, trends, topics, sentiment, clusters, signals,
    open escalations and first-line resolution, each compared with the week before."""
    crisis = db.session.get(Crisis, crisis_id)
    if crisis is None:
        raise NotFound("Deze crisis bestaat niet.")
    week = parse_iso_week(iso_week)
    # One grouped scan over both weeks: per day and topic, with sentiment and first line.
    two_weeks = queries.InsightFilter(crisis.id, week.previous.monday, week.sunday)
    counts = queries.count_questions_by_day_and_topic(two_weeks)
    per_day = counts_per_day(counts)
    days = [
        (day, per_day.get(day, DayCounts()), per_day.get(day - timedelta(days=7), DayCounts()))
        for day in week.days
    ]
    this_week = sum((now_ for _, now_, _ in days), DayCounts())
    last_week = sum((before for _, _, before in days), DayCounts())
    topics = queries.topic_names(crisis.id)
    # The state of escalations at the end of the week, or now for a week still running.
    moment = min(now, week.ends)
    escalations = open_escalations_per_topic(crisis.id, moment)
    clusters = queries.top_clusters(
        queries.InsightFilter(crisis.id, week.monday, week.sunday), limit=TOP_CLUSTERS
    )
    signals, signal_count = signals_of_week(crisis.id, week)
    key_figures = [
        KeyFigure("Vragen", this_week.questions, last_week.questions, "count"),
        KeyFigure(
            "Aandeel negatief sentiment (%)",
            share(this_week.negative, this_week.with_sentiment),
            share(last_week.negative, last_week.with_sentiment),
            "percent",
        ),
        KeyFigure(
            "In eerste lijn beantwoord (%)",
            share(this_week.first_line, this_week.questions),
            share(last_week.first_line, last_week.questions),
            "percent",
        ),
        KeyFigure(
            "Open doorzettingen",
            sum(open_count for open_count, _ in escalations.values()),
            None,
            "count",
        ),
        KeyFigure(
            "Daarvan over de termijn",
            sum(overdue for _, overdue in escalations.values()),
            None,
            "count",
        ),
        KeyFigure("Signalen", signal_count, None, "count"),
    ]
    tables = [
        key_figure_table(key_figures),
        day_table(days),
        topic_table(counts_per_topic(counts, week), topics),
        sentiment_table(days),
        cluster_table(clusters, largest=True),
        cluster_table(clusters, largest=False),
        signal_table(signals),
        escalation_table(escalations, topics, moment),
    ]
    return WeeklyReport(
        crisis=crisis,
        week=week,
        generated_at=now,
        key_figures=key_figures,
        days=days,
        tables=tables,
    )


def share(part: int, whole: int) -> float | None:
    """part of whole as a percentage with one decimal; None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


def change_percent(now: int, before: int) -> float | None:
    """The change against before in percent; None when there was nothing before."""
    return round(100 * (now - before) / before, 1) if before else None


# --- Counts: aggregates from the database (queries.py), added up per day or topic -----------


def as_day_counts(count: queries.DayTopicCount) -> DayCounts:
    """A day-and-topic aggregate as DayCounts."""
    return DayCounts(
        count.questions, count.with_sentiment, count.negative, count.answered_first_line
    )


def counts_per_day(counts: Iterable[queries.DayTopicCount]) -> dict[date, DayCounts]:
    """The day-and-topic aggregates added up per day."""
    days: dict[date, DayCounts] = defaultdict(DayCounts)
    for count in counts:
        days[count.day] += as_day_counts(count)
    return days


def counts_per_topic(
    counts: Iterable[queries.DayTopicCount], week: ReportWeek
) -> list[TopicCounts]:
    """The day-and-topic aggregates added up per topic, this week and last; largest first."""
    this_week: dict[int | None, DayCounts] = defaultdict(DayCounts)
    last_week: dict[int | None, DayCounts] = defaultdict(DayCounts)
    for count in counts:
        target = this_week if count.day >= week.monday else last_week
        target[count.topic_id] += as_day_counts(count)
    topics = [
        TopicCounts(topic_id, this_week[topic_id], last_week[topic_id])
        for topic_id in set(this_week) | set(last_week)
    ]
    return sorted(
        topics,
        key=lambda t: (-t.this_week.questions, -t.last_week.questions, t.topic_id or 0),
    )


def open_escalations_per_topic(
    crisis_id: int, moment: datetime
) -> dict[int | None, tuple[int, int]]:
    """Per topic: escalations open at the moment, and how many were past their deadline then.

    Open at a past moment: created before it, and still open or closed after it. (An item
    reopened later counts as open; reopening does not keep the earlier closing time.)
    """
    overdue = case((Escalation.deadline < moment, 1), else_=0)
    rows = db.session.execute(
        select(Escalation.topic_id, func.count(), func.sum(overdue))
        .where(
            Escalation.crisis_id == crisis_id,
            Escalation.created_at < moment,
            or_(Escalation.is_open.is_(True), Escalation.closed_at >= moment),
        )
        .group_by(Escalation.topic_id)
    ).all()
    return {topic_id: (int(count), int(late or 0)) for topic_id, count, late in rows}


@dataclass(frozen=True)
class SignalRow:
    """A signal of the week with the names it refers to."""

    signal: Signal
    topic: str | None
    municipality: str | None


def signals_of_week(crisis_id: int, week: ReportWeek) -> tuple[list[SignalRow], int]:
    """The week's strongest signals (at most SIGNALS_SHOWN) and how many there were in all."""
    in_week = (
        Signal.crisis_id == crisis_id,
        Signal.day >= week.monday,
        Signal.day <= week.sunday,
    )
    rows = db.session.execute(
        select(Signal, Topic.name, Municipality.name)
        .outerjoin(Topic, Topic.id == Signal.topic_id)
        .outerjoin(Municipality, Municipality.id == Signal.municipality_id)
        .where(*in_week)
        .order_by(Signal.score.desc(), Signal.day, Signal.id)
        .limit(SIGNALS_SHOWN)
    ).all()
    total = db.session.execute(
        select(func.count()).select_from(Signal).where(*in_week)
    ).scalar_one()
    return [SignalRow(signal, topic, municipality) for signal, topic, municipality in rows], total


# --- Tables built from the counts ----------------------------------------------------------------


def masked(text: str, limit: int = EXAMPLE_LENGTH) -> str:
    """Text masked (again) and shortened for the report."""
    clean = " ".join(mask_personal_data(text or "").split())
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"


def key_figure_table(figures: Sequence[KeyFigure]) -> Table:
    """The summary: each figure this week and last week."""
    return Table(
        name="kerncijfers",
        heading="Kerncijfers",
        title="Kerncijfers: deze week en de week ervoor",
        columns=(Column("Kerncijfer"), Column("Deze week", "auto"), Column("Vorige week", "auto")),
        rows=tuple((figure.label, figure.value, figure.previous) for figure in figures),
    )


def day_table(days: Sequence[tuple[date, DayCounts, DayCounts]]) -> Table:
    """Questions per day against the same weekday a week earlier."""
    return Table(
        name="vragen-per-dag",
        heading="Vragen per dag",
        title="Vragen per dag, vergeleken met dezelfde dag een week eerder",
        columns=(
            Column("Datum", "date"),
            Column("Dag"),
            Column("Vragen", "count"),
            Column("Week eerder", "count"),
            Column("Verschil", "change"),
            Column("In eerste lijn beantwoord (%)", "percent"),
        ),
        rows=tuple(
            (
                day,
                WEEKDAYS[day.weekday()],
                now.questions,
                before.questions,
                now.questions - before.questions,
                share(now.first_line, now.questions),
            )
            for day, now, before in days
        ),
    )


def topic_table(counts: Sequence[TopicCounts], topics: dict[int | None, str]) -> Table:
    """Questions per topic this week against last week, largest first."""
    return Table(
        name="vragen-per-onderwerp",
        heading="Vragen per onderwerp",
        title="Vragen per onderwerp, deze week en de week ervoor",
        columns=(
            Column("Onderwerp"),
            Column("Deze week", "count"),
            Column("Vorige week", "count"),
            Column("Verschil", "change"),
            Column("Verschil (%)", "percent_change"),
            Column("Aandeel negatief (%)", "percent"),
        ),
        rows=tuple(
            (
                topics.get(c.topic_id, NO_TOPIC),
                c.this_week.questions,
                c.last_week.questions,
                c.this_week.questions - c.last_week.questions,
                change_percent(c.this_week.questions, c.last_week.questions),
                share(c.this_week.negative, c.this_week.with_sentiment),
            )
            for c in counts
        ),
    )


def sentiment_table(days: Sequence[tuple[date, DayCounts, DayCounts]]) -> Table:
    """Negative sentiment per day against the same weekday a week earlier."""
    return Table(
        name="sentiment-per-dag",
        heading="Sentiment per dag",
        title="Negatief sentiment per dag, vergeleken met dezelfde dag een week eerder",
        columns=(
            Column("Datum", "date"),
            Column("Dag"),
            Column("Met sentiment", "count"),
            Column("Negatief", "count"),
            Column("Aandeel negatief (%)", "percent"),
            Column("Week eerder (%)", "percent"),
        ),
        rows=tuple(
            (
                day,
                WEEKDAYS[day.weekday()],
                now.with_sentiment,
                now.negative,
                share(now.negative, now.with_sentiment),
                share(before.negative, before.with_sentiment),
            )
            for day, now, before in days
        ),
    )


def cluster_table(clusters: queries.TopClusters | None, *, largest: bool) -> Table:
    """The largest (or fastest-growing) clusters of the latest run made before the week ended,
    each with a masked example question."""
    shown = (clusters.largest if largest else clusters.growing) if clusters else []
    title = "Grootste clusters van vragen" if largest else "Snelst groeiende clusters van vragen"
    if clusters is not None:
        title += f" (clusterrun {clusters.run_id} van {format_local(clusters.run_created_at)})"
    return Table(
        name="clusters" if largest else "groeiende-clusters",
        heading="Grootste clusters" if largest else "Groeiende clusters",
        title=title,
        columns=(
            Column("Cluster", "count"),
            Column("Vragen", "count"),
            Column("Laatste 7 dagen", "count"),
            Column("7 dagen daarvoor", "count"),
            Column("Groei", "change"),
            Column("Voorbeeldvraag (zonder persoonsgegevens)"),
        ),
        rows=tuple(
            (
                cluster.cluster_id,
                cluster.size,
                cluster.this_week,
                cluster.last_week,
                cluster.growth,
                masked(cluster.representative_text),
            )
            for cluster in shown
        ),
        empty_text=(
            "Er is vóór het einde van deze week geen clusterrun voor deze crisis gemaakt."
            if clusters is None
            else "Geen clusters die groeien."
        ),
    )


def signal_table(signals: Sequence[SignalRow]) -> Table:
    """The week's signals, strongest first."""
    return Table(
        name="signalen",
        heading="Signalen",
        title=f"Signalen in deze week, sterkste eerst (hoogstens {SIGNALS_SHOWN})",
        columns=(
            Column("Datum", "date"),
            Column("Soort"),
            Column("Bron"),
            Column("Onderwerp"),
            Column("Gemeente"),
            Column("Waargenomen", "decimal"),
            Column("Verwacht", "decimal"),
            Column("Score", "decimal"),
            Column("Toelichting"),
        ),
        rows=tuple(
            (
                row.signal.day,
                signal_kind_label(row.signal.kind),
                SOURCE_LABELS.get(row.signal.source, row.signal.source),
                row.topic or "Alle onderwerpen",
                row.municipality or "Hele regio",
                round(row.signal.observed, 1),
                round(row.signal.expected, 1),
                round(row.signal.score, 1),
                masked(row.signal.detail),
            )
            for row in signals
        ),
        empty_text="Geen signalen in deze week.",
    )


def signal_kind_label(kind: str) -> str:
    """The Dutch name of a signal kind (the stored code when unknown)."""
    try:
        return SignalKind(kind).label
    except ValueError:
        return kind


def escalation_table(
    escalations: dict[int | None, tuple[int, int]],
    topics: dict[int | None, str],
    moment: datetime,
) -> Table:
    """Open escalations per topic at the end of the week, with how many were overdue."""
    rows = sorted(
        (
            (topics.get(topic_id, NO_TOPIC), count, late)
            for topic_id, (count, late) in escalations.items()
        ),
        key=lambda row: (-row[1], row[0]),
    )
    return Table(
        name="doorzettingen-per-onderwerp",
        heading="Open doorzettingen",
        title=f"Open doorzettingen per onderwerp op {format_local(moment)}",
        columns=(
            Column("Onderwerp"),
            Column("Open", "count"),
            Column("Over de termijn", "count"),
        ),
        rows=tuple(rows),
        empty_text="Geen open doorzettingen.",
    )


# --- The chart of questions per day (geometry only; the template draws the SVG) -------------


@dataclass(frozen=True)
class Bar:
    """One bar of the day chart, in SVG user units."""

    x: float
    y: float
    width: float
    height: float
    value: int
    is_this_week: bool


@dataclass(frozen=True)
class DayChart:
    """Bars per day (this week and the week before) and the day labels below them."""

    width: int
    height: int
    baseline: float
    bars: list[Bar]
    labels: list[tuple[float, str]]


def day_chart(
    days: Sequence[tuple[date, DayCounts, DayCounts]], *, width: int = 700, height: int = 220
) -> DayChart:
    """Place two bars per day, the week before left of this week, scaled to the highest."""
    top, bottom = 20.0, 30.0
    baseline = height - bottom
    highest = max([1, *(max(now.questions, before.questions) for _, now, before in days)])
    slot = width / max(len(days), 1)
    bar_width = slot * 0.32
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    for index, (day, now, before) in enumerate(days):
        left = index * slot + slot * 0.16
        for offset, value, is_this_week in (
            (0.0, before.questions, False),
            (bar_width, now.questions, True),
        ):
            bar_height = (baseline - top) * value / highest
            bars.append(
                Bar(
                    left + offset, baseline - bar_height, bar_width, bar_height, value, is_this_week
                )
            )
        labels.append((index * slot + slot / 2, f"{WEEKDAYS[day.weekday()][:2]} {day:%d-%m}"))
    return DayChart(width, height, baseline, bars, labels)
