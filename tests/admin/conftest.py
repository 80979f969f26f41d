"""Fixtures for the administration screens: a client logged in as the demo administrator."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.helpers import AuthActions


@pytest.fixture
def admin_client(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    """The test client, logged in through the login form as the demo administrator."""
    response = auth.login("admin")
    assert response.status_code == 302
    return client
