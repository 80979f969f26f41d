"""/healthz says the process runs; /readyz says the database answers and the models load."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from kcc.classification.models import ModelVersion
from kcc.extensions import db
from tests.conftest import make_test_app
from tests.production.conftest import free_port


def unreachable_database_app(instance_path: Path) -> Flask:
    """An app whose PostgreSQL server does not exist (nothing listens on the port)."""
    url = f"postgresql+psycopg://kcc:geheim@127.0.0.1:{free_port()}/kcc"
    return make_test_app(url, instance_path)


def test_healthz_answers_without_the_database(instance_path: Path) -> None:
    response = unreachable_database_app(instance_path).test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_reports_an_unreachable_database_without_its_address(
    instance_path: Path,
) -> None:
    response = unreachable_database_app(instance_path).test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert "database unreachable" in response.json["checks"]["database"]
    body = response.get_data(as_text=True)
    assert "127.0.0.1" not in body and "geheim" not in body and "kcc@" not in body


def test_readyz_is_ok_when_the_database_answers_and_the_models_load(
    app: Flask, active_models: None
) -> None:
    response = app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "models": "ok"}}


def test_readyz_is_unavailable_without_a_sentiment_model(app: Flask, demo: None) -> None:
    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["checks"] == {
        "database": "ok",
        "models": "Geen actief sentimentmodel (no active sentiment model)",
    }


def test_readyz_is_unavailable_when_an_active_model_file_was_tampered_with(
    app: Flask, active_models: None
) -> None:
    with app.app_context():
        version = db.session.scalars(select(ModelVersion).where(ModelVersion.is_active)).first()
        path = Path(app.config["MODEL_DIR"]) / version.file_name
    path.write_bytes(path.read_bytes() + b"\0")

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert version.file_name in response.json["checks"]["models"]


def test_probes_stay_out_of_the_request_log_until_they_fail(
    instance_path: Path, app: Flask
) -> None:
    logged: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() == "request":
                logged.append(f"{record.path} {record.status}")  # type: ignore[attr-defined]

    broken = unreachable_database_app(instance_path)
    collector = Collect()
    app.logger.addHandler(collector)  # every kcc app logs through the one "kcc" logger
    try:
        app.test_client().get("/healthz")
        app.test_client().get("/login")
        broken.test_client().get("/readyz")
    finally:
        app.logger.removeHandler(collector)

    assert logged == ["/login 200", "/readyz 503"]
