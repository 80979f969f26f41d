"""Configuration comes from the environment; production refuses unsafe settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigurationError, load_settings, normalise_database_url
from kcc import create_app

STRONG_KEY = "k" * 16 + "0123456789abcdef0123"


def test_development_defaults_to_sqlite_under_instance_and_keeps_its_generated_key(
    tmp_path: Path,
) -> None:
    first = load_settings("development", {}, tmp_path)
    second = load_settings("development", {}, tmp_path)

    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'kcc.sqlite'}"
    assert len(first["SECRET_KEY"]) >= 32
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_and_smtp_come_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        "development",
        {
            "DATABASE_URL": "postgresql://kcc@db:5432/kcc",
            "SMTP_HOST": "smtp.example",
            "SMTP_PORT": "2525",
        },
        tmp_path,
    )

    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://kcc@db:5432/kcc"
    assert (settings["MAIL_SERVER"], settings["MAIL_PORT"]) == ("smtp.example", 2525)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h:5/d", "postgresql+psycopg://u@h:5/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
    ],
)
def test_plain_postgresql_urls_get_the_shipped_driver(url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected


@pytest.mark.parametrize("key", [None, "", "secret", "short-key-of-20-chars"])
def test_production_refuses_a_missing_or_weak_secret_key(tmp_path: Path, key: str | None) -> None:
    environ = {} if key is None else {"SECRET_KEY": key}
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_settings("production", environ, tmp_path)


def test_production_refuses_debug_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="FLASK_DEBUG"):
        load_settings("production", {"SECRET_KEY": STRONG_KEY, "FLASK_DEBUG": "1"}, tmp_path)


def test_production_with_a_strong_key_has_secure_cookies(tmp_path: Path) -> None:
    settings = load_settings("production", {"SECRET_KEY": STRONG_KEY}, tmp_path)

    assert settings["SECRET_KEY"] == STRONG_KEY
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not (tmp_path / "secret_key").exists()


def test_an_unknown_environment_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="KCC_ENV"):
        load_settings("staging", {}, tmp_path)


@pytest.mark.parametrize(
    "unsafe",
    [
        {"SESSION_COOKIE_SECURE": False},
        {"SESSION_COOKIE_HTTPONLY": False},
        {"SESSION_COOKIE_SAMESITE": None},
        {"WTF_CSRF_ENABLED": False},
        {"DEBUG": True},
        {"PASSWORD_HASH_COST": (1, 1024, 1)},
    ],
)
def test_production_refuses_insecure_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unsafe: dict[str, object]
) -> None:
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("KCC_INSTANCE_PATH", str(tmp_path))

    with pytest.raises(ConfigurationError, match=next(iter(unsafe))):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": "sqlite://", **unsafe})

    assert create_app("production", {"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config[
        "SESSION_COOKIE_SECURE"
    ]
