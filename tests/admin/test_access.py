"""Only administrators reach the administration screens."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.auth.models import User
from kcc.extensions import db
from kcc.reference.models import Crisis, Department, Municipality, Topic
from tests.helpers import ALL_ROLES, AuthActions

ADMIN_URLS = [
    "/admin/",
    "/admin/municipalities",
    "/admin/municipalities/new",
    "/admin/municipalities/{municipality}/edit",
    "/admin/departments",
    "/admin/departments/new",
    "/admin/departments/{department}/edit",
    "/admin/crises",
    "/admin/crises/new",
    "/admin/crises/{crisis}",
    "/admin/crises/{crisis}/edit",
    "/admin/crises/{crisis}/topics/new",
    "/admin/topics/{topic}/edit",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}/edit",
]
NON_ADMIN_ROLES = [role for role in ALL_ROLES if role != "admin"]


@pytest.fixture
def existing_ids(app: Flask, demo: None) -> dict[str, int]:
    """Ids of one demo record of each kind, to fill in the URLs."""
    with app.app_context():
        return {
            name: db.session.execute(select(model.id).limit(1)).scalar_one()
            for name, model in (
                ("municipality", Municipality),
                ("department", Department),
                ("crisis", Crisis),
                ("topic", Topic),
                ("user", User),
            )
        }


def test_the_list_covers_every_admin_route(app: Flask) -> None:
    routes = {
        rule.rule.replace("<int:", "{").replace("_id>", "}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
    }
    assert routes == set(ADMIN_URLS)


# One login per role, all URLs in it: a login costs an Argon2 hash. Collecting every wrong
# answer keeps the failure message as precise as one test per URL would.


def test_anonymous_users_are_sent_to_login(
    client: FlaskClient, existing_ids: dict[str, int]
) -> None:
    answers = {url: client.get(url.format(**existing_ids)) for url in ADMIN_URLS}

    wrong = {
        url: response.status_code
        for url, response in answers.items()
        if response.status_code != 302 or not response.headers["Location"].startswith("/login")
    }
    assert wrong == {}


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_other_roles_are_refused(
    client: FlaskClient, auth: AuthActions, existing_ids: dict[str, int], role: str
) -> None:
    auth.login(role)

    statuses = {url: client.get(url.format(**existing_ids)).status_code for url in ADMIN_URLS}

    assert statuses == dict.fromkeys(ADMIN_URLS, 403)


def test_administrators_get_every_page_with_one_h1(
    admin_client: FlaskClient, existing_ids: dict[str, int]
) -> None:
    pages = {url: admin_client.get(url.format(**existing_ids)) for url in ADMIN_URLS}

    statuses = {url: page.status_code for url, page in pages.items()}
    assert statuses == dict.fromkeys(ADMIN_URLS, 200)
    h1_counts = {url: page.get_data(as_text=True).count("<h1") for url, page in pages.items()}
    assert h1_counts == dict.fromkeys(ADMIN_URLS, 1)
