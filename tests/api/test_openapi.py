"""The OpenAPI document: generated from the routes, committed, valid, and true about access."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient, FlaskCliRunner
from openapi_spec_validator import validate

from kcc.api.openapi import (
    COMMITTED_COPY,
    REGENERATE_COMMAND,
    UndocumentedRoute,
    build_openapi_document,
)
from kcc.auth.services import create_api_token
from tests.helpers import ALL_ROLES

OUT_OF_DATE = f"docs/openapi.json is out of date: run `{REGENERATE_COMMAND}` and commit it."


def test_the_served_document_is_the_committed_copy(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_data(as_text=True) == COMMITTED_COPY.read_text("utf-8"), OUT_OF_DATE


def test_the_document_is_valid_openapi_3_1(app: Flask) -> None:
    document = build_openapi_document(app)

    validate(document)
    assert document["openapi"] == "3.1.0"


def test_every_api_route_and_method_is_described(app: Flask) -> None:
    document = build_openapi_document(app)

    described = {
        ("/api/v1" + re.sub(r"\{(\w+)\}", r"<record_id:\1>", path), method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    routes = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert described == routes
    operation_ids = [
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_a_route_without_a_description_stops_generation(app: Flask, runner: FlaskCliRunner) -> None:
    app.add_url_rule("/api/v1/nieuw", endpoint="api.undescribed", view_func=lambda: jsonify([]))

    with pytest.raises(UndocumentedRoute, match="/api/v1/nieuw"):
        build_openapi_document(app)
    result = runner.invoke(args=["openapi"])
    assert result.exit_code == 1 and "@describe" in result.output


def test_the_command_writes_the_document_and_checks_a_copy(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    written = tmp_path / "openapi.json"

    assert runner.invoke(args=["openapi", "--output", str(written)]).exit_code == 0
    assert written.read_text("utf-8") == COMMITTED_COPY.read_text("utf-8"), OUT_OF_DATE
    assert runner.invoke(args=["openapi", "--check", str(written)]).exit_code == 0

    stale = json.loads(written.read_text("utf-8"))
    stale["paths"].pop("/crises")
    written.write_text(json.dumps(stale, indent=2, ensure_ascii=False) + "\n", "utf-8")
    result = runner.invoke(args=["openapi", "--check", str(written)])
    assert result.exit_code == 1 and REGENERATE_COMMAND in result.output


def documented_roles(operation: dict) -> set[str] | None:
    """The roles an operation's description names; None for a public operation."""
    if operation.get("security") == []:
        return None
    match = re.search(r"\(rollen: ([^)]*)\)", operation["description"])
    assert match, f"{operation['operationId']} does not name its roles"
    return set(match.group(1).split(", "))


def test_the_documented_roles_are_the_ones_the_api_lets_in(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    with app.app_context():
        tokens = {role: create_api_token(role) for role in ALL_ROLES}
    document = build_openapi_document(app)

    for path, operations in document["paths"].items():
        url = "/api/v1" + path.replace("{question_id}", "999999")
        for method, operation in operations.items():
            roles = documented_roles(operation)
            if roles is None:
                continue
            assert client.open(url, method=method).status_code == 401
            for role, token in tokens.items():
                status = client.open(
                    url, method=method, json={}, headers={"Authorization": f"Bearer {token}"}
                ).status_code
                assert (status != 403) == (role in roles), (method, path, role, status)
