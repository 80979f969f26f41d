"""A background worker killed with SIGKILL in the middle of sending webhooks loses nothing.

Real processes, as in production: `flask --app kcc worker` (RQ's worker, which forks a work
horse per job, and RQ's scheduler process) on the test PostgreSQL and Redis, sending the
webhook outbox to a real HTTPS receiver that answers slowly. The test kills the whole process
tree at once, as a crashed machine would, starts a new worker as systemd's Restart=always
would, enqueues `webhooks-send` as the scheduler does every minute, and reads the database and
what the receiver got.
"""

from __future__ import annotations

import collections
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from flask import Flask
from rq.job import Job, JobStatus
from sqlalchemy import select

from kcc.auth.models import User
from kcc.extensions import db, utcnow
from kcc.intake.services import QuestionInput, register_question
from kcc.jobs import queue
from kcc.reference.models import Crisis, Municipality
from kcc.webhooks.events import WebhookEvent
from kcc.webhooks.models import WebhookDelivery
from kcc.webhooks.services import DeliveryStatus, EndpointInput, create_endpoint
from kcc.webhooks.signing import DELIVERY_HEADER
from tests.conftest import is_postgres
from tests.jobs.test_two_servers import BIN, Process, start
from tests.redis_server import RedisServer
from tests.webhooks.receiver import HttpsReceiver

QUESTIONS = 60  # more than one batch of 50, so the kill leaves claimed and unclaimed rows
ANSWER_SECONDS = 0.1  # the receiver's think time: the worker is mid-request most of the time
KILL_AFTER = 10  # deliveries the receiver has seen when the worker is killed
# The claim's lease for this test (production: 600 s). It outlives a batch of 50 slow answers
# (about 6 s here), and it is how long the killed worker's batch waits for the next sender.
LEASE_SECONDS = 15
WAIT_SECONDS = 45


@pytest.fixture(autouse=True)
def needs_postgres(database_url: str) -> None:
    """A worker process and the test writing one SQLite file is not a supported deployment."""
    if not is_postgres(database_url):
        pytest.skip("de crashtest van de worker vraagt PostgreSQL (KCC_TEST_DATABASE_URL)")


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[HttpsReceiver]:
    """A slow HTTPS receiver: it notes each delivery on arrival, then thinks before answering."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = HttpsReceiver(ca, ca_file)
    server.state.delay_seconds = ANSWER_SECONDS
    # A request cut off by the kill fails to get its answer: expected, not worth a traceback.
    server.httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
    yield server.start()
    server.stop()


def received_ids(receiver: HttpsReceiver) -> list[str]:
    """The delivery ids received so far, in order, repeats included."""
    with receiver.state.lock:
        return [request.headers[DELIVERY_HEADER] for request in receiver.state.requests]


def worker_environment(
    database_url: str, instance_path: Path, redis_url: str, ca_file: Path
) -> dict[str, str]:
    """The environment a production worker gets, as in the two-server test."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("KCC_", "FLASK_")) and name not in {"DATABASE_URL", "SECRET_KEY"}
    }
    environment.update(
        KCC_ENV="development",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        KCC_INSTANCE_PATH=str(instance_path),
        REDIS_URL=redis_url,
        WEBHOOK_CA_BUNDLE=str(ca_file),
        WEBHOOK_TIMEOUT="5",
        WEBHOOK_CLAIM_SECONDS=str(LEASE_SECONDS),
    )
    return environment


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (RQ's work horse, its scheduler), read from /proc."""
    parents: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended while we looked
            continue
        # The command name is in parentheses and may hold spaces; the parent id follows it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        parents[parent].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def kill_everything(worker: Process) -> list[int]:
    """SIGKILL the worker and all below it, parent first so it cannot react; the pids killed."""
    below = descendants(worker.process.pid)
    worker.process.kill()
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.process.wait(timeout=10)
    return below


def wait_for(condition: Any, what: str, worker: Process) -> None:
    """Poll until the condition holds, or fail with the worker's output."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen:\n{worker.output()}"
        time.sleep(0.05)


def rows(app: Flask) -> list[WebhookDelivery]:
    """Every delivery row as it is in the database now (detached, read-only use)."""
    with app.app_context():
        found = list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        db.session.expunge_all()
        return found


def is_whole(row: WebhookDelivery) -> bool:
    """A row is either untouched and waiting, or delivered with its attempt fully recorded."""
    if row.status == DeliveryStatus.WAITING:
        return row.attempts == 0 and row.delivered_at is None and row.last_status_code is None
    return (
        row.status == DeliveryStatus.DELIVERED
        and row.attempts == 1
        and row.delivered_at is not None
        and row.last_status_code == 204
        and row.locked_until is None
    )


def finished(job_id: str, redis_server: RedisServer) -> bool:
    """Whether the RQ job has finished (a failed job fails the test at once)."""
    connection = redis_server.client()
    try:
        status = Job.fetch(job_id, connection=connection).get_status()
    finally:
        connection.close()
    assert status != JobStatus.FAILED, f"job {job_id} failed"
    return status == JobStatus.FINISHED


def job_status(job_id: str, redis_server: RedisServer) -> JobStatus | None:
    """The RQ job's status as Redis has it."""
    connection = redis_server.client()
    try:
        return Job.fetch(job_id, connection=connection).get_status()
    finally:
        connection.close()


def register_questions(app: Flask, receiver_url: str) -> None:
    """An endpoint for question registration, then QUESTIONS registrations as an agent makes."""
    with app.app_context():
        admin = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
        create_endpoint(
            EndpointInput(url=receiver_url, events=(WebhookEvent.QUESTION_REGISTERED.value,)),
            user=admin,
        )
        agent_id = db.session.execute(select(User.id).where(User.username == "agent")).scalar_one()
        hilversum = db.session.execute(
            select(Municipality.id).where(Municipality.cbs_code == "GM0402")
        ).scalar_one()
        oekraine = db.session.execute(
            select(Crisis.id).where(Crisis.code == "oekraine")
        ).scalar_one()
        for number in range(QUESTIONS):
            register_question(
                QuestionInput(
                    channel="telefoon",
                    caller_type="inwoner",
                    municipality_id=hilversum,
                    crisis_id=oekraine,
                    text=f"Vraag {number}: wanneer krijg ik leefgeld?",
                ),
                user_id=agent_id,
            )


def test_a_worker_killed_mid_send_loses_nothing_and_a_new_worker_finishes(
    app: Flask,
    demo: None,
    database_url: str,
    instance_path: Path,
    redis_server: RedisServer,
    receiver: HttpsReceiver,
    tmp_path: Path,
) -> None:
    ca_file = receiver.ca_file
    environment = worker_environment(database_url, instance_path, redis_server.url, ca_file)
    register_questions(app, receiver.url)
    public_ids = {row.public_id for row in rows(app)}
    assert len(public_ids) == QUESTIONS

    workers: list[Process] = []
    try:
        # 1. A worker sends the outbox; it is killed once the receiver has seen some of it.
        workers.append(
            start([str(BIN / "flask"), "--app", "kcc", "worker"], environment, tmp_path / "w1.log")
        )
        first = workers[0]
        with app.app_context():
            killed_job = queue.enqueue("webhooks-send").id
        assert killed_job is not None
        wait_for(lambda: len(received_ids(receiver)) >= KILL_AFTER, "sending", first)
        killed = kill_everything(first)
        # RQ forks a work horse in a process group of its own: killing the worker's group
        # would have left it running, so the test kills each process it found below it.
        assert killed, "the worker had no work horse while sending"
        time.sleep(0.5)  # let the receiver note a request that was on the wire at the kill
        killed_at = utcnow()

        received_at_kill = received_ids(receiver)
        at_kill = rows(app)
        assert KILL_AFTER <= len(received_at_kill) < QUESTIONS
        assert len(set(received_at_kill)) == len(received_at_kill), "a repeat before the kill"
        assert all(is_whole(row) for row in at_kill), "a half-written row after the kill"
        delivered_at_kill = {row.public_id for row in at_kill if row.status == "afgeleverd"}
        claimed_at_kill = {
            row.public_id
            for row in at_kill
            if row.status == DeliveryStatus.WAITING
            and row.locked_until is not None
            and row.locked_until > killed_at
        }
        # Received but not recorded: the one request under way when the worker died.
        in_flight = set(received_at_kill) - delivered_at_kill
        assert len(in_flight) <= 1
        assert in_flight <= claimed_at_kill
        assert delivered_at_kill <= set(received_at_kill)  # nothing recorded that was not sent
        assert claimed_at_kill, "the kill should leave a claimed batch behind"
        unclaimed = public_ids - delivered_at_kill - claimed_at_kill
        assert unclaimed, "the kill should leave rows no one had claimed yet"
        lease_ends = min(
            row.locked_until
            for row in at_kill
            if row.public_id in claimed_at_kill and row.locked_until is not None
        )
        # The worker read WEBHOOK_CLAIM_SECONDS (the default would make this test wait 10 min).
        assert (lease_ends - killed_at).total_seconds() <= LEASE_SECONDS
        assert job_status(killed_job, redis_server) == JobStatus.STARTED  # abandoned

        # 2. A new worker (Restart=always) runs the next scheduled send: it sends what no one
        # had claimed, and leaves the dead worker's claim alone while the lease holds.
        workers.append(
            start([str(BIN / "flask"), "--app", "kcc", "worker"], environment, tmp_path / "w2.log")
        )
        second = workers[1]
        with app.app_context():
            next_job = queue.enqueue("webhooks-send").id
        assert next_job is not None
        wait_for(lambda: finished(next_job, redis_server), "the next send", second)
        assert utcnow() < lease_ends, "too slow for this test's lease: raise LEASE_SECONDS"
        after_restart = {row.public_id: row for row in rows(app)}
        assert all(
            after_restart[public_id].status == DeliveryStatus.DELIVERED for public_id in unclaimed
        )
        assert all(
            after_restart[public_id].status == DeliveryStatus.WAITING
            for public_id in claimed_at_kill
        )
        assert collections.Counter(received_ids(receiver)) == collections.Counter(
            received_at_kill + sorted(unclaimed)
        )

        # 3. Once the lease has run out, the next scheduled send delivers the rest.
        time.sleep(max(0.0, (lease_ends - utcnow()).total_seconds()) + 0.5)
        with app.app_context():
            last_job = queue.enqueue("webhooks-send").id
        assert last_job is not None
        wait_for(lambda: finished(last_job, redis_server), "the send after the lease", second)
    finally:
        for running in workers:
            if running.process.poll() is None:
                running.process.terminate()
                try:
                    running.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    running.process.kill()
                    running.process.wait(timeout=10)

    at_end = rows(app)
    assert all(row.status == DeliveryStatus.DELIVERED for row in at_end)
    assert all(is_whole(row) for row in at_end)  # one recorded attempt each, no claim left
    counts = collections.Counter(received_ids(receiver))
    assert set(counts) == public_ids  # every event reached the receiver
    # At least once: only the request under way at the kill may arrive twice, with its id.
    assert {public_id for public_id, count in counts.items() if count > 1} <= in_flight
    assert max(counts.values()) <= 2
    # The abandoned RQ job did not hold up the later runs (RQ retires it after its heartbeat
    # runs out, at a worker's next clean-up).
    assert job_status(killed_job, redis_server) == JobStatus.STARTED
