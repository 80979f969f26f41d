"""Importing registrations from CSV/XLSX: check every row, then store all at once.

Every row is checked first (date, municipality, channel, caller type, question, answer, topic,
sentiment) and its problems are named in Dutch. The import then either stores every row or
nothing (all-or-nothing), or leaves out exactly the rows the user chose to skip; a row with a
problem that was not chosen stops the import. Rows stored before (same crisis, same values:
see `row_key`) are left out and counted as "al geïmporteerd", so a file imported twice adds
nothing the second time.

Speed (100,000 rows in under a minute): texts are masked once per distinct text, classified
in batches per distinct masked text, and the questions, their references and their history
lines are written with bulk statements in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kcc.auth.models import User
from kcc.classification import services as classification_services
from kcc.classification.models import Sentiment
from kcc.exceptions import Conflict, ValidationFailed
from kcc.extensions import db
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.insight.online import parse_posted_at
from kcc.insight.rollup import local_day, mark_days_stale
from kcc.intake.forms import CALLER_TYPE_LABELS, CHANNEL_LABELS
from kcc.intake.models import (
    CallerType,
    Channel,
    Question,
    QuestionEvent,
    QuestionEventKind,
    QuestionStatus,
    format_reference,
)
from kcc.intake.services import MAX_ANSWER_LENGTH, MAX_QUESTION_LENGTH, NUL
from kcc.localtime import to_local
from kcc.nlp.classifier import Labeller, Prediction
from kcc.nlp.store import ModelStoreError
from kcc.privacy.masking import mask_personal_data
from kcc.privacy.spreadsheet import FORMULA_STARTS
from kcc.reference.models import Crisis, Municipality, Topic
from kcc.transfer.mapping import ResolvedMapping
from kcc.transfer.reading import Table

CLASSIFY_BATCH_SIZE = 2_000
INSERT_BATCH_SIZE = 5_000
KEY_LOOKUP_BATCH_SIZE = 500
# A registration dated more than this after the import is a wrong date.
FUTURE_TOLERANCE = timedelta(days=1)
# How many problems an error message names; the preview lists every one.
PROBLEMS_NAMED = 5
ALREADY_IN_FILE = "staat eerder in dit bestand"


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One row that passed every check, with the ids it refers to and its duplicate key."""

    line: int
    received_at: datetime
    municipality_id: int
    channel: str
    caller_type: str
    text: str
    answer: str
    topic_id: int | None
    sentiment: str | None
    key: str


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that cannot be imported as it is, and why (Dutch)."""

    line: int
    messages: tuple[str, ...]
    text: str

    def describe(self) -> str:
        """'regel 4: datum ontbreekt; gemeente 'X' onbekend'."""
        return f"regel {self.line}: " + "; ".join(self.messages)


@dataclass
class CheckedFile:
    """A file's rows sorted into importable, problem rows and rows already stored."""

    total_rows: int = 0
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    already_imported: list[int] = field(default_factory=list)

    @property
    def problem_lines(self) -> set[int]:
        """Line numbers of the rows with problems."""
        return {problem.line for problem in self.problems}


@dataclass(frozen=True)
class ImportCounts:
    """What an import did."""

    total_rows: int
    imported: int
    already_imported: int
    skipped: int


# Looking up what a row names


@dataclass(frozen=True)
class Vocabulary:
    """What a row's names may refer to: municipalities, the crisis's topics, channels, types."""

    crisis: Crisis
    municipalities: dict[str, tuple[int, str]]
    topics: dict[str, int]
    channels: dict[str, str]
    caller_types: dict[str, str]

    @classmethod
    def for_crisis(cls, crisis: Crisis) -> Vocabulary:
        """Load the names once per file (never a query per row)."""
        municipalities: dict[str, tuple[int, str]] = {}
        # Merged municipalities stay known: old registrations name them.
        for municipality_id, code, name in db.session.execute(
            select(Municipality.id, Municipality.cbs_code, Municipality.name)
        ):
            municipalities[fold(code)] = (municipality_id, code)
            municipalities.setdefault(fold(name), (municipality_id, code))
        topics: dict[str, int] = {}
        for topic_id, code, name in db.session.execute(
            select(Topic.id, Topic.code, Topic.name).where(Topic.crisis_id == crisis.id)
        ):
            topics[fold(code)] = topic_id
            topics.setdefault(fold(name), topic_id)
        channels = {fold(channel.value): channel.value for channel in Channel}
        channels |= {fold(label): channel.value for channel, label in CHANNEL_LABELS.items()}
        channels |= {"email": Channel.EMAIL.value, "mail": Channel.EMAIL.value}
        caller_types = {fold(kind.value): kind.value for kind in CallerType}
        caller_types |= {fold(label): kind.value for kind, label in CALLER_TYPE_LABELS.items()}
        return cls(crisis, municipalities, topics, channels, caller_types)


def fold(value: str) -> str:
    """A name compared without case or surrounding and doubled spaces."""
    return " ".join(value.split()).casefold()


def undo_formula_guard(value: str) -> str:
    """Drop the apostrophe the export puts before a cell that would start a formula
    (kcc/privacy/spreadsheet.py), so an exported text imports as it was."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def row_key(crisis_code: str, values: Sequence[str]) -> str:
    """The duplicate key: sha256 of the crisis and the row's normalised values."""
    joined = "\x1f".join([crisis_code, *(" ".join(value.split()) for value in values)])
    return hashlib.sha256(joined.encode()).hexdigest()


# Checking rows


def check_row(
    line: int, row: Sequence[str], mapping: ResolvedMapping, words: Vocabulary, *, now: datetime
) -> ImportRow | RowProblem:
    """The row as an ImportRow, or every problem it has."""
    values = {
        target: undo_formula_guard(mapping.value(row, target)) for target in mapping.positions
    }
    problems: list[str] = []
    received_at = check_received_at(values.get("received_at", ""), now, problems)
    municipality = check_named(
        values.get("municipality", ""), words.municipalities, "gemeente", problems
    )
    channel = check_named(
        values.get("channel", ""),
        words.channels,
        "kanaal",
        problems,
        choices=", ".join(channel.value for channel in Channel),
    )
    caller_type = check_named(
        values.get("caller_type", ""),
        words.caller_types,
        "type beller",
        problems,
        choices=", ".join(kind.value for kind in CallerType),
    )
    text = values.get("text", "").strip()
    answer = values.get("answer", "").strip()
    check_texts(text, answer, problems)
    topic_id = check_topic(values.get("topic", ""), words, problems)
    sentiment = check_sentiment(values.get("sentiment", ""), problems)
    if problems or received_at is None or municipality is None:
        return RowProblem(line, tuple(problems), text)
    assert channel is not None and caller_type is not None  # no problems: both were found
    key = row_key(
        words.crisis.code,
        [received_at.isoformat(), municipality[1], channel, caller_type, text, answer],
    )
    return ImportRow(
        line=line,
        received_at=received_at,
        municipality_id=municipality[0],
        channel=channel,
        caller_type=caller_type,
        text=text,
        answer=answer,
        topic_id=topic_id,
        sentiment=sentiment,
        key=key,
    )


def check_received_at(value: str, now: datetime, problems: list[str]) -> datetime | None:
    """The moment the question came in (UTC); naive times are Dutch local time."""
    if not value.strip():
        problems.append("datum ontbreekt")
        return None
    moment = parse_posted_at(value)
    if moment is None:
        problems.append(
            f"datum {value.strip()[:30]!r} niet herkend (schrijf bijvoorbeeld 23-11-2026 09:30 "
            "of 2026-11-23 09:30)"
        )
        return None
    if moment > now + FUTURE_TOLERANCE:
        problems.append("datum ligt in de toekomst")
        return None
    return moment


def check_named(
    value: str,
    known: dict[str, object],
    what: str,
    problems: list[str],
    *,
    choices: str = "",
) -> object:
    """What a name or code refers to, or a problem when it is empty or unknown."""
    if not value.strip():
        problems.append(f"{what} ontbreekt")
        return None
    found = known.get(fold(value))
    if found is None:
        hint = f" (kies uit {choices})" if choices else ""
        problems.append(f"{what} {value.strip()[:40]!r} onbekend{hint}")
    return found


def check_texts(text: str, answer: str, problems: list[str]) -> None:
    """The question is there and neither text is too long or holds a NUL."""
    if NUL in text or NUL in answer:
        problems.append("tekst bevat een onzichtbaar NUL-teken")
    if not text:
        problems.append("vraag is leeg")
    elif len(text) > MAX_QUESTION_LENGTH:
        problems.append(f"vraag is te lang ({len(text)} tekens, maximaal {MAX_QUESTION_LENGTH})")
    if len(answer) > MAX_ANSWER_LENGTH:
        problems.append(f"antwoord is te lang ({len(answer)} tekens, maximaal {MAX_ANSWER_LENGTH})")


def check_topic(value: str, words: Vocabulary, problems: list[str]) -> int | None:
    """The crisis's topic a row names (by code or name); empty lets the model choose."""
    if not value.strip():
        return None
    topic_id = words.topics.get(fold(value))
    if topic_id is None:
        problems.append(f"onderwerp {value.strip()[:40]!r} hoort niet bij {words.crisis.name}")
    return topic_id


def check_sentiment(value: str, problems: list[str]) -> str | None:
    """A known sentiment; empty lets the model choose."""
    if not value.strip():
        return None
    sentiment = fold(value)
    if sentiment not in {s.value for s in Sentiment}:
        problems.append(
            f"sentiment {value.strip()[:20]!r} onbekend (negatief, neutraal of positief)"
        )
        return None
    return sentiment


def check_file(
    table: Table, mapping: ResolvedMapping, crisis: Crisis, *, now: datetime
) -> CheckedFile:
    """Check every row and find the ones stored before; nothing is written."""
    words = Vocabulary.for_crisis(crisis)
    checked = CheckedFile(total_rows=len(table.rows))
    seen: set[str] = set()
    for line, row in table.rows:
        outcome = check_row(line, row, mapping, words, now=now)
        if isinstance(outcome, RowProblem):
            checked.problems.append(outcome)
        elif outcome.key in seen:
            checked.already_imported.append(line)
        else:
            seen.add(outcome.key)
            checked.rows.append(outcome)
    stored = stored_keys(crisis.id, [row.key for row in checked.rows])
    if stored:
        checked.already_imported.extend(row.line for row in checked.rows if row.key in stored)
        checked.rows = [row for row in checked.rows if row.key not in stored]
        checked.already_imported.sort()
    return checked


def stored_keys(crisis_id: int, keys: Sequence[str]) -> set[str]:
    """The keys of this crisis already on a question.

    A few keys are looked up with IN lists; a large file reads the crisis's keys once
    instead. Right after a large import PostgreSQL's statistics still call the table small,
    and it answered 200 IN lists of 500 keys with 200 sequential scans (478 s for 100,000 rows
    measured); one streamed scan takes seconds whatever the statistics say.
    """
    wanted = set(keys)
    if len(wanted) <= KEY_LOOKUP_BATCH_SIZE * 4:
        found: set[str] = set()
        ordered = sorted(wanted)
        for start in range(0, len(ordered), KEY_LOOKUP_BATCH_SIZE):
            batch = ordered[start : start + KEY_LOOKUP_BATCH_SIZE]
            found.update(
                db.session.scalars(
                    select(Question.import_key).where(
                        Question.crisis_id == crisis_id, Question.import_key.in_(batch)
                    )
                )
            )
        return found
    every_key = db.session.scalars(
        select(Question.import_key)
        .where(Question.crisis_id == crisis_id, Question.import_key.is_not(None))
        .execution_options(yield_per=10_000)
    )
    return {key for key in every_key if key in wanted}


def rows_to_store(
    checked: CheckedFile, *, skip_lines: Iterable[int], all_or_nothing: bool
) -> tuple[list[ImportRow], int]:
    """The rows to import and how many the user skipped; a Dutch error for remaining problems."""
    skip = set(skip_lines)
    if all_or_nothing:
        blocking = checked.problems
    else:
        blocking = [problem for problem in checked.problems if problem.line not in skip]
    if blocking:
        named = "; ".join(problem.describe() for problem in blocking[:PROBLEMS_NAMED])
        more = (
            f"; en nog {len(blocking) - PROBLEMS_NAMED}" if len(blocking) > PROBLEMS_NAMED else ""
        )
        advice = (
            "Los ze op in het bestand, of kies ervoor om rijen met een probleem over te slaan."
            if all_or_nothing
            else "Vink ze aan om ze over te slaan, of los ze op in het bestand."
        )
        raise ValidationFailed(
            f"Niets geïmporteerd: {len(blocking)} rij(en) met een probleem ({named}{more}). "
            + advice,
            field="skip",
        )
    if all_or_nothing:
        return checked.rows, 0
    rows = [row for row in checked.rows if row.line not in skip]
    skipped = len(checked.problems) + len(checked.rows) - len(rows)
    return rows, skipped


# Masking and classifying in batches


@dataclass(frozen=True)
class Labellers:
    """The models `classify()` uses for a crisis, loaded once for the whole file."""

    topic: Labeller | None
    topic_model_id: int | None
    sentiment: Labeller | None
    sentiment_model_id: int | None
    topic_ids: dict[str, int]

    @classmethod
    def for_crisis(cls, crisis_id: int) -> Labellers:
        """The active topic model (or the cold start) and the active sentiment model."""
        active = classification_services.active_labellers(crisis_id)
        return cls(
            topic=active.topic,
            topic_model_id=active.topic_version.id if active.topic_version else None,
            sentiment=active.sentiment,
            sentiment_model_id=active.sentiment_version.id if active.sentiment_version else None,
            topic_ids=active.topic_ids,
        )

    def label(self, texts: list[str]) -> list[dict[str, object]]:
        """The classification columns for each masked text, as classify() would set them."""
        topics = self.topic.predict_many(texts) if self.topic else [None] * len(texts)
        sentiments = self.sentiment.predict_many(texts) if self.sentiment else [None] * len(texts)
        return [
            self.columns(topic, sentiment)
            for topic, sentiment in zip(topics, sentiments, strict=True)
        ]

    def columns(self, topic: Prediction | None, sentiment: Prediction | None) -> dict[str, object]:
        """One question's classification columns."""
        topic_id = self.topic_ids.get(topic.label) if topic else None
        return {
            "topic_id": topic_id,
            "topic_confidence": round(topic.confidence, 4) if topic else None,
            "topic_model_id": self.topic_model_id if topic else None,
            "sentiment": sentiment.label if sentiment else None,
            "sentiment_confidence": round(sentiment.confidence, 4) if sentiment else None,
            "sentiment_model_id": self.sentiment_model_id if sentiment else None,
            "needs_review": bool(
                topic_id is None
                or (topic and topic.needs_review)
                or (sentiment and sentiment.needs_review)
            ),
        }


UNLABELLED = {
    "topic_id": None,
    "topic_confidence": None,
    "topic_model_id": None,
    "sentiment": None,
    "sentiment_confidence": None,
    "sentiment_model_id": None,
    "needs_review": True,
}


def mask_distinct(texts: Iterable[str]) -> dict[str, str]:
    """Each distinct text masked once (old registrations repeat standard answers)."""
    return {text: mask_personal_data(text) for text in dict.fromkeys(texts) if text}


def label_distinct(masked_texts: Iterable[str], crisis_id: int) -> dict[str, dict[str, object]]:
    """Classification columns per distinct masked text, predicted in batches."""
    distinct = list(dict.fromkeys(masked_texts))
    try:
        labellers = Labellers.for_crisis(crisis_id)
    except ModelStoreError:
        # A model file that fails its checksum is never loaded (as at registration): the
        # questions are stored and wait for a person to label them.
        current_app.logger.exception("loading the classifiers for an import failed")
        return dict.fromkeys(distinct, UNLABELLED)
    labels: dict[str, dict[str, object]] = {}
    for start in range(0, len(distinct), CLASSIFY_BATCH_SIZE):
        batch = distinct[start : start + CLASSIFY_BATCH_SIZE]
        labels.update(zip(batch, labellers.label(batch), strict=True))
    return labels


def given_labels(row: ImportRow, labels: dict[str, object]) -> dict[str, object]:
    """A topic or sentiment in the file wins over the model's (not a confirmed training label:
    nobody here checked it)."""
    if row.topic_id is None and row.sentiment is None:
        return labels
    labels = dict(labels)
    if row.topic_id is not None:
        labels.update(topic_id=row.topic_id, topic_confidence=None, topic_model_id=None)
    if row.sentiment is not None:
        labels.update(sentiment=row.sentiment, sentiment_confidence=None, sentiment_model_id=None)
    return labels


# Storing


def question_values(
    row: ImportRow,
    masked: dict[str, str],
    labels: dict[str, object],
    *,
    crisis_id: int,
    user_id: int | None,
    now: datetime,
) -> dict[str, object]:
    """The question table's columns for one row."""
    return {
        "received_at": row.received_at,
        "channel": row.channel,
        "caller_type": row.caller_type,
        "municipality_id": row.municipality_id,
        "crisis_id": crisis_id,
        "text": row.text,
        "text_masked": masked[row.text],
        "answer": row.answer or None,
        "answer_masked": masked[row.answer] if row.answer else None,
        "status": (QuestionStatus.BEANTWOORD if row.answer else QuestionStatus.OPEN).value,
        "is_escalated": False,
        "callback_requested": False,
        "created_by_id": user_id,
        "created_at": now,
        "updated_at": now,
        "import_key": row.key,
        **given_labels(row, labels),
    }


def reserved_question_ids(count: int) -> list[int] | None:
    """On PostgreSQL, `count` ids taken from the question sequence ahead of the insert."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    sequence = func.pg_get_serial_sequence("question", "id")
    return list(
        db.session.scalars(
            select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        )
    )


def insert_questions(batch: Sequence[ImportRow], values: list[dict[str, object]]) -> list[int]:
    """Insert a batch of questions with their references; their ids, in the batch's order."""
    table = Question.__table__
    reserved = reserved_question_ids(len(batch))
    if reserved is not None:
        # PostgreSQL: ids first, so each row is written once with its reference. An UPDATE
        # afterwards would write every row twice, full-text index entry included.
        for question_id, row, columns in zip(reserved, batch, values, strict=True):
            columns["id"] = question_id
            columns["reference"] = reference_of(question_id, row)
        db.session.execute(insert(table), values)
        return reserved
    # SQLite: a core INSERT ... RETURNING in multi-row batches, ids matched by import key (asking
    # SQLAlchemy to keep the order makes it insert one row per statement), then the references
    # (the full-text triggers ignore that column).
    returned = dict(
        db.session.execute(insert(table).returning(table.c.import_key, table.c.id), values)
        .tuples()
        .all()
    )
    ids = [returned[row.key] for row in batch]
    db.session.execute(
        update(Question),
        [
            {"id": question_id, "reference": reference_of(question_id, row)}
            for question_id, row in zip(ids, batch, strict=True)
        ],
    )
    return ids


def reference_of(question_id: int, row: ImportRow) -> str:
    """KCC-<local year of receipt>-<id>, as registration gives it."""
    return format_reference(question_id, to_local(row.received_at).year)


def store_rows(
    rows: Sequence[ImportRow],
    crisis: Crisis,
    *,
    run_id: int,
    filename: str,
    user_id: int | None,
    now: datetime,
) -> None:
    """Mask, classify and insert the rows, their references and their history (no commit)."""
    masked = mask_distinct([row.text for row in rows] + [row.answer for row in rows])
    labels = label_distinct((masked[row.text] for row in rows), crisis.id)
    detail = f"Geïmporteerd (import {run_id}, {filename[:100]})"
    for start in range(0, len(rows), INSERT_BATCH_SIZE):
        batch = rows[start : start + INSERT_BATCH_SIZE]
        values = [
            question_values(
                row, masked, labels[masked[row.text]], crisis_id=crisis.id, user_id=user_id, now=now
            )
            for row in batch
        ]
        ids = insert_questions(batch, values)
        db.session.execute(
            insert(QuestionEvent),
            [
                {
                    "question_id": question_id,
                    "at": now,
                    "user_id": user_id,
                    "kind": QuestionEventKind.REGISTERED.value,
                    "detail": f"{detail}, regel {row.line}.",
                }
                for question_id, row in zip(ids, batch, strict=True)
            ],
        )
    # Bulk inserts bypass the roll-up's ORM listener: closed days must be recounted.
    today = local_day(now)
    mark_days_stale(
        db.session,
        {(crisis.id, day) for row in rows if (day := local_day(row.received_at)) < today},
    )


def store_checked_file(
    checked: CheckedFile,
    crisis: Crisis,
    *,
    skip_lines: Iterable[int],
    all_or_nothing: bool,
    run_id: int,
    filename: str,
    user: User | None,
    now: datetime,
) -> ImportCounts:
    """Store what may be stored and audit-log the import; the caller commits."""
    rows, skipped = rows_to_store(checked, skip_lines=skip_lines, all_or_nothing=all_or_nothing)
    store_rows(
        rows,
        crisis,
        run_id=run_id,
        filename=filename,
        user_id=user.id if user else None,
        now=now,
    )
    counts = ImportCounts(
        total_rows=checked.total_rows,
        imported=len(rows),
        already_imported=len(checked.already_imported),
        skipped=skipped,
    )
    record_event(
        AuditAction.QUESTIONS_IMPORTED,
        object_type="import_run",
        object_id=run_id,
        detail=f"{counts.imported} vragen geïmporteerd voor {crisis.code}, "
        f"{counts.already_imported} al geïmporteerd, {counts.skipped} overgeslagen "
        f"({filename[:100]})",
        user_id=user.id if user else None,
        username=user.username if user else "",
        now=now,
    )
    return counts


def commit_import() -> None:
    """Commit the import; a simultaneous import of the same rows loses cleanly."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(
            "Een deel van deze rijen is tegelijk door een andere import opgeslagen. Er is niets "
            "geïmporteerd; probeer het opnieuw (rijen die er al zijn worden dan overgeslagen)."
        ) from error
