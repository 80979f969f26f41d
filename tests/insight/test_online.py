"""Online messages beside the KCC's: importing media-monitoring exports (parsing, masking,
classification, bad rows), the comparison per topic, the command and the screen."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, insert, select
from werkzeug.test import TestResponse

from kcc.classification.models import Sentiment
from kcc.classification.services import classify
from kcc.demo import seed_demo
from kcc.exceptions import ValidationFailed
from kcc.extensions import db
from kcc.governance.models import AuditEvent
from kcc.insight import online
from kcc.insight.models import OnlineImport, OnlineMessage
from kcc.intake.services import QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality, Topic
from kcc.reference.services import CrisisInput, create_crisis
from tests.conftest import empty_all_tables, make_test_app
from tests.helpers import TEST_PASSWORD, AuthActions, csrf_token_from

EXAMPLE = Path(__file__).resolve().parents[2] / "kcc" / "data" / "online" / "example_obi4wan.csv"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# Personal data in the example export: in the posts (must be masked) or in the author column
# (must never be read).
PERSONAL_DATA = (
    "06-12345678",
    "0612345678",
    "06-87654321",
    "Bakker",
    "Sanne de Vries",
    "sanne.devries@example.nl",
    "Jansen",
    "El Amrani",
    "Anja Mulder",
    "Petra Dekker",
    "@pietgroot",
)


def crisis_id(code: str = "oekraine") -> int:
    """The id of a crisis by code."""
    return db.session.execute(select(Crisis.id).where(Crisis.code == code)).scalar_one()


def topic_id(code: str, crisis: str = "oekraine") -> int:
    """The id of a topic by crisis and topic code."""
    return db.session.execute(
        select(Topic.id).join(Crisis).where(Crisis.code == crisis, Topic.code == code)
    ).scalar_one()


def import_text(
    content: str, *, crisis: str = "oekraine", encoding: str = "utf-8"
) -> online.ImportSummary:
    """Import an export given as text, the way an uploaded file arrives (bytes)."""
    return online.import_online_export(
        crisis_id(crisis),
        io.BytesIO(content.encode(encoding)),
        filename="export.csv",
        user=None,
        now=NOW,
    )


def stored_messages() -> list[OnlineMessage]:
    """Every stored online message, oldest first."""
    return list(
        db.session.scalars(
            select(OnlineMessage).order_by(OnlineMessage.posted_at, OnlineMessage.id)
        )
    )


# Importing the example export


def test_example_export_is_masked_classified_and_counted(app: Flask, active_models: None) -> None:
    with app.app_context():
        with EXAMPLE.open("rb") as source:
            summary = online.import_online_export(
                crisis_id(), source, filename=EXAMPLE.name, user=None, now=NOW
            )

        assert (summary.imported, summary.skipped) == (48, 2)
        assert summary.reasons == [
            "regel 27: datum 'gisteren' niet herkend",
            "regel 38: tekst ontbreekt",
        ]
        messages = stored_messages()
        assert len(messages) == 48
        stored = " ".join(f"{m.source} {m.text_masked}" for m in messages)
        for personal in PERSONAL_DATA:
            assert personal not in stored
        assert "[TELEFOON]" in stored and "[NAAM]" in stored and "[E-MAIL]" in stored
        # The same models as for the KCC's questions, giving the same labels.
        for message in messages:
            expected = classify(crisis_id(), message.text_masked)
            assert message.topic_id == expected.topic_id
            assert message.sentiment == expected.sentiment
            assert message.topic_confidence == expected.topic_confidence
        assert {m.sentiment for m in messages} == {s.value for s in Sentiment}
        first = messages[0]
        # 02-11-2026 08:14 in the export is Dutch winter time (UTC+1).
        assert first.posted_at == datetime(2026, 11, 2, 7, 14, tzinfo=UTC)
        assert first.source == "Twitter"
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "online_import")
        ).one()
        assert "48 berichten, 2 overgeslagen" in audit.detail


# Parsing variants


def test_comma_separated_with_bom_english_headers_and_iso_dates(app: Flask, demo: None) -> None:
    export = (
        "\ufeffDate,Source,Author,Text\n"
        '2026-07-01T10:00:00Z,Twitter,someone,"Opvang vol, mensen op de gang"\n'
        "2026-07-01T10:00:00+02:00,Facebook,someone,Leefgeld te laat\n"
        "2026-07-01 10:00,Nieuws,redactie,Nieuwe opvang geopend\n"
        "2026-07-02,Forum,x,Vraag over school\n"
    )
    with app.app_context():
        summary = import_text(export)

        assert (summary.imported, summary.skipped) == (4, 0)
        moments = [(m.posted_at, m.source) for m in stored_messages()]
        assert moments == [
            (datetime(2026, 7, 1, 8, 0, tzinfo=UTC), "Facebook"),
            # Naive times are Dutch time: summer time, UTC+2.
            (datetime(2026, 7, 1, 8, 0, tzinfo=UTC), "Nieuws"),
            (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "Twitter"),
            (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), "Forum"),
        ]
        texts = {m.text_masked for m in stored_messages()}
        assert "Opvang vol, mensen op de gang" in texts


def test_semicolon_separated_dutch_headers_in_any_case_and_dutch_dates(
    app: Flask, demo: None
) -> None:
    export = (
        " PUBLICATIEDATUM ;Medium;Bericht\r\n"
        "02/11/2026;Twitter;Op school is geen plek\r\n"
        "03-11-2026 14:30;Facebook;Het leefgeld is weer te laat\r\n"
        "4.11.2026 09:05:30;Nieuws;Extra opvang in Huizen\r\n"
    )
    with app.app_context():
        summary = import_text(export)

        assert summary.imported == 3
        assert [m.posted_at for m in stored_messages()] == [
            datetime(2026, 11, 1, 23, 0, tzinfo=UTC),
            datetime(2026, 11, 3, 13, 30, tzinfo=UTC),
            datetime(2026, 11, 4, 8, 5, 30, tzinfo=UTC),
        ]


def test_other_header_names_datum_bron_tekst(app: Flask, demo: None) -> None:
    with app.app_context():
        summary = import_text("datum;bron;tekst\n2026-11-02;X;Bericht over opvang\n")

        assert summary.imported == 1
        assert stored_messages()[0].source == "X"


def test_source_column_is_optional(app: Flask, demo: None) -> None:
    with app.app_context():
        summary = import_text("published,content\n2026-11-02,Bericht over opvang\n")

        assert summary.imported == 1
        assert stored_messages()[0].source == ""


def test_bad_rows_are_skipped_counted_and_the_first_reasons_named(app: Flask, demo: None) -> None:
    export = "\n".join(
        [
            "datum;bron;tekst",
            "02-11-2026 10:00;X;goed bericht",
            "31-02-2026;X;geen bestaande dag",
            "morgen;X;geen datum",
            "02-11-2026;X;   ",
            "02-11-2026",
            "01-01-2030;X;ver in de toekomst",
            "2026-13-01;X;geen maand dertien",
            "",
            "03-11-2026 10:00;X;nog een goed bericht",
        ]
    )
    with app.app_context():
        summary = import_text(export)

        assert (summary.imported, summary.skipped) == (2, 6)
        assert summary.reasons == [
            "regel 3: datum '31-02-2026' niet herkend",
            "regel 4: datum 'morgen' niet herkend",
            "regel 5: tekst ontbreekt",
            "regel 6: te weinig kolommen",
            "regel 7: datum ligt in de toekomst",
        ]
        stored = db.session.scalars(select(OnlineImport)).one()
        assert (stored.rows, stored.skipped) == (2, 6)


def test_missing_columns_are_refused_and_nothing_is_stored(app: Flask, demo: None) -> None:
    with app.app_context():
        with pytest.raises(ValidationFailed, match="De kolom\\(men\\) tekst ontbreken"):
            import_text("datum;bron;auteur\n2026-11-02;X;Y\n")

        assert db.session.scalar(select(func.count()).select_from(OnlineImport)) == 0


def test_an_export_without_a_usable_row_is_refused(app: Flask, demo: None) -> None:
    with app.app_context():
        with pytest.raises(ValidationFailed, match="geen enkel bruikbaar bericht"):
            import_text("datum;tekst\nmorgen;iets\n")


def test_a_file_that_is_not_utf8_is_refused(app: Flask, demo: None) -> None:
    with app.app_context():
        with pytest.raises(ValidationFailed, match="geen UTF-8"):
            import_text("datum;tekst\n2026-11-02;Oekraïne café\n", encoding="cp1252")


def test_a_file_larger_than_the_cap_is_refused(app: Flask, demo: None) -> None:
    line = "2026-11-02;" + "x" * 88 + "\n"
    export = "datum;tekst\n" + line * (online.MAX_BYTES // len(line) + 1)
    with app.app_context():
        with pytest.raises(ValidationFailed, match="groter dan 20 MB"):
            import_text(export)


def test_more_rows_than_the_cap_are_refused(app: Flask, demo: None) -> None:
    export = "datum;tekst\n" + "2026-11-02;a\n" * (online.MAX_ROWS + 1)
    with app.app_context():
        with pytest.raises(ValidationFailed, match="meer dan 200.000 rijen"):
            import_text(export)


# Without trained models


def test_a_crisis_without_models_or_topics_stores_messages_unlabelled(
    app: Flask, demo: None
) -> None:
    with app.app_context():
        create_crisis("storm", CrisisInput(name="Storm", start_date=date(2026, 11, 1)))
        db.session.commit()

        summary = import_text("datum;tekst\n2026-11-02;Boom op mijn dak\n", crisis="storm")

        assert summary.imported == 1
        message = stored_messages()[0]
        assert (message.topic_id, message.sentiment) == (None, None)


def test_a_crisis_with_topics_but_no_trained_model_gets_cold_start_topics(
    app: Flask, demo: None
) -> None:
    with app.app_context():
        import_text("datum;tekst\n2026-11-02;Wanneer wordt het leefgeld betaald?\n")

        message = stored_messages()[0]
        assert message.topic_id == topic_id("leefgeld")
        assert message.sentiment is None  # no sentiment model yet


# The comparison


def register(crisis: int, topic: int | None, sentiment: str, received_at: datetime) -> None:
    """One KCC question with labels the agent chose."""
    municipality = db.session.execute(select(Municipality.id)).scalars().first()
    assert municipality is not None
    register_question(
        QuestionInput(
            channel="telefoon",
            caller_type="inwoner",
            municipality_id=municipality,
            crisis_id=crisis,
            text="Een vraag",
            received_at=received_at,
            topic_id=topic,
            sentiment=sentiment,
        ),
        user_id=None,
        now=received_at,
    )


def add_online(
    import_row: OnlineImport, topic: int | None, sentiment: str | None, posted_at: datetime
) -> None:
    """One online message with known labels, inserted as the import stores them."""
    db.session.execute(
        insert(OnlineMessage),
        [
            {
                "import_id": import_row.id,
                "crisis_id": import_row.crisis_id,
                "posted_at": posted_at,
                "source": "X",
                "text_masked": "bericht",
                "topic_id": topic,
                "sentiment": sentiment,
            }
        ],
    )


def test_comparison_counts_per_topic_within_dutch_days(app: Flask, demo: None) -> None:
    with app.app_context():
        oekraine, corona = crisis_id(), crisis_id("corona")
        leefgeld, opvang = topic_id("leefgeld"), topic_id("opvang")
        inside = datetime(2026, 11, 5, 12, tzinfo=UTC)
        # 1 November 23:30 UTC is 2 November 00:30 in the Netherlands: inside the period.
        first_local_day = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)
        # 14 November 23:30 UTC is 15 November 00:30 in the Netherlands: outside.
        after_last_local_day = datetime(2026, 11, 14, 23, 30, tzinfo=UTC)
        for sentiment in ("negatief", "negatief", "neutraal", "positief"):
            register(oekraine, leefgeld, sentiment, inside)
        register(oekraine, opvang, "negatief", first_local_day)
        register(oekraine, opvang, "negatief", after_last_local_day)
        register(corona, topic_id("reizen", "corona"), "negatief", inside)
        import_row = OnlineImport(crisis_id=oekraine, filename="x.csv")
        db.session.add(import_row)
        db.session.flush()
        for sentiment in ("negatief", "neutraal", None):
            add_online(import_row, leefgeld, sentiment, inside)
        for _ in range(3):
            add_online(import_row, None, "negatief", first_local_day)
        add_online(import_row, opvang, "negatief", after_last_local_day)
        db.session.commit()

        result = online.online_comparison(oekraine, date(2026, 11, 2), date(2026, 11, 14))

        rows = {row.topic_name: row for row in result.topics}
        assert rows["Leefgeld"].kcc.count == 4
        assert rows["Leefgeld"].kcc.negative_share == 0.5
        assert rows["Leefgeld"].online.count == 3
        # Of the two with a sentiment, one is negative.
        assert rows["Leefgeld"].online.negative_share == 0.5
        assert (rows["Opvang"].kcc.count, rows["Opvang"].online.count) == (1, 0)
        assert rows["Opvang"].online.negative_share is None
        assert (rows["Geen onderwerp"].online.count, rows["Geen onderwerp"].kcc.count) == (3, 0)
        assert result.topics[-1].topic_name == "Geen onderwerp"
        # Topics nobody mentioned are listed too, with zeros.
        assert rows["Werk"].kcc.count == rows["Werk"].online.count == 0
        assert (result.kcc_total.count, result.kcc_total.negative) == (5, 3)
        assert (result.online_total.count, result.online_total.negative) == (6, 4)


def test_chart_bars_are_as_long_as_the_share_and_say_it_in_words() -> None:
    kcc = online.VolumeAndMood(count=10, classified=8, negative=2)
    nobody = online.VolumeAndMood()
    comparison = online.OnlineComparison(
        crisis_id=1,
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        topics=[
            online.TopicComparison(1, "Leefgeld", kcc=kcc, online=online.VolumeAndMood(4, 4, 4)),
            online.TopicComparison(2, "Werk"),
        ],
        kcc_total=kcc,
        online_total=nobody,
    )

    chart = online.negative_share_chart(comparison)

    assert chart is not None
    [row] = chart.rows  # a topic without sentiment on either side has no bars
    assert row.label == "Leefgeld"
    assert row.kcc.width == online.CHART_BAR_SPACE // 4
    assert row.kcc.text == "KCC: 25% negatief (van 8)"
    assert row.online.width == online.CHART_BAR_SPACE
    assert row.online.text == "Online: 100% negatief (van 4)"
    assert online.percent(None) == "onbekend"


def test_comparison_refuses_an_end_before_the_start(app: Flask, demo: None) -> None:
    with app.app_context():
        with pytest.raises(ValidationFailed):
            online.online_comparison(crisis_id(), date(2026, 11, 2), date(2026, 11, 1))


def test_deleting_an_import_removes_its_messages(app: Flask, demo: None) -> None:
    with app.app_context():
        first = import_text("datum;tekst\n2026-11-02;een\n2026-11-03;twee\n").online_import
        import_text("datum;tekst\n2026-11-04;drie\n")

        online.delete_online_import(first.id, user=None, now=NOW)

        assert [m.text_masked for m in stored_messages()] == ["drie"]
        assert db.session.scalar(select(func.count()).select_from(OnlineImport)) == 1


# The command


def test_command_imports_and_names_skipped_rows(
    app: Flask, runner: FlaskCliRunner, active_models: None
) -> None:
    result = runner.invoke(args=["import-online", "--crisis", "oekraine", "--input", str(EXAMPLE)])

    assert result.exit_code == 0, result.output
    assert "48 berichten geïmporteerd voor Opvang ontheemden uit Oekraïne" in result.output
    assert "2 rijen overgeslagen" in result.output
    assert "regel 27: datum 'gisteren' niet herkend" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OnlineMessage)) == 48


def test_command_names_an_unknown_crisis(runner: FlaskCliRunner, demo: None) -> None:
    result = runner.invoke(
        args=["import-online", "--crisis", "bestaatniet", "--input", str(EXAMPLE)]
    )

    assert result.exit_code == 1
    assert "Crisis 'bestaatniet' bestaat niet." in result.output


def test_command_explains_a_missing_column(
    runner: FlaskCliRunner, demo: None, tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    export.write_text("datum;auteur\n2026-11-02;x\n", encoding="utf-8")

    result = runner.invoke(args=["import-online", "--crisis", "oekraine", "--input", str(export)])

    assert result.exit_code == 1
    assert "tekst ontbreken" in result.output


# The screen


def upload(client: FlaskClient, content: bytes, filename: str, crisis: int) -> TestResponse:
    """Submit the import form of the page with a file, as a browser would."""
    token = csrf_token_from(client.get("/insights/online"))
    response = client.post(
        "/insights/online",
        data={
            "csrf_token": token,
            "crisis_id": str(crisis),
            "export": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )
    # Werkzeug's test client spools a body over 500 KB to a temporary file and leaves it open.
    response.request.environ["wsgi.input"].close()
    return response


def test_coordinator_uploads_an_export_and_sees_it_beside_the_kcc(
    app: Flask, client: FlaskClient, auth: AuthActions, active_models: None
) -> None:
    auth.login("coordinator")
    with app.app_context():
        oekraine = crisis_id()

    response = upload(client, EXAMPLE.read_bytes(), "obi4wan.csv", oekraine)

    assert response.status_code == 302
    assert response.location.endswith(
        f"/insights/online?crisis_id={oekraine}&start=2026-11-02&end=2026-11-14"
    )
    page = client.get(response.location).get_data(as_text=True)
    assert "48 berichten geïmporteerd, 2 rijen overgeslagen." in page
    assert "regel 27: datum &#39;gisteren&#39; niet herkend" in page
    assert "obi4wan.csv" in page
    assert "<strong>48</strong> berichten online" in page
    assert "<caption>KCC en online per onderwerp: aantal en aandeel negatief</caption>" in page
    assert 'role="img"' in page
    assert "06-12345678" not in page


def test_upload_errors_are_shown_at_the_file_field(
    app: Flask, client: FlaskClient, auth: AuthActions, demo: None
) -> None:
    auth.login("analyst")
    with app.app_context():
        oekraine = crisis_id()

    wrong_columns = upload(client, b"datum;auteur\n2026-11-02;x\n", "export.csv", oekraine)
    wrong_kind = upload(client, b"%PDF-1.4", "export.pdf", oekraine)

    assert wrong_columns.status_code == 400
    assert "tekst ontbreken" in wrong_columns.get_data(as_text=True)
    assert 'aria-invalid="true"' in wrong_columns.get_data(as_text=True)
    assert wrong_kind.status_code == 400
    assert "Kies een CSV-bestand (.csv)." in wrong_kind.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OnlineImport)) == 0


def test_the_comparison_page_follows_the_chosen_crisis_and_period(
    app: Flask, client: FlaskClient, auth: AuthActions, demo: None
) -> None:
    with app.app_context():
        import_text("datum;tekst\n2026-11-02;Leefgeld te laat\n2026-11-20;Leefgeld op tijd\n")
        oekraine = crisis_id()
    auth.login("analyst")

    chosen = client.get(f"/insights/online?crisis_id={oekraine}&start=2026-11-01&end=2026-11-10")
    backwards = client.get(f"/insights/online?crisis_id={oekraine}&start=2026-11-10&end=2026-11-01")

    assert "<strong>1</strong> berichten online" in chosen.get_data(as_text=True)
    assert "01-11-2026 tot en met 10-11-2026" in chosen.get_data(as_text=True)
    assert "De einddatum ligt voor de begindatum." in backwards.get_data(as_text=True)


def test_nonsense_in_the_query_string_shows_the_default_period(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("analyst")

    response = client.get("/insights/online?crisis_id=abc&start=gisteren&end=2026-13-45")

    assert response.status_code == 200
    assert "tot en met" in response.get_data(as_text=True)


def test_coordinator_deletes_an_import_through_the_page(
    app: Flask, client: FlaskClient, auth: AuthActions, demo: None
) -> None:
    with app.app_context():
        imported = import_text("datum;tekst\n2026-11-02;een\n").online_import.id
    auth.login("coordinator")
    token = csrf_token_from(client.get("/insights/online"))

    response = client.post(
        f"/insights/online/imports/{imported}/delete", data={"csrf_token": token}
    )

    assert response.status_code == 302
    assert "verwijderd (1 berichten)" in client.get(response.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OnlineMessage)) == 0


@pytest.mark.parametrize("role", ["agent", "specialist"])
def test_roles_without_insight_get_403(client: FlaskClient, auth: AuthActions, role: str) -> None:
    auth.login(role)
    token = csrf_token_from(client.get("/"))

    assert client.get("/insights/online").status_code == 403
    assert client.post("/insights/online", data={"csrf_token": token}).status_code == 403


def test_admin_may_look_but_not_import_or_delete(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        imported = import_text("datum;tekst\n2026-11-02;een\n").online_import.id
    auth.login("admin")

    page = client.get("/insights/online")
    token = csrf_token_from(page)

    assert page.status_code == 200
    assert "Export importeren" not in page.get_data(as_text=True)
    assert "Verwijderen" not in page.get_data(as_text=True)
    assert client.post("/insights/online", data={"csrf_token": token}).status_code == 403
    delete = client.post(f"/insights/online/imports/{imported}/delete", data={"csrf_token": token})
    assert delete.status_code == 403


def test_the_import_form_may_send_more_than_other_forms(
    migrated_database: str, instance_path: Path, shipped_models: object
) -> None:
    # The app's own settings: 5 MB for this form, 2 MB for every other request.
    app = make_test_app(migrated_database, instance_path)
    try:
        with app.app_context():
            seed_demo(TEST_PASSWORD)
            oekraine = crisis_id()
        client = app.test_client()
        AuthActions(client).login("coordinator")
        line = "2026-11-02;Het leefgeld is weer te laat en niemand neemt de telefoon op\n"
        export = ("datum;tekst\n" + line * (3 * 1024 * 1024 // len(line))).encode()

        accepted = upload(client, export, "groot.csv", oekraine)
        too_large = upload(client, export + export, "te-groot.csv", oekraine)

        assert accepted.status_code == 302
        assert too_large.status_code == 413
        assert "Hoogstens 5 MB" in client.get("/insights/online").get_data(as_text=True)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(OnlineMessage)) > 40_000
    finally:
        with app.app_context():
            db.session.remove()
            empty_all_tables()
            db.engine.dispose()
