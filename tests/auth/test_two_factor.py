"""The second factor: set up with a real TOTP code, asked at login, codes used once."""

from __future__ import annotations

import re
import time

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.auth.models import User
from kcc.extensions import db
from tests.helpers import AuthActions, csrf_token_from

SECRET_ON_PAGE = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')


def enable(client: FlaskClient) -> pyotp.TOTP:
    """Set up the second factor through the page, as a user with an app would."""
    page = client.get("/account/two-factor")
    secret = SECRET_ON_PAGE.search(page.get_data(as_text=True))
    assert secret, "the setup page shows no key"
    totp = pyotp.TOTP(secret.group(1))
    done = client.post(
        "/account/two-factor", data={"csrf_token": csrf_token_from(page), "code": totp.now()}
    )
    assert done.status_code == 302
    return totp


def test_with_two_factor_a_login_needs_a_fresh_code_once(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("coordinator")
    totp = enable(client)
    auth.logout()

    after_password = auth.login("coordinator")
    assert after_password.headers["Location"].startswith("/login/code")
    assert client.get("/questions/mine").status_code == 302  # not logged in yet
    page = client.get("/login/code")
    wrong = client.post("/login/code", data={"csrf_token": csrf_token_from(page), "code": "000000"})
    assert "Deze code klopt niet" in wrong.get_data(as_text=True)
    # Setting up used this time step's code; the app's next code is accepted (clock drift).
    code = totp.at(time.time() + 30)
    right = client.post("/login/code", data={"csrf_token": csrf_token_from(page), "code": code})

    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert client.get("/questions/mine").status_code == 200
    auth.logout()
    auth.login("coordinator")
    replay = client.post(
        "/login/code", data={"csrf_token": csrf_token_from(client.get("/login/code")), "code": code}
    )
    assert "al gebruikt" in replay.get_data(as_text=True)


def test_a_role_that_requires_two_factor_is_sent_to_set_it_up(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    app.config["REQUIRE_TWO_FACTOR_ROLES"] = frozenset({"admin"})
    auth.login("admin")

    blocked = client.get("/admin/")
    enable(client)

    assert blocked.status_code == 302 and blocked.headers["Location"] == "/account/two-factor"
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        admin = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
        assert admin.has_two_factor
