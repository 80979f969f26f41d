"""The API's OpenAPI document, generated from the API blueprint's routes and their descriptions.

Paths, path parameters, methods and who may call an operation come from the routes themselves
(the URL map and `api_permission_required`); what an operation means, its query parameters,
body and answers from `describe()` next to the view. A route without a description stops
generation with an error naming it, so the document always covers the whole API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from werkzeug.routing import Rule

from kcc.api.components import Schema, component_schemas, ref
from kcc.api.schemas import MAX_RECORD_ID
from kcc.auth.models import Role
from kcc.security import Permission, role_has_permission

F = TypeVar("F", bound=Callable[..., Any])

API_PREFIX = "/api/v1"
API_VERSION = "1.0.0"
OPERATION_ATTRIBUTE = "openapi_operation"
PERMISSION_ATTRIBUTE = "api_permission"
UNDOCUMENTED_METHODS = {"HEAD", "OPTIONS"}
COMMITTED_COPY = Path(__file__).resolve().parent.parent.parent / "docs" / "openapi.json"
REGENERATE_COMMAND = "flask --app kcc openapi --output docs/openapi.json"
DESCRIPTION = (
    "Vragen registreren en opzoeken, doorzettingen behandelen en de openbare veelgestelde "
    "vragen lezen in de KCC-crisisregistratie. Authenticatie met een bearer token uit "
    "`flask --app kcc create-token GEBRUIKER`; dezelfde regels en rechten als de formulieren. "
    'Fouten: `{"errors": {veld: [meldingen]}}`; 400 = verkeerde vorm, 422 = inhoud voldoet '
    "niet aan de regels. Dit document wordt gemaakt uit de code (`flask --app kcc openapi`)."
)
PATH_PARAMETER_DESCRIPTIONS = {"question_id": "id van de vraag"}
PATH_PARAMETER_EXAMPLES = {"question_id": 1}
# URL converters as JSON Schema: `int` matches unsigned digits only; `record_id` is the API's
# own (kcc/api/views.py).
CONVERTER_SCHEMAS: dict[str, Schema] = {
    "int": {"type": "integer", "minimum": 0},
    "record_id": {"type": "integer", "minimum": 1, "maximum": MAX_RECORD_ID},
    "string": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
}
# A rule's variable part: <name>, <converter:name> or <converter(arguments):name>.
VARIABLE_PATTERN = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
UNAUTHORISED = "Geen of ongeldig token"
FORBIDDEN = "Geen recht"


class UndocumentedRoute(Exception):
    """An API route has no description (or one that does not fit the route)."""


def describe(
    operation_id: str,
    *,
    summary: str,
    responses: Mapping[int, Schema],
    description: str | None = None,
    parameters: Iterable[Schema] = (),
    request_body: Schema | None = None,
) -> Callable[[F], F]:
    """Attach an operation's description to an API view, for the generated document."""
    operation: Schema = {"summary": summary, "operationId": operation_id}
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = list(parameters)
    if request_body:
        operation["requestBody"] = request_body
    operation["responses"] = {str(status): answer for status, answer in responses.items()}

    def decorator(view: F) -> F:
        setattr(view, OPERATION_ATTRIBUTE, operation)
        return view

    return decorator


def mark_permission(view: Callable[..., Any], permission: Permission) -> None:
    """Remember which permission guards a view, so the document names it."""
    setattr(view, PERMISSION_ATTRIBUTE, permission)


def json_answer(description: str, schema: Schema, *, headers: Schema | None = None) -> Schema:
    """An answer with a JSON body."""
    answer: Schema = {"description": description}
    if headers:
        answer["headers"] = headers
    answer["content"] = {"application/json": {"schema": schema}}
    return answer


def error(description: str) -> Schema:
    """An answer with the API's error body."""
    return json_answer(description, ref("Errors"))


def json_request(
    schema_name: str, *, required: bool = True, example: Schema | None = None
) -> Schema:
    """A JSON request body of a component schema, with an example body if given."""
    media_type: Schema = {"schema": ref(schema_name)}
    if example is not None:
        media_type["example"] = example
    return {"required": required, "content": {"application/json": media_type}}


def query(
    name: str,
    schema: Schema,
    description: str = "",
    *,
    required: bool = False,
    example: str | None = None,
) -> Schema:
    """A query-string parameter."""
    result = parameter(name, "query", schema, description, required=required)
    if example is not None:
        result["example"] = example
    return result


def header(name: str, schema: Schema, description: str = "") -> Schema:
    """An optional request header."""
    return parameter(name, "header", schema, description, required=False)


def parameter(
    name: str, location: str, schema: Schema, description: str, *, required: bool
) -> Schema:
    """A parameter object."""
    result: Schema = {"name": name, "in": location, "required": required, "schema": schema}
    if description:
        result["description"] = description
    return result


def rule_variables(rule: Rule) -> list[tuple[str, str]]:
    """The (converter, name) of each variable part of a rule; `string` when none is written."""
    return [
        (converter or "string", name) for converter, name in VARIABLE_PATTERN.findall(rule.rule)
    ]


def openapi_path(rule: Rule) -> str:
    """The rule's path below the API prefix, with `{name}` for each variable part."""
    return VARIABLE_PATTERN.sub(r"{\2}", rule.rule.removeprefix(API_PREFIX))


def path_parameters(rule: Rule) -> list[Schema]:
    """The rule's variables as path parameters, typed after their converters."""
    parameters = []
    for converter, name in rule_variables(rule):
        if converter not in CONVERTER_SCHEMAS or name not in PATH_PARAMETER_DESCRIPTIONS:
            raise UndocumentedRoute(
                f"{rule.rule}: beschrijf de variabele {name} ({converter}) in "
                "PATH_PARAMETER_DESCRIPTIONS en CONVERTER_SCHEMAS van kcc/api/openapi.py"
            )
        path_parameter = parameter(
            name,
            "path",
            dict(CONVERTER_SCHEMAS[converter]),
            PATH_PARAMETER_DESCRIPTIONS[name],
            required=True,
        )
        if name in PATH_PARAMETER_EXAMPLES:
            path_parameter["example"] = PATH_PARAMETER_EXAMPLES[name]
        parameters.append(path_parameter)
    return parameters


def roles_with(permission: Permission) -> list[str]:
    """The roles that grant a permission, by code."""
    return [role.value for role in Role if role_has_permission(role.value, permission)]


def operation_for(rule: Rule, view: Callable[..., Any]) -> Schema:
    """The operation object of one route: its description plus what the route itself says."""
    described = getattr(view, OPERATION_ATTRIBUTE, None)
    if described is None:
        raise UndocumentedRoute(
            f"{rule.rule} ({rule.endpoint}) heeft geen beschrijving: zet "
            "@describe(...) uit kcc/api/openapi.py op de view"
        )
    operation: Schema = {key: value for key, value in described.items() if key != "responses"}
    parameters = path_parameters(rule) + list(described.get("parameters", []))
    if parameters:
        operation["parameters"] = parameters
    responses = dict(described["responses"])
    permission = getattr(view, PERMISSION_ATTRIBUTE, None)
    if permission is None:
        operation["security"] = []
    else:
        roles = ", ".join(roles_with(permission))
        operation["description"] = " ".join(
            part
            for part in (described.get("description"), f"Recht: {permission} (rollen: {roles}).")
            if part
        )
        responses.setdefault("401", error(UNAUTHORISED))
        responses.setdefault("403", error(FORBIDDEN))
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def api_rules(app: Flask) -> list[Rule]:
    """The API blueprint's routes, in path order."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]
    for rule in rules:
        if not rule.rule.startswith(API_PREFIX):
            raise UndocumentedRoute(f"{rule.rule} ligt niet onder {API_PREFIX}")
    return sorted(rules, key=lambda rule: rule.rule)


def build_paths(app: Flask) -> Schema:
    """Every API route and method as an OpenAPI path item."""
    paths: Schema = {}
    for rule in api_rules(app):
        methods = sorted((rule.methods or set()) - UNDOCUMENTED_METHODS)
        if len(methods) != 1:
            raise UndocumentedRoute(
                f"{rule.rule}: één methode per view, zodat elke operatie een eigen "
                f"beschrijving heeft (nu {', '.join(methods)})"
            )
        item = paths.setdefault(openapi_path(rule), {})
        item[methods[0].lower()] = operation_for(rule, app.view_functions[rule.endpoint])
    return paths


def build_openapi_document(app: Flask) -> Schema:
    """The whole OpenAPI 3.1 document of the app's API."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "kcc API", "version": API_VERSION, "description": DESCRIPTION},
        "servers": [{"url": API_PREFIX}],
        "security": [{"bearer": []}],
        "paths": build_paths(app),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": component_schemas(),
        },
    }


def render_openapi_document(app: Flask) -> str:
    """The document as the committed file holds it: indented, non-ASCII kept, a final newline."""
    return json.dumps(build_openapi_document(app), indent=2, ensure_ascii=False) + "\n"
