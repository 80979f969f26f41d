"""`flask --app kcc openapi`: write or check the API's generated OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kcc.api.openapi import REGENERATE_COMMAND, UndocumentedRoute, render_openapi_document


@click.command("openapi")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Schrijf het document naar dit bestand (zonder: naar de uitvoer).",
)
@click.option(
    "--check",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Vergelijk met dit bestand; fout als het verschilt.",
)
@with_appcontext
def openapi_command(output: Path | None, check: Path | None) -> None:
    """Generate the OpenAPI document of /api/v1 from the code, or check a committed copy."""
    try:
        document = render_openapi_document(current_app)
    except UndocumentedRoute as error:
        raise click.ClickException(str(error)) from error
    if check is not None:
        if check.read_text(encoding="utf-8") != document:
            raise click.ClickException(
                f"{check} verschilt van het document dat de code beschrijft; "
                f"maak het opnieuw met `{REGENERATE_COMMAND}`."
            )
        click.echo(f"{check} is gelijk aan het gemaakte document.")
    elif output is not None:
        output.write_text(document, encoding="utf-8")
        click.echo(f"OpenAPI-document geschreven naar {output}.")
    else:
        click.echo(document, nl=False)
