"""seed-demo loads the Gooi & Vechtstreek region and the two crisis templates, once."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from kcc.auth.models import User
from kcc.extensions import db
from kcc.faq.models import FaqEntry
from kcc.reference.models import Crisis, Municipality, Topic

CORONA_TOPICS = {
    "maatregelen",
    "ondernemers",
    "evenementen",
    "onderwijs",
    "testen_vaccineren",
    "reizen",
    "handhaving",
    "zorg_welzijn",
    "overig",
}
OEKRAINE_TOPICS = {
    "opvang",
    "inschrijving",
    "leefgeld",
    "gastgezin",
    "werk",
    "onderwijs",
    "zorg",
    "hulpaanbod",
    "omwonenden",
    "overig",
}


def count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_seed_demo_is_idempotent_and_prints_the_login(runner: FlaskCliRunner, app: Flask) -> None:
    first = runner.invoke(args=["seed-demo"], env={"KCC_DEMO_PASSWORD": "demo-password-123"})
    second = runner.invoke(args=["seed-demo"], env={"KCC_DEMO_PASSWORD": "demo-password-123"})

    assert first.exit_code == 0, first.output
    assert "wachtwoord demo-password-123" in first.output
    assert "0 gemeenten" in second.output and "0 gebruikers" in second.output
    assert "4 veelgestelde vragen" in first.output and "0 veelgestelde vragen" in second.output
    with app.app_context():
        assert count(Municipality) == 7
        assert count(User) == 5
        # Published through the workflow: the adviser published what the coordinator wrote.
        published = db.session.scalars(select(FaqEntry).where(FaqEntry.is_public)).all()
        assert len(published) == 4
        assert {e.published_by.username for e in published} == {"analyst"}
        assert {e.author.username for e in published} == {"coordinator"}
        assert (
            db.session.execute(
                select(Municipality.name).where(Municipality.cbs_code == "GM0406")
            ).scalar_one()
            == "Huizen"
        )


def test_the_crisis_templates_have_exactly_the_agreed_topic_codes(app: Flask, demo: None) -> None:
    with app.app_context():
        codes = {
            crisis: set(
                db.session.execute(
                    select(Topic.code).join(Crisis).where(Crisis.code == crisis)
                ).scalars()
            )
            for crisis in ("corona", "oekraine")
        }
        assert (
            db.session.execute(
                select(func.count()).select_from(Topic).where(Topic.description == "")
            ).scalar_one()
            == 0
        )

    assert codes == {"corona": CORONA_TOPICS, "oekraine": OEKRAINE_TOPICS}


def test_seed_demo_refuses_to_run_in_production(tmp_path, monkeypatch) -> None:
    from kcc import create_app

    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite"})

    result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code != 0
    assert "niet in productie" in result.output
