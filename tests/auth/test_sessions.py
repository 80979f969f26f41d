"""Logout and password changes end every session; repeated wrong passwords lock an account."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.auth.models import User
from kcc.auth.services import LOCKOUT_DURATION, MAX_FAILED_LOGINS, UserInput, update_user
from kcc.extensions import db
from tests.helpers import TEST_PASSWORD, AuthActions


def test_a_cookie_copied_before_logout_no_longer_works(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("agent")
    stolen = client.get_cookie("kcc_session")
    assert stolen is not None
    thief = app.test_client()
    thief.set_cookie("kcc_session", stolen.value)
    assert thief.get("/questions/mine").status_code == 200  # the copy works while logged in

    auth.logout()

    assert thief.get("/questions/mine").status_code == 302  # sent to the login page


def test_a_password_change_ends_the_other_sessions(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("agent")
    with app.app_context():
        agent = db.session.execute(select(User).where(User.username == "agent")).scalar_one()
        update_user(
            agent.id,
            UserInput(username="agent", role="agent", municipality_id=agent.municipality_id),
            new_password="een-heel-nieuw-wachtwoord",
        )

    assert client.get("/questions/mine").status_code == 302


def test_too_many_wrong_passwords_lock_the_account_with_a_clear_message(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        auth.login("agent", "verkeerd-wachtwoord")

    refused = auth.login("agent", TEST_PASSWORD)

    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "tijdelijk geblokkeerd" in page and "15 minuten" in page
    assert client.get("/questions/mine").status_code == 302
    with app.app_context():
        agent = db.session.execute(select(User).where(User.username == "agent")).scalar_one()
        assert agent.locked_until is not None
        agent.locked_until = agent.locked_until - LOCKOUT_DURATION - timedelta(seconds=1)
        db.session.commit()
    assert auth.login("agent", TEST_PASSWORD).status_code == 302  # after the wait it works
