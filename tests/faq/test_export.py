"""`flask --app kcc export-faq`: static pages and feeds that work from any folder, offline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urldefrag

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from kcc.extensions import db
from kcc.faq import editorial
from kcc.faq.models import FaqEntry
from tests.faq.conftest import PublishEntry, find_user

LINK = re.compile(r'(?:href|src)="([^"]+)"')
# A crisis of the tests' own: the demo publishes entries in corona and oekraine.
CRISIS = "opvang-test"


def export(runner: FlaskCliRunner, output: Path) -> str:
    """Run the command and return what it printed."""
    result = runner.invoke(args=["export-faq", "--output", str(output)])
    assert result.exit_code == 0, result.output
    return result.output


def local_links(page: Path) -> list[str]:
    """The links of an exported page that point at other files (not the web, not anchors)."""
    links = LINK.findall(page.read_text(encoding="utf-8"))
    return [link for link in links if not link.startswith(("https:", "http:", "mailto:", "#"))]


def test_the_export_writes_linked_pages_feeds_and_css_without_the_live_site(
    runner: FlaskCliRunner,
    publish_entry: PublishEntry,
    new_crisis: Callable[..., str],
    tmp_path: Path,
) -> None:
    new_crisis(CRISIS)
    new_crisis("nog-leeg", "Crisis zonder antwoorden")
    regional = publish_entry(
        "Wanneer krijg ik leefgeld?",
        "Elke twee weken. Zie https://www.rijksoverheid.nl/leefgeld",
        crisis=CRISIS,
        topic="leefgeld",
        translations={"uk": ("Коли я отримаю гроші?", "Кожні два тижні.")},
    )
    huizen = publish_entry(
        "Wanneer krijg ik leefgeld?",
        "In Huizen op maandag.",
        crisis=CRISIS,
        municipality="GM0406",
        replaces=regional,
    )

    printed = export(runner, tmp_path)

    expected = [
        "index.html",
        "toegankelijkheid/index.html",
        f"{CRISIS}/index.html",
        f"{CRISIS}/uk/index.html",
        f"{CRISIS}/gemeente/GM0406/index.html",
        f"{CRISIS}/faq.json",
        f"{CRISIS}/faq.uk.json",
        f"{CRISIS}/gemeente/GM0406/faq.json",
        "static/css/kcc.css",
    ]
    for path in expected:
        assert (tmp_path / path).is_file(), path
    assert not (tmp_path / "nog-leeg").exists()
    assert "pagina's" in printed
    pages = list(tmp_path.rglob("*.html"))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<form" not in html, page  # no search, no votes: they need the live site
        for link in local_links(page):
            assert not link.startswith("/"), f"{page}: absolute link {link}"
            target = (page.parent / urldefrag(link).url).resolve()
            assert target.is_file(), f"{page}: {link} leads nowhere"
    ukrainian = (tmp_path / f"{CRISIS}/uk/index.html").read_text(encoding="utf-8")
    assert f'id="vraag-{regional}" lang="uk"' in ukrainian
    in_huizen = (tmp_path / f"{CRISIS}/gemeente/GM0406/index.html").read_text(encoding="utf-8")
    assert "In Huizen op maandag." in in_huizen and f'id="vraag-{regional}"' not in in_huizen
    feed = json.loads((tmp_path / f"{CRISIS}/gemeente/GM0406/faq.json").read_text("utf-8"))
    assert [entry["id"] for entry in feed["entries"]] == [huizen]
    assert feed["entries"][0]["url"] == f"index.html#vraag-{huizen}"
    uk_feed = json.loads((tmp_path / f"{CRISIS}/faq.uk.json").read_text("utf-8"))
    assert uk_feed["entries"][0]["url"] == f"uk/index.html#vraag-{regional}"


def test_a_second_export_removes_pages_that_are_gone_and_nothing_else(
    app: Flask,
    runner: FlaskCliRunner,
    publish_entry: PublishEntry,
    new_crisis: Callable[..., str],
    tmp_path: Path,
) -> None:
    new_crisis(CRISIS)
    new_crisis("kort", "Korte crisis")
    entry_id = publish_entry(
        "Waar is het loket?", "Op het Dudokpark.", municipality="GM0402", crisis="kort"
    )
    publish_entry("Wanneer krijg ik leefgeld?", "Elke twee weken.", crisis=CRISIS)
    (tmp_path / "eigen-pagina.html").write_text("van de gemeente", encoding="utf-8")
    export(runner, tmp_path)
    assert (tmp_path / "kort/gemeente/GM0402/index.html").is_file()
    with app.app_context():
        entry = db.session.execute(select(FaqEntry).where(FaqEntry.id == entry_id)).scalar_one()
        editorial.take_action(
            entry_id,
            "withdraw",
            user=find_user("analyst"),
            seen_version=entry.version,
            reason="Oud",
        )

    printed = export(runner, tmp_path)

    assert not (tmp_path / "kort/gemeente/GM0402/index.html").exists()
    assert not (tmp_path / "kort/index.html").exists()
    assert (tmp_path / f"{CRISIS}/index.html").is_file()
    assert (tmp_path / "eigen-pagina.html").read_text(encoding="utf-8") == "van de gemeente"
    assert "verouderde bestanden verwijderd" in printed
    assert 'href="kort/index.html"' not in (tmp_path / "index.html").read_text("utf-8")
