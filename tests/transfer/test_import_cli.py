"""`flask --app kcc import`: CSV and XLSX, counts, problems in Dutch, no duplicates."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from kcc.extensions import db
from kcc.governance.models import AuditAction, AuditEvent
from kcc.insight.models import QuestionDayStale
from kcc.intake.models import Question, QuestionEvent
from kcc.reference.models import Topic
from kcc.transfer.models import ImportRun

HEADER = "received_at,municipality,channel,caller_type,text,answer"
GOOD_ROWS = [
    "2026-03-02 09:15,GM0402,telefoon,inwoner,Waar kan ik een mondkapje ophalen?,Bij de balie.",
    "03-03-2026 14:00,Huizen,e-mail,ondernemer,Krijg ik steun voor mijn winkel?,",
    "2026-03-04T10:30:00+01:00,gm0406,Balie,Inwoner,Mag mijn zoon naar school? Bel 06-12345678,Ja.",
]


def write_csv(tmp_path: Path, lines: list[str], name: str = "vragen.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def question_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Question)) or 0


@pytest.mark.usefixtures("demo", "active_models")
def test_csv_import_stores_masks_and_classifies_every_row(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [HEADER, *GOOD_ROWS])

    result = runner.invoke(args=["import", str(path), "--crisis", "corona"])

    assert result.exit_code == 0, result.output
    assert "3 rijen gelezen: 3 geïmporteerd, 0 al geïmporteerd, 0 overgeslagen." in result.output
    with app.app_context():
        questions = db.session.scalars(select(Question).order_by(Question.received_at)).all()
        assert [q.municipality.cbs_code for q in questions] == ["GM0402", "GM0406", "GM0406"]
        # Original received times are kept (Dutch local time in the file, UTC stored).
        assert questions[0].received_at.isoformat().startswith("2026-03-02T08:15:00")
        assert questions[1].received_at.isoformat().startswith("2026-03-03T13:00:00")
        assert [q.status for q in questions] == ["beantwoord", "open", "beantwoord"]
        assert questions[2].channel == "balie" and questions[2].caller_type == "inwoner"
        # Masked for analysis like intake text, and classified by the crisis's models.
        assert "06-12345678" in questions[2].text
        assert "06-12345678" not in questions[2].text_masked
        assert all(q.topic_id is not None and q.sentiment for q in questions)
        assert all(q.topic_model_id is not None for q in questions)
        assert [q.reference for q in questions] == [f"KCC-2026-{q.id:06d}" for q in questions]
        assert db.session.scalar(select(func.count()).select_from(QuestionEvent)) == 3
        run = db.session.scalars(select(ImportRun)).one()
        assert (run.imported, run.total_rows, run.status) == (3, 3, "geïmporteerd")
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.QUESTIONS_IMPORTED)
        ).one()
        assert "3 vragen geïmporteerd voor corona" in audit.detail
        # Closed days are recounted by the next roll-up run.
        assert db.session.scalar(select(func.count()).select_from(QuestionDayStale)) == 3


@pytest.mark.usefixtures("demo", "active_models")
def test_importing_the_same_file_twice_adds_nothing_the_second_time(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [HEADER, *GOOD_ROWS, GOOD_ROWS[0]])

    first = runner.invoke(args=["import", str(path), "--crisis", "corona"])
    second = runner.invoke(args=["import", str(path), "--crisis", "corona"])

    assert "3 geïmporteerd, 1 al geïmporteerd" in first.output
    assert "0 geïmporteerd, 4 al geïmporteerd" in second.output
    assert question_count(app) == 3
    # Another crisis is another set of registrations.
    third = runner.invoke(args=["import", str(path), "--crisis", "oekraine"])
    assert "3 geïmporteerd" in third.output
    assert question_count(app) == 6


@pytest.mark.usefixtures("demo", "active_models")
def test_xlsx_import_with_a_mapping_file_and_given_labels(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Datum", "Gemeente", "Kanaal", "Beller", "Vraag", "Onderwerp", "Notitie"])
    first_row = ["Hilversum", "Telefoon", "Pers", "Hoeveel besmettingen zijn er?"]
    sheet.append([datetime(2026, 3, 2, 9, 15), *first_row, "testen_vaccineren", "intern"])
    second_row = ["Laren", "chat", "inwoner", "Waar kan ik me laten testen?"]
    sheet.append([datetime(2026, 3, 3, 11, 0), *second_row, "", ""])
    path = tmp_path / "oud.xlsx"
    workbook.save(path)
    mapping = tmp_path / "koppeling.json"
    mapping.write_text(
        json.dumps(
            {
                "received_at": "Datum",
                "municipality": "Gemeente",
                "channel": "Kanaal",
                "caller_type": "Beller",
                "text": "Vraag",
                "topic": "Onderwerp",
            }
        )
    )

    result = runner.invoke(
        args=["import", str(path), "--crisis", "corona", "--mapping", str(mapping)]
    )

    assert result.exit_code == 0, result.output
    assert "2 rijen gelezen: 2 geïmporteerd" in result.output
    with app.app_context():
        first = db.session.scalars(select(Question).order_by(Question.received_at)).first()
        assert first is not None
        topic = db.session.get(Topic, first.topic_id)
        assert topic is not None and topic.code == "testen_vaccineren"
        assert first.topic_confidence is None  # given by the file, not by the model
        assert first.caller_type == "pers"
        assert first.received_at.isoformat().startswith("2026-03-02T08:15:00")


@pytest.mark.usefixtures("demo", "active_models")
def test_problem_rows_stop_the_import_and_are_named_in_dutch(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        [
            HEADER,
            GOOD_ROWS[0],
            "31-02-2026,GM0402,telefoon,inwoner,Een vraag,",
            "2026-03-02 10:00,Atlantis,telefoon,inwoner,Nog een vraag,",
            "2026-03-02 11:00,GM0402,fax,inwoner,   ,",
        ],
    )

    result = runner.invoke(args=["import", str(path), "--crisis", "corona"])

    assert result.exit_code == 1
    assert "Niets geïmporteerd: 3 rij(en) met een probleem" in result.output
    assert "regel 3: datum '31-02-2026' niet herkend" in result.output
    assert "regel 4: gemeente 'Atlantis' onbekend" in result.output
    assert "regel 5: kanaal 'fax' onbekend" in result.output
    assert "vraag is leeg" in result.output
    assert question_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 0

    skipping = runner.invoke(
        args=["import", str(path), "--crisis", "corona", "--skip-problem-rows"]
    )

    assert skipping.exit_code == 0, skipping.output
    assert "4 rijen gelezen: 1 geïmporteerd, 0 al geïmporteerd, 3 overgeslagen." in (
        skipping.output
    )
    assert question_count(app) == 1


@pytest.mark.usefixtures("demo")
def test_a_file_without_the_default_columns_needs_a_mapping(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, ["Datum;Vraag", "01-03-2026;Hallo"])

    result = runner.invoke(args=["import", str(path), "--crisis", "corona"])

    assert result.exit_code == 1
    assert "niet de standaardkolommen" in result.output
    assert "--mapping" in result.output


@pytest.mark.usefixtures("demo")
def test_unknown_crisis_and_unreadable_files_give_dutch_errors(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [HEADER, GOOD_ROWS[0]])
    binary = tmp_path / "foto.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")

    unknown = runner.invoke(args=["import", str(path), "--crisis", "bestaatniet"])
    unreadable = runner.invoke(args=["import", str(binary), "--crisis", "corona"])

    assert "Crisis 'bestaatniet' bestaat niet." in unknown.output
    assert "geen CSV- of Excel-bestand" in unreadable.output
