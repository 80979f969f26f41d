"""Open data: counts per Dutch day × topic × municipality, small counts suppressed, and no
suppressed count recoverable by subtraction (secondary suppression); page, CSV and CLI."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import insert, select

from kcc.extensions import db
from kcc.insight.open_data import GROUPINGS, open_data_export, suppressed_cells
from kcc.intake.models import Question
from kcc.reference.models import Crisis, Municipality, Topic
from tests.helpers import AuthActions

CRISIS = "oekraine"
DAY = date(2026, 3, 2)
D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


# --- The rule on its own -----------------------------------------------------------------------


def test_a_small_count_alone_in_its_group_takes_the_smallest_other_with_it() -> None:
    counts = {(D1, 1, 10): 3, (D1, 2, 10): 12, (D1, 3, 10): 30}

    hidden = suppressed_cells(counts, 5)

    # The day's total in municipality 10 would give 3 back; hiding the 12 too leaves 15 unknown.
    assert hidden == {(D1, 1, 10), (D1, 2, 10)}


def test_two_small_counts_that_add_up_below_the_threshold_need_a_third() -> None:
    counts = {(D1, 1, 10): 1, (D1, 2, 10): 2, (D1, 3, 10): 8, (D1, 4, 10): 9}

    hidden = suppressed_cells(counts, 5)

    assert hidden == {(D1, 1, 10), (D1, 2, 10), (D1, 3, 10)}


def test_hiding_spreads_over_topics_and_municipalities_until_every_total_is_safe() -> None:
    # Two municipalities (10, 20), topics 1..3 on one day; only topic 2 in 10 is small.
    counts = {
        (D1, 1, 10): 20,
        (D1, 2, 10): 2,
        (D1, 3, 10): 9,
        (D1, 1, 20): 30,
        (D1, 2, 20): 6,
        (D1, 3, 20): 40,
    }

    hidden = suppressed_cells(counts, 5)

    # A rectangle: topics 2 and 3 in both municipalities; topic 1 stays published.
    assert hidden == {(D1, 2, 10), (D1, 3, 10), (D1, 2, 20), (D1, 3, 20)}


def test_nothing_is_hidden_when_every_count_is_large_enough() -> None:
    counts = {(D1, 1, 10): 5, (D2, 1, 10): 7, (D1, 2, 20): 50}

    assert suppressed_cells(counts, 5) == set()


def test_on_random_tables_every_total_leaves_at_least_two_hidden_cells_worth_the_threshold() -> (
    None
):
    generator = random.Random(7)
    for _ in range(30):
        counts = {
            (date(2026, 3, day), topic, place): generator.choice([1, 2, 3, 4, 6, 9, 15, 40])
            for day in range(1, 5)
            for topic in (None, 1, 2, 3)
            for place in (10, 20, 30)
            if generator.random() < 0.7
        }
        hidden = suppressed_cells(counts, 5)

        assert {key for key, count in counts.items() if count < 5} <= hidden
        for grouping in GROUPINGS:
            groups: dict[tuple[object, ...], list[tuple[date, int | None, int]]] = defaultdict(list)
            for key in counts:
                groups[grouping(key)].append(key)
            for members in groups.values():
                hidden_here = [key for key in members if key in hidden]
                if not hidden_here or len(hidden_here) == len(members):
                    continue
                assert len(hidden_here) >= 2
                assert sum(counts[key] for key in hidden_here) >= 5


# --- Counted from the database -----------------------------------------------------------------


def add_questions(received_at: datetime, topic: str | None, cbs_code: str, count: int) -> None:
    """Bulk-insert count questions of the oekraine crisis (the way a large import would)."""
    crisis_id = db.session.execute(select(Crisis.id).where(Crisis.code == CRISIS)).scalar_one()
    topic_id = (
        db.session.execute(
            select(Topic.id).where(Topic.crisis_id == crisis_id, Topic.code == topic)
        ).scalar_one()
        if topic
        else None
    )
    municipality_id = db.session.execute(
        select(Municipality.id).where(Municipality.cbs_code == cbs_code)
    ).scalar_one()
    db.session.execute(
        insert(Question),
        [
            {
                "received_at": received_at,
                "channel": "telefoon",
                "caller_type": "inwoner",
                "municipality_id": municipality_id,
                "crisis_id": crisis_id,
                "topic_id": topic_id,
                "text": "Bel 06-12345678 over de opvang",
                "text_masked": "Bel [TELEFOON] over de opvang",
                "status": "open",
                "created_at": received_at,
                "updated_at": received_at,
            }
        ]
        * count,
    )
    db.session.commit()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def counted_day(app: Flask, demo: None) -> None:
    """Monday 2 March 2026 in Huizen (GM0406) and Hilversum (GM0402), one small count."""
    with app.app_context():
        # 00:30 on Monday in the Netherlands, 23:30 UTC on Sunday: it counts on Monday.
        add_questions(utc(2026, 3, 1, 23, 30), "leefgeld", "GM0406", 1)
        add_questions(utc(2026, 3, 2, 10, 0), "leefgeld", "GM0406", 19)
        add_questions(utc(2026, 3, 2, 11, 0), "gastgezin", "GM0406", 2)
        add_questions(utc(2026, 3, 2, 12, 0), "werk", "GM0406", 9)
        add_questions(utc(2026, 3, 2, 10, 0), "leefgeld", "GM0402", 30)
        add_questions(utc(2026, 3, 2, 11, 0), "gastgezin", "GM0402", 6)
        add_questions(utc(2026, 3, 2, 12, 0), "werk", "GM0402", 40)
        # Outside the day: 00:00 on Tuesday local time.
        add_questions(utc(2026, 3, 2, 23, 0), "leefgeld", "GM0406", 50)


EXPECTED_CSV = [
    ["datum", "onderwerp", "gemeente_code", "gemeente", "aantal"],
    ["2026-03-02", "Gastgezinnen", "GM0402", "Hilversum", ""],
    ["2026-03-02", "Gastgezinnen", "GM0406", "Huizen", ""],
    ["2026-03-02", "Leefgeld", "GM0402", "Hilversum", "30"],
    ["2026-03-02", "Leefgeld", "GM0406", "Huizen", "20"],
    ["2026-03-02", "Werk", "GM0402", "Hilversum", ""],
    ["2026-03-02", "Werk", "GM0406", "Huizen", ""],
]


def test_the_export_counts_local_days_and_suppresses_small_and_recoverable_counts(
    app: Flask, counted_day: None
) -> None:
    with app.app_context():
        crisis_id = db.session.execute(select(Crisis.id).where(Crisis.code == CRISIS)).scalar_one()
        export = open_data_export(crisis_id, DAY, DAY, min_count=5, now=utc(2026, 3, 10, 9, 0))

    published = [(row.topic, row.municipality_code, row.count) for row in export.rows]
    assert published == [
        ("Gastgezinnen", "GM0402", None),
        ("Gastgezinnen", "GM0406", None),
        ("Leefgeld", "GM0402", 30),
        ("Leefgeld", "GM0406", 20),
        ("Werk", "GM0402", None),
        ("Werk", "GM0406", None),
    ]
    assert export.suppressed == 4


def test_the_page_previews_the_file_and_the_downloads_match_it(
    client: FlaskClient, auth: AuthActions, counted_day: None
) -> None:
    auth.login("analyst")
    query = f"?crisis={CRISIS}&from=2026-03-02&to=2026-03-02"

    page = client.get("/insights/open-data" + query)
    download = client.get("/insights/open-data.csv" + query)
    readme = client.get("/insights/open-data.txt" + query)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "6 regels, waarvan 4 zonder aantal" in html
    assert "/insights/open-data.csv?crisis=oekraine&amp;from=2026-03-02&amp;to=2026-03-02" in html
    assert download.mimetype == "text/csv"
    assert "vragen-oekraine-2026-03-02-2026-03-02.csv" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows == EXPECTED_CSV
    assert "06-12345678" not in download.get_data(as_text=True)
    text = readme.get_data(as_text=True)
    assert "CC0 1.0" in text
    assert "kleiner dan 5" in text
    assert "geen totalen" in text


def test_the_threshold_comes_from_the_configuration(
    app: Flask, client: FlaskClient, auth: AuthActions, counted_day: None
) -> None:
    app.config["OPEN_DATA_MIN_COUNT"] = 1
    auth.login("analyst")

    response = client.get("/insights/open-data.csv?crisis=oekraine&from=2026-03-02&to=2026-03-02")

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [row[4] for row in rows[1:]] == ["6", "2", "30", "20", "40", "9"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-05&to=2026-03-01", "De einddatum ligt voor de begindatum."),
        ("from=gisteren&to=2026-03-01", "Vul een datum in als 2026-03-02."),
        ("from=2024-01-01&to=2026-03-01", "Kies een periode van hoogstens 366 dagen."),
    ],
)
def test_a_wrong_period_is_explained_on_the_page_and_refused_for_download(
    client: FlaskClient, auth: AuthActions, query: str, message: str
) -> None:
    auth.login("coordinator")

    page = client.get(f"/insights/open-data?crisis={CRISIS}&{query}")
    download = client.get(f"/insights/open-data.csv?crisis={CRISIS}&{query}")

    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert 'aria-invalid="true"' in page.get_data(as_text=True)
    assert download.status_code == 400


def test_agents_may_not_export(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("agent")

    assert client.get("/insights/open-data").status_code == 403
    assert client.get("/insights/open-data.csv").status_code == 403


def test_the_cli_writes_the_file_and_its_readme(
    app: Flask, runner: FlaskCliRunner, counted_day: None, tmp_path: Path
) -> None:
    target = tmp_path / "woo" / "vragen.csv"
    target.parent.mkdir()

    result = runner.invoke(
        args=[
            "open-data",
            "--crisis",
            CRISIS,
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-02",
            "--output",
            str(target),
        ]
    )

    assert result.exit_code == 0, result.output
    assert "6 regels" in result.output and "4 zonder aantal" in result.output
    with target.open(encoding="utf-8", newline="") as source:
        assert list(csv.reader(source)) == EXPECTED_CSV
    assert "CC0" in (tmp_path / "woo" / "vragen-toelichting.txt").read_text(encoding="utf-8")


def test_the_cli_explains_a_wrong_date(
    app: Flask, runner: FlaskCliRunner, demo: None, tmp_path: Path
) -> None:
    target = tmp_path / "vragen.csv"

    result = runner.invoke(
        args=["open-data", "--crisis", CRISIS, "--from", "2-3-2026", "--to", "2026-03-08"]
        + ["--output", str(target)]
    )

    assert result.exit_code == 1
    assert "Vul een datum in als 2026-03-02." in result.output
    assert not target.exists()
