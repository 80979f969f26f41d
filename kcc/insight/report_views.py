"""The weekly report (page, PDF, CSV per table) and the open-data export (form, CSV, README),
on screen and from the command line (`flask --app kcc report` and `open-data`).

Everyone who may see insights (analysts, coordinators, administrators) may make both: they
hold aggregates only, and the open-data file suppresses small counts by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import click
from flask import current_app, render_template, request, url_for
from flask.cli import with_appcontext
from werkzeug.wrappers import Response

from kcc.exceptions import KccError, NotFound, ValidationFailed
from kcc.extensions import utcnow
from kcc.insight import open_data, report
from kcc.insight.report_pdf import render_report_pdf
from kcc.insight.views import bp
from kcc.reference import services as reference_services
from kcc.reference.models import Crisis
from kcc.security import Permission, permission_required

# Rows of the open-data file shown on the page before downloading.
PREVIEW_ROWS = 25


@dataclass
class Choice:
    """What the visitor asked for (crisis code, week or period) and what was wrong with it."""

    crisis: Crisis | None = None
    crisis_code: str = ""
    week: str = ""
    date_from: str = ""
    date_to: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def chosen_crisis(choice: Choice) -> None:
    """Fill in the crisis named by the `crisis` code in the query, or the newest active one."""
    code = request.args.get("crisis", "").strip()
    if not code:
        active = reference_services.list_active_crises()
        choice.crisis = active[0] if active else None
        if choice.crisis is None:
            choice.errors["crisis"] = "Er is nog geen crisis om over te rapporteren."
    else:
        choice.crisis = reference_services.find_crisis_by_code(code)
        if choice.crisis is None:
            choice.errors["crisis"] = f"Er is geen crisis met code '{code[:40]}'."
    choice.crisis_code = choice.crisis.code if choice.crisis else code[:40]


def report_choice(now: datetime) -> Choice:
    """Crisis and ISO week from the query string; the last complete week by default."""
    choice = Choice()
    chosen_crisis(choice)
    choice.week = (
        request.args.get("week", "").strip()[:10] or report.last_complete_week(now).iso_week
    )
    try:
        report.parse_iso_week(choice.week)
    except ValidationFailed as error:
        choice.errors["week"] = str(error)
    return choice


def require_valid(choice: Choice) -> Crisis:
    """For downloads: the chosen crisis, or the first error as a Dutch 400/404 page."""
    if "crisis" in choice.errors:
        raise NotFound(choice.errors["crisis"])
    if choice.errors or choice.crisis is None:
        raise ValidationFailed(next(iter(choice.errors.values()), "Kies een crisis."))
    return choice.crisis


def report_links(choice: Choice) -> dict[str, object]:
    """Where the PDF and each table's CSV of this report are."""
    args = {"crisis": choice.crisis_code, "week": choice.week}
    return {
        "pdf_href": url_for("insight.report_pdf", **args),
        "csv_href": lambda name: url_for("insight.report_csv", table=name, **args),
    }


@bp.route("/report")
@permission_required(Permission.VIEW_INSIGHTS)
def weekly_report() -> tuple[str, int]:
    """The printable weekly report of a crisis, with links to the PDF and the CSV files."""
    now = utcnow()
    choice = report_choice(now)
    result = None
    if not choice.errors and choice.crisis is not None:
        result = report.weekly_report(choice.crisis.id, choice.week, now=now)
    return render_template(
        "insight/report.html",
        choice=choice,
        crises=reference_services.list_crises_with_topics(),
        report=result,
        chart=report.day_chart(result.days) if result else None,
        **(report_links(choice) if result else {}),
    ), 400 if choice.errors else 200


@bp.route("/report.pdf")
@permission_required(Permission.VIEW_INSIGHTS)
def report_pdf() -> Response:
    """The weekly report as a PDF download."""
    now = utcnow()
    choice = report_choice(now)
    crisis = require_valid(choice)
    result = report.weekly_report(crisis.id, choice.week, now=now)
    return download(
        render_report_pdf(result),
        "application/pdf",
        f"weekrapport-{crisis.code}-{result.week.iso_week}.pdf",
    )


@bp.route("/report/csv/<table>")
@permission_required(Permission.VIEW_INSIGHTS)
def report_csv(table: str) -> Response:
    """One table of the weekly report as a CSV download."""
    now = utcnow()
    choice = report_choice(now)
    crisis = require_valid(choice)
    result = report.weekly_report(crisis.id, choice.week, now=now)
    found = result.table(table)
    return download(
        report.table_csv(found),
        "text/csv",
        f"weekrapport-{crisis.code}-{result.week.iso_week}-{found.name}.csv",
    )


def download(body: bytes | str, mimetype: str, filename: str) -> Response:
    """A file download that no shared cache keeps (the figures are internal)."""
    if mimetype.startswith("text/"):
        mimetype += "; charset=utf-8"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


# --- Open data ----------------------------------------------------------------------------


def open_data_choice(now: datetime) -> Choice:
    """Crisis and period from the query string; the last complete week by default."""
    choice = Choice()
    chosen_crisis(choice)
    default = report.last_complete_week(now)
    choice.date_from = request.args.get("from", "").strip()[:10] or default.monday.isoformat()
    choice.date_to = request.args.get("to", "").strip()[:10] or default.sunday.isoformat()
    days: dict[str, date] = {}
    for name, value in (("from", choice.date_from), ("to", choice.date_to)):
        try:
            days[name] = open_data.parse_day(value, name)
        except ValidationFailed as error:
            choice.errors[name] = str(error)
    if len(days) == 2:
        try:
            open_data.check_period(days["from"], days["to"])
        except ValidationFailed as error:
            choice.errors["to"] = str(error)
    return choice


def build_open_data(choice: Choice, now: datetime) -> open_data.OpenDataExport:
    """The export for a valid choice, with the configured threshold."""
    crisis = require_valid(choice)
    return open_data.open_data_export(
        crisis.id,
        date.fromisoformat(choice.date_from),
        date.fromisoformat(choice.date_to),
        min_count=current_app.config.get("OPEN_DATA_MIN_COUNT", open_data.DEFAULT_MIN_COUNT),
        now=now,
    )


@bp.route("/open-data")
@permission_required(Permission.VIEW_INSIGHTS)
def open_data_page() -> tuple[str, int]:
    """Choose crisis and period; see how many rows are published and suppressed; download."""
    now = utcnow()
    choice = open_data_choice(now)
    export = None if choice.errors else build_open_data(choice, now)
    args = {"crisis": choice.crisis_code, "from": choice.date_from, "to": choice.date_to}
    return render_template(
        "insight/open_data.html",
        choice=choice,
        crises=reference_services.list_crises_with_topics(),
        export=export,
        preview=export.rows[:PREVIEW_ROWS] if export else [],
        csv_href=url_for("insight.open_data_csv", **args),
        readme_href=url_for("insight.open_data_readme", **args),
        min_count=current_app.config.get("OPEN_DATA_MIN_COUNT", open_data.DEFAULT_MIN_COUNT),
    ), 400 if choice.errors else 200


@bp.route("/open-data.csv")
@permission_required(Permission.VIEW_INSIGHTS)
def open_data_csv() -> Response:
    """The anonymised counts as a CSV download."""
    now = utcnow()
    export = build_open_data(open_data_choice(now), now)
    return download(open_data.open_data_csv(export), "text/csv", export.filename)


@bp.route("/open-data.txt")
@permission_required(Permission.VIEW_INSIGHTS)
def open_data_readme() -> Response:
    """The README (definitions, licence, suppression rule) that goes with the CSV."""
    now = utcnow()
    export = build_open_data(open_data_choice(now), now)
    return download(open_data.open_data_readme(export), "text/plain", export.readme_filename)


# --- Command line ---------------------------------------------------------------------------


def write_report_files(result: report.WeeklyReport, directory: Path) -> list[Path]:
    """report.html (self-contained), report.pdf and one CSV per table into directory."""
    directory.mkdir(parents=True, exist_ok=True)
    stylesheet = Path(current_app.static_folder or "", "css", "kcc.css").read_text("utf-8")
    html = render_template(
        "insight/report_file.html",
        report=result,
        chart=report.day_chart(result.days),
        stylesheet=stylesheet,
        pdf_href="report.pdf",
        csv_href=lambda name: f"{name}.csv",
    )
    files = {"report.html": html.encode("utf-8"), "report.pdf": render_report_pdf(result)}
    for table in result.tables:
        files[f"{table.name}.csv"] = report.table_csv(table).encode("utf-8")
    written = []
    for name, content in files.items():
        path = directory / name
        path.write_bytes(content)
        written.append(path)
    return written


def crisis_for_command(code: str) -> Crisis:
    """The crisis a command names, or a Dutch error that ends the command."""
    crisis = reference_services.find_crisis_by_code(code)
    if crisis is None:
        raise click.ClickException(f"Er is geen crisis met code '{code}'.")
    return crisis


@click.command("report")
@with_appcontext
@click.option("--crisis", "crisis_code", required=True, help="Code van de crisis.")
@click.option("--week", default=None, help="ISO-week, bijv. 2026-W10 (standaard: de laatste hele).")
@click.option(
    "--output",
    "output_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Map voor report.html, report.pdf en de CSV-bestanden.",
)
def report_command(crisis_code: str, week: str | None, output_dir: Path) -> None:
    """Write a crisis's weekly report as HTML, PDF and one CSV per table."""
    now = utcnow()
    crisis = crisis_for_command(crisis_code)
    try:
        result = report.weekly_report(
            crisis.id, week or report.last_complete_week(now).iso_week, now=now
        )
        written = write_report_files(result, output_dir)
    except KccError as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename}: {error.strerror}.") from error
    click.echo(f"{result.title}: {len(written)} bestanden in {output_dir}.")


@click.command("open-data")
@with_appcontext
@click.option("--crisis", "crisis_code", required=True, help="Code van de crisis.")
@click.option("--from", "date_from", required=True, help="Eerste dag, JJJJ-MM-DD.")
@click.option("--to", "date_to", required=True, help="Laatste dag, JJJJ-MM-DD.")
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Het CSV-bestand; de toelichting komt ernaast (<naam>-toelichting.txt).",
)
def open_data_command(crisis_code: str, date_from: str, date_to: str, output_path: Path) -> None:
    """Write the anonymised counts per day, topic and municipality as CSV with a README."""
    crisis = crisis_for_command(crisis_code)
    try:
        export = open_data.open_data_export(
            crisis.id,
            open_data.parse_day(date_from, "from"),
            open_data.parse_day(date_to, "to"),
            min_count=current_app.config.get("OPEN_DATA_MIN_COUNT", open_data.DEFAULT_MIN_COUNT),
            now=utcnow(),
        )
        readme = output_path.with_name(output_path.stem + "-toelichting.txt")
        with output_path.open("w", encoding="utf-8", newline="") as target:
            open_data.write_open_data_csv(export, target)
        readme.write_text(open_data.open_data_readme(export), encoding="utf-8")
    except KccError as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename}: {error.strerror}.") from error
    click.echo(
        f"{len(export.rows)} regels naar {output_path} ({export.suppressed} zonder aantal); "
        f"toelichting in {readme}."
    )
