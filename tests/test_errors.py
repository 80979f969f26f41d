"""Friendly Dutch error pages for people, JSON errors under /api/."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import AuthActions


def test_unknown_page_gives_a_dutch_404(client: FlaskClient) -> None:
    response = client.get("/bestaat-niet")

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Pagina niet gevonden" in page
    assert '<html lang="nl">' in page


def test_forbidden_page_gives_a_dutch_403(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("agent")

    response = client.get("/admin/")

    assert response.status_code == 403
    assert "Geen toegang" in response.get_data(as_text=True)


def test_api_errors_are_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/bestaat-niet")

    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["status"] == 404


def test_a_405_is_explained(client: FlaskClient) -> None:
    response = client.get("/logout")

    assert response.status_code == 405
    assert "Niet toegestaan" in response.get_data(as_text=True)


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The app with one extra route that crashes, as a bug would."""

    def crash() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/test-crash", "test_crash", crash)
    app.add_url_rule("/api/test-crash", "api_test_crash", crash)
    return app


def test_an_unexpected_error_gives_a_dutch_500_with_the_request_id(failing_app: Flask) -> None:
    client = failing_app.test_client()

    response = client.get("/test-crash", headers={"X-Request-ID": "trace-12345678"})

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Er ging iets mis" in page
    assert "trace-12345678" in page
    assert "boom" not in page  # no internals shown to the user


def test_an_unexpected_api_error_is_json(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/api/test-crash")

    assert response.status_code == 500
    assert response.get_json()["error"]["title"] == "Er ging iets mis"
