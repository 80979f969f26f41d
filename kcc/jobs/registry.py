"""The named background jobs: plain functions that call the same services as the CLI.

Each job returns a small dict (what a person reads about the outcome, and optionally the page
that shows it) so a worker on another machine can hand it back through Redis. A KccError is
bad input, not bad luck: it becomes an outcome with `failed` set instead of a retried crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from kcc.auth.models import User
from kcc.classification import services as classification_services
from kcc.escalation import notifications
from kcc.extensions import db, utcnow
from kcc.faq import clusters as faq_clusters
from kcc.governance import retention
from kcc.insight.signals import detect_signals, local_today
from kcc.mailintake.services import poll_mailbox
from kcc.reference.models import Crisis
from kcc.webhooks import delivery as webhook_delivery

JobOutcome = dict[str, Any]


class JobFailed(RuntimeError):
    """A job did part of its work and must be retried (e.g. the mail server refused)."""


@dataclass(frozen=True)
class JobSpec:
    """A job's function, its Dutch description and how RQ retries it after a crash."""

    name: str
    run: Callable[..., JobOutcome]
    description: str
    # Seconds between retries after an exception; empty means no retry (see each job why).
    retry_intervals: tuple[int, ...] = ()
    timeout_seconds: int = 600


def outcome(summary: str, *, endpoint: str | None = None, **values: Any) -> JobOutcome:
    """What a job reports: a Dutch sentence and optionally the page that shows the result."""
    return {"summary": summary, "endpoint": endpoint, "values": values, "failed": False}


def train(crisis_code: str | None = None, force: bool = False) -> JobOutcome:
    """Retrain the topic and sentiment models (as `flask --app kcc train`)."""
    outcomes = classification_services.train_models(crisis_code, force=force)
    parts = [
        f"{item.kind} {item.crisis_code or 'alle crises'}: "
        + (f"versie {item.version.version}, " if item.version else "")
        + ("actief" if item.activated else "niet actief")
        for item in outcomes
    ]
    return outcome("Modellen getraind: " + "; ".join(parts) + ".", endpoint="classification.models")


def cluster(crisis_id: int, days: int, user_id: int | None = None) -> JobOutcome:
    """Cluster a crisis's questions; no screen limit, as a worker has no request to finish."""
    user = db.session.get(User, user_id) if user_id is not None else None
    run = faq_clusters.run_clustering(crisis_id, days=days, user=user, now=utcnow())
    return outcome(
        f"Run {run.id}: {run.question_count} vragen, {run.cluster_count} clusters, "
        f"{run.unclustered_count} niet geclusterd.",
        endpoint="faq.cluster_run",
        run_id=run.id,
    )


def signals() -> JobOutcome:
    """Detect today's signals of every active crisis and mail the new ones."""
    now = utcnow()
    crises = db.session.execute(select(Crisis).where(Crisis.is_active)).scalars().all()
    found = created = 0
    for crisis in crises:
        report = detect_signals(crisis.id, local_today(now), now=now)
        found += len(report.signals)
        created += report.created
    return outcome(f"{found} signalen bij {len(crises)} crises, {created} nieuw.")


def purge() -> JobOutcome:
    """Delete what passed its retention period (as `flask --app kcc purge`)."""
    report = retention.purge_expired()
    return outcome(f"Verwijderd: {sum(report.counts.values())} records.", counts=report.counts)


def notify_deadlines() -> JobOutcome:
    """Warn owners of items nearing their deadline; a refused mail is retried."""
    report = notifications.notify_deadlines()
    if report.failed:
        # Safe to retry: only the failed warnings are unmarked, the sent ones are not resent.
        raise JobFailed(f"{report.failed} termijnmeldingen mislukt: {'; '.join(report.errors)}")
    return outcome(f"Termijnmeldingen: {report.sent} verstuurd.")


def digest() -> JobOutcome:
    """Mail coordinators the overdue items (no retry: it would resend to those who got it)."""
    report = notifications.send_daily_digest()
    return outcome(f"Dagoverzichten: {report.sent} verstuurd, {report.failed} mislukt.")


def send_webhooks() -> JobOutcome:
    """Deliver the webhook outbox (each delivery keeps its own back-off in the database)."""
    summary = webhook_delivery.send_due_deliveries()
    return outcome(
        f"Webhooks: {summary.delivered} afgeleverd, {summary.waiting} wachten, "
        f"{summary.failed} mislukt."
    )


def poll_mail_intake() -> JobOutcome:
    """Read the crisis mailbox once; an unreachable server raises and is retried."""
    report = poll_mailbox()
    return outcome(f"E-mail: {report.registered} nieuwe vragen, {report.failed} mislukt.")


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec("train", train, "Modellen opnieuw trainen", timeout_seconds=3600),
        JobSpec("cluster", cluster, "Vragen clusteren", timeout_seconds=3600),
        JobSpec("signals", signals, "Signalen zoeken"),
        JobSpec("purge", purge, "Verlopen gegevens verwijderen", timeout_seconds=3600),
        JobSpec(
            "notify-deadlines",
            notify_deadlines,
            "Termijnmeldingen versturen",
            retry_intervals=(60, 300, 900),
        ),
        JobSpec("digest", digest, "Dagoverzicht versturen"),
        JobSpec(
            "webhooks-send", send_webhooks, "Webhooks afleveren", retry_intervals=(30, 120, 600)
        ),
        JobSpec(
            "mail-intake-poll",
            poll_mail_intake,
            "E-mailpostvak lezen",
            retry_intervals=(30, 120, 600),
        ),
    )
}
