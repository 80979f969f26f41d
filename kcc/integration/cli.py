"""`flask --app kcc klantinteracties ...`: export a question, push questions to Open Klant."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from kcc.exceptions import KccError
from kcc.integration import push as pushes


@click.group("klantinteracties")
def klantinteracties_command() -> None:
    """Klantinteracties (Open Klant): export and push questions."""


@klantinteracties_command.command("export")
@click.option("--question", "question_id", required=True, type=int, help="Id van de vraag.")
@click.option(
    "--personal-data",
    is_flag=True,
    help="Met persoonsgegevens (echte tekst, betrokkene, adressen); wordt gelogd.",
)
@with_appcontext
def export_command(question_id: int, personal_data: bool) -> None:
    """Print a question's Klantinteracties documents as JSON (masked unless asked)."""
    try:
        bundle = pushes.export_documents(question_id, include_personal_data=personal_data)
    except KccError as error:
        raise click.ClickException(str(error)) from error
    click.echo(json.dumps(bundle, ensure_ascii=False, indent=2))


@klantinteracties_command.command("push")
@click.option("--question", "question_id", type=int, default=None, help="Id van één vraag.")
@click.option("--all-pending", is_flag=True, help="Alle vragen die aan de beurt zijn.")
@click.option(
    "--limit", default=pushes.DEFAULT_BATCH, show_default=True, help="Hoogstens zoveel vragen."
)
@with_appcontext
def push_command(question_id: int | None, all_pending: bool, limit: int) -> None:
    """Send one question, or every pending one, to the configured Open Klant."""
    if (question_id is None) == (not all_pending):
        raise click.UsageError("Kies --question ID of --all-pending.")
    try:
        if question_id is not None:
            push = pushes.push_question(question_id)
            click.echo(f"Vraag {question_id}: {push.status}. {push.last_error}".rstrip())
            if push.status != pushes.PushStatus.SENT:
                raise SystemExit(1)
            return
        summary = pushes.push_pending(limit=limit)
    except KccError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"{summary.sent} verzonden, {summary.waiting} wachten op een nieuwe poging, "
        f"{summary.failed} mislukt."
    )
