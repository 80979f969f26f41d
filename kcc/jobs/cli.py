"""`flask --app kcc worker`, `scheduler` and `jobs run NAME`: background work from the shell."""

from __future__ import annotations

import time as clock
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker

from kcc.extensions import utcnow
from kcc.jobs import queue
from kcc.jobs.registry import JOBS, JobFailed
from kcc.jobs.schedule import SLOT_KEY_PREFIX, InProcessClaims, SlotClaim, due_jobs


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop zodra de wachtrij leeg is.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs from the Redis queue (REDIS_URL); start as many as you need."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not queue.uses_queue(app):
        raise click.ClickException(
            "REDIS_URL is niet ingesteld: zonder Redis draaien taken direct in het proces."
        )
    queue.use_worker_app(app)
    worker = Worker([queue.job_queue(app)], connection=queue.redis_connection(app))
    # with_scheduler: retries with an interval wait in RQ's scheduled registry until then.
    worker.work(burst=burst, with_scheduler=True)


def redis_slot_claim() -> SlotClaim:
    """Claim schedule slots in Redis, so several schedulers enqueue each run once."""
    connection = queue.redis_connection()

    def claim(slot: str, lifetime: timedelta) -> bool:
        return bool(connection.set(SLOT_KEY_PREFIX + slot, "1", nx=True, ex=lifetime))

    return claim


def enqueue_due_jobs(claim: SlotClaim) -> list[str]:
    """Enqueue (or, without Redis, run) every periodic job whose slot this scheduler won."""
    names = due_jobs(utcnow(), claim, settings=dict(current_app.config))
    for name in names:
        handle = queue.enqueue(name)
        what = f"taak {handle.id} in de wachtrij" if handle.id else handle.outcome["summary"]
        click.echo(f"{name}: {what}")
    return names


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Eén keer kijken wat er moet gebeuren, dan stoppen.")
@with_appcontext
def scheduler_command(once: bool) -> None:
    """Enqueue periodic jobs when due: purge, signals, digest, deadlines, webhooks, e-mail."""
    claim = redis_slot_claim() if queue.uses_queue() else InProcessClaims()
    tick = float(current_app.config["SCHEDULER_TICK_SECONDS"])
    while True:
        enqueue_due_jobs(claim)
        if once:
            return
        clock.sleep(tick)


@click.group("jobs")
def jobs_command() -> None:
    """Background jobs: run one by name."""


@jobs_command.command("run")
@click.argument("name", type=click.Choice(sorted(JOBS)))
@click.option("--queue", "on_queue", is_flag=True, help="Via de wachtrij (vraagt REDIS_URL).")
@with_appcontext
def run_command(name: str, on_queue: bool) -> None:
    """Run a job now in this process, or put it on the queue for a worker."""
    if on_queue:
        if not queue.uses_queue():
            raise click.ClickException("REDIS_URL is niet ingesteld.")
        click.echo(f"Taak {queue.enqueue(name).id} staat in de wachtrij.")
        return
    try:
        result = queue.run_in_app(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            queue.spec_named(name),
            {},
        )
    except JobFailed as error:
        raise click.ClickException(str(error)) from error
    click.echo(result["summary"])
    if result["failed"]:
        raise SystemExit(1)
