"""Schemathesis against the real app on 127.0.0.1: every operation of the generated document,
with valid and invalid input, answers without a server error, with a documented status code,
content type and headers, and a body that fits the documented schema.

Bounded and repeatable: a fixed seed, deterministic generation, no example database, a few
examples per operation; the document is loaded from the running server like a client would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from sqlalchemy import select
from werkzeug.serving import make_server

from kcc.api.openapi import COMMITTED_COPY
from kcc.auth.services import create_api_token
from kcc.extensions import db
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality
from tests.helpers import serving

EXAMPLES_PER_OPERATION = 12
SEED = 9
# Negative data is generated too, but the API is lenient by design in places (an unknown
# query parameter or a page that is no number is ignored), so it need not be rejected; what
# it gets back must still be documented. Positive data may be refused by rules no schema
# states (an unknown CBS code answers 422), so acceptance is not demanded either.
CHECKS = {
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
    "response_headers_conformance": {"enabled": True},
    "ignored_auth": {"enabled": True},
    "positive_data_acceptance": {"enabled": False},
    "negative_data_rejection": {"enabled": False},
    "missing_required_header": {"enabled": False},
    "unsupported_method": {"enabled": False},
    "use_after_free": {"enabled": False},
    "ensure_resource_availability": {"enabled": False},
}


def register_sample_questions(app: Flask) -> None:
    """Question 1 escalated with contact details (the document's example id), 2 and 3 not."""
    with app.app_context():
        municipality = db.session.execute(
            select(Municipality).where(Municipality.cbs_code == "GM0402")
        ).scalar_one()
        crisis = db.session.execute(select(Crisis).where(Crisis.code == "oekraine")).scalar_one()
        common = {"municipality_id": municipality.id, "crisis_id": crisis.id}
        samples = [
            QuestionInput(
                channel="e-mail",
                caller_type="inwoner",
                text="Mijn gastgezin wil teruggebeld worden over de vergoeding.",
                escalate=True,
                contact=ContactInput(name="K. de Boer", email="k.deboer@example.nl"),
                **common,  # type: ignore[arg-type]
            ),
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                text="Wanneer wordt het leefgeld betaald?",
                answer="Elke twee weken op vrijdag.",
                **common,  # type: ignore[arg-type]
            ),
            QuestionInput(
                channel="chat",
                caller_type="ondernemer",
                text="Waar is de opvang in Hilversum?",
                **common,  # type: ignore[arg-type]
            ),
        ]
        for sample in samples:
            register_question(sample, user_id=None)


@pytest.fixture
def live_api(app: Flask, demo: None) -> Iterator[str]:
    """The test app with demo data and sample questions on a free port; yields its base URL."""
    register_sample_questions(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    with serving(server, "api-server"):
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def coordinator_token(app: Flask, live_api: str) -> str:
    """A bearer token of the demo coordinator, who holds every right the API asks for."""
    with app.app_context():
        return create_api_token("coordinator")


# The committed copy, which test_openapi.py proves equal to what the app serves; loaded at
# collection so every operation becomes a test of its own.
schema = schemathesis.openapi.from_path(
    COMMITTED_COPY,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",
            },
            "checks": CHECKS,
            "request-timeout": 10,
        }
    ),
)


@schema.parametrize()
# One server and database per operation, shared by its examples on purpose: like a real
# client's calls, each example meets what the earlier ones left behind.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, live_api: str, coordinator_token: str
) -> None:
    case.call_and_validate(
        base_url=f"{live_api}/api/v1",
        headers={"Authorization": f"Bearer {coordinator_token}"},
    )
