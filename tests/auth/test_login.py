"""Logging in and out, idle timeout, CSRF and the login rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.auth.models import User
from kcc.extensions import db, utcnow
from tests.helpers import TEST_PASSWORD, AuthActions, csrf_token_from


def test_login_with_the_right_password_reaches_the_start_page(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    response = auth.login("coordinator")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Welkom, Demo Coördinator" in page
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "coordinator")).scalar_one()
        assert user.last_login_at is not None


def test_usernames_are_case_insensitive(client: FlaskClient, auth: AuthActions) -> None:
    assert auth.login("  Agent ").status_code == 302


@pytest.mark.parametrize(
    ("username", "password"), [("agent", "wrong-password-123"), ("nobody", TEST_PASSWORD)]
)
def test_wrong_credentials_give_one_dutch_message_without_saying_which_part(
    client: FlaskClient, auth: AuthActions, username: str, password: str
) -> None:
    response = auth.login(username, password)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Gebruikersnaam of wachtwoord klopt niet." in page
    assert f'value="{username}"' in page  # the username stays filled in
    assert client.get("/").status_code == 302


def test_a_disabled_user_cannot_log_in(client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "agent")).scalar_one()
        user.is_enabled = False
        db.session.commit()

    response = auth.login("agent")

    assert "Gebruikersnaam of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_login_follows_next_only_within_the_site(client: FlaskClient, auth: AuthActions) -> None:
    token = csrf_token_from(client.get("/login"))
    credentials = {"username": "admin", "password": TEST_PASSWORD, "csrf_token": token}

    external = client.post("/login?next=https://evil.example/", data=credentials)
    assert external.headers["Location"] == "/"
    # Browsers read a backslash as a slash: "/\\evil.example" is "//evil.example" to them.
    for sneaky in ("//evil.example/", "/\\evil.example", "/%5Cevil.example"):
        client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/"))})
        token = csrf_token_from(client.get("/login"))
        response = client.post(
            "/login",
            query_string={"next": sneaky.replace("%5C", "\\")},
            data={**credentials, "csrf_token": token},
        )
        assert response.headers["Location"] == "/", sneaky

    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/"))})
    token = csrf_token_from(client.get("/login"))
    internal = client.post("/login?next=/admin/", data={**credentials, "csrf_token": token})
    assert internal.headers["Location"] == "/admin/"


def test_logout_ends_the_session(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("agent")

    response = auth.logout()

    assert response.headers["Location"] == "/login"
    assert client.get("/").headers["Location"].startswith("/login")


def test_logout_needs_a_post_with_csrf_token(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("agent")

    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_a_form_posted_without_csrf_token_is_refused_in_dutch(
    client: FlaskClient, demo: None
) -> None:
    response = client.post("/login", data={"username": "admin", "password": TEST_PASSWORD})

    assert response.status_code == 400
    assert "Het formulier is verlopen" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_an_idle_session_is_logged_out(client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    auth.login("agent")
    idle_for = app.config["IDLE_TIMEOUT"] + timedelta(minutes=1)
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - idle_for).isoformat()

    response = client.get("/admin/?x=1")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/")
    assert "te lang niet actief" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_activity_within_the_idle_timeout_keeps_the_session(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    auth.login("agent")
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - timedelta(minutes=29)).isoformat()

    assert client.get("/").status_code == 200


def test_the_session_cookie_is_httponly_and_samesite(
    client: FlaskClient, auth: AuthActions
) -> None:
    response = auth.login("agent")

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_repeated_failed_logins_are_slowed_down_with_a_dutch_page(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    allowed = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(allowed):
        assert auth.login("agent", "wrong-password-123").status_code == 200

    response = auth.login("agent", TEST_PASSWORD)

    assert response.status_code == 429
    assert "Te veel pogingen" in response.get_data(as_text=True)
