"""Escalation rules: deadlines in working hours, priority rules, routing, states, claims."""

from __future__ import annotations

import http.client
import json
import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from kcc.auth.models import Role, User
from kcc.auth.services import create_api_token, hash_password
from kcc.escalation import services
from kcc.escalation.models import Escalation, EscalationStep
from kcc.exceptions import Conflict, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.intake.models import Question
from kcc.reference.models import Topic
from tests.escalation.conftest import Region, escalate_question
from tests.helpers import TEST_PASSWORD

# Friday 20 November 2026, 16:00 in the Netherlands (CET, UTC+1).
FRIDAY_AFTERNOON = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def escalation(app: Flask, escalation_id: int) -> Escalation:
    """Read an escalation with a fresh session (call inside an app context)."""
    db.session.expire_all()
    found = db.session.get(Escalation, escalation_id)
    assert found is not None
    return found


def user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_the_deadline_skips_evenings_weekends_and_christmas(app: Flask, region: Region) -> None:
    friday = escalate_question(app, region, now=FRIDAY_AFTERNOON)
    # Thursday 24 December, 16:00: Christmas is Friday and Saturday, then the weekend.
    before_christmas = escalate_question(app, region, now=datetime(2026, 12, 24, 15, 0, tzinfo=UTC))

    with app.app_context():
        # 17 working hours: 1 on Friday, 8.5 on Monday, 7.5 on Tuesday until 16:00.
        assert escalation(app, friday).deadline == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
        assert escalation(app, before_christmas).deadline == datetime(
            2026, 12, 29, 15, 0, tzinfo=UTC
        )
        assert escalation(app, friday).state == "nieuw"


def test_rules_raise_the_priority_and_urgent_items_get_a_same_day_deadline(
    app: Flask, region: Region
) -> None:
    press = escalate_question(app, region, caller_type="pers", now=FRIDAY_AFTERNOON)
    angry = escalate_question(app, region, sentiment="negatief", now=FRIDAY_AFTERNOON)
    chosen_low = escalate_question(app, region, priority="laag", sentiment="neutraal")

    with app.app_context():
        press_item = escalation(app, press)
        assert (press_item.priority, press_item.priority_reason) == ("spoed", "vraag van de pers")
        # Four working hours: one on Friday, three on Monday morning until 11:30.
        assert press_item.deadline == datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
        assert escalation(app, angry).priority == "hoog"
        assert escalation(app, angry).priority_reason == "negatief sentiment"
        assert escalation(app, chosen_low).priority == "laag"


def test_a_topics_default_department_routes_the_item(app: Flask, region: Region) -> None:
    with app.app_context():
        topic = db.session.execute(
            select(Topic).where(
                Topic.crisis_id == region.oekraine, Topic.default_department_id.is_not(None)
            )
        ).scalars().first()
        assert topic is not None
        topic_id, department_id = topic.id, topic.default_department_id

    item = escalate_question(app, region, topic_id=topic_id)

    with app.app_context():
        assert escalation(app, item).department_id == department_id


def test_routing_suggestions_follow_the_coordinators_corrections(
    app: Flask, region: Region
) -> None:
    # "overig" has no default department: here the earlier routings decide the suggestion.
    with app.app_context():
        other = db.session.execute(
            select(Topic.id).where(Topic.crisis_id == region.oekraine, Topic.code == "overig")
        ).scalar_one()
    texts = [
        "Buurman vraagt wie de parkeerplaatsen bij de opvanglocatie handhaaft",
        "Wie handhaaft het parkeren bij de opvanglocatie aan de Hoge Naarderweg?",
        "Klacht over parkeren rond de opvanglocatie, wie handhaaft dat?",
    ]
    routed = [escalate_question(app, region, text=text, topic_id=other) for text in texts]
    with app.app_context():
        for item in routed:
            services.assign(
                item,
                user=user("coordinator"),
                department_id=region.departments["Vergunningen"],
                assignee_id=None,
            )
    question = "Wie handhaaft het parkeren bij de opvang?"
    first = escalate_question(app, region, text=question, topic_id=other)
    with app.app_context():
        # The coordinator disagrees: parking enforcement belongs to public order.
        for item in routed:
            services.assign(
                item,
                user=user("coordinator"),
                department_id=region.departments["Openbare Orde en Veiligheid"],
                assignee_id=None,
            )
    second = escalate_question(app, region, text=question, topic_id=other)
    unrelated = escalate_question(app, region, text="xqzv", topic_id=other)

    with app.app_context():
        assert escalation(app, first).suggested_department_id == region.departments["Vergunningen"]
        assert escalation(app, first).department_id is None  # a suggestion, not a decision
        assert (
            escalation(app, second).suggested_department_id
            == region.departments["Openbare Orde en Veiligheid"]
        )
        assert escalation(app, unrelated).suggested_department_id is None


def test_every_transition_outside_the_table_is_refused(app: Flask, region: Region) -> None:
    with app.app_context():
        coordinator = user("coordinator")
        for state, allowed in services.ALLOWED_TRANSITIONS.items():
            item = escalate_question(app, region)
            found = escalation(app, item)
            found.state = state.value
            found.is_open = state.value != "afgesloten"
            found.assignee_id = coordinator.id
            found.final_answer = "Het antwoord."
            db.session.commit()
            for target in set(services.S) - allowed - {state}:
                with pytest.raises(Conflict, match="kan een vraag niet naar"):
                    services.transition(item, target.value, user=coordinator, note="reden")
            assert escalation(app, item).state == state.value


def test_the_path_from_new_to_closed_is_logged_with_who_and_why(
    app: Flask, region: Region
) -> None:
    item = escalate_question(app, region)
    with app.app_context():
        coordinator, specialist = user("coordinator"), user("specialist")
        services.assign(item, user=coordinator, department_id=None, assignee_id=specialist.id)
        services.transition(item, "in_behandeling", user=specialist)
        with pytest.raises(ValidationFailed, match="reden"):
            services.transition(item, "wacht_op_burger", user=specialist)
        services.transition(item, "wacht_op_burger", user=specialist, note="Vraagt BSN op")
        services.transition(item, "in_behandeling", user=specialist, note="BSN ontvangen")
        with pytest.raises(Conflict, match="definitieve antwoord"):
            services.transition(item, "beantwoord", user=specialist)
        services.add_follow_up(item, "antwoord", user=specialist, body="Bel 06-98765432 voor info.")
        services.transition(item, "beantwoord", user=specialist)
        services.transition(item, "afgesloten", user=coordinator)

        closed = escalation(app, item)
        question = db.session.get(Question, closed.question_id)
        steps = [
            (step.from_state, step.to_state, step.user.username if step.user else None)
            for step in closed.steps
            if step.kind != "melding"
        ]
        assert closed.is_open is False and closed.closed_at is not None
        assert question is not None and question.status == "afgesloten"
        # The final answer feeds suggestions and the FAQ, masked.
        assert question.answer_masked == "Bel [TELEFOON] voor info."
        assert steps == [
            (None, "nieuw", "agent"),
            ("nieuw", "toegewezen", "coordinator"),
            ("toegewezen", "in_behandeling", "specialist"),
            ("in_behandeling", "wacht_op_burger", "specialist"),
            ("wacht_op_burger", "in_behandeling", "specialist"),
            ("in_behandeling", "beantwoord", "specialist"),
            ("beantwoord", "afgesloten", "coordinator"),
        ]
        assert any("Vraagt BSN op" in step.detail for step in closed.steps)
        # A closed item keeps its answer until someone reopens it; a note can still be added.
        with pytest.raises(Conflict, match="heropen"):
            services.add_follow_up(item, "antwoord", user=specialist, body="Toch anders.")
        services.add_follow_up(item, "notitie", user=specialist, body="Beller bedankte ons.")
        # The specialist was told by e-mail (whether the mail server took it is logged too).
        assert any(
            step.kind == "melding" and "aan Demo Vakspecialist" in step.detail
            for step in closed.steps
        )


def test_a_change_based_on_an_old_view_is_refused_not_lost(app: Flask, region: Region) -> None:
    item = escalate_question(app, region)
    with app.app_context():
        coordinator = user("coordinator")
        seen = escalation(app, item).version
        services.change_priority(item, "hoog", user=coordinator, seen_version=seen)

        with pytest.raises(Conflict, match="net gewijzigd"):
            services.change_priority(item, "laag", user=coordinator, seen_version=seen)
        assert escalation(app, item).priority == "hoog"


@pytest.fixture
def claimers(app: Flask, region: Region) -> list[str]:
    """Eight coordinators with API tokens."""
    with app.app_context():
        password_hash = hash_password(TEST_PASSWORD)
        for number in range(8):
            db.session.add(
                User(
                    username=f"coordinator{number}",
                    role=Role.COORDINATOR.value,
                    password_hash=password_hash,
                )
            )
        db.session.commit()
        return [create_api_token(f"coordinator{number}") for number in range(8)]


@pytest.fixture
def live_url(app: Flask) -> object:
    """The app on a real threaded HTTP server, so requests truly run in parallel."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def claim_over_http(base_url: str, question_id: int, token: str) -> int:
    """POST a claim and return the HTTP status."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    connection.request(
        "POST",
        f"/api/v1/questions/{question_id}/claim",
        body=json.dumps({}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    status = connection.getresponse().status
    connection.close()
    return status


def test_of_simultaneous_claims_exactly_one_wins(
    app: Flask, region: Region, claimers: list[str], live_url: str
) -> None:
    items = [escalate_question(app, region, text=f"Vraag nummer {n}") for n in range(5)]
    with app.app_context():
        question_ids = [escalation(app, item).question_id for item in items]

    results: dict[int, list[int]] = {question_id: [] for question_id in question_ids}
    for question_id in question_ids:
        start = threading.Barrier(len(claimers))

        def claim(token: str, target: int = question_id, start: threading.Barrier = start) -> None:
            start.wait()
            results[target].append(claim_over_http(live_url, target, token))

        threads = [threading.Thread(target=claim, args=(token,)) for token in claimers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    with app.app_context():
        for statuses in results.values():
            assert sorted(statuses) == [200] + [409] * (len(claimers) - 1), statuses
        claim_steps = db.session.execute(
            select(EscalationStep.escalation_id, func.count())
            .where(EscalationStep.kind == "opgepakt")
            .group_by(EscalationStep.escalation_id)
        ).all()
        assert sorted(count for _, count in claim_steps) == [1] * len(items)
        owners = db.session.execute(
            select(Escalation.assignee_id).where(Escalation.id.in_(items))
        ).scalars()
        assert all(owner is not None for owner in owners)


def test_a_topics_own_service_level_overrides_the_crisis(app: Flask, region: Region) -> None:
    with app.app_context():
        topic = db.session.execute(
            select(Topic).where(Topic.crisis_id == region.oekraine, Topic.code == "leefgeld")
        ).scalar_one()
        topic.response_hours = 8.5  # one working day
        db.session.commit()
        topic_id = topic.id

    item = escalate_question(app, region, topic_id=topic_id, now=FRIDAY_AFTERNOON)

    with app.app_context():
        found = escalation(app, item)
        assert found.response_hours == 8.5
        # One hour on Friday, 7.5 on Monday: Monday 16:00.
        assert found.deadline == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_a_corrected_topic_moves_the_item_in_the_queues_topic_filter(
    app: Flask, region: Region
) -> None:
    from kcc.classification.services import set_confirmed_labels

    item = escalate_question(app, region)
    with app.app_context():
        leefgeld = db.session.execute(
            select(Topic.id).where(Topic.crisis_id == region.oekraine, Topic.code == "leefgeld")
        ).scalar_one()
        found = escalation(app, item)
        version = found.version
        set_confirmed_labels(
            found.question, leefgeld, "neutraal", user_id=region.users["coordinator"], now=utcnow()
        )
        db.session.commit()

        relabelled = escalation(app, item)
        assert relabelled.topic_id == leefgeld
        # Relabelling is no change to the work item: nobody's claim on it is refused.
        assert relabelled.version == version
