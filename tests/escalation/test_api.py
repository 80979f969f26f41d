"""API v1 for escalations through HTTP: real bearer tokens, database and SMTP servers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from kcc.auth.services import create_api_token
from tests.smtp_server import RejectingSmtpServer, SmtpServer, configure_mail

CALLER_EMAIL = "k.deboer@example.nl"
FINAL_ANSWER = "De opvanglocatie aan de Larenseweg opent op 1 maart."
# The demo users' full names ("Demo " + the role's Dutch label).
COORDINATOR_NAME = "Demo Coördinator"


@pytest.fixture
def tokens(app: Flask, demo: None) -> dict[str, str]:
    """A bearer token per demo role that takes part in escalations."""
    with app.app_context():
        return {role: create_api_token(role) for role in ("agent", "coordinator", "specialist")}


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for an API token."""
    return {"Authorization": f"Bearer {token}"}


def new_question(**changes: object) -> dict[str, object]:
    """A question as a telephony system would register it, answered on the spot."""
    body: dict[str, object] = {
        "text": "Wanneer gaat de nieuwe opvanglocatie in Hilversum open?",
        "channel": "telefoon",
        "caller_type": "inwoner",
        "municipality": "GM0402",
        "crisis": "oekraine",
        "answer": "Dat weten we nog niet.",
    }
    body.update(changes)
    return body


def escalated_question(**changes: object) -> dict[str, object]:
    """A question the agent could not answer, with a way to reach the caller."""
    return new_question(
        answer="",
        escalate=True,
        contact={"name": "K. de Boer", "phone": "06-12345678", "email": CALLER_EMAIL},
        **changes,
    )


def post(client: FlaskClient, token: str, path: str, body: object | None = None) -> TestResponse:
    """POST a JSON body to an API v1 path with a bearer token."""
    return client.post(f"/api/v1{path}", json={} if body is None else body, headers=bearer(token))


def get(client: FlaskClient, token: str, path: str) -> TestResponse:
    """GET an API v1 path with a bearer token."""
    return client.get(f"/api/v1{path}", headers=bearer(token))


def register(client: FlaskClient, token: str, body: dict[str, object]) -> int:
    """Register a question through the API and return its id."""
    created = post(client, token, "/questions", body)
    assert created.status_code == 201, created.get_json()
    return int(created.get_json()["id"])


def read_timeline(client: FlaskClient, token: str, question_id: int) -> dict[str, Any]:
    """The escalation's state and timeline, as someone allowed to see it."""
    response = get(client, token, f"/questions/{question_id}/timeline")
    assert response.status_code == 200, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def route_to(client: FlaskClient, token: str, question_id: int, department: str) -> None:
    """Assign the question's item to a department by name (a step before what is tested)."""
    routed = post(client, token, f"/questions/{question_id}/assign", {"department": department})
    assert routed.status_code == 200


def first_error(response: TestResponse, field: str) -> str:
    """The first message the API gives for a field."""
    messages: list[str] = response.get_json()["errors"][field]
    return messages[0]


def all_messages(response: TestResponse) -> list[str]:
    """Every error message of a response, whatever field it is about."""
    errors: dict[str, list[str]] = response.get_json()["errors"]
    return [message for messages in errors.values() for message in messages]


@pytest.fixture
def question_id(client: FlaskClient, tokens: dict[str, str]) -> int:
    """An escalated question the agent registered; its item is new and has no owner."""
    return register(client, tokens["agent"], escalated_question())


@pytest.fixture
def in_treatment(client: FlaskClient, tokens: dict[str, str], question_id: int) -> int:
    """The escalated question, claimed by the coordinator and in treatment."""
    coordinator = tokens["coordinator"]
    assert post(client, coordinator, f"/questions/{question_id}/claim").status_code == 200
    started = post(
        client, coordinator, f"/questions/{question_id}/transition", {"state": "in_behandeling"}
    )
    assert started.status_code == 200, started.get_json()
    return question_id


# Opening an escalation


def test_registering_with_escalation_opens_a_new_item_with_a_deadline(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    data = read_timeline(client, tokens["coordinator"], question_id)

    item = data["escalation"]
    assert item["question_id"] == question_id and item["reference"].startswith("KCC-")
    assert (item["state"], item["is_open"], item["assignee"]) == ("nieuw", True, None)
    assert item["priority"] == "normaal"
    assert datetime.fromisoformat(item["deadline"]) > datetime.fromisoformat(item["created_at"])
    [step] = data["timeline"]
    assert (step["type"], step["kind"], step["to_state"]) == ("step", "doorgezet", "nieuw")
    assert step["user"]["username"] == "agent"


def test_a_press_question_becomes_urgent_and_says_why(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    press = register(client, tokens["agent"], escalated_question(caller_type="pers"))

    item = read_timeline(client, tokens["coordinator"], press)["escalation"]

    assert item["priority"] == "spoed"
    assert "pers" in item["priority_reason"]
    assert item["response_hours"] <= 4


def test_a_question_registered_without_escalation_can_be_escalated_later(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    answered = register(client, tokens["agent"], new_question())

    response = post(
        client,
        tokens["agent"],
        f"/questions/{answered}/escalate",
        {"reason": "Beller wil het zeker weten.", "contact": {"phone": "035-1234567"}},
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["question_id"] == answered
    assert response.get_json()["state"] == "nieuw"
    question = get(client, tokens["agent"], f"/questions/{answered}").get_json()
    assert (question["escalate"], question["status"]) == (True, "doorgezet")
    assert question["contact"]["phone"] == "035-1234567"


def test_escalating_without_contact_details_is_refused_in_dutch(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    answered = register(client, tokens["agent"], new_question())

    refused = post(client, tokens["agent"], f"/questions/{answered}/escalate", {})

    assert refused.status_code == 422
    # Which key carries it is checked in test_contact_errors_use_the_api_field_names.
    assert any("telefoonnummer" in message for message in all_messages(refused))
    # Nothing was half stored: the question is not escalated and can still be.
    assert get(client, tokens["coordinator"], f"/questions/{answered}/timeline").status_code == 404
    assert get(client, tokens["agent"], f"/questions/{answered}").get_json()["escalate"] is False
    retried = post(
        client,
        tokens["agent"],
        f"/questions/{answered}/escalate",
        {"contact": {"email": CALLER_EMAIL}},
    )
    assert retried.status_code == 201


def test_contact_errors_use_the_api_field_names(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    # docs/decisions.md: API errors name contact fields contact.phone etc., as POST /questions
    # does; a client shows the message next to the field it sent.
    answered = register(client, tokens["agent"], new_question())

    refused = post(
        client,
        tokens["agent"],
        f"/questions/{answered}/escalate",
        {"contact": {"phone": "12", "email": "geen"}},
    )

    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"contact.phone", "contact.email"}


def test_a_question_is_escalated_only_once(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    again = post(client, tokens["coordinator"], f"/questions/{question_id}/escalate", {})

    assert again.status_code == 409
    assert "al doorgezet" in first_error(again, "")
    assert len(read_timeline(client, tokens["coordinator"], question_id)["timeline"]) == 1


def test_a_specialist_may_not_escalate(client: FlaskClient, tokens: dict[str, str]) -> None:
    answered = register(client, tokens["agent"], new_question())

    response = post(
        client,
        tokens["specialist"],
        f"/questions/{answered}/escalate",
        {"contact": {"phone": "06-12345678"}},
    )

    assert response.status_code == 403
    assert get(client, tokens["coordinator"], f"/questions/{answered}/timeline").status_code == 404


# Claiming


def test_the_coordinator_claims_a_new_item(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    response = post(client, tokens["coordinator"], f"/questions/{question_id}/claim")

    assert response.status_code == 200
    item = response.get_json()
    assert item["assignee"]["username"] == "coordinator"
    assert item["state"] == "toegewezen"
    last = read_timeline(client, tokens["coordinator"], question_id)["timeline"][-1]
    assert (last["kind"], last["from_state"], last["to_state"]) == (
        "opgepakt",
        "nieuw",
        "toegewezen",
    )


def test_a_second_claim_names_who_has_the_item(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    # Routed to the specialist's own department, so only the first claim stands in the way.
    route_to(client, tokens["coordinator"], question_id, "Publiekszaken")
    assert post(client, tokens["coordinator"], f"/questions/{question_id}/claim").status_code == 200

    second = post(client, tokens["specialist"], f"/questions/{question_id}/claim")

    assert second.status_code == 409
    assert first_error(second, "") == f"Deze vraag is al opgepakt door {COORDINATOR_NAME}."
    item = read_timeline(client, tokens["coordinator"], question_id)["escalation"]
    assert item["assignee"]["username"] == "coordinator"


def test_a_specialist_cannot_claim_another_departments_item(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    # The demo specialist works at Publiekszaken.
    route_to(client, tokens["coordinator"], question_id, "Werk en Inkomen")

    response = post(client, tokens["specialist"], f"/questions/{question_id}/claim")

    assert response.status_code == 403
    assert "afdeling" in first_error(response, "")
    assert (
        read_timeline(client, tokens["coordinator"], question_id)["escalation"]["assignee"] is None
    )


def test_a_claim_based_on_an_outdated_version_is_refused(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    coordinator = tokens["coordinator"]
    seen = read_timeline(client, coordinator, question_id)["escalation"]["version"]
    routed = post(
        client, coordinator, f"/questions/{question_id}/assign", {"department": "Publiekszaken"}
    )
    assert routed.status_code == 200

    stale = post(client, tokens["specialist"], f"/questions/{question_id}/claim", {"version": seen})
    current = post(
        client,
        tokens["specialist"],
        f"/questions/{question_id}/claim",
        {"version": routed.get_json()["version"]},
    )

    assert stale.status_code == 409
    assert "Iemand anders heeft deze vraag net gewijzigd" in first_error(stale, "")
    assert current.status_code == 200
    assert current.get_json()["assignee"]["username"] == "specialist"


# Assigning


def test_the_coordinator_assigns_to_a_department_by_name(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    response = post(
        client,
        tokens["coordinator"],
        f"/questions/{question_id}/assign",
        {"department": "Werk en Inkomen"},
    )

    assert response.status_code == 200
    item = response.get_json()
    assert (item["state"], item["department"]["name"], item["assignee"]) == (
        "toegewezen",
        "Werk en Inkomen",
        None,
    )


def test_the_coordinator_assigns_to_a_specialist_by_username(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    hidden = get(client, tokens["specialist"], f"/questions/{question_id}/timeline")

    response = post(
        client, tokens["coordinator"], f"/questions/{question_id}/assign", {"user": "specialist"}
    )

    assert response.status_code == 200
    item = response.get_json()
    assert item["state"] == "toegewezen"
    assert item["assignee"]["username"] == "specialist"
    assert item["department"]["name"] == "Publiekszaken"
    # The item was not the specialist's department's; now it is theirs to see.
    assert hidden.status_code == 403
    assert (
        read_timeline(client, tokens["specialist"], question_id)["escalation"]["id"] == item["id"]
    )


def test_assigning_to_an_unknown_department_is_refused(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    response = post(
        client,
        tokens["coordinator"],
        f"/questions/{question_id}/assign",
        {"department": "Afdeling Bestaat Niet"},
    )

    assert response.status_code == 422
    assert first_error(response, "department") == "Onbekende afdeling."
    assert (
        read_timeline(client, tokens["coordinator"], question_id)["escalation"]["state"] == "nieuw"
    )


def test_assignment_errors_use_the_api_field_names(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    # The request says "user" and "department" (AssignRequest in openapi.json); an error about
    # what the client sent must carry the same name.
    path = f"/questions/{question_id}/assign"

    not_a_specialist = post(client, tokens["coordinator"], path, {"user": "agent"})
    unknown_department = post(client, tokens["coordinator"], path, {"department": 999999})

    assert (not_a_specialist.status_code, unknown_department.status_code) == (422, 422)
    assert (
        set(not_a_specialist.get_json()["errors"]),
        set(unknown_department.get_json()["errors"]),
    ) == ({"user"}, {"department"})


def test_a_specialist_may_not_assign(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    response = post(
        client, tokens["specialist"], f"/questions/{question_id}/assign", {"user": "specialist"}
    )

    assert response.status_code == 403
    item = read_timeline(client, tokens["coordinator"], question_id)["escalation"]
    assert (item["state"], item["assignee"]) == ("nieuw", None)


# Changing state


def test_an_item_moves_only_along_the_allowed_states(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    coordinator = tokens["coordinator"]
    transition = f"/questions/{question_id}/transition"

    jump = post(client, coordinator, transition, {"state": "beantwoord"})
    claimed = post(client, coordinator, f"/questions/{question_id}/claim")
    started = post(client, coordinator, transition, {"state": "in_behandeling"})

    assert jump.status_code == 409
    assert first_error(jump, "") == "Van 'Nieuw' kan een vraag niet naar 'Beantwoord'."
    assert claimed.status_code == 200 and claimed.get_json()["state"] == "toegewezen"
    assert started.status_code == 200
    assert started.get_json()["state"] == "in_behandeling"
    moves = [
        (entry["from_state"], entry["to_state"])
        for entry in read_timeline(client, coordinator, question_id)["timeline"]
    ]
    assert moves == [(None, "nieuw"), ("nieuw", "toegewezen"), ("toegewezen", "in_behandeling")]


def test_waiting_for_the_caller_needs_a_note(
    client: FlaskClient, tokens: dict[str, str], in_treatment: int
) -> None:
    path = f"/questions/{in_treatment}/transition"

    without_note = post(client, tokens["coordinator"], path, {"state": "wacht_op_burger"})
    with_note = post(
        client,
        tokens["coordinator"],
        path,
        {"state": "wacht_op_burger", "note": "Beller stuurt de beschikking na."},
    )

    assert without_note.status_code == 422
    assert "reden" in first_error(without_note, "note")
    assert with_note.status_code == 200
    assert with_note.get_json()["state"] == "wacht_op_burger"
    last = read_timeline(client, tokens["coordinator"], in_treatment)["timeline"][-1]
    assert "Beller stuurt de beschikking na." in last["detail"]


def test_an_item_is_not_answered_without_a_final_answer(
    client: FlaskClient, tokens: dict[str, str], in_treatment: int
) -> None:
    response = post(
        client,
        tokens["coordinator"],
        f"/questions/{in_treatment}/transition",
        {"state": "beantwoord"},
    )

    assert response.status_code == 409
    assert "antwoord" in first_error(response, "")
    state = read_timeline(client, tokens["coordinator"], in_treatment)["escalation"]["state"]
    assert state == "in_behandeling"


def test_an_item_is_answered_closed_and_reopened(
    client: FlaskClient, tokens: dict[str, str], in_treatment: int
) -> None:
    coordinator = tokens["coordinator"]
    transition = f"/questions/{in_treatment}/transition"

    answer = post(
        client,
        coordinator,
        f"/questions/{in_treatment}/followups",
        {"kind": "antwoord", "body": FINAL_ANSWER},
    )
    answered = post(client, coordinator, transition, {"state": "beantwoord"})
    closed = post(client, coordinator, transition, {"state": "afgesloten"})
    reopen_without_reason = post(client, coordinator, transition, {"state": "in_behandeling"})
    reopened = post(
        client,
        coordinator,
        transition,
        {"state": "in_behandeling", "note": "Beller belt terug: de datum klopt niet."},
    )

    assert answer.status_code == 201 and answer.get_json()["kind"] == "antwoord"
    assert answered.status_code == 200
    assert answered.get_json()["final_answer"] == FINAL_ANSWER
    assert answered.get_json()["answered_at"] is not None
    assert closed.status_code == 200
    assert closed.get_json()["state"] == "afgesloten"
    assert closed.get_json()["is_open"] is False and closed.get_json()["closed_at"] is not None
    assert reopen_without_reason.status_code == 422
    assert reopened.status_code == 200
    item = reopened.get_json()
    assert (item["state"], item["is_open"], item["closed_at"]) == ("in_behandeling", True, None)
    moves = [
        (entry["from_state"], entry["to_state"])
        for entry in read_timeline(client, coordinator, in_treatment)["timeline"]
        if entry["type"] == "step" and entry["kind"] == "status"
    ]
    assert moves == [
        ("toegewezen", "in_behandeling"),
        ("in_behandeling", "beantwoord"),
        ("beantwoord", "afgesloten"),
        ("afgesloten", "in_behandeling"),
    ]


def test_the_final_answer_is_stored_on_the_question(
    client: FlaskClient, tokens: dict[str, str], in_treatment: int
) -> None:
    recorded = post(
        client,
        tokens["coordinator"],
        f"/questions/{in_treatment}/followups",
        {"kind": "antwoord", "body": FINAL_ANSWER},
    )

    assert recorded.status_code == 201
    question = get(client, tokens["agent"], f"/questions/{in_treatment}").get_json()
    assert question["answer"] == FINAL_ANSWER


# Follow-up


def test_call_attempts_and_notes_are_logged(
    client: FlaskClient, tokens: dict[str, str], in_treatment: int
) -> None:
    path = f"/questions/{in_treatment}/followups"

    call = post(
        client,
        tokens["coordinator"],
        path,
        {"kind": "telefoon", "outcome": "voicemail", "body": "Ingesproken: bel ons terug."},
    )
    call_without_outcome = post(client, tokens["coordinator"], path, {"kind": "telefoon"})
    note = post(
        client,
        tokens["coordinator"],
        path,
        {"kind": "notitie", "body": "Navragen bij Opvang en Huisvesting."},
    )

    assert call.status_code == 201
    assert (call.get_json()["kind"], call.get_json()["outcome"]) == ("telefoon", "voicemail")
    assert call.get_json()["user"]["username"] == "coordinator"
    assert call_without_outcome.status_code == 422
    assert "uitkomst" in first_error(call_without_outcome, "outcome")
    assert note.status_code == 201
    assert note.get_json()["body"] == "Navragen bij Opvang en Huisvesting."
    logged = [
        entry["kind"]
        for entry in read_timeline(client, tokens["coordinator"], in_treatment)["timeline"]
        if entry["type"] == "follow_up"
    ]
    assert logged == ["telefoon", "notitie"]


def test_an_email_reaches_the_caller_through_the_mail_server(
    app: Flask,
    client: FlaskClient,
    tokens: dict[str, str],
    in_treatment: int,
    smtp_server: SmtpServer,
) -> None:
    configure_mail(app, smtp_server)
    reference = read_timeline(client, tokens["coordinator"], in_treatment)["escalation"][
        "reference"
    ]

    response = post(
        client, tokens["coordinator"], f"/questions/{in_treatment}/followups", {"kind": "e-mail"}
    )

    assert response.status_code == 201, response.get_json()
    sent = response.get_json()
    assert (sent["delivery_status"], sent["delivery_error"], sent["attempts"]) == (
        "verzonden",
        None,
        1,
    )
    [message] = smtp_server.wait_for(1)
    assert reference.startswith("KCC-") and reference in message["Subject"]
    assert message["To"] == CALLER_EMAIL
    assert message["Message-ID"] == sent["message_id"]


def test_a_refused_email_is_logged_as_failed_with_the_servers_reason(
    app: Flask,
    client: FlaskClient,
    tokens: dict[str, str],
    in_treatment: int,
    rejecting_smtp_server: RejectingSmtpServer,
) -> None:
    configure_mail(app, rejecting_smtp_server)

    response = post(
        client, tokens["coordinator"], f"/questions/{in_treatment}/followups", {"kind": "e-mail"}
    )

    assert response.status_code == 201, response.get_json()
    failed = response.get_json()
    assert failed["delivery_status"] == "mislukt"
    assert "554" in failed["delivery_error"]
    assert rejecting_smtp_server.messages == []
    [logged] = [
        entry
        for entry in read_timeline(client, tokens["coordinator"], in_treatment)["timeline"]
        if entry["type"] == "follow_up"
    ]
    assert (logged["kind"], logged["email_to"], logged["delivery_status"]) == (
        "e-mail",
        CALLER_EMAIL,
        "mislukt",
    )


# Timeline


def test_the_timeline_lists_steps_and_follow_ups_oldest_first(
    client: FlaskClient, tokens: dict[str, str], in_treatment: int
) -> None:
    coordinator = tokens["coordinator"]
    followups = f"/questions/{in_treatment}/followups"
    post(client, coordinator, followups, {"kind": "telefoon", "outcome": "niet_bereikt"})
    post(
        client,
        coordinator,
        f"/questions/{in_treatment}/transition",
        {"state": "wacht_op_burger", "note": "Geen gehoor; sms gestuurd."},
    )
    post(client, coordinator, followups, {"kind": "notitie", "body": "Beller belde terug."})

    entries = read_timeline(client, coordinator, in_treatment)["timeline"]

    assert [(entry["type"], entry["kind"]) for entry in entries] == [
        ("step", "doorgezet"),
        ("step", "opgepakt"),
        ("step", "status"),
        ("follow_up", "telefoon"),
        ("step", "status"),
        ("follow_up", "notitie"),
    ]
    moments = [datetime.fromisoformat(entry["at"]) for entry in entries]
    assert moments == sorted(moments)


def test_a_specialist_of_another_department_may_not_read_the_timeline(
    client: FlaskClient, tokens: dict[str, str], question_id: int
) -> None:
    route_to(client, tokens["coordinator"], question_id, "Werk en Inkomen")

    response = get(client, tokens["specialist"], f"/questions/{question_id}/timeline")

    assert response.status_code == 403
    assert "timeline" not in response.get_json()


def test_the_timeline_of_a_missing_or_unescalated_question_is_not_found(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    answered = register(client, tokens["agent"], new_question())

    unknown = get(client, tokens["coordinator"], "/questions/999999/timeline")
    never_escalated = get(client, tokens["coordinator"], f"/questions/{answered}/timeline")

    assert unknown.status_code == 404
    assert never_escalated.status_code == 404
    assert first_error(never_escalated, "") == "Deze vraag is niet doorgezet."
