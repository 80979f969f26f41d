"""`flask --app kcc webhooks send`: deliver the webhook outbox (run it from cron every minute)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kcc.webhooks import delivery as sender


@click.group("webhooks")
def webhooks_command() -> None:
    """Webhooks: send waiting deliveries."""


@webhooks_command.command("send")
@click.option(
    "--limit",
    default=500,
    show_default=True,
    type=click.IntRange(min=1),
    help="Hoogstens zoveel meldingen in deze ronde.",
)
@with_appcontext
def send_command(limit: int) -> None:
    """Send every delivery that is due; failed ones are retried later with back-off."""
    summary = sender.send_due_deliveries(limit=limit)
    click.echo(
        f"{summary.delivered} afgeleverd, {summary.waiting} wachten op een nieuwe poging, "
        f"{summary.failed} mislukt."
    )
