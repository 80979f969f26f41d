"""API v1 through HTTP with real bearer tokens: same rules and rights as the form."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from kcc.auth.models import User
from kcc.auth.services import create_api_token
from kcc.extensions import db
from kcc.intake.models import Question
from kcc.reference.models import Municipality
from tests.helpers import AuthActions


@pytest.fixture
def tokens(app: Flask, demo: None) -> dict[str, str]:
    """A bearer token per demo role."""
    with app.app_context():
        return {role: create_api_token(role) for role in ("agent", "specialist", "analyst")}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_question(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "text": "Mijn gastgezin wil weten of er een vergoeding is.",
        "channel": "telefoon",
        "caller_type": "inwoner",
        "municipality": "GM0402",
        "crisis": "oekraine",
        "answer": "Ja, via de gemeente.",
    }
    body.update(changes)
    return body


def count_questions(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Question.id))).scalar_one()


def test_a_question_is_created_and_read_back(client: FlaskClient, tokens: dict[str, str]) -> None:
    created = client.post("/api/v1/questions", json=new_question(), headers=bearer(tokens["agent"]))

    assert created.status_code == 201
    record = created.get_json()
    assert record["reference"].startswith("KCC-") and record["status"] == "beantwoord"
    assert record["municipality"] == "GM0402" and record["crisis"] == "oekraine"
    assert {"id", "topic", "sentiment", "needs_review"} <= set(record)
    read = client.get(created.headers["Location"], headers=bearer(tokens["specialist"]))
    assert read.status_code == 200 and read.get_json()["id"] == record["id"]


def test_nul_characters_and_unknown_codes_are_refused_clearly(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    body = new_question(text="NUL\u0000", municipality="GM\u00000402", crisis="x\u0000")

    response = client.post("/api/v1/questions", json=body, headers=bearer(tokens["agent"]))

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) >= {"text", "municipality", "crisis"}
    assert count_questions(app) == 0


def test_invalid_input_lists_every_field_and_stores_nothing(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/questions",
        json=new_question(
            text="",
            channel="fax",
            municipality="GM9999",
            escalate=True,
            contact={"phone": "12", "email": "geen"},
        ),
        headers=bearer(tokens["agent"]),
    )

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) >= {"text", "channel", "municipality", "contact.phone", "contact.email"}
    assert "CBS-code" in errors["municipality"][0]
    assert count_questions(app) == 0


@pytest.mark.parametrize(
    "body",
    [[1, 2], "tekst", {"text": 5}, {"escalate": "ja"}, {"contact": "06-12345678"}, None],
    ids=["list", "string", "number-text", "string-flag", "string-contact", "null"],
)
def test_a_body_of_the_wrong_shape_is_a_400(
    client: FlaskClient, tokens: dict[str, str], body: object
) -> None:
    response = client.post("/api/v1/questions", json=body, headers=bearer(tokens["agent"]))

    assert response.status_code == 400
    assert response.get_json()["errors"]


def test_a_broken_json_body_is_a_400(client: FlaskClient, tokens: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/questions",
        data="{kapot",
        headers={**bearer(tokens["agent"]), "Content-Type": "application/json"},
    )

    assert response.status_code == 400


def test_an_idempotency_key_makes_a_retry_safe(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    headers = {**bearer(tokens["agent"]), "Idempotency-Key": "call-42"}

    first = client.post("/api/v1/questions", json=new_question(), headers=headers)
    again = client.post("/api/v1/questions", json=new_question(), headers=headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert count_questions(app) == 1


def test_tokens_and_roles_are_checked(client: FlaskClient, tokens: dict[str, str]) -> None:
    assert client.get("/api/v1/crises").status_code == 401
    assert client.get("/api/v1/crises", headers=bearer("kcc_niet-echt")).status_code == 401
    analyst = client.post(
        "/api/v1/questions", json=new_question(), headers=bearer(tokens["analyst"])
    )
    assert analyst.status_code == 403
    assert client.get("/api/v1/questions", headers=bearer(tokens["analyst"])).status_code == 403
    specialist = client.post(
        "/api/v1/questions", json=new_question(), headers=bearer(tokens["specialist"])
    )
    assert specialist.status_code == 403


def test_a_browser_session_does_not_authorise_the_api(client: FlaskClient, demo: None) -> None:
    AuthActions(client).login("agent")

    assert client.post("/api/v1/questions", json=new_question()).status_code == 401


def test_an_escalation_keeps_the_contact_details(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    body = new_question(
        text="Bel mij terug op 06-12345678",
        answer="",
        escalate=True,
        contact={"name": "Iryna", "phone": "06-12345678"},
    )
    created = client.post("/api/v1/questions", json=body, headers=bearer(tokens["agent"]))
    assert created.status_code == 201
    assert created.get_json()["contact"]["phone"] == "06-12345678"
    assert created.get_json()["status"] == "doorgezet"


def test_the_list_filters_and_pages(client: FlaskClient, tokens: dict[str, str]) -> None:
    headers = bearer(tokens["agent"])
    for text in ("Leefgeld niet ontvangen", "Leefgeld te laag", "Waar is de opvang?"):
        client.post("/api/v1/questions", json=new_question(text=text), headers=headers)
    client.post(
        "/api/v1/questions",
        json=new_question(text="Leefgeld in Huizen", municipality="GM0406"),
        headers=headers,
    )

    page = client.get("/api/v1/questions?q=leefgeld&municipality=GM0402", headers=headers)
    everything = client.get("/api/v1/questions?crisis=oekraine", headers=headers).get_json()

    assert page.status_code == 200
    assert page.get_json()["total"] == 2
    assert [item["text"] for item in page.get_json()["items"]] == [
        "Leefgeld te laag",
        "Leefgeld niet ontvangen",
    ]
    assert everything["total"] == 4 and everything["page"] == 1
    assert client.get("/api/v1/questions?crisis=bestaat-niet", headers=headers).status_code == 400
    assert client.get("/api/v1/questions?page=0", headers=headers).status_code == 400
    assert client.get("/api/v1/questions?crisis=%00&q=%00", headers=headers).status_code == 400
    assert client.get("/api/v1/questions/999999", headers=headers).status_code == 404


def test_reference_lists(client: FlaskClient, tokens: dict[str, str]) -> None:
    municipalities = client.get(
        "/api/v1/municipalities", headers=bearer(tokens["agent"])
    ).get_json()
    crises = client.get("/api/v1/crises", headers=bearer(tokens["agent"])).get_json()

    assert {"cbs_code": "GM0402", "name": "Hilversum", "active": True} in municipalities
    oekraine = next(c for c in crises if c["code"] == "oekraine")
    assert "leefgeld" in {topic["code"] for topic in oekraine["topics"]}


def test_the_stored_record_carries_the_classifiers_labels(
    client: FlaskClient, tokens: dict[str, str], active_models: None
) -> None:
    body = new_question(text="mw belt ivm leefgeld, nog niks ontvangen, boos", answer="")

    record = client.post("/api/v1/questions", json=body, headers=bearer(tokens["agent"])).get_json()

    assert (record["topic"], record["sentiment"]) == ("leefgeld", "negatief")
    assert record["topic_confidence"] > 0.5 and record["needs_review"] is False


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {
            "text": "Bel mij terug op 06-12345678",
            "answer": "",
            "escalate": True,
            "contact": {"name": "Iryna", "phone": "06-12345678"},
        },
    ],
    ids=["answered", "escalated"],
)
def test_the_answer_to_a_registration_is_what_reading_it_back_shows(
    client: FlaskClient, tokens: dict[str, str], changes: dict[str, object]
) -> None:
    # The answer is built from what was just stored, without reading it back: it must not
    # differ from the stored record in any field.
    created = client.post(
        "/api/v1/questions", json=new_question(**changes), headers=bearer(tokens["agent"])
    )
    read = client.get(created.headers["Location"], headers=bearer(tokens["agent"]))

    assert created.status_code == 201 and read.status_code == 200
    assert created.get_json() == read.get_json()


def test_a_disabled_user_s_token_stops_working_at_once(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    # Token checks are kept for a second per process; a change made here must count at once,
    # also when it is an UPDATE statement rather than a changed object.
    for _ in range(2):  # the second call is answered from the copy the first one made
        assert client.get("/api/v1/crises", headers=bearer(tokens["agent"])).status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.username == "agent").values(is_enabled=False))
        db.session.commit()

    assert client.get("/api/v1/crises", headers=bearer(tokens["agent"])).status_code == 401


def test_a_switched_off_municipality_is_refused_at_once_but_a_retry_keeps_its_record(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    headers = {**bearer(tokens["agent"]), "Idempotency-Key": "call-7"}
    first = client.post("/api/v1/questions", json=new_question(), headers=headers)
    with app.app_context():
        municipality = db.session.execute(
            select(Municipality).where(Municipality.cbs_code == "GM0402")
        ).scalar_one()
        municipality.is_active = False
        db.session.commit()

    retry = client.post("/api/v1/questions", json=new_question(), headers=headers)
    another = client.post("/api/v1/questions", json=new_question(), headers=bearer(tokens["agent"]))

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert another.status_code == 422 and "municipality" in another.get_json()["errors"]
    assert count_questions(app) == 1
