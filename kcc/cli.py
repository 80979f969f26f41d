"""`flask --app kcc ...` commands: thin wrappers around services."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from kcc import demo
from kcc.api.cli import openapi_command
from kcc.auth import services as auth_services
from kcc.auth.models import Role
from kcc.classification import services as classification_services
from kcc.escalation import notifications
from kcc.exceptions import KccError
from kcc.extensions import utcnow
from kcc.faq import clusters as faq_clusters
from kcc.faq.export import export_faq_command
from kcc.governance import retention
from kcc.insight.online import import_online_command
from kcc.insight.report_views import open_data_command, report_command
from kcc.insight.rollup import rollup_command
from kcc.insight.signals import signals_command
from kcc.integration.cli import klantinteracties_command
from kcc.jobs.cli import jobs_command, scheduler_command, worker_command
from kcc.mailintake.cli import mail_intake_command
from kcc.nlp import clustering
from kcc.operations.cli import backup_command, restore_command
from kcc.privacy import masking
from kcc.transfer.cli import import_command
from kcc.webhooks.cli import webhooks_command

T = TypeVar("T")
DEFAULT_CLUSTER_DAYS = 14

PURGE_LABELS = {
    "contact_details": "contactgegevens",
    "mail_messages": "e-mails van bellers (afzender, tekst, bijlagen)",
    "questions": "vragen (met geschiedenis)",
    "audit_events": "auditregels",
    "online_messages": "online berichten",
}


def register_cli(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(create_user_command)
    app.cli.add_command(create_token_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(scrub_command)
    app.cli.add_command(train_command)
    app.cli.add_command(classify_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(notify_deadlines_command)
    app.cli.add_command(digest_command)
    app.cli.add_command(cluster_command)
    app.cli.add_command(export_faq_command)
    app.cli.add_command(import_online_command)
    app.cli.add_command(klantinteracties_command)
    app.cli.add_command(openapi_command)
    app.cli.add_command(report_command)
    app.cli.add_command(open_data_command)
    app.cli.add_command(signals_command)
    app.cli.add_command(rollup_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(import_command)
    app.cli.add_command(webhooks_command)
    app.cli.add_command(mail_intake_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(jobs_command)


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--full-name", default="", help="Volledige naam.")
@click.option("--email", default=None, help="E-mailadres.")
def create_user_command(username: str, role: str, full_name: str, email: str | None) -> None:
    """Create a user; the password comes from KCC_PASSWORD or a prompt."""
    password = os.environ.get("KCC_PASSWORD") or click.prompt(
        "Wachtwoord", hide_input=True, confirmation_prompt="Herhaal wachtwoord"
    )
    data = auth_services.UserInput(username=username, role=role, full_name=full_name, email=email)
    try:
        user = auth_services.create_user(data, password)
    except KccError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Gebruiker {user.username} aangemaakt met rol {user.role}.")


@click.command("create-token")
@with_appcontext
@click.argument("username")
def create_token_command(username: str) -> None:
    """Print a new API bearer token for a user (shown once; only its hash is stored)."""
    try:
        token = auth_services.create_api_token(username)
    except KccError as error:
        raise click.ClickException(str(error)) from error
    click.echo(token)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo region, crises, departments and one user per role (idempotent)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demodata hoort niet in productie.")
    password = demo.demo_password(
        Path(current_app.instance_path), os.environ.get("KCC_DEMO_PASSWORD")
    )
    summary = demo.seed_demo(password, with_faq=True)
    added = ", ".join(f"{count} {kind}" for kind, count in summary.created.items())
    click.echo(f"Demodata bijgewerkt: {added} toegevoegd.")
    click.echo(
        "Demo-login: gebruikersnaam "
        + " / ".join(summary.usernames)
        + f", wachtwoord {summary.password}"
    )


@click.command("scrub")
@with_appcontext
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(path_type=Path),
    help="CSV (UTF-8) met kopregel id,text.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Waar de CSV met gemaskeerde tekst komt.",
)
def scrub_command(input_path: Path, output_path: Path) -> None:
    """Mask personal data in the text column of an id,text CSV, streaming row by row."""
    summary = convert_csv_file(input_path, output_path, masking.scrub_csv)
    click.echo(
        f"{summary.rows} rijen verwerkt; in {summary.masked_rows} daarvan zijn "
        "persoonsgegevens gemaskeerd."
    )


def convert_csv_file(
    input_path: Path, output_path: Path, convert: Callable[[TextIO, TextIO], T]
) -> T:
    """Run a CSV-to-CSV conversion between two files; Dutch errors, never half an output file."""
    if not input_path.is_file():
        raise click.ClickException(f"Invoerbestand {input_path} bestaat niet of is geen bestand.")
    if output_path.exists() and output_path.resolve() == input_path.resolve():
        raise click.ClickException("Kies voor --output een ander bestand dan voor --input.")
    try:
        # utf-8-sig: a byte-order mark (as Excel writes) is not part of the first column name.
        with (
            input_path.open(encoding="utf-8-sig", newline="") as source,
            output_path.open("w", encoding="utf-8", newline="") as target,
        ):
            return convert(source, target)
    except KccError as error:
        output_path.unlink(missing_ok=True)  # half a file would look like a finished export
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename}: {error.strerror}.") from error


@click.command("train")
@with_appcontext
@click.option("--crisis", "crisis_code", default=None, help="Alleen deze crisis (code).")
@click.option("--force", is_flag=True, help="Activeer de nieuwe versie ook als die slechter is.")
@click.option("--only-missing", is_flag=True, help="Alleen waar nog geen actief model is.")
def train_command(crisis_code: str | None, force: bool, only_missing: bool) -> None:
    """Retrain topic and sentiment models from shipped data plus confirmed labels."""
    try:
        outcomes = classification_services.train_models(
            crisis_code, force=force, only_missing=only_missing
        )
    except KccError as error:
        raise click.ClickException(str(error)) from error
    if not outcomes:
        click.echo("Alle modellen zijn er al.")
    for outcome in outcomes:
        what = f"{outcome.kind} {outcome.crisis_code or '(alle crises)'}"
        if outcome.version is None:
            click.echo(f"{what}: niet getraind, {outcome.reason}.")
            continue
        state = "actief" if outcome.activated else "niet actief"
        click.echo(
            f"{what}: versie {outcome.version.version}, macro-F1 "
            f"{outcome.version.macro_f1:.3f}, {state} ({outcome.reason})."
        )


@click.command("classify")
@with_appcontext
@click.option("--crisis", "crisis_code", required=True, help="Code van de crisis.")
@click.option("--input", "input_path", required=True, type=click.Path(path_type=Path))
@click.option("--output", "output_path", required=True, type=click.Path(path_type=Path))
def classify_command(crisis_code: str, input_path: Path, output_path: Path) -> None:
    """Label an id,text CSV with topic and sentiment using the active models."""
    count = convert_csv_file(
        input_path,
        output_path,
        lambda source, target: classification_services.classify_csv(crisis_code, source, target),
    )
    click.echo(f"{count} vragen geclassificeerd naar {output_path}.")


@click.command("purge")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Alleen tellen wat verlopen is; niets verwijderen.")
def purge_command(dry_run: bool) -> None:
    """Delete what has passed its retention period (run it daily, e.g. from cron)."""
    report = retention.purge_expired(dry_run=dry_run)
    verb = "zou verwijderen" if dry_run else "verwijderd"
    for kind in PURGE_LABELS:
        click.echo(f"{PURGE_LABELS[kind]}: {report.counts.get(kind, 0)} {verb}")


def echo_notifications(what: str, report: notifications.NotificationReport) -> None:
    """Print how many e-mails went out, and why any failed; exit 1 when some failed."""
    click.echo(f"{what}: {report.sent} verstuurd, {report.failed} mislukt")
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    if report.failed:
        raise SystemExit(1)


@click.command("notify-deadlines")
@with_appcontext
def notify_deadlines_command() -> None:
    """Warn owners whose items near their deadline (run every 15 minutes, e.g. from cron)."""
    echo_notifications("Termijnmeldingen", notifications.notify_deadlines())


@click.command("digest")
@with_appcontext
def digest_command() -> None:
    """Mail coordinators the overdue items (run once a working day, e.g. at 08:00)."""
    echo_notifications("Dagoverzichten", notifications.send_daily_digest())


@click.command("cluster")
@with_appcontext
@click.option(
    "--crisis",
    "crisis_code",
    default=None,
    help="Code van de crisis: cluster haar vragen en bewaar de run.",
)
@click.option(
    "--days",
    default=None,
    type=click.IntRange(min=1, max=faq_clusters.MAX_DAYS),
    help="Met --crisis: vragen van de laatste zoveel dagen (standaard 14).",
)
@click.option(
    "--input",
    "input_path",
    default=None,
    type=click.Path(path_type=Path),
    help="CSV (UTF-8) met kopregel id,text.",
)
@click.option(
    "--output",
    "output_path",
    default=None,
    type=click.Path(path_type=Path),
    help="Waar de CSV met id,cluster komt (-1 = niet geclusterd).",
)
@click.option(
    "--min-cluster-size",
    default=clustering.ClusteringSettings().min_cluster_size,
    show_default=True,
    type=click.IntRange(min=2),
    help="Minimaal aantal vragen in een cluster.",
)
def cluster_command(
    crisis_code: str | None,
    days: int | None,
    input_path: Path | None,
    output_path: Path | None,
    min_cluster_size: int,
) -> None:
    """Cluster a crisis's stored questions (--crisis), or an id,text CSV (--input/--output)."""
    settings = clustering.ClusteringSettings(min_cluster_size=min_cluster_size)
    uses_files = input_path is not None or output_path is not None
    if crisis_code is not None and uses_files:
        raise click.UsageError("Kies --crisis of --input/--output, niet allebei.")
    if crisis_code is not None:
        cluster_stored_questions(crisis_code, days or DEFAULT_CLUSTER_DAYS, settings)
        return
    if days is not None:
        raise click.UsageError("--days hoort bij --crisis.")
    if input_path is None or output_path is None:
        raise click.UsageError("Geef --crisis CODE [--days N], of --input en --output samen.")
    summary = convert_csv_file(
        input_path,
        output_path,
        lambda source, target: clustering.cluster_csv(source, target, settings),
    )
    rows, clusters, unclustered = (
        dutch_number(count) for count in (summary.rows, summary.clusters, summary.unclustered)
    )
    click.echo(f"{rows} vragen, {clusters} clusters, {unclustered} niet geclusterd.")


def dutch_number(count: int) -> str:
    """Dutch thousands separator: 12.345."""
    return f"{count:,}".replace(",", ".")


def cluster_stored_questions(
    crisis_code: str, days: int, settings: clustering.ClusteringSettings
) -> None:
    """Run and store a clustering of a crisis's questions; print what it found."""
    try:
        crisis = faq_clusters.get_crisis_by_code(crisis_code)
        run = faq_clusters.run_clustering(
            crisis.id, days=days, user=None, now=utcnow(), settings=settings
        )
    except KccError as error:
        raise click.ClickException(str(error)) from error
    seconds = f"{run.seconds:.1f}".replace(".", ",")  # Dutch decimal comma
    click.echo(
        f"Run {run.id} ({crisis.code}, {days} dagen): {dutch_number(run.question_count)} "
        f"vragen, {dutch_number(run.cluster_count)} clusters, "
        f"{dutch_number(run.unclustered_count)} niet geclusterd, {seconds} seconden."
    )
