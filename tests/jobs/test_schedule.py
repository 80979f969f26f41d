"""Periodic jobs: slots per job, and each due run enqueued once however many schedulers run."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import Flask
from rq import SimpleWorker

from kcc.jobs import queue
from kcc.jobs.registry import JOBS
from kcc.jobs.schedule import SCHEDULE, InProcessClaims, Periodic, due_jobs

# Friday 4 December 2026, 15:30 in Amsterdam (winter time, UTC+1).
FRIDAY_AFTERNOON = datetime(2026, 12, 4, 14, 30, tzinfo=UTC)
SATURDAY_MORNING = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_a_daily_job_is_due_once_per_local_day_after_its_time() -> None:
    purge = Periodic("purge", daily_at=time(2, 0))

    # 01:30 UTC is 02:30 in Amsterdam: due; 00:30 UTC is 01:30 there: not yet.
    assert purge.slot(datetime(2026, 12, 4, 0, 30, tzinfo=UTC)) is None
    assert purge.slot(datetime(2026, 12, 4, 1, 30, tzinfo=UTC)) == "purge:2026-12-04"
    assert purge.slot(FRIDAY_AFTERNOON) == "purge:2026-12-04"


def test_the_digest_skips_the_weekend() -> None:
    digest = Periodic("digest", daily_at=time(8, 0), working_days_only=True)

    assert digest.slot(FRIDAY_AFTERNOON) == "digest:2026-12-04"
    assert digest.slot(SATURDAY_MORNING) is None


def test_an_interval_job_gets_a_new_slot_each_interval() -> None:
    webhooks = Periodic("webhooks-send", every=timedelta(minutes=1))

    first = webhooks.slot(FRIDAY_AFTERNOON)
    assert webhooks.slot(FRIDAY_AFTERNOON + timedelta(seconds=59)) == first
    assert webhooks.slot(FRIDAY_AFTERNOON + timedelta(seconds=60)) != first


def test_claims_make_a_slot_run_once_and_the_mailbox_only_when_configured() -> None:
    claims = InProcessClaims()

    first = due_jobs(FRIDAY_AFTERNOON, claims, settings={})
    again = due_jobs(FRIDAY_AFTERNOON + timedelta(seconds=5), claims, settings={})
    later = due_jobs(
        FRIDAY_AFTERNOON + timedelta(minutes=1), claims, settings={"MAIL_INTAKE_HOST": "imap"}
    )

    assert first == ["purge", "signals", "digest", "notify-deadlines", "webhooks-send"]
    assert again == []
    assert later == ["webhooks-send", "mail-intake-poll"]
    assert {periodic.job for periodic in SCHEDULE} <= set(JOBS)


def test_two_schedulers_on_one_redis_enqueue_each_due_job_once(app: Flask) -> None:
    first = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    second = app.test_cli_runner().invoke(args=["scheduler", "--once"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0 and second.output == ""
    with app.app_context():
        job_queue = queue.job_queue()
        names = sorted(job.meta["name"] for job in job_queue.get_jobs())
        due = sorted(due_jobs(datetime.now(UTC), InProcessClaims(), settings=dict(app.config)))
        assert names == due
        assert len(names) == len(set(names))
        SimpleWorker([job_queue], connection=job_queue.connection).work(burst=True)
        assert job_queue.failed_job_registry.count == 0
        assert job_queue.finished_job_registry.count == len(names)


def test_a_scheduler_without_redis_runs_the_due_jobs_in_process(app_without_redis: Flask) -> None:
    result = app_without_redis.test_cli_runner().invoke(args=["scheduler", "--once"])

    assert result.exit_code == 0, result.output
    assert "webhooks-send: Webhooks: 0 afgeleverd, 0 wachten, 0 mislukt." in result.output
