"""The import screens with a real client and CSRF on: upload → mapping → preview → import."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from kcc.extensions import db, utcnow
from kcc.intake.models import Question
from kcc.transfer import services
from kcc.transfer.models import ImportLayout, ImportRun
from tests.helpers import AuthActions, csrf_token_from

OWN_LAYOUT = (
    "Datum;Gemeente;Kanaal;Soort;Vraag;Antwoord\n"
    "02-03-2026 09:15;Hilversum;telefoon;inwoner;Waar haal ik een zelftest?;Bij de apotheek.\n"
    "02-03-2026 10:00;Atlantis;telefoon;inwoner;Mag ik op bezoek? Bel 06-12345678;\n"
    "31-02-2026 11:00;Huizen;e-mail;inwoner;Wanneer gaan de scholen open?;\n"
    "03-03-2026 12:00;Laren;chat;ondernemer;Krijg ik compensatie voor mijn omzet?;Ja.\n"
)
MAPPING = {
    "received_at": "Datum",
    "municipality": "Gemeente",
    "channel": "Kanaal",
    "caller_type": "Soort",
    "text": "Vraag",
    "answer": "Antwoord",
    "topic": "",
    "sentiment": "",
}


def crisis_id(client: FlaskClient, code_name: str = "Corona") -> str:
    page = client.get("/transfer/import").get_data(as_text=True)
    match = re.search(r'<option value="(\d+)">' + code_name, page)
    assert match, "crisis not offered"
    return match.group(1)


def upload(client: FlaskClient, content: bytes, name: str = "oud.csv") -> TestResponse:
    token = csrf_token_from(client.get("/transfer/import"))
    return client.post(
        "/transfer/import",
        data={
            "csrf_token": token,
            "crisis_id": crisis_id(client),
            "file": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )


def choose_columns(client: FlaskClient, mapping_url: str, mapping: dict[str, str]) -> TestResponse:
    token = csrf_token_from(client.get(mapping_url))
    return client.post(mapping_url, data={**mapping, "csrf_token": token})


def run_import(client: FlaskClient, preview_url: str, data: dict[str, object]) -> TestResponse:
    page = client.get(preview_url)
    token = csrf_token_from(page)
    import_url = preview_url.replace("/preview", "/import")
    return client.post(import_url, data={**data, "csrf_token": token})


def questions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Question)) or 0


@pytest.mark.usefixtures("active_models")
def test_the_whole_flow_with_problems_all_or_nothing_then_skipping(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")

    uploaded = upload(client, OWN_LAYOUT.encode("utf-8"))
    assert uploaded.status_code == 302
    mapping_url = uploaded.headers["Location"]
    mapping_page = client.get(mapping_url).get_data(as_text=True)
    # Columns named like the fields are pre-selected.
    assert '<option selected value="Datum">' in mapping_page
    assert '<option selected value="Gemeente">' in mapping_page

    with app.app_context():
        stored = Path(app.instance_path) / services.UPLOAD_FOLDER
        stored /= db.session.scalars(select(ImportRun.stored_name)).one() or ""
    assert stored.is_file()

    chosen = choose_columns(client, mapping_url, MAPPING)
    assert chosen.status_code == 302
    preview_url = chosen.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "<strong>4</strong> rijen in het bestand" in preview
    assert "<strong>2</strong> rijen met een probleem" in preview
    assert "gemeente &#39;Atlantis&#39; onbekend" in preview
    assert "datum &#39;31-02-2026 11:00&#39; niet herkend" in preview
    # The preview shows masked text only.
    assert "Mag ik op bezoek?" in preview
    assert "06-12345678" not in preview

    refused = run_import(client, preview_url, {"mode": "alles"})
    assert refused.status_code == 422
    assert "Niets geïmporteerd: 2 rij(en) met een probleem" in refused.get_data(as_text=True)
    assert questions(app) == 0

    # Skipping only one of the two problem rows is not enough.
    half = run_import(client, preview_url, {"mode": "overslaan", "skip": ["3"]})
    assert half.status_code == 422
    assert "regel 4: datum" in half.get_data(as_text=True)
    assert questions(app) == 0

    done = run_import(client, preview_url, {"mode": "overslaan", "skip": ["3", "4", "5"]})
    assert done.status_code == 302
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert re.search(r"Geïmporteerd</th><td class=\"numeric\">1<", result)
    assert re.search(r"Overgeslagen</th><td class=\"numeric\">3<", result)
    assert questions(app) == 1
    with app.app_context():
        run = db.session.scalars(select(ImportRun)).one()
        # The upload is removed after the import.
        assert run.stored_name is None
    # (Only this run's file: the folder is the test session's, other tests leave uploads.)
    assert not stored.exists()
    # The finished run cannot be imported again.
    assert client.get(preview_url).status_code == 404


@pytest.mark.usefixtures("active_models")
def test_mapping_is_remembered_per_layout_and_reimport_finds_the_rows(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("admin")
    clean = "\n".join(line for line in OWN_LAYOUT.splitlines() if "Atlantis" not in line)
    clean = clean.replace("31-02-2026", "28-02-2026") + "\n"
    # "Soort" is not a name the guess knows: the first mapping chooses it.
    first = upload(client, clean.encode("cp1252"))
    first_mapping = client.get(first.headers["Location"]).get_data(as_text=True)
    assert '<option selected value="Soort">' not in first_mapping
    preview_url = choose_columns(client, first.headers["Location"], MAPPING).headers["Location"]
    assert run_import(client, preview_url, {"mode": "alles"}).status_code == 302
    assert questions(app) == 3

    second = upload(client, clean.encode("utf-8"), name="zelfde-layout.csv")
    second_mapping = client.get(second.headers["Location"]).get_data(as_text=True)
    assert '<option selected value="Soort">' in second_mapping
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportLayout)) == 1
    preview_url = choose_columns(client, second.headers["Location"], MAPPING).headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "<strong>3</strong> rijen al geïmporteerd" in preview
    done = run_import(client, preview_url, {"mode": "alles"})
    assert done.status_code == 302
    assert questions(app) == 3


@pytest.mark.usefixtures("demo")
def test_bad_uploads_and_mappings_get_dutch_errors(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("coordinator")

    old_excel = upload(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", name="oud.xls")
    empty = upload(client, b"Datum;Vraag\n", name="leeg.csv")
    picture = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00", name="vragen.csv")

    assert old_excel.status_code == 422
    assert "oud Excel-bestand (.xls)" in old_excel.get_data(as_text=True)
    assert "kopregel maar geen rijen" in empty.get_data(as_text=True)
    assert "geen CSV- of Excel-bestand" in picture.get_data(as_text=True)

    mapping_url = upload(client, OWN_LAYOUT.encode()).headers["Location"]
    incomplete = choose_columns(
        client, mapping_url, {**MAPPING, "text": "", "answer": "Datum"}
    ).get_data(as_text=True)
    assert "Kies de kolom voor vraag." in incomplete
    assert "Kolom &#39;Datum&#39; is al gekozen voor Datum en tijd van binnenkomst." in incomplete


@pytest.mark.usefixtures("demo")
def test_runs_belong_to_their_uploader_and_agents_cannot_import(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")
    mapping_url = upload(client, OWN_LAYOUT.encode()).headers["Location"]
    auth.logout()

    auth.login("admin")
    assert client.get(mapping_url).status_code == 404
    auth.logout()

    auth.login("agent")
    assert client.get("/transfer/import").status_code == 403
    assert client.get(mapping_url).status_code == 403


@pytest.mark.usefixtures("demo")
def test_uploads_left_for_a_day_are_removed(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")
    mapping_url = upload(client, OWN_LAYOUT.encode()).headers["Location"]
    folder = Path(app.instance_path) / services.UPLOAD_FOLDER
    with app.app_context():
        run = db.session.scalars(select(ImportRun)).one()
        stored = folder / (run.stored_name or "")
        assert stored.exists()

        removed = services.remove_stale_uploads(now=utcnow() + timedelta(days=1, minutes=1))
        db.session.commit()

        assert removed == 1
        assert not stored.exists()
        assert db.session.scalars(select(ImportRun)).one().status == "verlopen"
    assert client.get(mapping_url).status_code == 404


@pytest.mark.usefixtures("demo")
def test_an_upload_over_the_limit_gets_the_dutch_too_large_page(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")
    token = csrf_token_from(client.get("/transfer/import"))
    app.config["IMPORT_UPLOAD_MAX_BYTES"] = 1_000

    response = client.post(
        "/transfer/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"x" * 2_000), "groot.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 413
    assert "Wat u verstuurde is te groot." in response.get_data(as_text=True)


@pytest.mark.usefixtures("demo")
def test_the_import_form_takes_files_larger_than_other_forms(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")
    row = "02-03-2026 09:15;Hilversum;telefoon;inwoner;" + "Een lange vraag " * 8 + ";\n"
    content = (OWN_LAYOUT.splitlines()[0] + "\n" + row * 25_000).encode()
    assert len(content) > app.config["MAX_CONTENT_LENGTH"]

    token = csrf_token_from(client.get("/transfer/import"))
    # Encoded in memory: the test client would spool a large upload to a temporary file it
    # never closes.
    boundary, body = encode_multipart(
        {
            "csrf_token": token,
            "crisis_id": crisis_id(client),
            "file": FileStorage(io.BytesIO(content), "groot.csv"),
        }
    )

    response = client.post(
        "/transfer/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(ImportRun)).one().total_rows == 25_000
