"""create-user and create-token from the command line."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from kcc.auth.models import ApiToken, User
from kcc.auth.services import find_token_holder
from kcc.extensions import db


def test_create_user_takes_the_password_from_the_environment(
    runner: FlaskCliRunner, app: Flask, client
) -> None:
    result = runner.invoke(
        args=["create-user", "Jansen", "--role", "coordinator"],
        env={"KCC_PASSWORD": "a-long-enough-password"},
    )

    assert result.exit_code == 0, result.output
    assert "jansen" in result.output
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "jansen")).scalar_one()
        assert user.role == "coordinator"
        assert user.password_hash.startswith("$argon2id$")
        assert "a-long-enough-password" not in user.password_hash


def test_create_user_asks_for_the_password_twice_when_not_given(
    runner: FlaskCliRunner, app: Flask
) -> None:
    result = runner.invoke(
        args=["create-user", "pietersen", "--role", "agent"],
        input="a-long-enough-password\na-long-enough-password\n",
        env={"KCC_PASSWORD": ""},
    )

    assert result.exit_code == 0, result.output


def test_create_user_refuses_a_short_password_and_an_unknown_role(
    runner: FlaskCliRunner, app: Flask
) -> None:
    short = runner.invoke(
        args=["create-user", "kort", "--role", "agent"], env={"KCC_PASSWORD": "kort"}
    )
    unknown_role = runner.invoke(
        args=["create-user", "x", "--role", "baas"], env={"KCC_PASSWORD": "a-long-enough-password"}
    )

    assert short.exit_code != 0
    assert "minstens 12 tekens" in short.output
    assert unknown_role.exit_code != 0
    with app.app_context():
        assert db.session.execute(select(User)).first() is None


def test_create_user_refuses_an_existing_username(runner: FlaskCliRunner, demo: None) -> None:
    result = runner.invoke(
        args=["create-user", "agent", "--role", "agent"],
        env={"KCC_PASSWORD": "a-long-enough-password"},
    )

    assert result.exit_code != 0
    assert "bestaat al" in result.output


def test_create_token_prints_a_token_that_is_stored_only_hashed(
    runner: FlaskCliRunner, app: Flask, demo: None
) -> None:
    result = runner.invoke(args=["create-token", "agent"])

    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("kcc_") and len(token) > 40
    with app.app_context():
        stored = db.session.execute(select(ApiToken)).scalar_one()
        assert stored.token_hash != token and token not in stored.token_hash
        holder = find_token_holder(token)
        assert holder is not None and holder.username == "agent"
        assert find_token_holder(token + "x") is None


def test_create_token_for_an_unknown_user_fails(runner: FlaskCliRunner, app: Flask) -> None:
    result = runner.invoke(args=["create-token", "niemand"])

    assert result.exit_code != 0
    assert "bestaat niet" in result.output
