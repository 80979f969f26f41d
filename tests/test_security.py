"""Every internal page needs a login and the right role; every response carries safe headers."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import ALL_ROLES, AuthActions

PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.login_code",
    "static",
    "api.openapi",
    "api.public_faq",
    "faq_public.index",
    "faq_public.crisis_page",
    "faq_public.entry_page",
    "faq_public.accessibility_statement",
    "operations.healthz",
    "operations.readyz",
}

# Who may open which page: written out by hand, so a change to the permission table that
# opens a page to the wrong role fails here. Every parameterless GET page must be listed.
EXPECTED_ACCESS: dict[str, set[str]] = {
    "/": set(ALL_ROLES),
    "/account/two-factor": set(ALL_ROLES),
    "/account/notifications": set(ALL_ROLES),
    "/admin/": {"admin"},
    "/admin/municipalities": {"admin"},
    "/admin/municipalities/new": {"admin"},
    "/admin/departments": {"admin"},
    "/admin/departments/new": {"admin"},
    "/admin/crises": {"admin"},
    "/admin/crises/new": {"admin"},
    "/admin/users": {"admin"},
    "/admin/users/new": {"admin"},
    "/questions/new": {"agent", "coordinator"},
    "/questions/mine": {"agent", "coordinator"},
    "/questions/suggest": {"agent", "coordinator"},
    "/questions": {"agent", "coordinator", "specialist"},
    "/questions/history": {"agent", "coordinator", "specialist"},
    "/classification/review": {"coordinator", "analyst"},
    "/classification/models": {"analyst", "admin"},
    "/queue": {"coordinator", "specialist"},
    "/queue/templates": {"coordinator"},
    "/queue/templates/new": {"coordinator"},
    "/admin/audit": {"admin"},
    "/admin/subject-requests": {"admin"},
    "/editorial/": {"coordinator", "analyst"},
    "/editorial/entries/new": {"coordinator", "analyst"},
    "/editorial/clusters": {"coordinator", "analyst"},
    "/notices/": {"coordinator"},
    "/notices/new": {"coordinator"},
    "/notices/mine": set(ALL_ROLES),
    "/admin/integration/": {"admin"},
    "/admin/webhooks/": {"admin"},
    "/admin/webhooks/new": {"admin"},
    "/insights/": {"analyst", "coordinator", "admin"},
    "/insights/events": {"analyst", "coordinator", "admin"},
    "/insights/signals": {"analyst", "coordinator", "admin"},
    "/insights/report": {"analyst", "coordinator", "admin"},
    "/insights/report.pdf": {"analyst", "coordinator", "admin"},
    "/insights/open-data": {"analyst", "coordinator", "admin"},
    "/insights/open-data.csv": {"analyst", "coordinator", "admin"},
    "/insights/open-data.txt": {"analyst", "coordinator", "admin"},
    "/insights/online": {"analyst", "coordinator", "admin"},
    "/editorial/clusters/compare": {"coordinator", "analyst"},
    "/transfer/import": {"coordinator", "admin"},
    "/transfer/export": {"coordinator", "analyst", "admin"},
    "/transfer/export.csv": {"coordinator", "analyst", "admin"},
    "/transfer/export.xlsx": {"coordinator", "analyst", "admin"},
}


def internal_get_rules(app: Flask) -> list[str]:
    """Return every GET page rule that is not public (the API is checked on its own)."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and rule.endpoint not in PUBLIC_ENDPOINTS
        and not rule.endpoint.startswith("api.")
    )


def test_every_api_route_but_its_description_needs_a_token(
    client: FlaskClient, app: Flask
) -> None:
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            response = client.open(fill_in(rule.rule), method=method)
            assert response.status_code == 401, f"{method} {rule.rule}"
            assert response.is_json


def fill_in(rule: str) -> str:
    """Turn /x/<int:id>/edit into /x/1/edit; anonymous users must be sent away before lookup."""
    parts = []
    for part in rule.split("/"):
        parts.append("1" if part.startswith("<") else part)
    return "/".join(parts)


def test_routes_list_the_login_page(app: Flask) -> None:
    assert "/login" in {rule.rule for rule in app.url_map.iter_rules()}


def test_every_internal_page_sends_anonymous_visitors_to_login(
    client: FlaskClient, app: Flask
) -> None:
    for rule in internal_get_rules(app):
        response = client.get(fill_in(rule))
        assert response.status_code == 302, rule
        assert response.headers["Location"].startswith("/login?next="), rule


def test_the_access_table_covers_every_parameterless_page(app: Flask) -> None:
    parameterless = {rule for rule in internal_get_rules(app) if "<" not in rule}

    assert parameterless == set(EXPECTED_ACCESS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_reaches_exactly_its_pages(
    client: FlaskClient, auth: AuthActions, role: str
) -> None:
    auth.login(role)

    for url, roles in EXPECTED_ACCESS.items():
        expected = 200 if role in roles else 403
        assert client.get(url).status_code == expected, f"{role} on {url}"


def test_responses_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_error_pages_carry_security_headers_too(client: FlaskClient) -> None:
    response = client.get("/bestaat-niet")

    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers
