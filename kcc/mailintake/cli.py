"""`flask --app kcc mail-intake poll`: read the crisis mailbox once (run it every minute)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kcc.mailintake.imap import MailboxError
from kcc.mailintake.services import poll_mailbox


@click.group("mail-intake")
def mail_intake_command() -> None:
    """E-mail intake: questions from the crisis mailbox (IMAP)."""


@mail_intake_command.command("poll")
@with_appcontext
def poll_command() -> None:
    """Register the unread e-mails of the configured folders; print what happened."""
    try:
        report = poll_mailbox()
    except MailboxError as error:
        raise click.ClickException(f"Postvak niet gelezen: {error}") from error
    click.echo(
        f"E-mail: {report.registered} nieuwe vragen, {report.replies} reacties bij een vraag, "
        f"{report.skipped} overgeslagen (automatisch antwoord of onbestelbaar), "
        f"{report.duplicates} al verwerkt, {report.refused_attachments} bijlagen geweigerd, "
        f"{report.failed} mislukt."
    )
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    if report.failed:
        raise SystemExit(1)
