"""Putting jobs on the RQ queue when REDIS_URL is set, and running them in-process otherwise.

A worker may run on another machine: it receives only the job's name and plain keyword
arguments, builds its own app from the environment (KCC_ENV, DATABASE_URL, ...) once per
process, and opens a fresh app context per job, as a request would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from kcc.exceptions import KccError, NotFound
from kcc.extensions import db
from kcc.jobs.registry import JOBS, JobOutcome, JobSpec

REDIS_EXTENSION_KEY = "kcc.redis"

# The app a worker process runs its jobs in (set by `flask --app kcc worker`, or built once).
_worker_app: Flask | None = None

STATUS_LABELS = {
    JobStatus.QUEUED: "In de wachtrij",
    JobStatus.DEFERRED: "In de wachtrij",
    JobStatus.SCHEDULED: "Wacht op een nieuwe poging",
    JobStatus.STARTED: "Bezig",
    JobStatus.FINISHED: "Klaar",
    JobStatus.FAILED: "Mislukt",
    JobStatus.STOPPED: "Gestopt",
    JobStatus.CANCELED: "Geannuleerd",
}


@dataclass(frozen=True)
class JobHandle:
    """An enqueued job's id, or the outcome of a job that already ran in-process."""

    id: str | None
    outcome: JobOutcome | None = None


@dataclass(frozen=True)
class JobState:
    """What the job page shows about one queued job."""

    id: str
    name: str
    description: str
    status: str
    status_label: str
    enqueued_at: datetime | None
    requested_by: int | None
    outcome: JobOutcome | None

    @property
    def is_done(self) -> bool:
        """Finished or failed for good: the page need not be refreshed any more."""
        return self.status in {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED}


def uses_queue(app: Flask | None = None) -> bool:
    """Jobs go to a worker when REDIS_URL is configured; otherwise they run in-process."""
    return bool((app or current_app).config.get("REDIS_URL"))


def redis_connection(app: Flask | None = None) -> Redis:
    """This app's Redis client (one connection pool per process)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    connection = app.extensions.get(REDIS_EXTENSION_KEY)
    if connection is None:
        connection = Redis.from_url(app.config["REDIS_URL"], socket_timeout=10)
        app.extensions[REDIS_EXTENSION_KEY] = connection
    return connection


def job_queue(app: Flask | None = None) -> Queue:
    """The RQ queue of this app's jobs."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return Queue(app.config["JOB_QUEUE_NAME"], connection=redis_connection(app))


def spec_named(name: str) -> JobSpec:
    """The registered job of this name."""
    try:
        return JOBS[name]
    except KeyError:
        raise NotFound(f"Er is geen taak {name!r}; kies uit {', '.join(JOBS)}.") from None


def enqueue(name: str, *, requested_by: int | None = None, **kwargs: Any) -> JobHandle:
    """Queue a job for a worker, or run it right away in-process when there is no Redis."""
    spec = spec_named(name)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not uses_queue(app):
        return JobHandle(id=None, outcome=run_in_app(app, spec, kwargs))
    retry = (
        Retry(max=len(spec.retry_intervals), interval=list(spec.retry_intervals))
        if spec.retry_intervals
        else None
    )
    job = job_queue(app).enqueue(
        run_named_job,
        name,
        kwargs,
        description=spec.description,
        job_timeout=spec.timeout_seconds,
        result_ttl=app.config["JOB_RESULT_SECONDS"],
        failure_ttl=app.config["JOB_RESULT_SECONDS"],
        retry=retry,
        meta={"name": name, "requested_by": requested_by},
    )
    return JobHandle(id=job.id)


def run_in_app(app: Flask, spec: JobSpec, kwargs: dict[str, Any]) -> JobOutcome:
    """Run a job in its own app context (its own database session), like a request."""
    with app.app_context():
        try:
            return spec.run(**kwargs)
        except KccError as error:
            # Bad input (a crisis that is gone, too few days): retrying cannot help.
            db.session.rollback()
            return {"summary": str(error), "endpoint": None, "values": {}, "failed": True}
        finally:
            db.session.remove()


def worker_app() -> Flask:
    """The app jobs run in: the worker's own, or one built from the environment once."""
    global _worker_app
    if _worker_app is None:
        from kcc import create_app  # a worker without `flask --app kcc worker` builds its own

        _worker_app = create_app()
    return _worker_app


def use_worker_app(app: Flask | None) -> None:
    """Let jobs in this process run in the given app (the worker command's); None forgets it."""
    global _worker_app
    _worker_app = app


def run_named_job(name: str, kwargs: dict[str, Any]) -> JobOutcome:
    """What RQ calls in the worker: look the job up by name and run it in the worker's app."""
    app = current_app._get_current_object() if has_app_context() else worker_app()  # type: ignore[attr-defined]
    return run_in_app(app, spec_named(name), kwargs)


def aware(moment: datetime | None) -> datetime | None:
    """RQ's timestamps are UTC, without a time zone in some versions."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def job_state(job_id: str) -> JobState:
    """The state of a queued job, from Redis."""
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        raise NotFound("Deze taak bestaat niet (meer).") from None
    status = job.get_status()
    meta = job.meta or {}
    return JobState(
        id=job.id,
        name=str(meta.get("name", "")),
        description=job.description or "",
        status=str(status.value if status else ""),
        status_label=STATUS_LABELS.get(status, "Onbekend") if status else "Onbekend",
        enqueued_at=aware(job.enqueued_at),
        requested_by=meta.get("requested_by"),
        outcome=job.return_value() if status == JobStatus.FINISHED else None,
    )
