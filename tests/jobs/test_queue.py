"""Jobs on a real Redis queue run by a real RQ worker; without Redis they run in-process."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from rq import SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import select

from config import load_settings
from kcc.extensions import db
from kcc.faq.models import ClusterRun
from kcc.jobs import queue
from kcc.reference.models import Crisis
from tests.helpers import AuthActions, post_form
from tests.jobs.conftest import extra_app
from tests.redis_server import RedisServer, free_port


def crisis_id(app: Flask, code: str) -> int:
    """The id of a demo crisis."""
    with app.app_context():
        return db.session.execute(select(Crisis.id).where(Crisis.code == code)).scalar_one()


def run_worker(app: Flask) -> None:
    """Work the queue empty in this process, as `flask --app kcc worker --burst` would."""
    with app.app_context():
        job_queue = queue.job_queue()
        SimpleWorker([job_queue], connection=job_queue.connection).work(burst=True)


def test_a_cluster_run_from_the_screen_runs_on_the_worker_and_its_page_follows_it(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")

    started = post_form(
        client, "/editorial/clusters", {"crisis_id": crisis_id(app, "oekraine"), "days": 14}
    )

    assert started.status_code == 302
    job_url = started.headers["Location"]
    assert job_url.startswith("/jobs/")
    waiting = client.get(job_url).get_data(as_text=True)
    assert "Status: <strong>In de wachtrij</strong>" in waiting
    assert "Status vernieuwen" in waiting
    with app.app_context():
        assert db.session.scalars(select(ClusterRun)).all() == []  # nothing ran in the request

    run_worker(app)

    done = client.get(job_url).get_data(as_text=True)
    with app.app_context():
        run = db.session.scalars(select(ClusterRun)).one()
        assert run.created_by.username == "coordinator"
    assert "Status: <strong>Klaar</strong>" in done
    assert f"Run {run.id}: 0 vragen, 0 clusters, 0 niet geclusterd." in done
    assert f'href="/editorial/clusters/{run.id}">Bekijk het resultaat</a>' in done


def test_someone_elses_job_page_is_not_found(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")
    started = post_form(
        client, "/editorial/clusters", {"crisis_id": crisis_id(app, "corona"), "days": 7}
    )
    auth.logout()
    auth.login("admin")

    assert client.get(started.headers["Location"]).status_code == 404
    assert client.get("/jobs/bestaat-niet").status_code == 404


def test_a_job_with_bad_input_finishes_with_a_dutch_reason_and_no_retry(
    app: Flask, demo: None
) -> None:
    with app.app_context():
        handle = queue.enqueue("cluster", crisis_id=999_999, days=14)

    run_worker(app)

    with app.app_context():
        state = queue.job_state(handle.id or "")
    assert state.status == JobStatus.FINISHED
    assert state.outcome is not None and state.outcome["failed"]
    assert state.outcome["summary"] == "Deze crisis bestaat niet."


def test_an_unreachable_mailbox_is_retried_with_back_off(
    migrated_database: str, instance_path: Path, redis_server: RedisServer, demo: None
) -> None:
    # Nothing listens on this port: the poll fails the way a mail server outage does.
    with extra_app(
        migrated_database,
        instance_path,
        REDIS_URL=redis_server.url,
        MAIL_INTAKE_HOST="127.0.0.1",
        MAIL_INTAKE_PORT=free_port(),
        MAIL_INTAKE_SECURITY="none",
        MAIL_INTAKE_FOLDERS="INBOX=corona:GM0406",
        MAIL_INTAKE_TIMEOUT=2.0,
    ) as app:
        queue.use_worker_app(app)
        with app.app_context():
            handle = queue.enqueue("mail-intake-poll")
        run_worker(app)
        with app.app_context():
            scheduled = queue.job_queue().scheduled_job_registry.get_job_ids()

    job = Job.fetch(handle.id or "", connection=redis_server.client())
    assert job.get_status() == JobStatus.SCHEDULED  # waiting for its first retry
    assert job.retries_left == 2
    assert job.id in scheduled


def test_without_redis_a_job_runs_in_process_at_once(app_without_redis: Flask) -> None:
    with app_without_redis.app_context():
        handle = queue.enqueue("purge")

    assert handle.id is None
    assert handle.outcome is not None
    assert handle.outcome["summary"] == "Verwijderd: 0 records."


def test_the_cluster_screen_without_redis_still_runs_in_the_request(
    app_without_redis: Flask, demo: None
) -> None:
    client = app_without_redis.test_client()
    AuthActions(client).login("coordinator")

    response = post_form(
        client,
        "/editorial/clusters",
        {"crisis_id": crisis_id(app_without_redis, "corona"), "days": 14},
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/editorial/clusters/")


def test_a_job_runs_by_name_from_the_command_line_or_goes_on_the_queue(app: Flask) -> None:
    runner = app.test_cli_runner()

    now = runner.invoke(args=["jobs", "run", "purge"])
    queued = runner.invoke(args=["jobs", "run", "signals", "--queue"])

    assert now.exit_code == 0 and now.output == "Verwijderd: 0 records.\n"
    assert queued.exit_code == 0 and "staat in de wachtrij" in queued.output
    with app.app_context():
        assert [job.meta["name"] for job in queue.job_queue().get_jobs()] == ["signals"]


def test_the_worker_command_needs_redis(app_without_redis: Flask) -> None:
    result = app_without_redis.test_cli_runner().invoke(args=["worker", "--burst"])

    assert result.exit_code == 1
    assert "REDIS_URL is niet ingesteld" in result.output


def test_a_redis_url_also_shares_the_rate_limit_counters(tmp_path: Path) -> None:
    settings = load_settings(
        "production",
        {
            "REDIS_URL": "redis://redis.intern:6379/0",
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": "postgresql://kcc@db/kcc",
        },
        tmp_path,
    )

    assert settings["RATELIMIT_STORAGE_URI"] == "redis://redis.intern:6379/0"
