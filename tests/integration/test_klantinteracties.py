"""Klantinteracties: documents that validate against our schema (Klantinteracties API 0.1.2),
the push to a real local HTTP server standing in for Open Klant, its retries, the CLI, the
API and the admin screen."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from kcc.auth.models import User
from kcc.auth.services import create_api_token
from kcc.escalation.models import Escalation
from kcc.extensions import db, utcnow
from kcc.governance.models import AuditEvent
from kcc.intake.models import Question
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.integration import klantinteracties, push
from kcc.integration.models import KlantinteractiesPush
from kcc.reference.models import Crisis, Municipality, Topic
from tests.helpers import AuthActions
from tests.integration.open_klant_server import TOKEN, OpenKlantServer
from tests.test_architecture import imported_modules, is_flask

NOW = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
ANSWER = "U krijgt het leefgeld binnen vijf werkdagen op uw rekening."
RETRY_TOKEN = re.compile(r'name="retry-csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Demo:
    """Ids of the demo records the tests register questions against."""

    municipality: int
    crisis: int
    topic: int
    agent: int


@pytest.fixture
def ids(app: Flask, demo: None) -> Demo:
    """The demo municipality, crisis and topic (leefgeld) and the agent."""
    with app.app_context():
        crisis = db.session.execute(select(Crisis).where(Crisis.code == "oekraine")).scalar_one()
        topic = db.session.execute(
            select(Topic).where(Topic.crisis_id == crisis.id, Topic.code == "leefgeld")
        ).scalar_one()
        municipality = db.session.execute(
            select(Municipality).where(Municipality.name == "Hilversum")
        ).scalar_one()
        agent = db.session.execute(select(User).where(User.username == "agent")).scalar_one()
        return Demo(municipality.id, crisis.id, topic.id, agent.id)


def register(
    app: Flask,
    ids: Demo,
    *,
    text: str = "Wanneer krijg ik mijn leefgeld?",
    answer: str = "",
    escalate: bool = False,
    contact: ContactInput | None = None,
    reason: str = "",
) -> int:
    """Register a question as the agent did and return its id."""
    with app.app_context():
        question = register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=ids.municipality,
                crisis_id=ids.crisis,
                text=text,
                answer=answer,
                escalate=escalate,
                contact=contact,
                topic_id=ids.topic,
                sentiment="negatief",
                received_at=NOW,
                escalation_reason=reason,
            ),
            user_id=ids.agent,
            now=NOW,
        ).question
        return question.id


CALLER = ContactInput(name="K. de Boer", phone="06-12345678", email="k.deboer@example.nl")


def exported(app: Flask, question_id: int, *, include_personal_data: bool = True) -> dict:
    """The export bundle of one question."""
    with app.app_context():
        question = db.session.get(Question, question_id)
        return klantinteracties.export_question(
            question, include_personal_data=include_personal_data
        )


# The documents and the schema.


def test_the_mapping_module_does_not_import_flask() -> None:
    source = Path(klantinteracties.__file__)

    assert not [module for module in imported_modules(source) if is_flask(module)]


def test_an_answered_question_is_a_valid_klantcontact_without_betrokkene(
    app: Flask, ids: Demo
) -> None:
    bundle = exported(app, register(app, ids, answer=ANSWER))

    assert klantinteracties.export_errors(bundle) == []
    klantcontact = bundle["maakKlantcontact"]["klantcontact"]
    assert klantcontact["kanaal"] == "telefoon"
    assert klantcontact["onderwerp"].endswith(": Leefgeld")
    assert klantcontact["inhoud"] == f"Vraag: Wanneer krijg ik mijn leefgeld?\n\nAntwoord: {ANSWER}"
    assert klantcontact["taal"] == "nld"
    assert klantcontact["indicatieContactGelukt"] is True
    assert datetime.fromisoformat(klantcontact["plaatsgevondenOp"]) == NOW
    assert "betrokkene" not in bundle["maakKlantcontact"]
    assert bundle["digitaleAdressen"] == [] and bundle["interneTaak"] is None
    assert bundle["metadata"]["sentiment"] == "negatief"
    assert bundle["metadata"]["onderwerp"]["code"] == "leefgeld"
    assert bundle["specificatie"]["versie"] == "0.1.2"


def test_an_escalated_question_with_contact_details_has_every_document(
    app: Flask, ids: Demo
) -> None:
    question_id = register(
        app, ids, escalate=True, contact=CALLER, reason="Terugbellen over de uitbetaling"
    )

    bundle = exported(app, question_id)

    assert klantinteracties.export_errors(bundle) == []
    betrokkene = bundle["maakKlantcontact"]["betrokkene"]
    assert betrokkene == {
        "rol": "klant",
        "initiator": True,
        "contactnaam": {"voorletters": "K.", "voorvoegselAchternaam": "de", "achternaam": "Boer"},
    }
    addresses = {a["soortDigitaalAdres"]: a for a in bundle["digitaleAdressen"]}
    assert addresses["telefoonnummer"]["adres"] == "0612345678"
    assert addresses["email"]["adres"] == "k.deboer@example.nl"
    local = bundle["lokaleVerwijzingen"]
    assert addresses["email"]["verstrektDoorBetrokkene"] == {"uuid": local["betrokkene"]}
    task = bundle["interneTaak"]
    assert task["status"] == "te_verwerken"
    assert task["gevraagdeHandeling"] == "Terugbellen over de uitbetaling"
    assert task["aanleidinggevendKlantcontact"] == {"uuid": local["klantcontact"]}
    assert "toegewezenAanActoren" not in task


def test_without_the_right_to_see_personal_data_the_text_is_masked_and_no_one_is_named(
    app: Flask, ids: Demo
) -> None:
    question_id = register(
        app,
        ids,
        text="Bel mij terug op 06-87654321 over mijn leefgeld",
        escalate=True,
        contact=CALLER,
    )

    masked = exported(app, question_id, include_personal_data=False)
    real = exported(app, question_id, include_personal_data=True)

    assert klantinteracties.export_errors(masked) == []
    assert "87654321" not in json.dumps(masked)
    assert "betrokkene" not in masked["maakKlantcontact"] and masked["digitaleAdressen"] == []
    assert masked["maakKlantcontact"]["klantcontact"]["vertrouwelijk"] is False
    assert "06-87654321" in real["maakKlantcontact"]["klantcontact"]["inhoud"]
    assert real["maakKlantcontact"]["klantcontact"]["vertrouwelijk"] is True


def test_an_escalation_that_is_answered_is_a_finished_task(app: Flask, ids: Demo) -> None:
    question_id = register(app, ids, escalate=True, contact=CALLER)
    with app.app_context():
        question = db.session.get(Question, question_id)
        escalation = question.escalation
        # Only the mapping is under test: the state is set in memory, never stored.
        escalation.state = "beantwoord"
        escalation.answered_at = NOW + timedelta(hours=3)
        document = klantinteracties.interne_taak_document(
            escalation, "6f1d3c1e-5b7a-4a37-9a52-0d6c0e4b8f21", include_personal_data=True
        )
        db.session.rollback()

    assert document["status"] == "verwerkt"
    assert datetime.fromisoformat(document["afgehandeldOp"]) == NOW + timedelta(hours=3)
    assert klantinteracties.document_errors(document, "InterneTaak") == []


# One broken property per case, on the part it belongs to, and a fragment of the error.
BROKEN = [
    ("klantcontact", lambda d: d.update(kanaal="x" * 51), "kanaal: 'xxx"),
    ("klantcontact", lambda d: d.pop("onderwerp"), "'onderwerp' is a required property"),
    ("klantcontact", lambda d: d.update(reactie="niet in 0.1.2"), "reactie"),
    ("klantcontact", lambda d: d.update(plaatsgevondenOp="2 maart"), "date-time"),
    ("adres", lambda d: d.update(soortDigitaalAdres="fax"), "'fax' is not one of"),
    ("adres", lambda d: d.update(adres="06-1234"), "does not match"),
    ("taak", lambda d: d.update(status="open"), "'open' is not one of"),
    ("taak", lambda d: d.update(aanleidinggevendKlantcontact={"uuid": "geen-uuid"}), "uuid"),
]


def test_a_broken_document_fails_validation(app: Flask, ids: Demo) -> None:
    valid = exported(app, register(app, ids, escalate=True, contact=CALLER))

    for part, change, expected in BROKEN:
        bundle = copy.deepcopy(valid)
        target = {
            "klantcontact": bundle["maakKlantcontact"]["klantcontact"],
            "adres": next(
                a for a in bundle["digitaleAdressen"] if a["soortDigitaalAdres"] == "telefoonnummer"
            ),
            "taak": bundle["interneTaak"],
        }[part]
        change(target)

        errors = klantinteracties.export_errors(bundle)
        assert any(expected in error for error in errors), (expected, errors)
    assert klantinteracties.export_errors(valid) == []


def test_long_texts_are_cut_to_the_specifications_lengths(app: Flask, ids: Demo) -> None:
    question_id = register(app, ids, text="Lange vraag. " * 150, answer="Lang antwoord. " * 100)

    klantcontact = exported(app, question_id)["maakKlantcontact"]["klantcontact"]

    assert len(klantcontact["inhoud"]) <= 1000
    assert "Antwoord: Lang antwoord." in klantcontact["inhoud"]
    assert klantcontact["inhoud"].endswith("…")


# The push to a real HTTP server.


@pytest.fixture
def open_klant(app: Flask) -> Iterator[OpenKlantServer]:
    """A local Open Klant stand-in, configured as the app's Klantinteracties API."""
    server = OpenKlantServer().start()
    app.config.update(
        KLANTINTERACTIES_URL=server.base_url,
        KLANTINTERACTIES_TOKEN=TOKEN,
        KLANTINTERACTIES_TIMEOUT=5,
    )
    yield server
    server.stop()


def push_now(app: Flask, question_id: int, now: datetime = NOW) -> dict:
    """Push one question and return its log row's fields."""
    with app.app_context():
        row = push.push_question(question_id, now=now)
        return {
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "next_attempt_at": row.next_attempt_at,
            "klantcontact_url": row.klantcontact_url,
            "interne_taak_url": row.interne_taak_url,
        }


def test_a_push_creates_the_documents_in_order_and_links_them(
    app: Flask, ids: Demo, open_klant: OpenKlantServer
) -> None:
    question_id = register(app, ids, escalate=True, contact=CALLER, reason="Terugbellen")

    row = push_now(app, question_id)

    state = open_klant.state
    assert row["status"] == "verzonden" and row["attempts"] == 1 and row["last_error"] == ""
    assert [(r.method, r.path) for r in state.requests if r.method != "GET"] == [
        ("POST", "/maak-klantcontact"),
        ("POST", "/digitaleadressen"),
        ("POST", "/digitaleadressen"),
        ("POST", "/internetaken"),
    ]
    assert {r.authorization for r in state.requests} == {f"Token {TOKEN}"}
    (klantcontact,) = state.documents["klantcontacten"].values()
    (betrokkene,) = state.documents["betrokkenen"].values()
    (task,) = state.documents["internetaken"].values()
    assert row["klantcontact_url"] == klantcontact["url"]
    assert row["interne_taak_url"] == task["url"]
    assert task["aanleidinggevendKlantcontact"] == {"uuid": klantcontact["uuid"]}
    assert {
        a["verstrektDoorBetrokkene"]["uuid"] for a in state.documents["digitaleadressen"].values()
    } == {betrokkene["uuid"]}
    for recorded in state.calls("POST", "/digitaleadressen"):
        assert klantinteracties.document_errors(recorded.body, "DigitaalAdres") == []
    sent_task = {key: value for key, value in task.items() if key not in {"uuid", "url"}}
    assert klantinteracties.document_errors(sent_task, "InterneTaak") == []
    with app.app_context():
        audit = db.session.execute(
            select(AuditEvent).where(AuditEvent.object_id == str(question_id))
        ).scalars()
        assert any("Open Klant" in event.detail for event in audit)


def test_a_server_error_is_retried_later_with_growing_pauses(
    app: Flask, ids: Demo, open_klant: OpenKlantServer
) -> None:
    question_id = register(app, ids, answer=ANSWER)
    open_klant.state.fail("POST", "/maak-klantcontact", 500, 503)

    first = push_now(app, question_id)
    with app.app_context():
        too_early = push.due_question_ids(now=NOW + timedelta(seconds=30))
        due = push.due_question_ids(now=NOW + timedelta(minutes=1))
        second = push.push_pending(now=NOW + timedelta(minutes=1))
        third = push.push_pending(now=NOW + timedelta(minutes=4))
        row = db.session.execute(select(KlantinteractiesPush)).scalar_one()

    assert first["status"] == "wachtend" and first["attempts"] == 1
    assert first["next_attempt_at"] == NOW + timedelta(minutes=1)
    assert "serverfout (500)" in first["last_error"]
    assert question_id not in too_early and question_id in due
    assert second == push.PushSummary(sent=0, waiting=1, failed=0)
    assert third == push.PushSummary(sent=1, waiting=0, failed=0)
    assert (row.status, row.attempts, row.last_error) == ("verzonden", 3, "")
    assert len(open_klant.state.calls("POST", "/maak-klantcontact")) == 3


def test_a_refusal_fails_at_once_with_open_klants_reason(
    app: Flask, ids: Demo, open_klant: OpenKlantServer
) -> None:
    question_id = register(app, ids, answer=ANSWER)
    open_klant.state.fail("POST", "/maak-klantcontact", 400)

    row = push_now(app, question_id)

    assert row["status"] == "mislukt" and row["next_attempt_at"] is None
    assert (
        "weigerde het klantcontact aanmaken (400): kanaal: Geplande weigering." in row["last_error"]
    )
    with app.app_context():
        assert question_id not in push.due_question_ids(now=NOW + timedelta(days=1))


def test_after_the_last_attempt_a_person_has_to_look(
    app: Flask, ids: Demo, open_klant: OpenKlantServer
) -> None:
    question_id = register(app, ids, answer=ANSWER)
    open_klant.state.fail("POST", "/maak-klantcontact", *[500] * push.MAX_ATTEMPTS)

    moment = NOW
    for _ in range(push.MAX_ATTEMPTS):
        row = push_now(app, question_id, moment)
        moment = row["next_attempt_at"] or moment

    assert row["status"] == "mislukt" and row["attempts"] == push.MAX_ATTEMPTS
    assert f"Gestopt na {push.MAX_ATTEMPTS} pogingen" in row["last_error"]


def test_an_unreachable_open_klant_is_retried(app: Flask, ids: Demo) -> None:
    server = OpenKlantServer()
    base_url = server.base_url
    server.httpd.server_close()  # nothing listens on the port any more
    app.config.update(KLANTINTERACTIES_URL=base_url, KLANTINTERACTIES_TOKEN=TOKEN)

    row = push_now(app, register(app, ids, answer=ANSWER))

    assert row["status"] == "wachtend" and "niet bereikbaar" in row["last_error"]


def test_a_second_push_updates_and_adds_only_what_is_missing(
    app: Flask, ids: Demo, open_klant: OpenKlantServer
) -> None:
    question_id = register(app, ids, escalate=True, contact=CALLER)
    open_klant.state.fail("POST", "/internetaken", 500)

    first = push_now(app, question_id)
    second = push_now(app, question_id, NOW + timedelta(minutes=2))
    third = push_now(app, question_id, NOW + timedelta(minutes=3))

    state = open_klant.state
    assert first["status"] == "wachtend" and first["klantcontact_url"] is not None
    assert second["status"] == third["status"] == "verzonden"
    assert len(state.calls("POST", "/maak-klantcontact")) == 1
    assert len(state.documents["digitaleadressen"]) == 2
    assert len(state.documents["internetaken"]) == 1
    klantcontact_uuid = first["klantcontact_url"].rsplit("/", 1)[-1]
    assert len(state.calls("PATCH", f"/klantcontacten/{klantcontact_uuid}")) == 2
    task_uuid = third["interne_taak_url"].rsplit("/", 1)[-1]
    assert len(state.calls("PATCH", f"/internetaken/{task_uuid}")) == 1


def test_a_question_changed_after_its_push_is_due_again(
    app: Flask, ids: Demo, open_klant: OpenKlantServer
) -> None:
    question_id = register(app, ids, escalate=True, contact=CALLER)
    # Records carry the wall clock in updated_at, so the push does too here.
    pushed_at = utcnow()
    push_now(app, question_id, pushed_at)
    with app.app_context():
        assert question_id not in push.due_question_ids(now=pushed_at + timedelta(hours=1))
        escalation = db.session.execute(
            select(Escalation).where(Escalation.question_id == question_id)
        ).scalar_one()
        escalation.updated_at = pushed_at + timedelta(hours=2)
        db.session.commit()

        assert question_id in push.due_question_ids(now=pushed_at + timedelta(hours=3))


# CLI, API and the admin screen.


def test_the_cli_prints_the_export_and_pushes_pending_questions(
    app: Flask, ids: Demo, runner: FlaskCliRunner, open_klant: OpenKlantServer
) -> None:
    question_id = register(app, ids, escalate=True, contact=CALLER)

    masked = runner.invoke(args=["klantinteracties", "export", "--question", str(question_id)])
    real = runner.invoke(
        args=["klantinteracties", "export", "--question", str(question_id), "--personal-data"]
    )
    pushed = runner.invoke(args=["klantinteracties", "push", "--all-pending"])
    again = runner.invoke(args=["klantinteracties", "push", "--all-pending"])

    assert masked.exit_code == 0, masked.output
    assert "betrokkene" not in json.loads(masked.output)["maakKlantcontact"]
    assert json.loads(real.output)["maakKlantcontact"]["betrokkene"]["rol"] == "klant"
    assert klantinteracties.export_errors(json.loads(real.output)) == []
    assert pushed.output.strip() == "1 verzonden, 0 wachten op een nieuwe poging, 0 mislukt."
    assert again.output.strip() == "0 verzonden, 0 wachten op een nieuwe poging, 0 mislukt."


def test_the_cli_says_when_no_open_klant_is_configured(
    app: Flask, ids: Demo, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=["klantinteracties", "push", "--all-pending"])
    both = runner.invoke(args=["klantinteracties", "push"])

    assert result.exit_code != 0 and "KLANTINTERACTIES_URL" in result.output
    assert both.exit_code != 0 and "--all-pending" in both.output


def test_the_api_exports_with_personal_data_for_a_token_that_may_see_it(
    app: Flask, client: FlaskClient, ids: Demo
) -> None:
    question_id = register(app, ids, escalate=True, contact=CALLER)
    with app.app_context():
        agent_token = create_api_token("agent")
        analyst_token = create_api_token("analyst")
    url = f"/api/v1/questions/{question_id}/klantinteracties"

    response = client.get(url, headers={"Authorization": f"Bearer {agent_token}"})

    assert response.status_code == 200
    assert response.get_json()["maakKlantcontact"]["betrokkene"]["rol"] == "klant"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": f"Bearer {analyst_token}"}).status_code == 403
    missing = client.get(
        "/api/v1/questions/999999/klantinteracties",
        headers={"Authorization": f"Bearer {agent_token}"},
    )
    assert missing.status_code == 404


def test_the_admin_screen_lists_pushes_and_retries_a_failed_one(
    app: Flask, client: FlaskClient, auth: AuthActions, ids: Demo, open_klant: OpenKlantServer
) -> None:
    question_id = register(app, ids, answer=ANSWER)
    open_klant.state.fail("POST", "/maak-klantcontact", 400)
    push_now(app, question_id)
    auth.login("admin")

    page = client.get("/admin/integration/")
    html = page.get_data(as_text=True)
    token = RETRY_TOKEN.search(html)
    assert page.status_code == 200
    assert "Mislukt" in html and "Geplande weigering." in html
    assert token is not None
    with app.app_context():
        push_id = db.session.execute(select(KlantinteractiesPush.id)).scalar_one()
    client.post(f"/admin/integration/{push_id}/retry", data={})  # no form token: refused
    assert len(open_klant.state.calls("POST", "/maak-klantcontact")) == 1

    retried = client.post(
        f"/admin/integration/{push_id}/retry",
        data={"retry-csrf_token": token.group(1)},
        follow_redirects=True,
    )

    assert "naar Open Klant verstuurd" in retried.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(KlantinteractiesPush, push_id)
        assert (row.status, row.attempts) == ("verzonden", 1)


def test_only_the_administrator_sees_the_push_log(client: FlaskClient, auth: AuthActions) -> None:
    for role in ("agent", "coordinator", "specialist", "analyst"):
        auth.login(role)
        assert client.get("/admin/integration/").status_code == 403, role
        auth.logout()
