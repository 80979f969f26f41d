"""`flask --app kcc import FILE --crisis CODE [--mapping M.json]`: the import screens' work."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from kcc.exceptions import KccError, ValidationFailed
from kcc.extensions import utcnow
from kcc.transfer import services
from kcc.transfer.mapping import DEFAULT_COLUMNS, OPTIONAL_DEFAULT_COLUMNS

# A file full of problems would print for minutes; the first ones show what to fix.
PROBLEMS_PRINTED = 50


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--crisis", "crisis_code", required=True, help="Code van de crisis.")
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON met veld -> kolomnaam, bijvoorbeeld {"text": "Vraag", "received_at": "Datum"}. '
    f"Zonder: de kolommen {','.join(DEFAULT_COLUMNS)} "
    f"(optioneel {','.join(OPTIONAL_DEFAULT_COLUMNS)}), zoals de CSV-export ze schrijft.",
)
@click.option(
    "--skip-problem-rows",
    is_flag=True,
    help="Sla rijen met een probleem over en importeer de rest (standaard: alles of niets).",
)
@with_appcontext
def import_command(
    file: Path, crisis_code: str, mapping_path: Path | None, skip_problem_rows: bool
) -> None:
    """Import registrations from a CSV or XLSX file into a crisis; prints the counts."""
    try:
        mapping = services.read_mapping_file(mapping_path) if mapping_path else None
        outcome = services.import_file(
            file,
            crisis_code,
            mapping=mapping,
            skip_problem_rows=skip_problem_rows,
            now=utcnow(),
        )
    except ValidationFailed as error:
        echo_problems(error.errors.get("rows", []))
        raise click.ClickException(str(error)) from error
    except KccError as error:
        raise click.ClickException(str(error)) from error
    counts = outcome.counts
    click.echo(
        f"{counts.total_rows} rijen gelezen: {counts.imported} geïmporteerd, "
        f"{counts.already_imported} al geïmporteerd, {counts.skipped} overgeslagen."
    )
    if skip_problem_rows:
        echo_problems([problem.describe() for problem in outcome.problems], prefix="Overgeslagen")


def echo_problems(problems: list[str], *, prefix: str = "Probleem") -> None:
    """Print the first PROBLEMS_PRINTED problem rows, and how many more there are."""
    for problem in problems[:PROBLEMS_PRINTED]:
        click.echo(f"  {prefix}: {problem}", err=True)
    if len(problems) > PROBLEMS_PRINTED:
        click.echo(f"  ... en nog {len(problems) - PROBLEMS_PRINTED} rijen.", err=True)
