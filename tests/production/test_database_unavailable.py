"""A database that cannot be reached answers 503 with Retry-After, never 500 (issue 10)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_test_app
from tests.production.conftest import free_port


def test_an_unreachable_database_answers_503_with_retry_after(instance_path: Path) -> None:
    # Nobody listens on this port: every query fails to connect, as while PostgreSQL restarts.
    app = make_test_app(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/kcc?connect_timeout=2",
        instance_path,
    )
    client = app.test_client()

    api = client.get("/api/v1/questions", headers={"Authorization": "Bearer kcc_unknown"})
    page = client.get("/faq/")

    assert api.status_code == 503
    assert api.headers["Retry-After"] == "5"
    assert api.get_json()["errors"][""] == [
        "De database is even niet bereikbaar. Wat u invulde is niet verloren: probeer het over "
        "enkele seconden opnieuw."
    ]
    assert page.status_code == 503
    assert "Even niet bereikbaar" in page.get_data(as_text=True)
