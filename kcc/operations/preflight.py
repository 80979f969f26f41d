"""Refuse to serve production, with a clear Dutch message, before anything starts.

Run by scripts/serve-prod.sh as `python -m kcc.operations.preflight`: it builds the app the
way each gunicorn worker will, so every check that would stop a worker (weak SECRET_KEY,
FLASK_DEBUG, unsafe settings) stops here first, as one line instead of a traceback per worker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from sqlalchemy.engine import make_url

from config import ConfigurationError

SQLITE_WARNING = (
    "Let op: DATABASE_URL wijst naar SQLite. Productie hoort op PostgreSQL te draaien; "
    "SQLite past alleen bij één server met weinig gebruikers."
)


def check_serving_environment(environ: Mapping[str, str]) -> list[str]:
    """Raise ConfigurationError when production cannot start; return warnings otherwise."""
    url = environ.get("DATABASE_URL", "").strip()
    if not url:
        raise ConfigurationError(
            "DATABASE_URL ontbreekt: geef de PostgreSQL-database op, bijvoorbeeld "
            "DATABASE_URL=postgresql://kcc@127.0.0.1:5432/kcc."
        )
    if environ.get("KCC_ENV", "production") != "production":
        raise ConfigurationError("make serve-prod draait alleen met KCC_ENV=production.")
    from kcc import create_app

    create_app("production")
    return [SQLITE_WARNING] if make_url(url).get_backend_name() == "sqlite" else []


def main() -> int:
    """Check the environment; print why production may not start and return 2 if so."""
    try:
        warnings = check_serving_environment(os.environ)
    except ConfigurationError as error:
        print(f"kcc start niet: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(warning, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
