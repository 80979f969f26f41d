"""Parallel claims: 20 coordinators claiming from one queue through the API at the same time.

Run: .venv/bin/python bench/claims.py [--items 1200] [--coordinators 20]
         [--database-url postgresql://postgres@127.0.0.1:54329/kcc_bench]
Without --database-url it runs on a fresh SQLite file in a temporary folder; with a PostgreSQL
URL it first DROPS and recreates that database's schema `public` (never point it at data you
want to keep).

The app runs in a real threaded HTTP server (werkzeug, as tests/browser's live_server) on a
database migrated from scratch and seeded with the demo data. Each coordinator has an API token
and a thread of its own that claims with POST /api/v1/questions/<id>/claim. All threads walk
the same shuffled list of items, each starting within the first few, and take one of the first
few items their view of the queue shows as unclaimed; that view is refreshed only every few
claims, as a coordinator's screen would be, so they collide on the same items all the time.
Afterwards the database is checked against every answer the threads got: one owner per item,
the owner is the coordinator who got the 200, everyone else got 409, every 200 is stored (owner,
"opgepakt" step, audit line), and each item's version is 1 + its successful changes.

Target (issue 5): 20 coordinators claiming from the same queue in parallel: zero double
assignments, zero lost updates, over 1,000 claims. Any 5xx or failed request is an error.
Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_questions import (  # noqa: E402
    BENCH_PASSWORD,
    build_app,
    read_training_texts,
    temporary_instance_path,
)
from bench.intake import percentile  # noqa: E402
from config import normalise_database_url  # noqa: E402
from kcc import create_app  # noqa: E402
from kcc.auth.models import Role, User  # noqa: E402
from kcc.auth.services import create_api_token, hash_password  # noqa: E402
from kcc.demo import seed_demo  # noqa: E402
from kcc.escalation.models import Escalation, EscalationStep, StepKind  # noqa: E402
from kcc.extensions import db  # noqa: E402
from kcc.governance.models import AuditEvent  # noqa: E402
from kcc.intake.services import ContactInput, QuestionInput, register_question  # noqa: E402
from kcc.reference.models import Crisis, Municipality  # noqa: E402

CLAIMED = StepKind.CLAIMED.value
MINIMUM_CLAIMS = 1_000
START_SPREAD = 4  # each thread starts within the first few items of the shared order
REQUEST_TIMEOUT = 60.0
# How the API words the two kinds of 409 (kcc/escalation/services.py).
LOST_RACE = "net voor"  # the version check refused the UPDATE: someone committed first
ALREADY_OWNED = "al opgepakt"  # the item had an owner when it was read


@dataclass(frozen=True)
class Attempt:
    """One claim request and what came back."""

    question_id: int
    coordinator: str
    status: int  # 0 when the request itself failed
    milliseconds: float
    owner: str | None  # the assignee named in a 200's body
    error: str = ""
    message: str = ""  # the API's error text, for a 409


@dataclass
class SharedQueue:
    """What the coordinators' screens would show: the items known to be claimed."""

    order: list[int]
    claimed: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def mark_claimed(self, question_id: int) -> None:
        """Record an item one of the threads won."""
        with self.lock:
            self.claimed.add(question_id)

    def snapshot(self) -> frozenset[int]:
        """The claimed items as a freshly loaded queue page would show them."""
        with self.lock:
            return frozenset(self.claimed)


@dataclass(frozen=True)
class Verdict:
    """The checks of the run, each with its outcome and what it found."""

    checks: list[tuple[str, bool, str]]

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(passed for _, passed, _ in self.checks)


# --- the app and its data ---------------------------------------------------------------------


def reset_postgres_schema(url: str) -> None:
    """Start PostgreSQL from an empty schema, so the migrations run from scratch."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@contextmanager
def bench_app(database_url: str | None) -> Iterator[tuple[Flask, str]]:
    """A testing app on a fresh database: a temporary SQLite file, or the given PostgreSQL."""
    if database_url is None:
        with tempfile.TemporaryDirectory(prefix="kcc-bench-claims-") as folder:
            path = Path(folder) / "claims.sqlite"
            # The testing config, with production's background checkpoints (as bench/intake.py).
            app = build_app(path, SQLITE_BACKGROUND_CHECKPOINT=True, ROUTING_INDEX_TTL=300)
            yield app, f"SQLite file {path}"
            with app.app_context():
                db.engine.dispose()
        return
    url = normalise_database_url(database_url)
    reset_postgres_schema(url)
    with temporary_instance_path():
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "ROUTING_INDEX_TTL": 300})
    yield app, f"PostgreSQL {url.split('@')[-1]}"
    with app.app_context():
        db.engine.dispose()


def create_coordinators(count: int) -> dict[str, str]:
    """`count` coordinators with an API token each; returns username -> token."""
    password_hash = hash_password(BENCH_PASSWORD)
    usernames = [f"coordinator-{number:02d}" for number in range(1, count + 1)]
    for number, username in enumerate(usernames, start=1):
        db.session.add(
            User(
                username=username,
                full_name=f"Coördinator {number}",
                role=Role.COORDINATOR.value,
                password_hash=password_hash,
            )
        )
    db.session.commit()
    return {username: create_api_token(username) for username in usernames}


def register_escalations(count: int, generator: random.Random) -> list[int]:
    """Register `count` escalated questions the way intake does; return their question ids."""
    crisis = db.session.execute(select(Crisis).where(Crisis.code == "oekraine")).scalar_one()
    municipalities = list(db.session.execute(select(Municipality.id)).scalars())
    agent_id = db.session.execute(select(User.id).where(User.username == "agent")).scalar_one()
    samples = [sample for texts in read_training_texts("oekraine").values() for sample in texts]
    question_ids = []
    for number in range(count):
        registration = register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=generator.choice(municipalities),
                crisis_id=crisis.id,
                text=generator.choice(samples),
                escalate=True,
                contact=ContactInput(name=f"Beller {number}", phone="06-12345678"),
            ),
            user_id=agent_id,
        )
        question_ids.append(registration.question.id)
    return question_ids


# --- the claiming threads ---------------------------------------------------------------------


def post_claim(port: int, token: str, question_id: int) -> tuple[int, float, dict[str, object]]:
    """POST one claim on a new connection; return status, milliseconds and the JSON body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    started = time.perf_counter()
    try:
        connection.request(
            "POST",
            f"/api/v1/questions/{question_id}/claim",
            body=b"{}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    elapsed = (time.perf_counter() - started) * 1000
    try:
        data = json.loads(body)
    except ValueError:
        data = {"raw": body[:200].decode("utf-8", "replace")}
    return response.status, elapsed, data if isinstance(data, dict) else {}


def next_item(
    queue: SharedQueue,
    start: int,
    seen_claimed: frozenset[int],
    tried: set[int],
    *,
    window: int,
    generator: random.Random,
) -> int | None:
    """One of the first `window` items from `start` on that this coordinator's screen offers."""
    order = queue.order
    offered: list[int] = []
    for step in range(len(order)):
        question_id = order[(start + step) % len(order)]
        if question_id not in seen_claimed and question_id not in tried:
            offered.append(question_id)
            if len(offered) == window:
                break
    return generator.choice(offered) if offered else None


def error_text(data: dict[str, object]) -> str:
    """The messages of an API error body, joined."""
    errors = data.get("errors")
    if not isinstance(errors, dict):
        return ""
    return " ".join(str(message) for messages in errors.values() for message in messages)


def describe_error(status: int, data: dict[str, object]) -> str:
    """A short text for an unexpected answer."""
    return f"HTTP {status}: {json.dumps(data, ensure_ascii=False)[:300]}"


def claim_until_done(
    coordinator: str,
    token: str,
    port: int,
    queue: SharedQueue,
    start: int,
    refresh_every: int,
    window: int,
    results: list[Attempt],
    barrier: threading.Barrier,
) -> None:
    """One coordinator: claim what the screen shows as free until nothing is left."""
    generator = random.Random(coordinator)
    tried: set[int] = set()
    seen_claimed = queue.snapshot()
    since_refresh = 0
    barrier.wait()  # every thread starts at the same moment
    while True:
        if since_refresh >= refresh_every:
            seen_claimed, since_refresh = queue.snapshot(), 0
        question_id = next_item(
            queue, start, seen_claimed, tried, window=window, generator=generator
        )
        if question_id is None and since_refresh:
            seen_claimed, since_refresh = queue.snapshot(), 0
            question_id = next_item(
                queue, start, seen_claimed, tried, window=window, generator=generator
            )
        if question_id is None:
            return
        tried.add(question_id)
        since_refresh += 1
        try:
            status, elapsed, data = post_claim(port, token, question_id)
        except (OSError, http.client.HTTPException) as error:
            results.append(Attempt(question_id, coordinator, 0, 0.0, None, repr(error)))
            continue
        owner = None
        if status == 200:
            assignee = data.get("assignee")
            username = assignee.get("username") if isinstance(assignee, dict) else None
            owner = username if isinstance(username, str) else None
            queue.mark_claimed(question_id)
        error = "" if status in (200, 409) else describe_error(status, data)
        results.append(
            Attempt(question_id, coordinator, status, elapsed, owner, error, error_text(data))
        )


def run_claims(
    app: Flask,
    tokens: dict[str, str],
    question_ids: list[int],
    *,
    refresh_every: int,
    window: int,
    seed: int,
) -> tuple[list[Attempt], float]:
    """Serve the app on a threaded HTTP server and let every coordinator claim in parallel."""
    order = list(question_ids)
    random.Random(seed).shuffle(order)
    queue = SharedQueue(order=order)
    results: list[Attempt] = []  # list.append is atomic under the GIL
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server_thread = threading.Thread(target=server.serve_forever, name="claims-server", daemon=True)
    server_thread.start()
    barrier = threading.Barrier(len(tokens) + 1)
    workers = [
        threading.Thread(
            target=claim_until_done,
            args=(
                coordinator,
                token,
                server.server_port,
                queue,
                number % START_SPREAD,
                refresh_every,
                window,
                results,
                barrier,
            ),
            name=coordinator,
        )
        for number, (coordinator, token) in enumerate(tokens.items())
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    server.shutdown()
    server_thread.join(timeout=10)
    server.server_close()
    return results, elapsed


# --- checking the database against the answers ------------------------------------------------


@dataclass(frozen=True)
class StoredItem:
    """What the database says about one escalation after the run."""

    question_id: int
    assignee: str | None
    version: int
    claimed_by: list[str]  # the user of every CLAIMED step
    steps_after_opening: int  # every logged change after the "doorgezet" step


def read_stored_items() -> dict[int, StoredItem]:
    """Every escalation with its owner, version and logged steps, by question id."""
    usernames = dict(db.session.execute(select(User.id, User.username)).all())
    steps: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    for escalation_id, kind, user_id in db.session.execute(
        select(EscalationStep.escalation_id, EscalationStep.kind, EscalationStep.user_id)
    ).all():
        steps[escalation_id].append((kind, user_id))
    items = {}
    for escalation in db.session.execute(select(Escalation)).scalars():
        logged = steps[escalation.id]
        items[escalation.question_id] = StoredItem(
            question_id=escalation.question_id,
            assignee=usernames.get(escalation.assignee_id) if escalation.assignee_id else None,
            version=escalation.version,
            claimed_by=[usernames.get(user_id, "?") for kind, user_id in logged if kind == CLAIMED],
            steps_after_opening=sum(1 for kind, _ in logged if kind != StepKind.ESCALATED.value),
        )
    return items


def count_claim_audit_events() -> int:
    """Audit lines written for claims (one per successful claim, in its transaction)."""
    return db.session.execute(
        select(func.count(AuditEvent.id)).where(AuditEvent.detail.like(f"{CLAIMED}:%"))
    ).scalar_one()


def verify(results: list[Attempt], items: dict[int, StoredItem], audit_lines: int) -> Verdict:
    """Compare every answer the threads got with what the database holds."""
    wins: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in results:
        if attempt.status == 200:
            wins[attempt.question_id].append(attempt)
    successes = sum(len(won) for won in wins.values())
    assigned = sum(1 for item in items.values() if item.assignee)
    claimed_steps = sum(len(item.claimed_by) for item in items.values())
    double = {qid for qid, item in items.items() if len(item.claimed_by) > 1}
    double |= {qid for qid, won in wins.items() if len(won) > 1}
    # A 200 whose coordinator is not the stored owner (or not the one in the step) was lost.
    overwritten = [
        qid
        for qid, won in wins.items()
        if len(won) == 1
        and (
            items[qid].assignee != won[0].coordinator
            or won[0].owner != won[0].coordinator
            or items[qid].claimed_by != [won[0].coordinator]
        )
    ]
    wrong_versions = [
        qid
        for qid, item in items.items()
        if item.version != 1 + item.steps_after_opening
        or item.steps_after_opening != len(wins.get(qid, []))
    ]
    unexpected = [attempt for attempt in results if attempt.status not in (200, 409)]
    unclaimed = [qid for qid, item in items.items() if not item.assignee]
    versions = Counter(item.version for item in items.values())
    checks = [
        (
            "zero double assignments",
            not double,
            f"{len(double)} items with two owners, two 200s or two CLAIMED steps",
        ),
        (
            "zero lost updates (every 200 stored, none overwritten)",
            not overwritten and successes == assigned == claimed_steps == audit_lines,
            f"200 answers {successes} = items with an owner {assigned} = CLAIMED steps "
            f"{claimed_steps} = audit lines {audit_lines}; {len(overwritten)} items whose "
            "owner is not the coordinator who got the 200",
        ),
        (
            "version = 1 + successful changes on every item",
            not wrong_versions,
            f"{len(wrong_versions)} items off; versions found {dict(sorted(versions.items()))}",
        ),
        (
            f"over {MINIMUM_CLAIMS:,} claims",
            successes > MINIMUM_CLAIMS,
            f"{successes:,} successful claims, {len(unclaimed)} items left unclaimed",
        ),
        (
            "no errors (5xx, other statuses, failed requests)",
            not unexpected,
            f"{len(unexpected)} errors",
        ),
    ]
    return Verdict(checks)


# --- reporting --------------------------------------------------------------------------------


class ErrorCollector(logging.Handler):
    """Keeps the app's error log lines (with their exception) to report what went wrong."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Store the message and the first line of the exception."""
        cause = ""
        if record.exc_info and record.exc_info[1] is not None:
            cause = f" {type(record.exc_info[1]).__name__}: {record.exc_info[1]}".splitlines()[0]
        self.lines.append(f"{record.getMessage()}{cause}")


def report(results: list[Attempt], elapsed: float, errors: ErrorCollector) -> None:
    """Print counts, rates and latencies of the run, and what the errors were."""
    statuses = Counter(attempt.status for attempt in results)
    successes = statuses[200]
    latencies = [attempt.milliseconds for attempt in results if attempt.status]
    unexpected = [attempt for attempt in results if attempt.status not in (200, 409)]
    print(
        f"claim requests {len(results):,} in {elapsed:.1f} s: {successes:,} claimed (200), "
        f"{statuses[409]:,} conflicts (409), {len(unexpected):,} errors"
    )
    print(
        f"claims/s {successes / elapsed:,.1f}; requests/s {len(results) / elapsed:,.1f}; "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    conflicts = [attempt.message for attempt in results if attempt.status == 409]
    lost_race = sum(LOST_RACE in message for message in conflicts)
    owned = sum(ALREADY_OWNED in message for message in conflicts)
    print(
        f"409s: {lost_race:,} lost the race at commit (version check), {owned:,} found the "
        f"item owned, {len(conflicts) - lost_race - owned:,} other"
    )
    if latencies:
        print(
            f"claim latency (client, all requests): p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {percentile(latencies, 0.95):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
            f"max {max(latencies):.1f} ms"
        )
    for message, count in Counter(attempt.error for attempt in unexpected).most_common(5):
        print(f"  error x{count}: {message}")
    for line, count in Counter(errors.lines).most_common(5):
        print(f"  app log x{count}: {line[:300]}")


def parse_arguments(arguments: Sequence[str] | None) -> argparse.Namespace:
    """Read the options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", help="PostgreSQL URL (its schema public is dropped); default SQLite"
    )
    parser.add_argument("--items", type=int, default=1_200, help="open escalations to claim")
    parser.add_argument("--coordinators", type=int, default=20, help="parallel coordinators")
    parser.add_argument(
        "--refresh-every", type=int, default=3, help="claims between queue refreshes"
    )
    parser.add_argument(
        "--window", type=int, default=4, help="a thread picks one of the first N free items"
    )
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(arguments)


def main(arguments: Sequence[str] | None = None) -> None:
    """Prepare the queue, claim in parallel, check the database, print the verdict."""
    options = parse_arguments(arguments)
    logging.getLogger("kcc").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    errors = ErrorCollector()
    with bench_app(options.database_url) as (app, where):
        app.logger.setLevel(logging.WARNING)
        app.logger.addHandler(errors)
        with app.app_context():
            started = time.perf_counter()
            upgrade()
            seed_demo(BENCH_PASSWORD)
            tokens = create_coordinators(options.coordinators)
            prepared = time.perf_counter()
            question_ids = register_escalations(options.items, random.Random(options.seed))
            registered = time.perf_counter() - prepared
            db.session.remove()
        print(
            f"{where}: migrated and seeded, {len(tokens)} coordinators with tokens, "
            f"{len(question_ids):,} escalations registered in {registered:.1f} s "
            f"(setup {time.perf_counter() - started:.1f} s)"
        )
        results, elapsed = run_claims(
            app,
            tokens,
            question_ids,
            refresh_every=options.refresh_every,
            window=options.window,
            seed=options.seed,
        )
        with app.app_context():
            items = read_stored_items()
            audit_lines = count_claim_audit_events()
            db.session.remove()
    report(results, elapsed, errors)
    verdict = verify(results, items, audit_lines)
    for name, passed, detail in verdict.checks:
        print(f"{'PASS' if passed else 'FAIL'}  {name}: {detail}")
    sys.exit(0 if verdict.passed else 1)


if __name__ == "__main__":
    main()
