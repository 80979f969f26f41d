"""The agent's screens through the real form: register, keep input, search, detail, suggest."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import create_engine, func, select, text
from werkzeug.test import TestResponse

from kcc.extensions import db
from kcc.intake.models import Question
from tests.conftest import is_postgres, make_test_app
from tests.helpers import AuthActions, csrf_token_from
from tests.intake.conftest import DemoIds

TOKEN_PATTERN = re.compile(r'name="submission_token"[^>]*value="([0-9a-f]+)"')


def fresh_form(client: FlaskClient) -> dict[str, str]:
    """The hidden values a browser would send back from a fresh registration form."""
    page = client.get("/questions/new")
    match = TOKEN_PATTERN.search(page.get_data(as_text=True))
    assert match, "form has no submission token"
    return {"csrf_token": csrf_token_from(page), "submission_token": match.group(1)}


def registration(ids: DemoIds, **changes: str) -> dict[str, str]:
    """Form fields of an answered phone question."""
    values = {
        "channel": "telefoon",
        "caller_type": "inwoner",
        "municipality_id": str(ids.hilversum),
        "crisis_id": str(ids.oekraine),
        "text": "Mag mijn gastgezin een vergoeding krijgen voor de extra kosten?",
        "answer": "Ja, gastgezinnen krijgen een vergoeding via de gemeente.",
        "preferred_contact": "telefoon",
        "submit": "Opslaan",
    }
    values.update(changes)
    return values


def submit(client: FlaskClient, ids: DemoIds, **changes: str) -> TestResponse:
    """Fill in a fresh form and save it."""
    return client.post(
        "/questions/new", data={**fresh_form(client), **registration(ids, **changes)}
    )


def count_questions(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Question.id))).scalar_one()


def test_the_form_defaults_to_the_agents_municipality(
    client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("agent")

    page = client.get("/questions/new").get_data(as_text=True)

    assert f'<option selected value="{ids.hilversum}">' in page
    assert 'name="submission_token"' in page


def test_saving_shows_a_fresh_form_with_the_previous_reference(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("agent")

    response = submit(client, ids)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    with app.app_context():
        question = db.session.execute(select(Question)).scalar_one()
        assert question.created_by.username == "agent"  # type: ignore[union-attr]
        assert question.crisis_id == ids.oekraine
    assert "Vorige vraag opgeslagen onder" in page and question.reference in page
    assert "gastgezin een vergoeding" not in page  # the new form is empty
    assert f'<option selected value="{ids.oekraine}">' in page  # the crisis just used


def test_a_validation_error_keeps_everything_typed(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("agent")

    response = submit(
        client,
        ids,
        escalate="y",
        answer="",
        contact_name="Olena K.",
        contact_phone="06-123",
        text="Mijn zoon <script>alert(1)</script> heeft nog geen school",
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dit is geen geldig telefoonnummer" in page
    assert 'value="Olena K."' in page and 'value="06-123"' in page
    assert "Mijn zoon &lt;script&gt;alert(1)&lt;/script&gt; heeft nog geen school" in page
    assert "<script>alert(1)" not in page
    assert count_questions(app) == 0


def test_a_double_submit_stores_one_question(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("agent")
    data = {**fresh_form(client), **registration(ids)}

    first = client.post("/questions/new", data=data)
    second = client.post("/questions/new", data=data)

    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count_questions(app) == 1


@contextmanager
def database_locked(app: Flask) -> Iterator[None]:
    """Another connection holds the question table's write lock: a real database hiccup."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as connection:
        if is_postgres(app.config["SQLALCHEMY_DATABASE_URI"]):
            connection.execute(text("LOCK TABLE question IN ACCESS EXCLUSIVE MODE"))
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


def test_a_database_error_keeps_the_input_and_a_retry_stores_once(
    migrated_database: str, instance_path: Path, demo: None, ids: DemoIds, app: Flask
) -> None:
    # A second app on the same database, impatient with locks so the test stays quick.
    impatient = make_test_app(
        migrated_database,
        instance_path,
        SQLITE_BUSY_TIMEOUT_MS=200,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c lock_timeout=300"}}
        if is_postgres(migrated_database)
        else {},
    )
    client = impatient.test_client()
    AuthActions(client).login("agent")
    data = {**fresh_form(client), **registration(ids, text="Waar kan ik me melden als gastgezin?")}

    with database_locked(impatient):
        failed = client.post("/questions/new", data=data)

    page = failed.get_data(as_text=True)
    assert failed.status_code == 503
    assert "Opslaan is niet gelukt door een storing" in page
    assert "Waar kan ik me melden als gastgezin?" in page
    assert f'value="{data["submission_token"]}"' in page
    retried = client.post("/questions/new", data={**data, "csrf_token": csrf_token_from(failed)})
    assert retried.status_code == 302
    assert count_questions(impatient) == 1
    with impatient.app_context():
        db.engine.dispose()


def test_two_simultaneous_submits_of_one_form_store_one_question(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("agent")
    data = {**fresh_form(client), **registration(ids)}
    cookie = client.get_cookie("kcc_session")
    assert cookie is not None
    statuses: list[int] = []

    def post_once() -> None:
        other = app.test_client()
        other.set_cookie("kcc_session", cookie.value)
        statuses.append(other.post("/questions/new", data=data).status_code)

    threads = [threading.Thread(target=post_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * 4
    assert count_questions(app) == 1


def test_earlier_contacts_of_a_caller_are_offered_for_linking(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("agent")
    submit(client, ids, callback_requested="y", contact_phone="06-12345678", answer="")

    looked_up = client.post(
        "/questions/new",
        data={**fresh_form(client), **registration(ids, contact_phone="0612345678")}
        | {"lookup_history": "Zoek eerdere contacten", "submit": ""},
    )
    page = looked_up.get_data(as_text=True)
    assert looked_up.status_code == 200
    assert "Eerdere contacten van deze beller (1)" in page
    with app.app_context():
        earlier = db.session.execute(select(Question)).scalar_one()
    fragment = client.get("/questions/history?phone=%2B31612345678").get_data(as_text=True)
    assert f'value="{earlier.id}"' in fragment

    saved = submit(
        client,
        ids,
        callback_requested="y",
        contact_phone="0612345678",
        related_question_id=str(earlier.id),
        answer="",
    )
    assert saved.status_code == 302
    with app.app_context():
        later = db.session.execute(
            select(Question).order_by(Question.id.desc()).limit(1)
        ).scalar_one()
        assert later.related_question_id == earlier.id


def test_suggestions_offer_earlier_answers_and_the_choice_is_recorded(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("agent")
    submit(
        client,
        ids,
        text="Wanneer wordt het leefgeld betaald?",
        answer="Het leefgeld komt elke twee weken op vrijdag. Bel 06-11112222 bij vragen.",
    )
    submit(
        client,
        ids,
        text="Hoe schrijf ik mijn kind in op een basisschool?",
        answer="Neem contact op met de school in uw wijk.",
    )

    found = client.get(
        "/questions/suggest",
        query_string={"crisis_id": ids.oekraine, "text": "leefgeld nog niet betaald"},
    ).get_json()
    other_crisis = client.get(
        "/questions/suggest",
        query_string={"crisis_id": ids.corona, "text": "leefgeld nog niet betaald"},
    ).get_json()

    best = found["suggestions"][0]
    assert best["answer"].startswith("Het leefgeld komt elke twee weken")
    assert "06-11112222" not in best["answer"]  # other agents see masked answers only
    assert other_crisis["suggestions"] == []
    submit(
        client,
        ids,
        answer=best["answer"],
        answer_source_kind="question",
        answer_source_id=str(best["id"]),
    )
    with app.app_context():
        used = db.session.execute(
            select(Question).order_by(Question.id.desc()).limit(1)
        ).scalar_one()
        assert (used.answer_source_kind, used.answer_source_id) == ("question", best["id"])


def test_the_agent_sees_todays_own_questions_only(
    client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("coordinator")
    submit(client, ids, text="Vraag van de coördinator over opvang")
    auth.logout()
    auth.login("agent")
    submit(client, ids, text="Vraag van de medewerker over opvang")

    page = client.get("/questions/mine").get_data(as_text=True)

    assert "Vraag van de medewerker over opvang" in page
    assert "Vraag van de coördinator" not in page


def test_search_combines_words_and_filters(
    client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("agent")
    submit(client, ids, text="Mijn leefgeld is niet betaald deze week")
    submit(
        client, ids, text="Leefgeld voor mijn dochter ontbreekt", municipality_id=str(ids.huizen)
    )
    submit(client, ids, text="Waar is de opvanglocatie?")

    def found(**args: object) -> str:
        response = client.get("/questions", query_string=args)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    everything = found(q="leefgeld")
    assert "2 vragen gevonden" in everything
    assert "opvanglocatie" not in everything
    only_huizen = found(q="leefgeld", municipality_id=ids.huizen)
    assert "1 vraag gevonden" in only_huizen and "dochter" in only_huizen
    assert "0 vragen gevonden" in found(q="leefgeld", crisis_id=ids.corona)
    assert "0 vragen gevonden" in found(status="doorgezet")
    # Search syntax and SQL in the words are just words: no error, no match.
    assert "0 vragen gevonden" in found(q='"; DROP TABLE question; -- ( NEAR OR *')
    assert "De einddatum ligt voor de begindatum" in found(
        date_from="2026-05-02", date_to="2026-05-01"
    )


def test_the_detail_page_shows_the_question_and_its_history(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: DemoIds
) -> None:
    auth.login("agent")
    submit(
        client,
        ids,
        callback_requested="y",
        answer="",
        contact_name="Iryna",
        contact_phone="035-1234567",
    )
    with app.app_context():
        question = db.session.execute(select(Question)).scalar_one()

    page = client.get(f"/questions/{question.id}").get_data(as_text=True)

    assert question.reference in page
    assert "035-1234567" in page and "Iryna" in page
    assert "Geregistreerd" in page
    assert client.get("/questions/999999").status_code == 404


HOSTILE_TEXTS = [
    "{{ 7 * 7 }} {% raw %}<img src=x onerror=alert(1)>",
    "Normaal\u202eesrever\u200b\u200d met zero-width en RTL",
    "ا\u0301́ Кириллица 汉字 👩🏽‍⚕️ e\u0301",
    "=HYPERLINK(\"http://x\") ; DROP TABLE question; --",
    "tab\tnieuwe regel\r\nklok\x07",
]


@pytest.mark.parametrize("hostile", HOSTILE_TEXTS)
def test_hostile_text_is_stored_exactly_and_shown_escaped(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: DemoIds, hostile: str
) -> None:
    auth.login("agent")

    saved = submit(client, ids, text=hostile, answer=hostile)

    assert saved.status_code == 302
    with app.app_context():
        question = db.session.execute(select(Question)).scalar_one()
        assert question.text == hostile and question.answer == hostile
    detail = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert str(escape(hostile)) in detail  # shown as typed, escaped, never evaluated
    assert "<img src=x" not in detail
    for page in ("/questions", "/questions/mine", f"/questions?q={hostile}"):
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize(
    "changes",
    [
        {"text": "NUL\x00teken"},
        {"text": "x" * 5001},
        {"answer": "y" * 10_001},
        {"channel": "<script>"},
        {"municipality_id": "abc"},
        {"crisis_id": "-1"},
        {"escalate": "y", "contact_email": "a\x00@b.nl", "contact_phone": "06\x0012345678"},
    ],
)
def test_bad_input_gets_a_clear_error_never_a_500(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: DemoIds, changes: dict[str, str]
) -> None:
    auth.login("agent")

    response = submit(client, ids, **changes)

    assert response.status_code == 422
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert count_questions(app) == 0
    assert client.get("/questions/history?email=a%00@b.nl&phone=%00").status_code == 200
    assert client.get("/questions?q=%00leefgeld").status_code == 200
