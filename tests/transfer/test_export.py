"""Exports: personal data by role, formula injection, filters, audit, export → import round trip."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import delete, select

from kcc.extensions import db
from kcc.governance.models import AuditAction, AuditEvent
from kcc.intake.models import Question, QuestionEvent
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality
from tests.helpers import AuthActions

SOURCE = (
    "received_at,municipality,channel,caller_type,text,answer,topic,sentiment\n"
    '2026-03-02 09:15,GM0402,telefoon,inwoner,=HYPERLINK("http://x.example"),@SUM(A1),,\n'
    "2026-03-02 10:15,GM0406,e-mail,pers,Bel mij op 06-12345678 over de test,-5 is fout,"
    "testen_vaccineren,neutraal\n"
    '2026-03-03 11:00,GM0417,chat,inwoner,"Waar haal ik, met spoed, een test?",,,\n'
)
DEFAULT_HEADER = [
    "received_at",
    "municipality",
    "channel",
    "caller_type",
    "text",
    "answer",
    "topic",
    "sentiment",
    "reference",
    "crisis",
    "status",
]
PERSONAL_HEADER = ["contact_name", "contact_phone", "contact_email"]


def import_source(runner: FlaskCliRunner, tmp_path: Path, text: str = SOURCE) -> None:
    path = tmp_path / "bron.csv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--crisis", "corona"])
    assert result.exit_code == 0, result.output


def register_callback(app: Flask) -> None:
    """A question with a call-back: the only kind that keeps contact details."""
    with app.app_context():
        crisis = db.session.scalars(select(Crisis).where(Crisis.code == "corona")).one()
        municipality = db.session.scalars(
            select(Municipality).where(Municipality.cbs_code == "GM0402")
        ).one()
        register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=municipality.id,
                crisis_id=crisis.id,
                text="Mevrouw Jansen wil teruggebeld worden over de quarantaine",
                callback_requested=True,
                contact=ContactInput(name="A. Jansen", phone="06-87654321"),
            ),
            user_id=None,
        )


def csv_rows(response_data: bytes) -> list[list[str]]:
    text = response_data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.usefixtures("active_models")
def test_coordinators_get_personal_data_and_analysts_masked_text(
    app: Flask, client: FlaskClient, auth: AuthActions, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    import_source(runner, tmp_path)
    register_callback(app)

    auth.login("coordinator")
    full = client.get("/transfer/export.csv")
    full_rows = csv_rows(full.data)  # read before the next request, as a browser would
    auth.logout()
    auth.login("analyst")
    masked = client.get("/transfer/export.csv")

    assert full.status_code == masked.status_code == 200
    assert full.headers["Content-Disposition"].startswith('attachment; filename="vragen-alle-')
    masked_rows = csv_rows(masked.data)
    assert full_rows[0] == DEFAULT_HEADER + PERSONAL_HEADER
    assert masked_rows[0] == DEFAULT_HEADER
    full_text = full.data.decode()
    masked_text = masked.data.decode()
    assert "06-12345678" in full_text and "A. Jansen" in full_text and "06-87654321" in full_text
    assert "06-12345678" not in masked_text and "06-87654321" not in masked_text
    assert "Jansen" not in masked_text
    assert len(full_rows) == len(masked_rows) == 5
    with app.app_context():
        details = [
            event.detail
            for event in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == AuditAction.QUESTIONS_EXPORTED)
                .order_by(AuditEvent.id)
            )
        ]
    assert details == [
        "CSV-export, met persoonsgegevens: alle vragen",
        "CSV-export, gemaskeerd: alle vragen",
    ]


@pytest.mark.usefixtures("active_models")
def test_cells_that_would_start_a_formula_are_text_in_csv_and_xlsx(
    client: FlaskClient, auth: AuthActions, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    import_source(runner, tmp_path)
    auth.login("admin")

    rows = csv_rows(client.get("/transfer/export.csv").data)
    workbook_response = client.get("/transfer/export.xlsx")

    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["text"] == '\'=HYPERLINK("http://x.example")'
    assert first["answer"] == "'@SUM(A1)"
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["answer"] == "'-5 is fout"
    assert workbook_response.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook_response.data), read_only=True).worksheets[0]
    cells = list(sheet.iter_rows(values_only=True))
    assert list(cells[0]) == DEFAULT_HEADER  # admins may not see personal data
    assert cells[1][4] == '\'=HYPERLINK("http://x.example")'
    assert all(not str(value).startswith("=") for row in cells for value in row if value)


@pytest.mark.usefixtures("active_models")
def test_export_then_import_round_trips(
    app: Flask, client: FlaskClient, auth: AuthActions, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    import_source(runner, tmp_path)
    auth.login("coordinator")
    exported = client.get("/transfer/export.csv").data
    export_path = tmp_path / "export.csv"
    export_path.write_bytes(exported)
    workbook_path = tmp_path / "export.xlsx"
    workbook_path.write_bytes(client.get("/transfer/export.xlsx").data)

    # The same rows, recognised: the export's values are exactly the imported ones.
    again = runner.invoke(args=["import", str(export_path), "--crisis", "corona"])
    again_xlsx = runner.invoke(args=["import", str(workbook_path), "--crisis", "corona"])
    assert "3 rijen gelezen: 0 geïmporteerd, 3 al geïmporteerd" in again.output
    assert "3 rijen gelezen: 0 geïmporteerd, 3 al geïmporteerd" in again_xlsx.output

    # Into an empty crisis the export imports as it came out.
    with app.app_context():
        db.session.execute(delete(QuestionEvent))
        db.session.execute(delete(Question))
        db.session.commit()
    fresh = runner.invoke(args=["import", str(export_path), "--crisis", "corona"])
    assert "3 geïmporteerd" in fresh.output, fresh.output
    second_export = client.get("/transfer/export.csv").data

    def without_reference(data: bytes) -> list[list[str]]:
        return [row[:8] + row[9:] for row in csv_rows(data)]

    assert without_reference(second_export) == without_reference(exported)
    first = dict(zip(DEFAULT_HEADER, csv_rows(exported)[1], strict=False))
    assert first["received_at"] == "2026-03-02 09:15:00+01:00"
    assert first["text"] == '\'=HYPERLINK("http://x.example")'


@pytest.mark.usefixtures("active_models")
def test_filters_choose_the_rows_and_bad_filters_get_dutch_errors(
    app: Flask, client: FlaskClient, auth: AuthActions, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    import_source(runner, tmp_path)
    with app.app_context():
        huizen = db.session.scalars(
            select(Municipality.id).where(Municipality.cbs_code == "GM0406")
        ).one()
        corona = db.session.scalars(select(Crisis.id).where(Crisis.code == "corona")).one()
    auth.login("coordinator")

    by_municipality = csv_rows(client.get(f"/transfer/export.csv?municipality_id={huizen}").data)
    by_day = csv_rows(client.get("/transfer/export.csv?start=2026-03-03&end=2026-03-03").data)
    by_channel = csv_rows(client.get(f"/transfer/export.csv?channel=chat&crisis_id={corona}").data)
    backwards = client.get("/transfer/export.csv?start=2026-03-03&end=2026-03-01")
    nonsense = client.get("/transfer/export.xlsx?crisis_id=abc")

    assert [row[1] for row in by_municipality[1:]] == ["GM0406"]
    assert [row[1] for row in by_day[1:]] == ["GM0417"]
    assert [row[2] for row in by_channel[1:]] == ["chat"]
    assert backwards.status_code == 400
    assert "De einddatum ligt voor de begindatum." in backwards.get_data(as_text=True)
    assert nonsense.status_code == 400
    page = client.get("/transfer/export").get_data(as_text=True)
    assert 'formaction="/transfer/export.xlsx"' in page
    assert "contactgegevens van bellers" in page


@pytest.mark.usefixtures("demo")
def test_agents_and_specialists_cannot_export(client: FlaskClient, auth: AuthActions) -> None:
    for role in ("agent", "specialist"):
        auth.login(role)
        assert client.get("/transfer/export.csv").status_code == 403
        assert client.get("/transfer/export.xlsx").status_code == 403
        auth.logout()
