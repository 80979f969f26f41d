"""`flask --app kcc export-faq --output DIR`: the public FAQ as static HTML and JSON.

Any web server, or the municipality's own website, can host the result, so the answers stay
reachable when kcc is busy or down. The pages come from the same templates as the live site,
with relative links (they work from any folder, and offline from disk). Search and the
"was dit antwoord nuttig?" buttons need the live site and are left out; the footer says so.

Layout of DIR:
    index.html                              the crises
    toegankelijkheid/index.html             the accessibility statement
    <crisis>/index.html                     all municipalities, Dutch
    <crisis>/<taal>/index.html              in English or Ukrainian (when entries have it)
    <crisis>/gemeente/<CBS>/[<taal>/]index.html   one municipality's page
    <crisis>/[gemeente/<CBS>/]faq.json      the same as /api/v1/faq (faq.<taal>.json per language)
    static/css/kcc.css                      the stylesheet
    kcc-faq-export.json                     what this export wrote: the next export removes
                                            files of pages that no longer exist, nothing else
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import click
from flask import current_app
from flask.cli import with_appcontext

from kcc.faq import public
from kcc.faq.models import Language
from kcc.faq.public_views import render_crisis_page, render_index, render_statement

MANIFEST = "kcc-faq-export.json"
STYLESHEET = "static/css/kcc.css"


def crisis_page_path(code: str, language: str, municipality: str | None) -> str:
    """Where a crisis's page for a language and municipality lives in the export."""
    parts = [code]
    if municipality:
        parts += ["gemeente", municipality]
    if language != Language.NL.value:
        parts.append(language)
    return "/".join([*parts, "index.html"])


def feed_path(code: str, language: str, municipality: str | None) -> str:
    """Where a crisis's JSON feed for a language and municipality lives in the export."""
    folder = f"{code}/gemeente/{municipality}" if municipality else code
    name = "faq.json" if language == Language.NL.value else f"faq.{language}.json"
    return f"{folder}/{name}"


def relative(target: str, from_page: str) -> str:
    """The link from one exported file to another, relative so the export can move."""
    depth = len(PurePosixPath(from_page).parts) - 1
    return "../" * depth + target


class ExportLinks:
    """Relative addresses between exported pages, for the live site's templates."""

    is_export = True

    def __init__(self, page_path: str) -> None:
        self.page_path = page_path

    def index(self) -> str:
        """The list of crises."""
        return relative("index.html", self.page_path)

    def statement(self) -> str:
        """The accessibility statement."""
        return relative("toegankelijkheid/index.html", self.page_path)

    def stylesheet(self) -> str:
        """The copied stylesheet."""
        return relative(STYLESHEET, self.page_path)

    def crisis(self, code: str, *, language: str = "nl", municipality: str | None = None) -> str:
        """A crisis's page in a language, for the region or one municipality."""
        return relative(crisis_page_path(code, language, municipality), self.page_path)

    def entry(
        self, code: str, entry_id: int, *, language: str = "nl", municipality: str | None = None
    ) -> str:
        """An entry: its place on the crisis page (the export has no pages per entry)."""
        return self.crisis(code, language=language, municipality=municipality) + (
            f"#vraag-{entry_id}"
        )

    def search(self, code: str) -> str | None:
        """No search: it needs the live site."""
        return None

    def vote(self, code: str, entry_id: int, **_: object) -> str | None:
        """No vote buttons: they need the live site."""
        return None


@dataclass
class ExportSummary:
    """What an export wrote."""

    pages: int = 0
    feeds: int = 0
    removed: int = 0


class ExportWriter:
    """Writes files under the output folder, each one whole (temporary file, then rename)."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.written: list[str] = []

    def write(self, path: str, content: str | bytes) -> None:
        """Write one file at a path relative to the output folder."""
        target = self.output / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".export-")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
        self.written.append(path)


def export_crisis(
    writer: ExportWriter, crisis: public.CrisisVersion, summary: ExportSummary
) -> None:
    """Write every page and feed of one crisis: per municipality with own entries, per language."""
    places: list[tuple[str | None, int | None, str | None]] = [(None, None, None)]
    places += [
        (municipality.cbs_code, municipality.id, municipality.name)
        for municipality in public.municipalities_with_own_entries(crisis.version.crisis_id)
    ]
    # Every place in every language any entry of the crisis has: the language and municipality
    # switches link across places, so each combination they offer must exist.
    entries_per_place = [
        public.published_entries(crisis.version.crisis_id, municipality_id=place[1])
        for place in places
    ]
    languages = public.languages_offered(
        entry for entries in entries_per_place for entry in entries
    ) or (Language.NL.value,)
    for municipality_code, municipality_id, municipality_name in places:
        for language in languages:
            page = crisis_page_path(crisis.code, language, municipality_code)
            html = render_crisis_page(
                crisis,
                language=language,
                query="",
                municipality=(municipality_code, municipality_id, municipality_name),
                links=ExportLinks(page),
            )
            writer.write(page, html)
            summary.pages += 1
            write_feed(writer, crisis, municipality_code, municipality_id, language, page)
            summary.feeds += 1


def write_feed(
    writer: ExportWriter,
    crisis: public.CrisisVersion,
    municipality_code: str | None,
    municipality_id: int | None,
    language: str,
    page: str,
) -> None:
    """Write the JSON feed of one crisis page, its URLs pointing at the exported page."""
    path = feed_path(crisis.code, language, municipality_code)
    municipality = public.find_municipality(municipality_code) if municipality_code else None
    entries = public.published_entries(
        crisis.version.crisis_id, municipality_id=municipality_id, language=language
    )
    # The feed sits in the folder of the regional or municipal page, or one above it.
    page_link = PurePosixPath(page).relative_to(PurePosixPath(path).parent).as_posix()
    feed = public.feed_json(
        crisis, municipality, language, entries, lambda entry: f"{page_link}#vraag-{entry.id}"
    )
    writer.write(path, json.dumps(feed, ensure_ascii=False, indent=1))


def remove_stale_files(output: Path, written: list[str]) -> int:
    """Delete files the previous export wrote and this one did not (withdrawn pages)."""
    manifest = output / MANIFEST
    if not manifest.exists():
        return 0
    previous = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
    removed = 0
    for path in set(previous) - set(written):
        target = (output / path).resolve()
        # Only files inside the output folder, and only ones we listed ourselves.
        if target.is_relative_to(output.resolve()) and target.is_file():
            target.unlink()
            removed += 1
    return removed


def export_public_faq(output: Path) -> ExportSummary:
    """Write the whole public FAQ under output; returns what was written."""
    output.mkdir(parents=True, exist_ok=True)
    writer = ExportWriter(output)
    summary = ExportSummary()
    writer.write("index.html", render_index(ExportLinks("index.html")))
    writer.write(
        "toegankelijkheid/index.html", render_statement(ExportLinks("toegankelijkheid/index.html"))
    )
    summary.pages += 2
    for crisis_row in public.list_public_crises():
        crisis = public.find_crisis_version(crisis_row.code)
        if crisis is not None:
            export_crisis(writer, crisis, summary)
    stylesheet = Path(current_app.static_folder or "") / "css" / "kcc.css"
    writer.write(STYLESHEET, stylesheet.read_bytes())
    summary.removed = remove_stale_files(output, writer.written)
    writer.write(MANIFEST, json.dumps({"files": sorted(writer.written)}, indent=1))
    return summary


@click.command("export-faq")
@click.option(
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Map waarin de pagina's komen.",
)
@with_appcontext
def export_faq_command(output: Path) -> None:
    """Write the public FAQ as static HTML and JSON, for any web server to host."""
    summary = export_public_faq(output)
    click.echo(
        f"{summary.pages} pagina's en {summary.feeds} JSON-bestanden geschreven naar {output}"
        + (f"; {summary.removed} verouderde bestanden verwijderd." if summary.removed else ".")
    )
