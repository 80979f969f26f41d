"""Staff notifications by e-mail: assigned work, nearing deadlines, the coordinators' digest."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from kcc.auth.models import User
from kcc.escalation import services
from kcc.escalation.models import Escalation
from kcc.extensions import db, utcnow
from tests.escalation.conftest import Region, escalate_question
from tests.smtp_server import RejectingSmtpServer, SmtpServer, configure_mail


def user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_the_assignee_hears_of_new_work_unless_they_switched_it_off(
    app: Flask, region: Region, smtp_server: SmtpServer
) -> None:
    configure_mail(app, smtp_server)
    first = escalate_question(app, region)
    second = escalate_question(app, region)
    with app.app_context():
        services.assign(
            first, user=user("coordinator"), department_id=None, assignee_id=user("specialist").id
        )
        user("specialist").notify_by_email = False
        db.session.commit()
        services.assign(
            second, user=user("coordinator"), department_id=None, assignee_id=user("specialist").id
        )
        reference = db.session.get(Escalation, first).question.reference  # type: ignore[union-attr]

    messages = smtp_server.wait_for(1)
    assert len(messages) == 1
    assert messages[0]["To"] == "specialist@gemeente.test"
    assert messages[0]["Subject"] == f"Nieuwe vraag voor u: {reference}"


def own_item_due_in(app: Flask, region: Region, hours: float) -> int:
    """An item owned by the specialist, due `hours` clock hours from now."""
    item = escalate_question(app, region)
    with app.app_context():
        escalation = db.session.get(Escalation, item)
        assert escalation is not None
        escalation.assignee_id = region.users["specialist"]
        escalation.deadline = utcnow() + timedelta(hours=hours)
        db.session.commit()
    return item


def test_a_nearing_deadline_is_announced_once(
    app: Flask, region: Region, runner: FlaskCliRunner, smtp_server: SmtpServer
) -> None:
    configure_mail(app, smtp_server)
    # Within the next four working hours, whatever day or hour the test runs: a minute.
    due = own_item_due_in(app, region, 1 / 60)
    own_item_due_in(app, region, 24 * 14)

    first = runner.invoke(args=["notify-deadlines"])
    second = runner.invoke(args=["notify-deadlines"])

    assert first.exit_code == 0 and "1 verstuurd" in first.output
    assert "0 verstuurd" in second.output
    with app.app_context():
        reference = db.session.get(Escalation, due).question.reference  # type: ignore[union-attr]
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == [
        f"Termijn verloopt bijna: {reference}"
    ]


def test_coordinators_get_the_overdue_items_and_failures_are_reported(
    app: Flask,
    region: Region,
    runner: FlaskCliRunner,
    smtp_server: SmtpServer,
    rejecting_smtp_server: RejectingSmtpServer,
) -> None:
    overdue = own_item_due_in(app, region, -5)
    own_item_due_in(app, region, 24 * 14)
    configure_mail(app, rejecting_smtp_server)
    refused = runner.invoke(args=["digest"])
    configure_mail(app, smtp_server)

    sent = runner.invoke(args=["digest"])

    assert refused.exit_code == 1 and "554" in refused.output
    assert sent.exit_code == 0 and "1 verstuurd" in sent.output
    digest = smtp_server.wait_for(1)[0]
    with app.app_context():
        reference = db.session.get(Escalation, overdue).question.reference  # type: ignore[union-attr]
    assert digest["To"] == "coordinator@gemeente.test"
    assert digest["Subject"] == "Dagoverzicht: 1 vragen over hun termijn"
    assert reference in digest.get_content()
