"""Parts of the load and crash tests (bench/load.py, tests/production/test_load_crash.py).

A PostgreSQL cluster of the run's own (durable: fsync and synchronous commit on, so a crash of
the database is a real test), the app under gunicorn as `make serve-prod` runs it, the data a
run needs (demo seeding, trained models, published FAQ entries, API tokens), clients in threads
that play agents, coordinators and the public, and the check that compares what the server
acknowledged with what the database holds.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN = PROJECT_ROOT / ".venv" / "bin" / "gunicorn"
CRISIS = "oekraine"
REQUEST_TIMEOUT = 30.0
# PostgreSQL's binaries: the newest installed major version.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin_dir() -> Path | None:
    """The folder of the newest installed PostgreSQL's pg_ctl, or None."""
    candidates = sorted(
        Path("/").glob(PG_BIN_GLOB.lstrip("/")), key=lambda path: int(path.parent.name)
    )
    return candidates[-1] if candidates and (candidates[-1] / "pg_ctl").exists() else None


# --- a PostgreSQL cluster of our own ----------------------------------------------------------


@dataclass
class PostgresCluster:
    """A PostgreSQL server in a folder of ours, which we may crash and restart at will.

    Unlike the test suite's shared server (fsync off), this one keeps PostgreSQL's durable
    defaults: what it acknowledged must survive an immediate stop (a crash without shutdown).
    """

    folder: Path
    port: int
    bin_dir: Path

    @property
    def url(self) -> str:
        """The URL of the database the app uses."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/kcc_load"

    def run_as_server_user(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """pg_ctl and initdb refuse root: run them as the postgres user then."""
        command = [str(argument) for argument in arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603

    def initialise(self) -> None:
        """initdb and createdb, once."""
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.run_as_server_user(
            self.bin_dir / "initdb",
            "-D",
            str(self.folder / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        self.start()
        subprocess.run(  # noqa: S603
            [str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
            + ["-U", "postgres", "kcc_load"],
            check=True,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=120 -c shared_buffers=256MB"
        )
        self.run_as_server_user(
            self.bin_dir / "pg_ctl",
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def crash(self) -> None:
        """Stop without a shutdown checkpoint, as a killed server would (recovery on start)."""
        self.run_as_server_user(
            self.bin_dir / "pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop"
        )

    def stop(self) -> None:
        """Stop the server quickly; never fails."""
        try:
            self.run_as_server_user(
                self.bin_dir / "pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "stop"
            )
        except subprocess.CalledProcessError:
            pass


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A fresh, running cluster in a new folder under /tmp; stopped and removed afterwards.

    The folder sits directly in /tmp because the server runs as the postgres user, who may not
    enter the calling user's own temporary folders (pytest's are private to their owner).
    """
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed; run scripts/install-test-deps.sh")
    folder = Path(tempfile.mkdtemp(prefix="kcc-load-postgres-"))
    cluster = PostgresCluster(folder, free_port(), bin_dir)
    try:
        cluster.initialise()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


# --- the data a run needs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """Who may call the API during the run, and what there is to read."""

    agent_tokens: list[str]
    coordinator_tokens: list[str]
    faq_entries: int
    texts: list[str]


def production_environment(database_url: str, instance: Path, **settings: str) -> dict[str, str]:
    """The environment `make serve-prod` runs gunicorn with, on the given database."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("KCC_", "FLASK_")) and name not in {"DATABASE_URL", "SECRET_KEY"}
    }
    return {
        **environment,
        "KCC_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "KCC_INSTANCE_PATH": str(instance),
        **settings,
    }


def training_texts() -> list[str]:
    """The shipped oekraine training questions: realistic notes to register."""
    from kcc.nlp.training import load_labelled_csv, shipped_data_path

    return [row.text for row in load_labelled_csv(shipped_data_path("training", CRISIS))]


def seed(
    environment: dict[str, str], *, agents: int, coordinators: int, faq_entries: int
) -> Seeded:
    """Migrate, seed the demo, train the models, publish FAQ entries, hand out API tokens.

    Runs in this process with the production config, so the data is what serve-prod sees.
    """
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        from flask_migrate import upgrade
        from sqlalchemy import select

        from kcc import create_app
        from kcc.auth.models import Role, User
        from kcc.auth.services import create_api_token, hash_password
        from kcc.classification.services import train_models
        from kcc.demo import seed_demo
        from kcc.extensions import db
        from kcc.faq import editorial
        from kcc.reference.models import Crisis

        app = create_app("production")
        with app.app_context():
            upgrade()
            seed_demo(secrets.token_urlsafe(16))
            train_models(None, only_missing=True)
            users = {user.username: user for user in db.session.scalars(select(User))}
            crisis = db.session.scalars(select(Crisis).where(Crisis.code == CRISIS)).one()
            for number in range(faq_entries):
                entry = editorial.create_entry(
                    editorial.EntryInput(
                        crisis_id=crisis.id,
                        question=f"Vraag {number}: hoe werkt de opvang als ik hierover vragen heb?",
                        answer=f"Antwoord {number}. Bel uw gemeente en neem uw paspoort mee.",
                        topic_id=None,
                        municipality_id=None,
                        translations={},
                    ),
                    user=users["coordinator"],
                )
                entry = editorial.take_action(
                    entry.id, "submit", user=users["coordinator"], seen_version=entry.version
                )
                editorial.take_action(
                    entry.id, "publish", user=users["analyst"], seen_version=entry.version
                )
            password_hash = hash_password(secrets.token_urlsafe(16))
            names = {Role.AGENT: "load-agent", Role.COORDINATOR: "load-coordinator"}
            counts = {Role.AGENT: agents, Role.COORDINATOR: coordinators}
            tokens: dict[Role, list[str]] = {Role.AGENT: [], Role.COORDINATOR: []}
            for role, prefix in names.items():
                for number in range(counts[role]):
                    db.session.add(
                        User(
                            username=f"{prefix}-{number:03d}",
                            full_name=f"{prefix} {number}",
                            role=role.value,
                            password_hash=password_hash,
                        )
                    )
                db.session.commit()
                tokens[role] = [
                    create_api_token(f"{prefix}-{number:03d}") for number in range(counts[role])
                ]
            db.engine.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Seeded(tokens[Role.AGENT], tokens[Role.COORDINATOR], faq_entries, training_texts())


# --- the app server ---------------------------------------------------------------------------


class Endpoint(Protocol):
    """Where clients send their requests: the app server itself or a proxy in front of it."""

    def url(self, path: str) -> str:
        """An address there."""
        ...


@dataclass
class AppServer:
    """gunicorn with kcc's production settings; a process manager's restart is start() again."""

    environment: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        """An address on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, *, timeout: float = 60.0) -> None:
        """Start gunicorn (as scripts/serve-prod.sh ends) and wait until /readyz says ok."""
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603  (our own gunicorn)
                [str(GUNICORN), "--config", "python:kcc.operations.gunicorn_conf"],
                cwd=PROJECT_ROOT,
                env={**self.environment, "PORT": str(self.port)},
                stdout=output,
                stderr=output,
            )
        wait_until_ready(self.url("/readyz"), timeout=timeout)

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (the master's children)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill_worker(self) -> int:
        """kill -9 one worker in the middle of its requests; the master starts a new one."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_everything(self) -> None:
        """kill -9 the master and every worker: the whole app server dies at once."""
        assert self.process is not None
        pids = [self.process.pid, *self.worker_pids()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        for pid in pids[1:]:
            wait_for_exit(pid)

    def stop(self) -> None:
        """SIGTERM and wait; kill when it does not go."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_everything()


def wait_for_exit(pid: int, timeout: float = 10.0) -> None:
    """Wait until a killed process (not our child) is gone."""
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        if state == "Z":  # a zombie: dead, its parent (the killed master) will never reap it
            return
        time.sleep(0.05)


def wait_until_ready(url: str, *, timeout: float) -> float:
    """Poll a probe until it answers 200; return the seconds it took."""
    started = time.monotonic()
    while True:
        try:
            status, _ = request("GET", url, timeout=2)
            if status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.1)


def request(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> tuple[int, bytes]:
    """One HTTP request on a new connection; the status and body."""
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    try:
        connection.request(method, "/" + path, body=payload, headers=sent)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- clients ----------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the clients sent and what the server acknowledged, shared by all threads."""

    sent_keys: set[str] = field(default_factory=set)
    acknowledged: dict[str, int] = field(default_factory=dict)  # Idempotency-Key -> question id
    escalated: list[int] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The check looks at questions registered from here on (earlier runs used the same agents).
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def absorb(self, other: Ledger) -> None:
        """Take over another run's registrations (a warm-up), so the check covers them too."""
        self.sent_keys |= other.sent_keys
        self.acknowledged.update(other.acknowledged)
        self.started_at = min(self.started_at, other.started_at)

    def record(self, kind: str, status: int, seconds: float) -> None:
        """One request's outcome (status 0: no answer, the connection failed)."""
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            counts = self.statuses.setdefault(kind, {})
            counts[status] = counts.get(status, 0) + 1


def registration_body(generator: random.Random, texts: Sequence[str], *, escalate: bool) -> dict:
    """An agent's registration: a real question, sometimes escalated with a phone number."""
    body: dict[str, object] = {
        "text": generator.choice(texts),
        "channel": generator.choice(["telefoon", "telefoon", "e-mail", "balie"]),
        "caller_type": "inwoner",
        "municipality": generator.choice(["GM0402", "GM0406", "GM0417"]),
        "crisis": CRISIS,
    }
    if escalate:
        body["escalate"] = True
        body["contact"] = {"name": "Beller Test", "phone": "06-12345678"}
    else:
        body["answer"] = "Elke twee weken op vrijdag."
    return body


def register_until(
    server: Endpoint,
    token: str,
    ledger: Ledger,
    stop: threading.Event,
    client_number: int,
    prefix: str = "load",
) -> None:
    """An agent: register questions one after another; retry a failed one with the same key.

    A retry after a lost answer is exactly what Idempotency-Key is for: the server stores the
    question once and answers the retry with the stored record.
    """
    generator = random.Random(client_number)  # noqa: S311  (test data, not security)
    texts = training_texts()
    number = 0
    while not stop.is_set():
        number += 1
        key = f"{prefix}-{client_number}-{number}"
        body = registration_body(generator, texts, escalate=number % 5 == 0)
        with ledger.lock:
            ledger.sent_keys.add(key)
        while not stop.is_set():
            started = time.perf_counter()
            try:
                status, answer = request(
                    "POST",
                    server.url("/api/v1/questions"),
                    token=token,
                    body=body,
                    headers={"Idempotency-Key": key},
                    timeout=10,
                )
            except (OSError, http.client.HTTPException):
                status, answer = 0, b""
            ledger.record("register", status, time.perf_counter() - started)
            if status in (200, 201):
                question_id = int(json.loads(answer)["id"])
                with ledger.lock:
                    ledger.acknowledged[key] = question_id
                    if body.get("escalate"):
                        ledger.escalated.append(question_id)
                break
            time.sleep(0.05)  # down or restarting: try again shortly, with the same key
        if number % 4 == 0:
            search(server, token, ledger, generator)


def search(server: Endpoint, token: str, ledger: Ledger, generator: random.Random) -> None:
    """An agent searches earlier questions."""
    word = generator.choice(["leefgeld", "school", "opvang", "werk"])
    started = time.perf_counter()
    try:
        status, _ = request("GET", server.url(f"/api/v1/questions?q={word}"), token=token)
    except (OSError, http.client.HTTPException):
        status = 0
    ledger.record("search", status, time.perf_counter() - started)


def answer_escalations(
    server: Endpoint, token: str, ledger: Ledger, stop: threading.Event, turn: tuple[int, int]
) -> None:
    """A coordinator: claim an escalated question, record the answer, mark it answered.

    Coordinators take turns over the escalations (turn = (number, of how many)), so each item
    has one claimant and every step should succeed.
    """
    number, coordinators = turn
    steps = (
        ("claim", {}),
        ("transition", {"state": "in_behandeling"}),
        ("followups", {"kind": "antwoord", "body": "Gebeld en uitgelegd hoe het werkt."}),
        ("transition", {"state": "beantwoord"}),
    )
    position = number
    while not stop.is_set():
        with ledger.lock:
            question_id = ledger.escalated[position] if position < len(ledger.escalated) else None
        if question_id is None:
            time.sleep(0.05)
            continue
        position += coordinators
        for action, body in steps:
            started = time.perf_counter()
            try:
                status, _ = request(
                    "POST",
                    server.url(f"/api/v1/questions/{question_id}/{action}"),
                    token=token,
                    body=body,
                )
            except (OSError, http.client.HTTPException):
                status = 0
            ledger.record(f"coordinator {action}", status, time.perf_counter() - started)
            if status not in (200, 201):
                break


def read_faq(server: Endpoint, ledger: Ledger, stop: threading.Event) -> None:
    """The public reads the crisis's FAQ page, without cookies."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status, _ = request("GET", server.url(f"/faq/{CRISIS}/"))
        except (OSError, http.client.HTTPException):
            status = 0
        ledger.record("faq", status, time.perf_counter() - started)


def run_clients(
    server: Endpoint,
    seeded: Seeded,
    *,
    seconds: float,
    agents: int,
    coordinators: int = 0,
    faq_readers: int = 0,
    disruptions: Sequence[tuple[float, str, object]] = (),
    prefix: str = "load",
) -> tuple[Ledger, dict[str, float]]:
    """Run the clients for a fixed time; at each (second, name, action) call action().

    Returns the ledger and, per disruption, the seconds from it until the next acknowledged
    registration (how long the service took to recover by itself).
    """
    ledger = Ledger()
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=register_until,
            args=(server, seeded.agent_tokens[number % len(seeded.agent_tokens)], ledger, stop),
            kwargs={"client_number": number, "prefix": prefix},
            daemon=True,
        )
        for number in range(agents)
    ]
    threads += [
        threading.Thread(
            target=answer_escalations,
            args=(server, seeded.coordinator_tokens[number], ledger, stop, (number, coordinators)),
            daemon=True,
        )
        for number in range(coordinators)
    ]
    threads += [
        threading.Thread(target=read_faq, args=(server, ledger, stop), daemon=True)
        for _ in range(faq_readers)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    recovery: dict[str, float] = {}
    for at_second, name, action in sorted(disruptions, key=lambda item: item[0]):
        time.sleep(max(0.0, started + at_second - time.monotonic()))
        before = len(ledger.acknowledged)
        hit = time.monotonic()
        action()  # type: ignore[operator]
        while len(ledger.acknowledged) == before and time.monotonic() - hit < 120:
            time.sleep(0.02)
        recovery[name] = time.monotonic() - hit
    time.sleep(max(0.0, started + seconds - time.monotonic()))
    stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    return ledger, recovery


# --- the check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What the database holds compared with what the clients were told."""

    acknowledged: int
    stored: int
    lost: list[str]
    duplicated: int
    half_written: list[int]
    stored_unacknowledged: int

    @property
    def passed(self) -> bool:
        """Nothing acknowledged is missing, nothing is stored twice or half."""
        return not self.lost and not self.duplicated and not self.half_written


def expected_token(user_id: int, key: str) -> str:
    """The submission token the API derives from a user's Idempotency-Key (kcc/api/schemas)."""
    from kcc.api.schemas import submission_token_for

    token = submission_token_for(user_id, key)
    assert token is not None
    return token


def check_database(database_url: str, ledger: Ledger) -> Verdict:
    """Compare every acknowledged registration with the database, row by row."""
    from sqlalchemy import create_engine, text

    from config import normalise_database_url
    from kcc.intake.models import QuestionEventKind

    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            user_ids = dict(
                connection.execute(
                    text("SELECT username, id FROM app_user WHERE username LIKE 'load-agent-%'")
                ).all()
            )
            rows = connection.execute(
                text(
                    "SELECT q.id, q.submission_token, q.reference, q.topic_id, q.is_escalated,"
                    " (SELECT count(*) FROM question_event e WHERE e.question_id = q.id"
                    "   AND e.kind = :registered),"
                    " (SELECT count(*) FROM audit_event a WHERE a.object_type = 'question'"
                    "   AND a.object_id = CAST(q.id AS VARCHAR)"
                    "   AND a.action = 'question_registered'),"
                    " (SELECT count(*) FROM escalation s WHERE s.question_id = q.id)"
                    " FROM question q JOIN app_user u ON u.id = q.created_by_id"
                    " WHERE u.username LIKE 'load-agent-%' AND q.created_at >= :since"
                ),
                {"registered": QuestionEventKind.REGISTERED.value, "since": ledger.started_at},
            ).all()
    finally:
        engine.dispose()

    def token_of(key: str) -> str:
        # Client n registers with agent n's token, wrapping round when there are more clients.
        client_number = int(key.split("-")[1])
        username = f"load-agent-{client_number % len(user_ids):03d}"
        return expected_token(user_ids[username], key)

    by_token = {row[1]: row for row in rows if row[1] is not None}
    lost = [
        key
        for key, question_id in ledger.acknowledged.items()
        if (row := by_token.get(token_of(key))) is None or row[0] != question_id
    ]
    sent_tokens = {token_of(key) for key in ledger.sent_keys}
    # A row without a token, or with one no client sent, would be a registration made twice.
    duplicated = sum(1 for row in rows if row[1] is None or row[1] not in sent_tokens)
    half_written = [
        row[0]
        for row in rows
        if row[2] is None
        or row[3] is None
        or row[5] != 1
        or row[6] != 1
        or row[7] != (1 if row[4] else 0)
    ]
    acknowledged_tokens = {token_of(key) for key in ledger.acknowledged}
    return Verdict(
        acknowledged=len(ledger.acknowledged),
        stored=len(rows),
        lost=lost,
        duplicated=duplicated,
        half_written=half_written,
        stored_unacknowledged=len(set(by_token) - acknowledged_tokens),
    )


def server_error_kinds(log: Path) -> dict[str, int]:
    """Each kind of error gunicorn's JSON log holds, most frequent first (a 500 must be
    explained): the message and the exception's last line."""
    kinds: dict[str, int] = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"level": "ERROR"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        last = (entry.get("exception") or "").strip().splitlines()[-1:] or [""]
        key = f"{entry.get('message')}: {last[0][:160]}"
        kinds[key] = kinds.get(key, 0) + 1
    return dict(sorted(kinds.items(), key=lambda item: -item[1]))


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
