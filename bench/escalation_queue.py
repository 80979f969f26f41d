"""Queue page speed: 50,000 open escalations among a million questions.

Run: .venv/bin/python bench/escalation_queue.py [--database bench/data/million.sqlite]
         [--requests 300]
(Not bench/queue.py: run as a script, a file of that name in bench/ stands in for the standard
library's `queue` in every bench script, and intake.py and generate_questions.py fail to start.)
Builds the database with bench/generate_questions.py first when it is missing, applies the
migrations, and tops the escalations up to 50,000 open and 5,000 closed ones (once: a second
run finds them and inserts nothing).

"Server time" is the time the app spends on one GET /queue, measured around the in-process
WSGI call (Flask's test client) as a coordinator logged in through the real login form:
routing, session, the filter form, the page query with its counts per state, rendering. No
network and no browser are in it. The requests rotate over the views and filters coordinators
use: all open, overdue, unassigned, my work, one crisis, one municipality, one topic, one state,
and pages 2 to 5.

Target (issue 5): queue page with 50,000 open escalations and a million questions, p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import bindparam, func, insert, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_questions import BENCH_PASSWORD, build_app, generate  # noqa: E402
from bench.intake import CSRF, percentile, timed  # noqa: E402
from kcc.auth.models import Role, User  # noqa: E402
from kcc.auth.services import hash_password  # noqa: E402
from kcc.classification.models import Sentiment  # noqa: E402
from kcc.escalation.models import (  # noqa: E402
    Escalation,
    EscalationState,
    EscalationStep,
    Priority,
    StepKind,
)
from kcc.escalation.opening import URGENT_RESPONSE_HOURS  # noqa: E402
from kcc.extensions import db, utcnow  # noqa: E402
from kcc.intake.models import CallerType, Question, QuestionStatus  # noqa: E402
from kcc.reference.models import Crisis, Department, Municipality, Topic  # noqa: E402

DEFAULT_DATABASE = Path(__file__).resolve().parent / "data" / "million.sqlite"
TARGET_P95_MS = 100.0
OPEN_ESCALATIONS = 50_000
CLOSED_ESCALATIONS = 5_000
INSERT_CHUNK = 10_000
# Specialists besides the demo one, each at a department, so "assigned" spreads realistically.
EXTRA_SPECIALISTS = 8
COORDINATOR = Role.COORDINATOR.value
S = EscalationState
# Where 50,000 open items stand in a busy week: a third not yet picked up.
OPEN_STATE_WEIGHTS = {
    S.NIEUW: 30,
    S.TOEGEWEZEN: 20,
    S.IN_BEHANDELING: 30,
    S.WACHT_OP_BURGER: 12,
    S.BEANTWOORD: 8,
}
PRIORITY_WEIGHTS = {Priority.SPOED: 3, Priority.HOOG: 15, Priority.NORMAAL: 72, Priority.LAAG: 10}
# Deadlines from three days overdue to five days ahead of now.
DEADLINE_SPREAD = (timedelta(days=-3), timedelta(days=5))
COORDINATOR_SHARE = 0.15  # of the owned items, the coordinator took these on herself
DEPARTMENT_ONLY_SHARE = 0.3  # of the "toegewezen" items, routed to a department, no person yet
FINAL_ANSWER = "Antwoord van de afdeling gegeven; zie de follow-up."
ROW_LINK = re.compile(r'href="/queue/\d+"')


@dataclass(frozen=True)
class Candidate:
    """An escalated question without a work item yet, with what its item copies."""

    question_id: int
    crisis_id: int
    municipality_id: int
    topic_id: int | None
    received_at: datetime
    caller_type: str
    sentiment: str | None
    created_by_id: int | None


@dataclass(frozen=True)
class Staff:
    """Who items can be assigned to, and the departments they work at."""

    coordinator_id: int
    specialists: list[tuple[int, int | None]]  # (user id, department id)
    department_ids: list[int]


@dataclass(frozen=True)
class Variant:
    """One kind of queue request: a name and its query strings (used in turn)."""

    name: str
    queries: list[dict[str, object]]


def ensure_staff() -> Staff:
    """The coordinator, the demo specialist and a few more specialists (created once)."""
    departments = list(db.session.execute(select(Department).order_by(Department.id)).scalars())
    existing = {user.username: user for user in db.session.execute(select(User)).scalars()}
    password_hash = None
    for number in range(1, EXTRA_SPECIALISTS + 1):
        username = f"bench-specialist-{number}"
        if username in existing:
            continue
        password_hash = password_hash or hash_password(BENCH_PASSWORD)
        existing[username] = User(
            username=username,
            full_name=f"Vakspecialist {number}",
            role=Role.SPECIALIST.value,
            password_hash=password_hash,
            department_id=departments[number % len(departments)].id,
        )
        db.session.add(existing[username])
    db.session.commit()
    specialists = [
        (user.id, user.department_id)
        for user in existing.values()
        if user.role == Role.SPECIALIST.value
    ]
    return Staff(
        coordinator_id=existing[COORDINATOR].id,
        specialists=specialists,
        department_ids=[department.id for department in departments],
    )


def read_candidates(count: int) -> list[Candidate]:
    """The newest escalated questions that have no work item yet."""
    has_item = select(Escalation.id).where(Escalation.question_id == Question.id).exists()
    rows = db.session.execute(
        select(
            Question.id,
            Question.crisis_id,
            Question.municipality_id,
            Question.topic_id,
            Question.received_at,
            Question.caller_type,
            Question.sentiment,
            Question.created_by_id,
        )
        .where(Question.status == QuestionStatus.DOORGEZET.value, ~has_item)
        .order_by(Question.id.desc())
        .limit(count)
    ).all()
    return [Candidate(*row) for row in rows]


def draw_priority(candidate: Candidate, generator: random.Random) -> tuple[Priority, str]:
    """A chosen priority raised by the rules of kcc.escalation.opening, and why."""
    priority = generator.choices(list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values()))[0]
    if candidate.caller_type == CallerType.PERS and priority != Priority.SPOED:
        return Priority.SPOED, "vraag van de pers"
    if candidate.sentiment == Sentiment.NEGATIEF and priority.rank > Priority.HOOG.rank:
        return Priority.HOOG, "negatief sentiment"
    return priority, ""


def draw_owner(
    state: EscalationState,
    default_department: int | None,
    staff: Staff,
    generator: random.Random,
) -> tuple[int | None, int | None]:
    """(department id, assignee id) for an item in this state."""
    if state == S.NIEUW:
        return default_department, None
    if state == S.TOEGEWEZEN and generator.random() < DEPARTMENT_ONLY_SHARE:
        return default_department or generator.choice(staff.department_ids), None
    if generator.random() < COORDINATOR_SHARE:
        return default_department, staff.coordinator_id
    user_id, department_id = generator.choice(staff.specialists)
    return department_id, user_id


def escalation_row(
    escalation_id: int,
    candidate: Candidate,
    *,
    is_open: bool,
    now: datetime,
    staff: Staff,
    topics: dict[int, tuple[int | None, float | None]],
    crisis_hours: dict[int, float],
    generator: random.Random,
) -> dict[str, object]:
    """One escalation row, open (deadline around now) or closed (answered and done)."""
    priority, priority_reason = draw_priority(candidate, generator)
    default_department, topic_hours = topics.get(candidate.topic_id or 0, (None, None))
    hours = topic_hours or crisis_hours[candidate.crisis_id]
    if priority == Priority.SPOED:
        hours = min(hours, URGENT_RESPONSE_HOURS)
    received = candidate.received_at
    if is_open:
        state = generator.choices(list(OPEN_STATE_WEIGHTS), list(OPEN_STATE_WEIGHTS.values()))[0]
        low, high = DEADLINE_SPREAD
        drawn = now + low + (high - low) * generator.random()
        deadline = max(drawn, received + timedelta(hours=1))
        closed_at = None
        answered_at = (
            received + (now - received) * generator.random() if state == S.BEANTWOORD else None
        )
    else:
        state = S.AFGESLOTEN
        deadline = received + timedelta(days=generator.uniform(1, 5))
        answered_at = received + timedelta(hours=generator.uniform(1, 72))
        closed_at = min(answered_at + timedelta(hours=generator.uniform(1, 48)), now)
    department_id, assignee_id = draw_owner(
        state if is_open else S.IN_BEHANDELING, default_department, staff, generator
    )
    return {
        "id": escalation_id,
        "question_id": candidate.question_id,
        "crisis_id": candidate.crisis_id,
        "municipality_id": candidate.municipality_id,
        "topic_id": candidate.topic_id,
        "state": state.value,
        "is_open": is_open,
        "priority": priority.value,
        "priority_rank": priority.rank,
        "priority_reason": priority_reason,
        "deadline": deadline,
        "response_hours": float(hours),
        "department_id": department_id,
        "assignee_id": assignee_id,
        "reason": "",
        "final_answer": FINAL_ANSWER if answered_at else None,
        "answered_at": answered_at,
        "closed_at": closed_at,
        "version": 1,
        "created_by_id": candidate.created_by_id,
        "created_at": received,
        "updated_at": closed_at or max(received, answered_at or received),
    }


def step_row(row: dict[str, object]) -> dict[str, object]:
    """The "doorgezet" step every item starts its timeline with."""
    return {
        "escalation_id": row["id"],
        "at": row["created_at"],
        "user_id": row["created_by_id"],
        "kind": StepKind.ESCALATED.value,
        "from_state": None,
        "to_state": S.NIEUW.value,
        "detail": f"Prioriteit {row['priority']}.",
    }


def count_escalations() -> tuple[int, int]:
    """(open, closed) escalations in the database."""
    rows = dict(
        db.session.execute(
            select(Escalation.is_open, func.count(Escalation.id)).group_by(Escalation.is_open)
        ).all()
    )
    return rows.get(True, 0), rows.get(False, 0)


def ensure_escalations(generator: random.Random) -> tuple[int, int]:
    """Top the queue up to OPEN_ESCALATIONS open and CLOSED_ESCALATIONS closed items."""
    open_now, closed_now = count_escalations()
    missing_open = max(0, OPEN_ESCALATIONS - open_now)
    missing_closed = max(0, CLOSED_ESCALATIONS - closed_now)
    if not missing_open and not missing_closed:
        return 0, 0
    started = time.perf_counter()
    staff = ensure_staff()
    # The newest escalated questions are the open ones; the older ones were closed.
    candidates = read_candidates(missing_open + missing_closed)
    if len(candidates) < missing_open + missing_closed:
        raise SystemExit(f"only {len(candidates):,} escalated questions without a work item")
    topics = {
        topic.id: (topic.default_department_id, topic.response_hours)
        for topic in db.session.execute(select(Topic)).scalars()
    }
    crisis_hours = {
        crisis.id: crisis.response_hours for crisis in db.session.execute(select(Crisis)).scalars()
    }
    now = utcnow()
    next_id = (db.session.execute(select(func.max(Escalation.id))).scalar_one() or 0) + 1
    rows = [
        escalation_row(
            next_id + number,
            candidate,
            is_open=number < missing_open,
            now=now,
            staff=staff,
            topics=topics,
            crisis_hours=crisis_hours,
            generator=generator,
        )
        for number, candidate in enumerate(candidates)
    ]
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        db.session.execute(insert(Escalation.__table__), chunk)
        db.session.execute(insert(EscalationStep.__table__), [step_row(row) for row in chunk])
    # A closed item closes its question too, as services.apply_transition does.
    closed_ids = [{"question_id": row["question_id"]} for row in rows if not row["is_open"]]
    if closed_ids:
        db.session.execute(
            update(Question.__table__)
            .where(Question.__table__.c.id == bindparam("question_id"))
            .values(status=QuestionStatus.AFGESLOTEN.value),
            closed_ids,
        )
    db.session.commit()
    # The generator analyses its tables once after loading; the new rows get the same.
    db.session.execute(text("ANALYZE escalation"))
    db.session.execute(text("ANALYZE escalation_step"))
    db.session.commit()
    elapsed = time.perf_counter() - started
    print(
        f"inserted {missing_open:,} open and {missing_closed:,} closed escalations in "
        f"{elapsed:.1f} s ({len(rows) / elapsed:,.0f} rows/s)"
    )
    return missing_open, missing_closed


def logged_in_client(app: Flask, username: str) -> FlaskClient:
    """A client logged in as `username` through the real login form."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login", data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, f"bench login as {username} failed"
    return client


def queue_variants() -> list[Variant]:
    """The views and filters coordinators use, with ids from the bench database."""
    crisis_id = db.session.execute(select(Crisis.id).where(Crisis.code == "oekraine")).scalar_one()
    municipality_id = db.session.execute(
        select(Municipality.id).where(Municipality.cbs_code == "GM0402")
    ).scalar_one()
    topic_id = db.session.execute(
        select(Topic.id).where(Topic.crisis_id == crisis_id, Topic.code == "leefgeld")
    ).scalar_one()
    return [
        Variant("all open (default)", [{}]),
        Variant("view=overdue", [{"view": "overdue"}]),
        Variant("view=unassigned", [{"view": "unassigned"}]),
        Variant("view=mine", [{"view": "mine"}]),
        Variant("crisis filter", [{"crisis_id": crisis_id}]),
        Variant("municipality filter", [{"municipality_id": municipality_id}]),
        Variant("topic filter", [{"topic_id": topic_id}]),
        Variant("state filter", [{"state": S.WACHT_OP_BURGER.value}]),
        Variant("pages 2-5", [{"page": page} for page in range(2, 6)]),
    ]


def bench_queue(
    client: FlaskClient, variants: list[Variant], requests: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Time GET /queue, the variants in turn; return times and rows shown per variant."""
    for variant in variants:  # warm the caches once, as a running server would have them
        for query in variant.queries:
            client.get("/queue", query_string=query)
    times: dict[str, list[float]] = {variant.name: [] for variant in variants}
    rows: dict[str, int] = {}
    for number in range(requests):
        variant = variants[number % len(variants)]
        query = variant.queries[(number // len(variants)) % len(variant.queries)]
        elapsed, response = timed(client.get, "/queue", query_string=query)
        assert response.status_code == 200, f"{variant.name}: {response.status_code}"
        times[variant.name].append(elapsed)
        rows[variant.name] = len(ROW_LINK.findall(response.get_data(as_text=True)))
    return times, rows


def report_line(name: str, times: list[float], extra: str = "") -> None:
    """Print count, median, p95, p99 and max of one set of times."""
    print(
        f"{name:<22} n={len(times):<5} median {statistics.median(times):6.1f}  "
        f"p95 {percentile(times, 0.95):6.1f}  p99 {percentile(times, 0.99):6.1f}  "
        f"max {max(times):6.1f} ms{extra}"
    )


def main(arguments: Sequence[str] | None = None) -> None:
    """Prepare the queue, time the page, print the figures beside the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, default=DEFAULT_DATABASE)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(arguments)
    # Flask-SQLAlchemy reads a relative SQLite path from the instance folder: make it absolute.
    options.database = options.database.resolve()
    if not options.database.exists():
        print(f"{options.database} is missing: generating a million questions first ...")
        generate(options.database, 1_000_000, options.seed)
    logging.getLogger("kcc").setLevel(logging.WARNING)
    # The testing config of build_app, with production's background checkpoints.
    app = build_app(options.database, SQLITE_BACKGROUND_CHECKPOINT=True)
    app.logger.setLevel(logging.WARNING)
    with app.app_context():
        started = time.perf_counter()
        upgrade()  # a database generated before the escalation migration catches up
        print(f"migrations checked/applied in {time.perf_counter() - started:.1f} s")
        ensure_escalations(random.Random(options.seed))
        questions = db.session.execute(select(func.count(Question.id))).scalar_one()
        open_items, closed_items = count_escalations()
        variants = queue_variants()
    print(
        f"database: {options.database} ({questions:,} questions, {open_items:,} open and "
        f"{closed_items:,} closed escalations); {options.requests} requests as '{COORDINATOR}'"
    )
    client = logged_in_client(app, COORDINATOR)
    times, rows = bench_queue(client, variants, options.requests)
    for variant in variants:
        report_line(variant.name, times[variant.name], f"  ({rows[variant.name]} rows shown)")
    everything = [elapsed for values in times.values() for elapsed in values]
    report_line("overall", everything)
    p95 = percentile(everything, 0.95)
    verdict = "PASS" if p95 <= TARGET_P95_MS else "FAIL"
    print(f"target: queue page p95 <= {TARGET_P95_MS:.0f} ms: p95 {p95:.1f} ms  {verdict}")


if __name__ == "__main__":
    main()
