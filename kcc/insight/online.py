"""Online messages beside the KCC's questions: importing media-monitoring exports (e.g. OBI4wan
CSV: date, source, text) per crisis, and comparing volume and sentiment per topic.

Every text is masked the moment it is read, before it is classified or stored: online posts
name people, and only the aggregate (volume and sentiment per topic) is needed (AVG art. 5(1)(c),
data minimisation). Extra columns of an export (author, URL, reach, the tool's own sentiment)
are never read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, func, insert, select

from kcc.auth.models import User
from kcc.classification import services as classification_services
from kcc.classification.models import Sentiment
from kcc.exceptions import KccError, NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.insight.models import OnlineImport, OnlineMessage
from kcc.insight.queries import NO_TOPIC_NAME, local_midnight
from kcc.intake.models import Question
from kcc.localtime import LOCAL_TIMEZONE, to_local
from kcc.nlp.classifier import Labeller, Prediction
from kcc.privacy.masking import mask_personal_data
from kcc.reference.models import Crisis, Topic

# An export of a busy crisis month is a few tens of thousands of posts; these caps keep one
# upload from holding a worker (and the database) for minutes.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# Longer posts (whole news articles) are cut after masking; the topic is in the first part.
MAX_TEXT_LENGTH = 4_000
MAX_SOURCE_LENGTH = 80
# How many reasons for skipped rows the summary names; the rest are only counted.
REASONS_SHOWN = 5
CLASSIFY_BATCH_SIZE = 2_000
INSERT_BATCH_SIZE = 5_000
# A post dated more than this after the import is a wrong date, not a post.
FUTURE_TOLERANCE = timedelta(days=1)
# Column names as media-monitoring tools write them, Dutch and English, compared lower-case.
COLUMN_ALIASES: dict[str, frozenset[str]] = {
    "posted_at": frozenset(
        {"date", "datum", "published", "publicatiedatum", "publication date", "datum/tijd"}
    ),
    "source": frozenset({"source", "bron", "medium", "kanaal"}),
    "text": frozenset({"text", "tekst", "bericht", "content", "message"}),
}
REQUIRED_COLUMNS = ("posted_at", "text")
COLUMN_LABELS = {"posted_at": "datum", "source": "bron", "text": "tekst"}
DELIMITERS = (";", ",", "\t")
# dd-mm-yyyy or dd/mm/yyyy (also with dots), optionally with HH:MM[:SS].
DUTCH_DATE = re.compile(
    r"(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)


@dataclass(frozen=True, slots=True)
class OnlinePost:
    """One readable row of an export, its text already masked."""

    posted_at: datetime
    source: str
    text_masked: str


@dataclass
class ParsedExport:
    """The readable rows of an export, and how many rows were skipped and why (first few)."""

    posts: list[OnlinePost] = field(default_factory=list)
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)

    def skip(self, line_number: int, reason: str) -> None:
        """Count a bad row; keep the reason of the first few."""
        self.skipped += 1
        if len(self.reasons) < REASONS_SHOWN:
            self.reasons.append(f"regel {line_number}: {reason}")


@dataclass(frozen=True)
class ImportSummary:
    """The stored import, and the reasons for the first skipped rows (Dutch)."""

    online_import: OnlineImport
    reasons: list[str]

    @property
    def imported(self) -> int:
        """Rows stored as messages."""
        return self.online_import.rows

    @property
    def skipped(self) -> int:
        """Rows left out."""
        return self.online_import.skipped


# Reading an export


def read_capped(file_like: BinaryIO) -> bytes:
    """The file's bytes, or a Dutch error when it is larger than MAX_BYTES."""
    content = file_like.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ValidationFailed(
            f"Het bestand is groter dan {MAX_BYTES // (1024 * 1024)} MB. Splits de export op.",
            field="file",
        )
    return content


def decode_export(content: bytes) -> str:
    """UTF-8 text; utf-8-sig drops the byte-order mark Excel writes before the first column."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            "Het bestand is geen UTF-8-tekst. Exporteer het als CSV (UTF-8).", field="file"
        ) from error


def sniff_delimiter(header_line: str) -> str:
    """The separator of the header line: the most frequent of ; , and tab (; on a tie)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ";"


def normalise_header(name: str) -> str:
    """A column name compared without case, surrounding spaces or quotes."""
    return name.strip().strip('"').strip().lower()


def map_columns(header: Sequence[str]) -> dict[str, int]:
    """Which position holds the date, source and text; a Dutch error when one is missing."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        normalised = normalise_header(name)
        for column, aliases in COLUMN_ALIASES.items():
            if normalised in aliases and column not in positions:
                positions[column] = position
    missing = [COLUMN_LABELS[column] for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        found = ", ".join(name.strip() for name in header if name.strip()) or "geen"
        raise ValidationFailed(
            f"De kolom(men) {' en '.join(missing)} ontbreken. Verwacht: datum (date, "
            f"published), bron (source, medium) en tekst (text, bericht, content). "
            f"Gevonden: {found}.",
            field="file",
        )
    return positions


def parse_posted_at(value: str) -> datetime | None:
    """A post's moment in UTC from ISO 8601 or dd-mm-yyyy [HH:MM]; naive times are Dutch."""
    value = value.strip()
    if not value:
        return None
    moment = parse_dutch_date(value)
    if moment is None:
        try:
            moment = datetime.fromisoformat(value.replace(" Z", "Z"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TIMEZONE)
    return moment.astimezone(UTC)


def parse_dutch_date(value: str) -> datetime | None:
    """dd-mm-yyyy, dd/mm/yyyy or dd.mm.yyyy, optionally with a time; None if not that form."""
    found = DUTCH_DATE.fullmatch(value)
    if found is None:
        return None
    parts = {name: int(number) for name, number in found.groupdict(default="0").items()}
    try:
        return datetime(
            parts["year"],
            parts["month"],
            parts["day"],
            parts["hour"],
            parts["minute"],
            parts["second"],
        )
    except ValueError:  # 31-02-2024, 25:00
        return None


def read_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """Each row with its line number; a row the csv module cannot read comes as None + why."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, None, f"onleesbare CSV ({error})"
            continue
        yield reader.line_num, row, ""


def parse_post(
    row: list[str], columns: dict[str, int], *, now: datetime, masked: dict[str, str]
) -> OnlinePost | str:
    """One row as a post with masked text, or the Dutch reason it is skipped."""
    if len(row) <= max(columns.values()):
        return "te weinig kolommen"
    posted_at = parse_posted_at(row[columns["posted_at"]])
    if posted_at is None:
        return f"datum {row[columns['posted_at']].strip()[:30]!r} niet herkend"
    if posted_at > now + FUTURE_TOLERANCE:
        return "datum ligt in de toekomst"
    raw_text = row[columns["text"]].strip()
    if not raw_text:
        return "tekst ontbreekt"
    # Masked first: nothing after this line sees the original text.
    text_masked = mask_remembered(raw_text, masked)[:MAX_TEXT_LENGTH]
    source = row[columns["source"]].strip() if "source" in columns else ""
    return OnlinePost(
        posted_at=posted_at,
        source=mask_remembered(source, masked)[:MAX_SOURCE_LENGTH],
        text_masked=text_masked,
    )


def mask_remembered(text: str, masked: dict[str, str]) -> str:
    """The masked text, from `masked` when this file had it before (shares repeat a post
    word for word, and sources repeat on every row)."""
    found = masked.get(text)
    if found is None:
        found = masked[text] = mask_personal_data(text)
    return found


def parse_export(file_like: BinaryIO, *, now: datetime) -> ParsedExport:
    """Read an export: size-capped, UTF-8, separator sniffed, bad rows counted, texts masked."""
    text = decode_export(read_capped(file_like))
    header_line = text.split("\n", 1)[0]
    if not header_line.strip():
        raise ValidationFailed("Het bestand is leeg of begint met een lege regel.", field="file")
    # Split into rows first (the csv module is fast): a file over the row cap is refused
    # before any text is masked. Blank lines (often at the end) are no rows.
    rows = [
        (line_number, row, problem)
        for line_number, row, problem in read_rows(text, sniff_delimiter(header_line))
        if row is None or any(cell.strip() for cell in row)
    ]
    columns = map_columns(rows[0][1] or [])
    if len(rows) - 1 > MAX_ROWS:
        limit = f"{MAX_ROWS:,}".replace(",", ".")
        raise ValidationFailed(
            f"Het bestand heeft meer dan {limit} rijen. Splits de export op.", field="file"
        )
    parsed = ParsedExport()
    masked: dict[str, str] = {}
    for line_number, row, problem in rows[1:]:
        outcome = problem if row is None else parse_post(row, columns, now=now, masked=masked)
        if isinstance(outcome, str):
            parsed.skip(line_number, outcome)
        else:
            parsed.posts.append(outcome)
    return parsed


# Classifying and storing


@dataclass(frozen=True)
class OnlineLabellers:
    """The crisis's active topic model (or cold start) and the sentiment model; None if none."""

    topic: Labeller | None
    sentiment: Labeller | None
    topic_ids: dict[str, int]

    def label(self, texts: list[str]) -> list[dict[str, object]]:
        """Topic and sentiment columns for each text, in order (empty without a model)."""
        topics = self.topic.predict_many(texts) if self.topic else [None] * len(texts)
        sentiments = self.sentiment.predict_many(texts) if self.sentiment else [None] * len(texts)
        return [
            {
                "topic_id": self.topic_ids.get(topic.label) if topic else None,
                "topic_confidence": confidence_of(topic),
                "sentiment": sentiment.label if sentiment else None,
                "sentiment_confidence": confidence_of(sentiment),
            }
            for topic, sentiment in zip(topics, sentiments, strict=True)
        ]


def confidence_of(prediction: Prediction | None) -> float | None:
    """A prediction's confidence as the questions store it (4 decimals)."""
    return round(prediction.confidence, 4) if prediction else None


def labellers_for(crisis_id: int) -> OnlineLabellers:
    """The models classify() would use for this crisis's questions, loaded once for a batch."""
    active = classification_services.active_labellers(crisis_id)
    return OnlineLabellers(
        topic=active.topic, sentiment=active.sentiment, topic_ids=active.topic_ids
    )


def label_unique_texts(
    texts: list[str], labellers: OnlineLabellers
) -> dict[str, dict[str, object]]:
    """Labels per distinct text, classified in batches: shares and retweets repeat a post
    word for word, and each distinct text needs classifying only once."""
    unique = list(dict.fromkeys(texts))
    labels: dict[str, dict[str, object]] = {}
    for start in range(0, len(unique), CLASSIFY_BATCH_SIZE):
        batch = unique[start : start + CLASSIFY_BATCH_SIZE]
        labels.update(zip(batch, labellers.label(batch), strict=True))
    return labels


def store_messages(
    online_import: OnlineImport, posts: list[OnlinePost], labellers: OnlineLabellers
) -> None:
    """Classify the posts and insert them in bulk batches (no ORM object per message)."""
    labels = label_unique_texts([post.text_masked for post in posts], labellers)
    for start in range(0, len(posts), INSERT_BATCH_SIZE):
        rows = [
            {
                "import_id": online_import.id,
                "crisis_id": online_import.crisis_id,
                "posted_at": post.posted_at,
                "source": post.source,
                "text_masked": post.text_masked,
                **labels[post.text_masked],
            }
            for post in posts[start : start + INSERT_BATCH_SIZE]
        ]
        db.session.execute(insert(OnlineMessage), rows)


def import_online_export(
    crisis_id: int, file_like: BinaryIO, *, filename: str, user: User | None, now: datetime
) -> ImportSummary:
    """Read, mask, classify and store a media-monitoring export for a crisis (one commit)."""
    crisis = db.session.get(Crisis, crisis_id)
    if crisis is None:
        raise ValidationFailed("Kies een crisis.", field="crisis_id")
    parsed = parse_export(file_like, now=now)
    if not parsed.posts:
        reasons = "; ".join(parsed.reasons)
        raise ValidationFailed(
            "Er staat geen enkel bruikbaar bericht in het bestand"
            + (f" ({reasons})." if reasons else "."),
            field="file",
        )
    online_import = OnlineImport(
        crisis_id=crisis.id,
        filename=filename[:255],
        rows=len(parsed.posts),
        skipped=parsed.skipped,
        imported_by_id=user.id if user else None,
        imported_at=now,
    )
    db.session.add(online_import)
    db.session.flush()
    store_messages(online_import, parsed.posts, labellers_for(crisis.id))
    record_event(
        AuditAction.ONLINE_IMPORT,
        object_type="online_import",
        object_id=online_import.id,
        detail=f"Online-export geïmporteerd voor {crisis.code}: {online_import.rows} "
        f"berichten, {online_import.skipped} overgeslagen ({filename[:100]})",
        user_id=user.id if user else None,
        username=user.username if user else "",
        now=now,
    )
    db.session.commit()
    return ImportSummary(online_import=online_import, reasons=parsed.reasons)


def delete_online_import(import_id: int, *, user: User | None, now: datetime) -> OnlineImport:
    """Remove an import and its messages (a wrong or doubled file); one commit."""
    online_import = db.session.get(OnlineImport, import_id)
    if online_import is None:
        raise NotFound("Deze import bestaat niet.")
    # A bulk delete: the messages are never loaded (an import can hold 200,000).
    db.session.execute(
        delete(OnlineMessage)
        .where(OnlineMessage.import_id == import_id)
        .execution_options(synchronize_session=False)
    )
    db.session.delete(online_import)
    record_event(
        AuditAction.ONLINE_IMPORT,
        object_type="online_import",
        object_id=import_id,
        detail=f"Online-export verwijderd: {online_import.rows} berichten "
        f"({online_import.filename[:100]})",
        user_id=user.id if user else None,
        username=user.username if user else "",
        now=now,
    )
    db.session.commit()
    return online_import


def list_imports(crisis_id: int | None = None, *, limit: int = 50) -> list[OnlineImport]:
    """The most recent imports, newest first, of one crisis or all."""
    query = select(OnlineImport).order_by(OnlineImport.imported_at.desc(), OnlineImport.id.desc())
    if crisis_id is not None:
        query = query.where(OnlineImport.crisis_id == crisis_id)
    return list(db.session.scalars(query.limit(limit)))


# Comparing the KCC with online


@dataclass
class VolumeAndMood:
    """How many messages, how many of them have a sentiment, and how many are negative."""

    count: int = 0
    classified: int = 0
    negative: int = 0

    def add(self, sentiment: str | None, count: int) -> None:
        """Count `count` messages with this sentiment."""
        self.count += count
        if sentiment is not None:
            self.classified += count
        if sentiment == Sentiment.NEGATIEF.value:
            self.negative += count

    @property
    def negative_share(self) -> float | None:
        """Negative among those with a sentiment (None when none has one)."""
        return self.negative / self.classified if self.classified else None


@dataclass
class TopicComparison:
    """One topic (None: no topic recognised) with the KCC's and the online figures."""

    topic_id: int | None
    topic_name: str
    kcc: VolumeAndMood = field(default_factory=VolumeAndMood)
    online: VolumeAndMood = field(default_factory=VolumeAndMood)


@dataclass(frozen=True)
class OnlineComparison:
    """Per topic and in total, KCC questions against online messages in a period."""

    crisis_id: int
    start: date
    end: date
    topics: list[TopicComparison]
    kcc_total: VolumeAndMood
    online_total: VolumeAndMood


SentimentCount = tuple[int | None, str | None, int]


def count_questions(crisis_id: int, begin: datetime, end: datetime) -> list[SentimentCount]:
    """KCC questions per topic and sentiment in [begin, end), counted by the database."""
    query = (
        select(Question.topic_id, Question.sentiment, func.count())
        .where(
            Question.crisis_id == crisis_id,
            Question.received_at >= begin,
            Question.received_at < end,
        )
        .group_by(Question.topic_id, Question.sentiment)
    )
    return [
        (topic_id, sentiment, count) for topic_id, sentiment, count in db.session.execute(query)
    ]


def count_online_messages(crisis_id: int, begin: datetime, end: datetime) -> list[SentimentCount]:
    """Online messages per topic and sentiment in [begin, end), counted by the database."""
    query = (
        select(OnlineMessage.topic_id, OnlineMessage.sentiment, func.count())
        .where(
            OnlineMessage.crisis_id == crisis_id,
            OnlineMessage.posted_at >= begin,
            OnlineMessage.posted_at < end,
        )
        .group_by(OnlineMessage.topic_id, OnlineMessage.sentiment)
    )
    return [
        (topic_id, sentiment, count) for topic_id, sentiment, count in db.session.execute(query)
    ]


def online_comparison(crisis_id: int, start: date, end: date) -> OnlineComparison:
    """Per topic: KCC questions and share negative against online messages, Dutch days
    `start` to `end` inclusive. Every active topic is listed, also when nobody mentioned it."""
    if end < start:
        raise ValidationFailed("De einddatum ligt voor de begindatum.", field="end")
    begin, after = local_midnight(start), local_midnight(end + timedelta(days=1))
    topics = db.session.execute(
        select(Topic.id, Topic.name, Topic.is_active)
        .where(Topic.crisis_id == crisis_id)
        .order_by(Topic.name)
    ).all()
    by_topic = {topic_id: TopicComparison(topic_id, name) for topic_id, name, is_active in topics}
    kcc_total, online_total = VolumeAndMood(), VolumeAndMood()
    for topic_id, sentiment, count in count_questions(crisis_id, begin, after):
        row = by_topic.setdefault(topic_id, TopicComparison(topic_id, NO_TOPIC_NAME))
        row.kcc.add(sentiment, count)
        kcc_total.add(sentiment, count)
    for topic_id, sentiment, count in count_online_messages(crisis_id, begin, after):
        row = by_topic.setdefault(topic_id, TopicComparison(topic_id, NO_TOPIC_NAME))
        row.online.add(sentiment, count)
        online_total.add(sentiment, count)
    active = {topic_id for topic_id, _, is_active in topics if is_active}
    shown = [
        row
        for row in by_topic.values()
        if row.topic_id in active or row.kcc.count or row.online.count
    ]
    # Topics first by name, "no topic" last.
    shown.sort(key=lambda row: (row.topic_id is None, row.topic_name.lower()))
    return OnlineComparison(
        crisis_id=crisis_id,
        start=start,
        end=end,
        topics=shown,
        kcc_total=kcc_total,
        online_total=online_total,
    )


def crisis_by_code(code: str) -> Crisis:
    """The crisis with this code, or NotFound."""
    crisis = db.session.execute(select(Crisis).where(Crisis.code == code)).scalar_one_or_none()
    if crisis is None:
        raise NotFound(f"Crisis {code!r} bestaat niet.")
    return crisis


# Command line


@click.command("import-online")
@click.option("--crisis", "crisis_code", required=True, help="Code van de crisis.")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV-export (UTF-8) met kolommen datum, bron en tekst.",
)
@with_appcontext
def import_online_command(crisis_code: str, input_path: Path) -> None:
    """Import a media-monitoring export (CSV: date, source, text) for a crisis."""
    try:
        crisis = crisis_by_code(crisis_code)
        with input_path.open("rb") as source:
            summary = import_online_export(
                crisis.id, source, filename=input_path.name, user=None, now=utcnow()
            )
    except KccError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"{summary.imported} berichten geïmporteerd voor {crisis.name}, "
        f"{summary.skipped} rijen overgeslagen."
    )
    for reason in summary.reasons:
        click.echo(f"  {reason}")


def import_period(online_import: OnlineImport) -> tuple[date, date]:
    """The first and last Dutch day of an import's messages (counted by the database)."""
    first, last = db.session.execute(
        select(func.min(OnlineMessage.posted_at), func.max(OnlineMessage.posted_at)).where(
            OnlineMessage.import_id == online_import.id
        )
    ).one()
    return to_local(first).date(), to_local(last).date()


def percent(share: float | None) -> str:
    """A share as Dutch whole percent ("35%"), or "onbekend" without a sentiment."""
    return "onbekend" if share is None else f"{round(share * 100)}%"


# The chart of share negative per topic: plain geometry, drawn as SVG by the template.

CHART_WIDTH = 820
CHART_LABEL_WIDTH = 200
CHART_BAR_SPACE = 340
CHART_ROW_HEIGHT = 56
CHART_BAR_HEIGHT = 16


@dataclass(frozen=True)
class ChartBar:
    """One bar: where it is, how long, and the words beside it (never colour alone)."""

    y: int
    width: int
    text: str
    text_x: int


@dataclass(frozen=True)
class ChartRow:
    """A topic's name and its KCC and online bars."""

    label: str
    label_y: int
    kcc: ChartBar
    online: ChartBar


@dataclass(frozen=True)
class ShareChart:
    """Share negative per topic, KCC against online, as rows of bars."""

    width: int
    height: int
    bar_x: int
    bar_height: int
    rows: list[ChartRow]


def share_bar(side: str, mood: VolumeAndMood, y: int) -> ChartBar:
    """A bar as long as the share negative; its text names the side, share and count."""
    width = round((mood.negative_share or 0) * CHART_BAR_SPACE)
    if mood.negative_share is None:
        text = f"{side}: geen berichten met sentiment"
    else:
        text = f"{side}: {percent(mood.negative_share)} negatief (van {mood.classified})"
    return ChartBar(y=y, width=width, text=text, text_x=CHART_LABEL_WIDTH + width + 6)


def negative_share_chart(comparison: OnlineComparison) -> ShareChart | None:
    """Bars for the topics with messages with a sentiment on either side; None if none has."""
    topics = [row for row in comparison.topics if row.kcc.classified or row.online.classified]
    if not topics:
        return None
    rows = []
    for number, row in enumerate(topics):
        top = number * CHART_ROW_HEIGHT
        rows.append(
            ChartRow(
                label=row.topic_name,
                label_y=top + 20 + CHART_BAR_HEIGHT + 4,
                kcc=share_bar("KCC", row.kcc, top + 20),
                online=share_bar("Online", row.online, top + 20 + CHART_BAR_HEIGHT + 2),
            )
        )
    return ShareChart(
        width=CHART_WIDTH,
        height=len(rows) * CHART_ROW_HEIGHT,
        bar_x=CHART_LABEL_WIDTH,
        bar_height=CHART_BAR_HEIGHT,
        rows=rows,
    )
