"""The schema comes only from migrations, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from kcc.extensions import db, migrate
from kcc.intake.search_schema import include_in_autogenerate


def test_models_and_migrations_agree(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_in_autogenerate,
            },
        )
        differences = compare_metadata(context, db.metadata)

    assert differences == [], "run `flask --app kcc db migrate`: models and migrations differ"


def test_the_database_is_at_the_single_newest_migration(app: Flask) -> None:
    with app.app_context():
        script = ScriptDirectory.from_config(migrate.get_config())
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()

    assert len(script.get_heads()) == 1, "migrations have branched: merge the heads"
    head = script.get_current_head()

    assert current == head
