"""Benchmark: importing 100,000 registrations from CSV (issue 9: under a minute).

Run: .venv/bin/python bench/import_questions.py [--rows 100000] [--seed 1] [--keep FOLDER]

A fresh SQLite database gets the real migrations and demo seeding, and the shipped models are
trained and activated (not timed). The rows are written as CSV in the export's layout
(received_at,municipality,channel,caller_type,text,answer) with the notes of
bench/generate_questions.py (training texts varied, agent notes, a third of the escalated ones
with a phone number or e-mail address in the text) over the last 120 days. They are then
imported through `kcc.transfer.services.import_file`, the function behind
`flask --app kcc import`: reading, checking every row, masking, classifying in batches and the
bulk inserts in one transaction. A second import of the same file must add nothing.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench.generate_questions import (  # noqa: E402
    ANSWERS,
    QuestionFactory,
    build_app,
    create_schema_and_reference_data,
    read_training_texts,
)
from kcc.classification.services import train_models  # noqa: E402
from kcc.extensions import db, utcnow  # noqa: E402
from kcc.intake.models import CallerType, Channel, Question, QuestionStatus  # noqa: E402
from kcc.localtime import to_local  # noqa: E402
from kcc.transfer.mapping import DEFAULT_COLUMNS  # noqa: E402
from kcc.transfer.services import import_file  # noqa: E402

CRISIS = "corona"
DAYS = 120
TARGET_SECONDS = 60.0


def write_rows(path: Path, rows: int, factory: QuestionFactory) -> None:
    """The CSV file: one row per registration, in the export's layout."""
    generator = factory.generator
    now = utcnow()
    municipality_codes = list(factory.reference.municipality_ids)
    topics = list(ANSWERS[CRISIS])
    channels = [channel.value for channel in Channel]
    caller_types = [kind.value for kind in CallerType]
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(DEFAULT_COLUMNS)
        for _ in range(rows):
            topic = factory.pick(topics)
            escalated = generator.random() < 0.2
            contact = factory.make_contact() if escalated else None
            text, _masked = factory.compose_text(CRISIS, topic, contact)
            answered = not escalated and generator.random() < 0.85
            answer = factory.pick(factory.answers[CRISIS][topic])[0] if answered else ""
            received_at = now - timedelta(seconds=generator.randrange(DAYS * 24 * 3600))
            writer.writerow(
                [
                    to_local(received_at).strftime("%d-%m-%Y %H:%M:%S"),
                    factory.pick(municipality_codes),
                    factory.pick(channels),
                    factory.pick(caller_types),
                    text,
                    answer,
                ]
            )


def parse_arguments(arguments: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the database and CSV in this folder")
    return parser.parse_args(arguments)


def main(arguments: Sequence[str] | None = None) -> None:
    """Build the database and the file, import it twice, print the figures."""
    options = parse_arguments(arguments)
    folder = options.keep or Path(tempfile.mkdtemp(prefix="kcc-bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "import.sqlite"
    database.unlink(missing_ok=True)
    csv_path = folder / "registraties.csv"
    app = build_app(database)
    reference = create_schema_and_reference_data(app)
    factory = QuestionFactory(
        random.Random(options.seed),
        reference,
        {CRISIS: read_training_texts(CRISIS)},
    )
    started = time.perf_counter()
    write_rows(csv_path, options.rows, factory)
    print(
        f"generated {options.rows:,} rows ({csv_path.stat().st_size / 2**20:.1f} MiB) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    with app.app_context():
        started = time.perf_counter()
        train_models(force=True)
        print(f"trained the shipped models in {time.perf_counter() - started:.1f} s (not timed)")

        started = time.perf_counter()
        first = import_file(csv_path, CRISIS, now=utcnow())
        seconds = time.perf_counter() - started
        stored = db.session.scalar(select(func.count()).select_from(Question))
        classified = db.session.scalar(
            select(func.count()).select_from(Question).where(Question.topic_id.is_not(None))
        )
        answered = db.session.scalar(
            select(func.count())
            .select_from(Question)
            .where(Question.status == QuestionStatus.BEANTWOORD.value)
        )
        verdict = "met" if seconds < TARGET_SECONDS else "MISSED"
        print(
            f"import: {first.counts.total_rows:,} rows, {first.counts.imported:,} imported in "
            f"{seconds:.1f} s = {first.counts.imported / seconds:,.0f} rows/s "
            f"(target < {TARGET_SECONDS:.0f} s: {verdict})"
        )
        print(f"stored {stored:,} questions, {classified:,} with a topic, {answered:,} answered")

        started = time.perf_counter()
        second = import_file(csv_path, CRISIS, now=utcnow())
        print(
            f"re-import: {second.counts.imported:,} imported, "
            f"{second.counts.already_imported:,} already imported, "
            f"in {time.perf_counter() - started:.1f} s"
        )
        db.session.remove()
        db.engine.dispose()
    if options.keep is None:
        for path in (csv_path, database):
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
