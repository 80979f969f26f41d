"""The weekly report: figures per section for a known week, Dutch week boundaries, the trend
against the week before, no personal data in page, PDF or CSV, and the CLI's files."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pypdf import PdfReader
from sqlalchemy import select

from kcc.auth.models import User
from kcc.exceptions import ValidationFailed
from kcc.extensions import db
from kcc.faq.clusters import run_clustering
from kcc.insight.models import Signal
from kcc.insight.report import last_complete_week, parse_iso_week, weekly_report
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality, Topic
from tests.helpers import AuthActions

CRISIS = "oekraine"
CRISIS_NAME = "Opvang ontheemden uit Oekraïne"
WEEK = "2026-W10"  # Monday 2 March to Sunday 8 March 2026, winter time (UTC+1)
AFTER_WEEK = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PHONE = "06-12345678"
TABLES = (
    "kerncijfers",
    "vragen-per-dag",
    "vragen-per-onderwerp",
    "sentiment-per-dag",
    "clusters",
    "groeiende-clusters",
    "signalen",
    "doorzettingen-per-onderwerp",
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def ask(
    received_at: datetime,
    topic: str,
    sentiment: str,
    *,
    text: str = "Een vraag over de opvang.",
    answer: str = "",
    escalate: bool = False,
) -> None:
    """Register a question of the oekraine crisis in Huizen, at its own moment."""
    crisis = db.session.execute(select(Crisis).where(Crisis.code == CRISIS)).scalar_one()
    topic_id = db.session.execute(
        select(Topic.id).where(Topic.crisis_id == crisis.id, Topic.code == topic)
    ).scalar_one()
    huizen = db.session.execute(
        select(Municipality).where(Municipality.cbs_code == "GM0406")
    ).scalar_one()
    register_question(
        QuestionInput(
            channel="telefoon",
            caller_type="inwoner",
            municipality_id=huizen.id,
            crisis_id=crisis.id,
            text=text,
            answer=answer,
            escalate=escalate,
            contact=ContactInput(name="A. Jansen", phone=PHONE) if escalate else None,
            received_at=received_at,
            topic_id=topic_id,
            sentiment=sentiment,
        ),
        user_id=None,
        now=received_at,
    )


def crisis_id() -> int:
    return db.session.execute(select(Crisis.id).where(Crisis.code == CRISIS)).scalar_one()


@pytest.fixture
def known_week(app: Flask, demo: None) -> None:
    """Four questions in week 10, two the week before, one just after; edges in local time."""
    with app.app_context():
        # Monday 00:30 in the Netherlands is still Sunday in UTC: it counts on Monday.
        ask(utc(2026, 3, 1, 23, 30), "leefgeld", "negatief", answer="Elke twee weken.")
        ask(utc(2026, 3, 2, 10, 0), "leefgeld", "neutraal", answer="Op vrijdag.")
        ask(
            utc(2026, 3, 3, 9, 0),
            "gastgezin",
            "negatief",
            text=f"Bel mij terug op {PHONE} over mijn gastgezin.",
            escalate=True,
        )
        # Sunday 23:59 local is the week's last minute; Monday 00:00 local is the next week.
        ask(utc(2026, 3, 8, 22, 59), "gastgezin", "positief")
        ask(utc(2026, 3, 8, 23, 0), "leefgeld", "negatief", answer="Ja.")
        # The week before: Monday 23 February, and Sunday 1 March 23:59 local.
        ask(utc(2026, 2, 23, 12, 0), "leefgeld", "negatief", answer="Nee.")
        ask(utc(2026, 3, 1, 22, 59), "leefgeld", "neutraal", answer="Ja.")


def rows_of(app: Flask, table: str) -> list[tuple[object, ...]]:
    with app.app_context():
        return list(weekly_report(crisis_id(), WEEK, now=AFTER_WEEK).table(table).rows)


def test_the_week_runs_from_monday_to_sunday_in_dutch_time() -> None:
    week = parse_iso_week(WEEK)

    assert week.monday == date(2026, 3, 2)
    assert week.starts == utc(2026, 3, 1, 23, 0)
    assert week.ends == utc(2026, 3, 8, 23, 0)
    assert week.previous.iso_week == "2026-W09"
    # Summer time: week 14 of 2026 starts at 22:00 UTC on Sunday.
    assert parse_iso_week("2026-W14").starts == utc(2026, 3, 29, 22, 0)
    # Sunday evening in the Netherlands: the week that ends tonight is not complete yet.
    assert last_complete_week(utc(2026, 3, 8, 22, 59)).iso_week == "2026-W09"
    assert last_complete_week(utc(2026, 3, 8, 23, 0)).iso_week == "2026-W10"


@pytest.mark.parametrize("text", ["2026-10", "2026-W60", "W10", ""])
def test_a_week_that_does_not_exist_is_refused_in_dutch(text: str) -> None:
    with pytest.raises(ValidationFailed, match="[Ww]eek"):
        parse_iso_week(text)


def test_questions_per_day_count_local_days_against_the_week_before(
    app: Flask, known_week: None
) -> None:
    rows = rows_of(app, "vragen-per-dag")

    assert [row[0] for row in rows] == [date(2026, 3, day) for day in range(2, 9)]
    by_day = {row[0]: row[1:] for row in rows}
    # Day, questions, a week earlier, difference, share answered at the first line.
    assert by_day[date(2026, 3, 2)] == ("maandag", 2, 1, 1, 100.0)
    assert by_day[date(2026, 3, 3)] == ("dinsdag", 1, 0, 1, 0.0)
    assert by_day[date(2026, 3, 4)] == ("woensdag", 0, 0, 0, None)
    assert by_day[date(2026, 3, 8)] == ("zondag", 1, 1, 0, 0.0)


def test_topics_show_the_trend_and_the_negative_share(app: Flask, known_week: None) -> None:
    rows = rows_of(app, "vragen-per-onderwerp")

    # Topic, this week, last week, difference, difference in %, share negative this week.
    assert rows == [
        ("Leefgeld", 2, 2, 0, 0.0, 50.0),
        ("Gastgezinnen", 2, 0, 2, None, 50.0),
    ]


def test_key_figures_compare_sentiment_and_first_line_with_last_week(
    app: Flask, known_week: None
) -> None:
    figures = {row[0]: row[1:] for row in rows_of(app, "kerncijfers")}

    assert figures["Vragen"] == (4, 2)
    assert figures["Aandeel negatief sentiment (%)"] == (50.0, 50.0)
    assert figures["In eerste lijn beantwoord (%)"] == (50.0, 100.0)
    assert figures["Open doorzettingen"] == (1, None)
    assert figures["Daarvan over de termijn"] == (1, None)
    assert figures["Signalen"] == (0, None)


def test_sentiment_per_day_and_open_escalations_per_topic(app: Flask, known_week: None) -> None:
    sentiment = {row[0]: row[2:] for row in rows_of(app, "sentiment-per-dag")}
    # With sentiment, negative, share negative, share negative a week earlier.
    assert sentiment[date(2026, 3, 2)] == (2, 1, 50.0, 100.0)
    assert sentiment[date(2026, 3, 8)] == (1, 0, 0.0, 0.0)

    assert rows_of(app, "doorzettingen-per-onderwerp") == [("Gastgezinnen", 1, 1)]


def test_an_escalation_closed_after_the_week_still_counts_as_open_at_its_end(
    app: Flask, known_week: None
) -> None:
    with app.app_context():
        # Before the escalation existed, nothing was open.
        early = weekly_report(crisis_id(), "2026-W09", now=AFTER_WEEK)
        assert early.table("doorzettingen-per-onderwerp").rows == ()


def test_signals_of_the_week_are_listed_strongest_first(app: Flask, known_week: None) -> None:
    with app.app_context():
        for day, score in (
            (date(2026, 3, 4), 2.5),
            (date(2026, 3, 5), 7.25),
            (date(2026, 3, 9), 9.0),
        ):
            db.session.add(
                Signal(
                    crisis_id=crisis_id(),
                    day=day,
                    kind="volume",
                    source="kcc",
                    observed=40.0,
                    expected=12.0,
                    score=score,
                    detail="Meer vragen dan verwacht.",
                )
            )
        db.session.commit()

    rows = rows_of(app, "signalen")

    assert [(row[0], row[1], row[7]) for row in rows] == [
        (date(2026, 3, 5), "Piek in aantal vragen", 7.2),
        (date(2026, 3, 4), "Piek in aantal vragen", 2.5),
    ]
    assert rows[0][3:5] == ("Alle onderwerpen", "Hele regio")
    assert {row[0]: row[1] for row in rows_of(app, "kerncijfers")}["Signalen"] == 2


LEEFGELD_PARAPHRASES = (
    "Hoeveel leefgeld krijg ik per maand?",
    "hoeveel leefgeld krijg ik per maand",
    "Hoeveel leefgeld krijg ik elke maand?",
    f"Beller vraagt hoeveel leefgeld zij per maand krijgt, bel haar op {PHONE}",
    "hoeveel leefgeld krijgen we per maand?",
    f"Hoeveel leefgeld krijg ik per maand? Mijn nummer is {PHONE}",
)


@pytest.fixture
def week_with_personal_data(app: Flask, known_week: None) -> None:
    """Paraphrases with a phone number, clustered; a signal whose detail names the number."""
    with app.app_context():
        for hour, text in enumerate(LEEFGELD_PARAPHRASES):
            ask(utc(2026, 3, 5, 8 + hour, 0), "leefgeld", "neutraal", text=text)
        coordinator = db.session.execute(
            select(User).where(User.username == "coordinator")
        ).scalar_one()
        run = run_clustering(crisis_id(), days=7, user=coordinator, now=utc(2026, 3, 6, 12, 0))
        assert run.cluster_count >= 1
        db.session.add(
            Signal(
                crisis_id=crisis_id(),
                day=date(2026, 3, 5),
                kind="cluster",
                source="kcc",
                observed=6.0,
                expected=1.0,
                score=4.0,
                detail=f"Snel groeiend, bijvoorbeeld: bel haar op {PHONE}",
            )
        )
        db.session.commit()


def pdf_text(data: bytes) -> str:
    """The PDF's text with runs of white space as one space (lines may wrap anywhere)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def test_no_personal_data_reaches_page_pdf_or_csv(
    client: FlaskClient, auth: AuthActions, week_with_personal_data: None
) -> None:
    auth.login("analyst")
    query = f"?crisis={CRISIS}&week={WEEK}"

    page = client.get("/insights/report" + query)
    pdf = client.get("/insights/report.pdf" + query)
    csvs = {name: client.get(f"/insights/report/csv/{name}" + query) for name in TABLES}

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "leefgeld" in html.lower()  # the cluster's example is there, masked
    assert "[TELEFOON]" in html
    text = pdf_text(pdf.data)
    assert "leefgeld" in text.lower()
    every_csv = "".join(response.get_data(as_text=True) for response in csvs.values())
    assert "leefgeld" in every_csv.lower()
    for found in (html, text, every_csv):
        assert PHONE not in found
        assert "12345678" not in found
        assert "Jansen" not in found


def test_the_page_is_printable_and_links_pdf_and_every_csv(
    client: FlaskClient, auth: AuthActions, known_week: None
) -> None:
    auth.login("coordinator")

    response = client.get(f"/insights/report?crisis={CRISIS}&week={WEEK}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Weekrapport {CRISIS_NAME}, week 10 van 2026 (02-03-2026 t/m 08-03-2026)" in html
    assert "css/kcc.css" in html
    assert " style=" not in html and "<style" not in html  # the CSP allows no inline styles
    assert f"/insights/report.pdf?crisis={CRISIS}&amp;week={WEEK}" in html
    for name in TABLES:
        assert f"/insights/report/csv/{name}?crisis={CRISIS}&amp;week={WEEK}" in html
    assert '<th scope="row">02-03-2026</th>' in html


def test_the_pdf_is_a_pdf_with_the_crisis_and_its_figures(
    client: FlaskClient, auth: AuthActions, known_week: None
) -> None:
    auth.login("analyst")

    response = client.get(f"/insights/report.pdf?crisis={CRISIS}&week={WEEK}")

    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert response.headers["Content-Type"] == "application/pdf"
    assert "weekrapport-oekraine-2026-W10.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert CRISIS_NAME in text
    assert "Vragen per onderwerp" in text
    assert "Gastgezin" in text


def test_each_table_downloads_as_csv_with_plain_values(
    client: FlaskClient, auth: AuthActions, known_week: None
) -> None:
    auth.login("analyst")

    response = client.get(f"/insights/report/csv/vragen-per-dag?crisis={CRISIS}&week={WEEK}")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "Datum",
        "Dag",
        "Vragen",
        "Week eerder",
        "Verschil",
        "In eerste lijn beantwoord (%)",
    ]
    assert rows[1] == ["2026-03-02", "maandag", "2", "1", "1", "100.0"]
    assert rows[3] == ["2026-03-04", "woensdag", "0", "0", "0", ""]
    assert client.get(f"/insights/report/csv/bestaat-niet?crisis={CRISIS}").status_code == 404


def test_wrong_choices_show_dutch_errors_and_downloads_refuse_them(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("analyst")

    page = client.get("/insights/report?crisis=oekraine&week=2026-W60")
    unknown = client.get("/insights/report.pdf?crisis=bestaat-niet")

    assert page.status_code == 400
    assert "Week 2026-W60 bestaat niet." in page.get_data(as_text=True)
    assert 'aria-invalid="true"' in page.get_data(as_text=True)
    assert unknown.status_code == 404


def test_without_a_choice_the_last_complete_week_of_the_newest_crisis_shows(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("admin")

    response = client.get("/insights/report")

    assert response.status_code == 200
    assert re.search(r"Weekrapport .+, week \d+ van \d{4}", response.get_data(as_text=True))


@pytest.mark.parametrize(("role", "status"), [("agent", 403), ("specialist", 403)])
def test_only_insight_roles_see_the_report(
    client: FlaskClient, auth: AuthActions, role: str, status: int
) -> None:
    auth.login(role)

    assert client.get("/insights/report").status_code == status
    assert client.get("/insights/report.pdf").status_code == status
    assert client.get("/insights/report/csv/kerncijfers").status_code == status


def test_the_cli_writes_html_pdf_and_a_csv_per_table(
    app: Flask, runner: FlaskCliRunner, known_week: None, tmp_path: Path
) -> None:
    target = tmp_path / "rapport"

    result = runner.invoke(
        args=["report", "--crisis", CRISIS, "--week", WEEK, "--output", str(target)]
    )

    assert result.exit_code == 0, result.output
    assert "10 bestanden" in result.output
    html = (target / "report.html").read_text(encoding="utf-8")
    assert "<style>" in html and "<link" not in html  # self-contained
    assert ".report-table .num" in html and "&gt;" not in html.split("</style>")[0]
    assert 'href="vragen-per-dag.csv"' in html and 'href="report.pdf"' in html
    assert (target / "report.pdf").read_bytes().startswith(b"%PDF")
    for name in TABLES:
        assert (target / f"{name}.csv").is_file()
    with (target / "vragen-per-onderwerp.csv").open(encoding="utf-8") as source:
        assert list(csv.reader(source))[1] == ["Leefgeld", "2", "2", "0", "0.0", "50.0"]


def test_the_cli_names_an_unknown_crisis_or_week(
    app: Flask, runner: FlaskCliRunner, demo: None, tmp_path: Path
) -> None:
    unknown = runner.invoke(args=["report", "--crisis", "x", "--output", str(tmp_path)])
    wrong = runner.invoke(
        args=["report", "--crisis", CRISIS, "--week", "2026-13", "--output", str(tmp_path)]
    )

    assert unknown.exit_code == 1 and "Er is geen crisis met code 'x'." in unknown.output
    assert wrong.exit_code == 1 and "2026-W10" in wrong.output
    assert not (tmp_path / "report.html").exists()
