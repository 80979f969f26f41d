"""Intake speed at a million questions: registering (form and API), suggestions, search.

Run: .venv/bin/python bench/intake.py [--database bench/data/million.sqlite] [--requests 300]
Builds the database with bench/generate_questions.py first when it is missing.

"Server time" is the time the app spends on one request, measured around the in-process WSGI
call (Flask's test client): routing, session, form or JSON validation, masking, topic and
sentiment classification with the active models, the database work and the commit, rendering
the response. No network and no browser are in it.

Targets (issue 3): register median <= 15 ms and p99 <= 50 ms; suggestions p95 <= 25 ms with
500 published FAQ entries per crisis (added here when missing); search/list page p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_questions import (  # noqa: E402
    BENCH_PASSWORD,
    build_app,
    generate,
    read_training_texts,
)
from kcc.auth.services import create_api_token  # noqa: E402
from kcc.classification.services import train_models  # noqa: E402
from kcc.extensions import db  # noqa: E402
from kcc.faq.models import FaqEntry  # noqa: E402
from kcc.intake.models import Question  # noqa: E402
from kcc.reference.models import Crisis, Municipality  # noqa: E402

DEFAULT_DATABASE = Path(__file__).resolve().parent / "data" / "million.sqlite"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKEN = re.compile(r'name="submission_token"[^>]*value="([0-9a-f]+)"')
T = TypeVar("T")
TARGETS = {
    "register (form POST)": ("median", 15.0, "p99", 50.0),
    "register (API POST)": ("median", 15.0, "p99", 50.0),
    "suggestions while typing": ("p95", 25.0, None, None),
    "search / list page": ("p95", 100.0, None, None),
}


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))
    return ordered[index]


def timed(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Call function; return the milliseconds it took and its result."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def logged_in_client(app: Flask) -> FlaskClient:
    """A client logged in as the bench agent through the real login form."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login", data={"username": "agent", "password": BENCH_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, "bench login failed"
    return client


def sample_texts(generator: random.Random) -> dict[str, list[str]]:
    """Question texts per crisis code, from the shipped training data."""
    return {
        code: [text for texts in read_training_texts(code).values() for text in texts]
        for code in ("oekraine", "corona")
    }


def bench_form_registration(
    app: Flask, client: FlaskClient, ids: dict[str, int], texts: list[str], requests: int
) -> list[float]:
    """Time the form POST that saves a question (the GET that shows the form is not counted)."""
    page = client.get("/questions/new").get_data(as_text=True)
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    times = []
    for number in range(requests):
        data = {
            "csrf_token": csrf,
            "submission_token": uuid.uuid4().hex,
            "channel": "telefoon",
            "caller_type": "inwoner",
            "municipality_id": str(ids["municipality"]),
            "crisis_id": str(ids["oekraine"]),
            "text": texts[number % len(texts)],
            "answer": "Zie de website van de gemeente." if number % 3 else "",
            "preferred_contact": "telefoon",
            "submit": "Opslaan",
        }
        if number % 5 == 0:
            data |= {"escalate": "y", "contact_name": "Bench", "contact_phone": "06-12345678"}
        elapsed, response = timed(client.post, "/questions/new", data=data)
        assert response.status_code == 302, f"form registration failed: {response.status_code}"
        times.append(elapsed)
    return times


def bench_api_registration(
    client: FlaskClient, token: str, texts: list[str], requests: int
) -> list[float]:
    """Time POST /api/v1/questions."""
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    for number in range(requests):
        body = {
            "text": texts[number % len(texts)],
            "channel": "e-mail",
            "caller_type": "ondernemer",
            "municipality": "GM0402",
            "crisis": "corona",
            "answer": "Kijk op de website van de rijksoverheid.",
        }
        elapsed, response = timed(client.post, "/api/v1/questions", json=body, headers=headers)
        assert response.status_code == 201, f"API registration failed: {response.status_code}"
        times.append(elapsed)
    return times


def typed_prefixes(texts: list[str], generator: random.Random, requests: int) -> list[str]:
    """What an agent has typed so far: a prefix of a question, at least a few words."""
    prefixes = []
    for _ in range(requests):
        text = generator.choice(texts)
        cut = generator.randint(min(12, len(text)), len(text))
        prefixes.append(text[:cut])
    return prefixes


def bench_suggestions(
    client: FlaskClient,
    crisis_ids: dict[str, int],
    texts: dict[str, list[str]],
    requests: int,
    generator: random.Random,
) -> tuple[list[float], float, int]:
    """Time /questions/suggest; the first call per crisis builds the index and is reported apart."""
    build_ms = 0.0
    for crisis_id in crisis_ids.values():
        elapsed, _ = timed(
            client.get,
            "/questions/suggest",
            query_string={"crisis_id": crisis_id, "text": "leefgeld"},
        )
        build_ms += elapsed
    times = []
    with_results = 0
    for number in range(requests):
        code = "oekraine" if number % 5 < 3 else "corona"
        prefix = typed_prefixes(texts[code], generator, 1)[0]
        elapsed, response = timed(
            client.get,
            "/questions/suggest",
            query_string={"crisis_id": crisis_ids[code], "text": prefix},
        )
        times.append(elapsed)
        with_results += bool(response.get_json()["suggestions"])
    return times, build_ms, with_results


def search_queries(ids: dict[str, int]) -> list[dict[str, object]]:
    """A mix of what coordinators ask the list: filters alone, words, and both."""
    return [
        {},
        {"q": "leefgeld"},
        {"q": "leefgeld betaald"},
        {"q": "mondkapje"},
        {"crisis_id": ids["oekraine"]},
        {"crisis_id": ids["corona"], "municipality_id": ids["municipality"]},
        {"status": "doorgezet"},
        {"channel": "e-mail", "crisis_id": ids["oekraine"]},
        {"q": "school", "crisis_id": ids["oekraine"], "status": "beantwoord"},
        {"date_from": "2026-10-01", "date_to": "2026-10-07"},
        {"crisis_id": ids["oekraine"], "page": 40},
        {"q": "opvang", "page": 3},
    ]


def bench_search(client: FlaskClient, ids: dict[str, int], requests: int) -> list[float]:
    """Time the search/list page over a mix of filters."""
    queries = search_queries(ids)
    for query in queries:  # warm the page cache once, as a running server would have it
        client.get("/questions", query_string=query)
    times = []
    for number in range(requests):
        query = queries[number % len(queries)]
        elapsed, response = timed(client.get, "/questions", query_string=query)
        assert response.status_code == 200
        times.append(elapsed)
    return times


def report(name: str, times: list[float]) -> None:
    """Print median, p95, p99 and the target for one measurement."""
    median = statistics.median(times)
    p95, p99 = percentile(times, 0.95), percentile(times, 0.99)
    values = {"median": median, "p95": p95, "p99": p99}
    first, first_target, second, second_target = TARGETS[name]
    verdicts = [f"{first} {values[first]:.1f} ms (target <= {first_target:.0f})"]
    passed = values[first] <= first_target
    if second:
        verdicts.append(f"{second} {values[second]:.1f} ms (target <= {second_target:.0f})")
        passed = passed and values[second] <= second_target  # type: ignore[operator]
    print(
        f"{name:<26} n={len(times):<5} median {median:6.1f}  p95 {p95:6.1f}  p99 {p99:6.1f} ms"
        f"  | {'; '.join(verdicts)}  {'OK' if passed else 'MISSED'}"
    )


FAQ_ENTRIES_PER_CRISIS = 500


def ensure_faq_entries(app: Flask, ids: dict[str, int], texts: dict[str, list[str]]) -> None:
    """500 public FAQ entries per crisis (training questions), which suggestions search first."""
    with app.app_context():
        for code in ("oekraine", "corona"):
            present = db.session.scalar(
                select(func.count(FaqEntry.id)).where(FaqEntry.crisis_id == ids[code])
            )
            for number in range(present or 0, FAQ_ENTRIES_PER_CRISIS):
                question = texts[code][number % len(texts[code])]
                answer = f"Antwoord {number}: zie de regeling van de gemeente voor {question}"
                db.session.add(
                    FaqEntry(
                        crisis_id=ids[code],
                        state="gepubliceerd",
                        question=question,
                        answer=answer,
                        is_public=True,
                        live_question=question,
                        live_answer=answer,
                    )
                )
        db.session.commit()


def reference_ids(app: Flask) -> dict[str, int]:
    """Ids of the crises and the agent's municipality in the bench database."""
    with app.app_context():
        crises = {c.code: c.id for c in db.session.execute(select(Crisis)).scalars()}
        municipality = db.session.execute(
            select(Municipality).where(Municipality.cbs_code == "GM0402")
        ).scalar_one()
        return {**crises, "municipality": municipality.id}


def main(arguments: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, default=DEFAULT_DATABASE)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(arguments)
    if not options.database.exists():
        print(f"{options.database} is missing: generating a million questions first ...")
        generate(options.database, 1_000_000, options.seed)
    logging.getLogger("kcc").setLevel(logging.WARNING)
    # The testing config of build_app, with production's background checkpoints.
    app = build_app(options.database, SQLITE_BACKGROUND_CHECKPOINT=True)
    app.config.update(
        SUGGESTION_INDEX_TTL=3600,  # as in production: not rebuilt per request
        MODEL_DIR=str(options.database.parent / "models"),  # beside the database, kept
    )
    app.logger.setLevel(logging.WARNING)
    generator = random.Random(options.seed)
    with app.app_context():
        upgrade()  # a database generated before the latest migration catches up
        trained = train_models(only_missing=True)
        if trained:
            print(f"trained {len(trained)} missing model(s) first")
        total = db.session.execute(select(func.count(Question.id))).scalar_one()
        token = create_api_token("agent")
    ids = reference_ids(app)
    texts = sample_texts(generator)
    ensure_faq_entries(app, ids, texts)
    print(f"database: {options.database} ({total:,} questions); {options.requests} requests each")
    client = logged_in_client(app)
    suggest_times, build_ms, with_results = bench_suggestions(
        client,
        {"oekraine": ids["oekraine"], "corona": ids["corona"]},
        texts,
        options.requests,
        generator,
    )
    print(
        f"suggestion indexes built in {build_ms:.0f} ms for 2 crises "
        f"({app.config['SUGGESTION_INDEX_SIZE']:,} answered questions each at most); "
        f"{with_results}/{options.requests} requests had suggestions"
    )
    report("suggestions while typing", suggest_times)
    report("search / list page", bench_search(client, ids, options.requests))
    report(
        "register (form POST)",
        bench_form_registration(app, client, ids, texts["oekraine"], options.requests),
    )
    report(
        "register (API POST)",
        bench_api_registration(client, token, texts["corona"], options.requests),
    )


if __name__ == "__main__":
    main()
