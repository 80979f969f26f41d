"""Scale-out: two app servers and a worker on one PostgreSQL and one Redis cooperate.

Real processes, as in production: two gunicorn servers (one process each, so nothing is shared
through memory) and `flask --app kcc worker`. The test talks to them over HTTP only and reads
the database to check what they did.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kcc.auth.services import UserInput, create_api_token, create_user
from kcc.classification.models import ModelKind
from kcc.classification.services import ACTIVE_MODELS_SECONDS, record_version
from kcc.escalation.models import Escalation
from kcc.extensions import db, utcnow
from kcc.faq.models import ClusterRun
from kcc.intake.models import Question
from kcc.reference.models import Crisis
from tests.conftest import Trained, is_postgres
from tests.helpers import TEST_PASSWORD
from tests.redis_server import RedisServer, free_port

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 60
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(autouse=True)
def needs_postgres(database_url: str) -> None:
    """Several processes writing one SQLite file is not a deployment kcc supports."""
    if not is_postgres(database_url):
        pytest.skip("de test met twee servers vraagt PostgreSQL (KCC_TEST_DATABASE_URL)")


@dataclass
class Process:
    """A started server or worker and the file its output goes to."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start(command: list[str], environment: dict[str, str], log: Path) -> Process:
    """Start a process with its output in a file."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603  (our own command)
            command, env=environment, stdout=output, stderr=output
        )
    return Process(process, log)


def wait_until_answering(server: Process, port: int) -> None:
    """Poll /healthz until the server answers."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if server.process.poll() is not None:
            raise AssertionError("server stopped:\n" + server.output())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):  # noqa: S310
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError("server did not answer:\n" + server.output()) from None
        time.sleep(0.2)


@dataclass
class Cluster:
    """The two servers' base URLs."""

    a: str
    b: str


@pytest.fixture
def cluster(
    app: Flask,
    database_url: str,
    instance_path: Path,
    redis_server: RedisServer,
    tmp_path: Path,
) -> Iterator[Cluster]:
    """Two gunicorn servers and one worker on the test database, Redis and model folder."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("KCC_", "FLASK_")) and name not in {"DATABASE_URL", "SECRET_KEY"}
    }
    environment.update(
        KCC_ENV="development",  # plain HTTP on 127.0.0.1; production demands HTTPS cookies
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),  # one key: a session from one server works on both
        KCC_INSTANCE_PATH=str(instance_path),  # the shared model folder (a network share)
        REDIS_URL=redis_server.url,
    )
    processes = []
    ports = [free_port(), free_port()]
    try:
        for number, port in enumerate(ports):
            processes.append(
                start(
                    [
                        str(BIN / "gunicorn"),
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--threads",
                        "4",
                        "kcc:create_app()",
                    ],
                    environment,
                    tmp_path / f"server-{number}.log",
                )
            )
        processes.append(
            start([str(BIN / "flask"), "--app", "kcc", "worker"], environment, tmp_path / "w.log")
        )
        for server, port in zip(processes, ports, strict=False):
            wait_until_answering(server, port)
        yield Cluster(f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")
    finally:
        for running in processes:
            running.process.terminate()
        for running in processes:
            try:
                running.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.wait(timeout=10)


class Browser:
    """A person with a session: cookies, pages and forms with their CSRF token."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(self, url: str, data: dict[str, Any] | None = None) -> tuple[int, str, str]:
        """GET (or POST a form); status, final URL after redirects, and the page."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=60) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read().decode()

    def submit(
        self, url: str, data: dict[str, Any], *, form_page: str | None = None
    ) -> tuple[int, str, str]:
        """Read the CSRF token from the form's page, then POST the form."""
        token = CSRF_PATTERN.search(self.open(form_page or url)[2])
        assert token, "page has no CSRF token"
        return self.open(url, {**data, "csrf_token": token.group(1)})

    def login(self, server: str, username: str, password: str = TEST_PASSWORD) -> int:
        """Submit the login form; the status of the answer."""
        return self.submit(f"{server}/login", {"username": username, "password": password})[0]


def api_post(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST JSON with a bearer token."""
    request = urllib.request.Request(  # noqa: S310  (127.0.0.1)
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


ESCALATED_QUESTION = {
    "text": "Wanneer gaat de nieuwe opvanglocatie in Hilversum open?",
    "channel": "telefoon",
    "caller_type": "inwoner",
    "municipality": "GM0402",
    "crisis": "oekraine",
    "escalate": True,
    "contact": {"name": "K. de Boer", "phone": "06-12345678"},
}
CORONA_QUESTION = {
    "text": "Waar kan ik een boosterprik halen?",
    "channel": "telefoon",
    "caller_type": "inwoner",
    "municipality": "GM0402",
    "crisis": "corona",
    "answer": "Bij de GGD.",
}


def test_two_servers_and_a_worker_share_limits_claims_models_and_jobs(
    app: Flask,
    active_models: None,
    shipped_models: dict[str, Trained],
    redis_server: RedisServer,
    cluster: Cluster,
) -> None:
    # 1. The login limit (10 per minute per address) counts across both servers.
    stranger = Browser()
    answers = [
        stranger.login(server, "onbekend", "fout-wachtwoord")
        for server in [cluster.a, cluster.b] * 5
    ]
    assert answers == [200] * 10  # the form again, with "klopt niet"
    assert stranger.login(cluster.b, "onbekend", "fout-wachtwoord") == 429
    assert stranger.login(cluster.a, "onbekend", "fout-wachtwoord") == 429
    redis_server.clear()  # a fresh minute for the logins below

    with app.app_context():
        create_user(
            UserInput(username="coordinator2", role="coordinator", full_name="Tweede Coördinator"),
            TEST_PASSWORD,
        )
        tokens = {name: create_api_token(name) for name in ("agent", "coordinator", "coordinator2")}

    # 2. Two coordinators claim the same item at the same moment on different servers.
    status, created = api_post(f"{cluster.a}/api/v1/questions", tokens["agent"], ESCALATED_QUESTION)
    assert status == 201, created
    question_id = created["id"]
    start_together = threading.Barrier(2)
    results: dict[str, int] = {}

    def claim(server: str, user: str) -> None:
        start_together.wait()
        results[user] = api_post(
            f"{server}/api/v1/questions/{question_id}/claim", tokens[user], {}
        )[0]

    claimers = [
        threading.Thread(target=claim, args=(cluster.a, "coordinator")),
        threading.Thread(target=claim, args=(cluster.b, "coordinator2")),
    ]
    for thread in claimers:
        thread.start()
    for thread in claimers:
        thread.join(timeout=60)
    assert sorted(results.values()) == [200, 409]
    (winner,) = [user for user, code in results.items() if code == 200]
    with app.app_context():
        escalation = db.session.execute(
            select(Escalation).where(Escalation.question_id == question_id)
        ).scalar_one()
        assert escalation.assignee.username == winner

    # 3. A model activated through server A is used by server B, which had the old one loaded.
    def topic_model_of_question_on_b() -> int | None:
        status, body = api_post(f"{cluster.b}/api/v1/questions", tokens["agent"], CORONA_QUESTION)
        assert status == 201, body
        with app.app_context():
            return db.session.get(Question, body["id"]).topic_model_id

    old_version = topic_model_of_question_on_b()
    with app.app_context():
        corona = db.session.execute(select(Crisis).where(Crisis.code == "corona")).scalar_one()
        trained = shipped_models["corona"]
        new_version = record_version(
            ModelKind.TOPIC,
            corona,
            trained.classifier,
            trained.metrics,
            confirmed_labels=0,
            now=utcnow(),
        ).id
        db.session.commit()
    analyst = Browser()
    assert analyst.login(cluster.a, "analyst") == 200
    status, _, page = analyst.submit(f"{cluster.a}/classification/models/{new_version}", {})
    assert status == 200 and "is nu actief" in page
    assert old_version is not None and old_version != new_version
    # B keeps its answer to "which model is active" for ACTIVE_MODELS_SECONDS at most.
    time.sleep(ACTIVE_MODELS_SECONDS)
    assert topic_model_of_question_on_b() == new_version

    # 4. A cluster run started on server A runs on the worker; server B shows it finished.
    with app.app_context():
        oekraine_id = db.session.execute(
            select(Crisis.id).where(Crisis.code == "oekraine")
        ).scalar_one()
    status, job_url, page = analyst.submit(
        f"{cluster.a}/editorial/clusters", {"crisis_id": oekraine_id, "days": 14}
    )
    assert status == 200 and "/jobs/" in job_url, page
    on_b = job_url.replace(cluster.a, cluster.b)
    deadline = time.monotonic() + 60
    while "Status: <strong>Klaar</strong>" not in (page := analyst.open(on_b)[2]):
        assert "Mislukt" not in page and time.monotonic() < deadline, page
        time.sleep(0.5)
    with app.app_context():
        run = db.session.scalars(select(ClusterRun)).one()
        assert run.created_by.username == "analyst"
    assert f"/editorial/clusters/{run.id}" in page
