"""The audit log: logins, views of personal data and changes are recorded; admins search it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.auth.models import User
from kcc.auth.services import UserInput, update_user
from kcc.extensions import db
from kcc.governance.models import AuditEvent
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality
from tests.helpers import AuthActions


def events(app: Flask) -> list[tuple[str, str, str]]:
    """(username, action, object id) of every audit event, oldest first."""
    with app.app_context():
        return [
            (e.username, e.action, e.object_id)
            for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
        ]


def escalated_question(app: Flask) -> int:
    with app.app_context():
        question = register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=db.session.execute(select(Municipality.id)).scalars().first(),  # type: ignore[arg-type]
                crisis_id=db.session.execute(select(Crisis.id)).scalars().first(),  # type: ignore[arg-type]
                text="Bel mij terug over de opvang",
                callback_requested=True,
                contact=ContactInput(name="Olena", phone="06-12345678"),
            ),
            user_id=None,
        ).question
        return question.id


def test_logins_failed_logins_and_logouts_are_recorded(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("agent", "fout-wachtwoord")
    auth.login("agent")
    auth.logout()

    assert [(u, a) for u, a, _ in events(app)] == [
        ("agent", "login_failed"),
        ("agent", "login"),
        ("agent", "logout"),
    ]


def test_viewing_and_looking_up_personal_data_is_recorded(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    question_id = escalated_question(app)
    auth.login("specialist")

    client.get(f"/questions/{question_id}")
    client.get("/questions/history?phone=0612345678")
    client.get("/questions?q=opvang")

    recorded = [(u, a, o) for u, a, o in events(app) if a != "login"]
    assert recorded == [
        ("", "question_registered", str(question_id)),
        ("specialist", "view_personal_data", str(question_id)),
        ("specialist", "search_personal_data", ""),
        ("specialist", "view_personal_data", ""),  # the list, with the ids in its detail
    ]
    with app.app_context():
        lookup = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "search_personal_data")
        ).scalar_one()
        assert lookup.detail == f"eerdere contacten gezocht op telefoonnummer: {question_id}"
        assert "0612345678" not in lookup.detail  # the log does not copy the personal data
        assert lookup.ip_address == "127.0.0.1" and lookup.request_id


def test_a_role_change_is_recorded_and_admins_can_search_the_log(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        agent = db.session.execute(select(User).where(User.username == "agent")).scalar_one()
        update_user(
            agent.id,
            UserInput(
                username="agent",
                role="coordinator",
                full_name=agent.full_name,
                email=agent.email,
                municipality_id=agent.municipality_id,
                department_id=agent.department_id,
                is_enabled=True,
            ),
        )
    auth.login("admin")

    found = client.get("/admin/audit?action=user_changed").get_data(as_text=True)
    only_logins = client.get("/admin/audit?action=login").get_data(as_text=True)

    assert "agent: rol agent → coordinator" in found
    assert "rol agent" not in only_logins and "Ingelogd" in only_logins
