"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via KCC_TEST_DATABASE_URL),
an app per test, a client that keeps CSRF on, and one demo user per role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from config import normalise_database_url
from kcc import create_app
from kcc.classification.models import ModelKind
from kcc.classification.services import activate_version, record_version
from kcc.demo import seed_demo
from kcc.extensions import db, limiter, utcnow
from kcc.nlp.classifier import TextClassifier
from kcc.nlp.training import (
    Metrics,
    evaluate,
    load_labelled_csv,
    shipped_data_path,
    train_sentiment_model,
    train_topic_model,
)
from kcc.reference.models import Crisis
from tests.helpers import TEST_PASSWORD, AuthActions
from tests.smtp_server import RejectingSmtpServer, SmtpServer


def is_postgres(url: str) -> bool:
    """Tell whether a database URL points at PostgreSQL."""
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database this run uses: KCC_TEST_DATABASE_URL, or a fresh SQLite file."""
    given = os.environ.get("KCC_TEST_DATABASE_URL")
    if given:
        return normalise_database_url(given)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kcc-test.sqlite'}"


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance folder of the run's own, never the developer's."""
    return tmp_path_factory.mktemp("instance")


def make_test_app(database_url: str, instance_path: Path, **overrides: object) -> Flask:
    """Build a testing app on the given database."""
    os.environ["KCC_INSTANCE_PATH"] = str(instance_path)
    settings: dict[str, object] = {"SQLALCHEMY_DATABASE_URI": database_url}
    settings.update(overrides)
    return create_app("testing", settings)


def reset_postgres_schema(url: str) -> None:
    """Start a PostgreSQL run from an empty schema, so migrations run from scratch."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url: str, instance_path: Path) -> str:
    """Apply every migration once per run; tests then empty the tables between them."""
    if is_postgres(database_url):
        reset_postgres_schema(database_url)
    app = make_test_app(database_url, instance_path)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def empty_all_tables() -> None:
    """Delete every row, children first; much faster than migrating per test."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(migrated_database: str, instance_path: Path) -> Iterator[Flask]:
    """A testing app on the migrated database, emptied after the test."""
    app = make_test_app(migrated_database, instance_path)
    yield app
    with app.app_context():
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()
    limiter.reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client; CSRF stays on, so tests read the token from the page like a browser."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Runs `flask --app kcc ...` commands in-process."""
    return app.test_cli_runner()


@pytest.fixture
def demo(app: Flask) -> None:
    """The demo region, crises, departments and one user per role (password TEST_PASSWORD)."""
    with app.app_context():
        seed_demo(TEST_PASSWORD)


@pytest.fixture
def auth(client: FlaskClient, demo: None) -> AuthActions:
    """Log in as any demo user (usernames are the role codes)."""
    return AuthActions(client)


# Classification: models trained once per run on the shipped data, installed per test.

CRISES = ("corona", "oekraine")


@dataclass(frozen=True)
class Trained:
    """A classifier and its scores on the shipped evaluation set."""

    classifier: TextClassifier
    metrics: Metrics


def shipped(kind: str, *codes: str) -> list:
    return [row for code in codes for row in load_labelled_csv(shipped_data_path(kind, code))]


@pytest.fixture(scope="session")
def shipped_models() -> dict[str, Trained]:
    """Topic models per crisis and the sentiment model, trained once for the whole run."""
    models = {}
    for code in CRISES:
        topic = train_topic_model(shipped("training", code))
        models[code] = Trained(topic, evaluate(topic, shipped("evaluation", code)))
    sentiment = train_sentiment_model(shipped("training", *CRISES))
    models["sentiment"] = Trained(sentiment, evaluate(sentiment, shipped("evaluation", *CRISES)))
    return models


@pytest.fixture
def active_models(app: Flask, demo: None, shipped_models: dict[str, Trained]) -> None:
    """The shipped models written to this test's model folder and activated, as `train` does."""
    now = utcnow()
    with app.app_context():
        for code in CRISES:
            crisis = db.session.execute(select(Crisis).where(Crisis.code == code)).scalar_one()
            trained = shipped_models[code]
            version = record_version(
                ModelKind.TOPIC,
                crisis,
                trained.classifier,
                trained.metrics,
                confirmed_labels=0,
                now=now,
            )
            activate_version(version.id, now=now)
        trained = shipped_models["sentiment"]
        version = record_version(
            ModelKind.SENTIMENT,
            None,
            trained.classifier,
            trained.metrics,
            confirmed_labels=0,
            now=now,
        )
        activate_version(version.id, now=now)


# Mail: real SMTP servers on localhost, started once per run and emptied before each test.


@pytest.fixture(scope="session")
def _smtp_server_session() -> Iterator[SmtpServer]:
    """An SMTP server that accepts everything, shared by the whole run."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(_smtp_server_session: SmtpServer) -> SmtpServer:
    """The run's accepting SMTP server, without the messages of earlier tests."""
    _smtp_server_session.clear()
    return _smtp_server_session


@pytest.fixture(scope="session")
def _rejecting_smtp_server_session() -> Iterator[RejectingSmtpServer]:
    """An SMTP server that refuses every recipient, shared by the whole run."""
    server = RejectingSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rejecting_smtp_server(
    _rejecting_smtp_server_session: RejectingSmtpServer,
) -> RejectingSmtpServer:
    """The run's rejecting SMTP server, without the messages of earlier tests."""
    _rejecting_smtp_server_session.clear()
    return _rejecting_smtp_server_session
