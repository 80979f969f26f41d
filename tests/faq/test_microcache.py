"""The public FAQ's micro-cache: anonymous repeats from memory, everyone else to the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from kcc.extensions import db
from kcc.faq.microcache import MicroCache
from tests.conftest import make_test_app
from tests.faq.conftest import PublishEntry

FIRST_Q = "Waar meld ik mij als gastgezin?"
SECOND_Q = "Wanneer opent de nieuwe opvanglocatie?"


@pytest.fixture
def cached_app(migrated_database: str, instance_path: Path) -> Iterator[Callable[[float], Flask]]:
    """Make second apps on the test database with the micro-cache on; their engines are closed
    afterwards (an open PostgreSQL connection left to the garbage collector is a warning)."""
    made: list[Flask] = []

    def make(seconds: float) -> Flask:
        made.append(make_test_app(migrated_database, instance_path, FAQ_MICROCACHE_SECONDS=seconds))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_anonymous_repeats_come_from_memory_and_cookies_go_to_the_app(
    app: Flask, publish_entry: PublishEntry, cached_app: Callable[[float], Flask]
) -> None:
    publish_entry(FIRST_Q, "Meld u bij de gemeente.")
    cached = cached_app(60)
    visitor, employee = cached.test_client(), cached.test_client()
    employee.set_cookie("kcc_session", "abc")
    first = visitor.get("/faq/oekraine/")
    assert FIRST_Q in first.get_data(as_text=True)

    publish_entry(SECOND_Q, "In maart.")
    repeat = visitor.get("/faq/oekraine/")
    with_cookie = employee.get("/faq/oekraine/")

    assert SECOND_Q not in repeat.get_data(as_text=True)  # the copy of a moment ago
    assert repeat.headers["ETag"] == first.headers["ETag"]
    assert "X-Request-Id" not in repeat.headers and "Set-Cookie" not in repeat.headers
    assert repeat.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert SECOND_Q in with_cookie.get_data(as_text=True)  # never a shared copy
    revalidated = visitor.get("/faq/oekraine/", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.data == b""
    head = visitor.head("/faq/oekraine/")
    assert head.status_code == 200 and head.data == b""


def test_error_pages_are_never_kept(
    app: Flask,
    publish_entry: PublishEntry,
    new_crisis: Callable[..., str],
    cached_app: Callable[[float], Flask],
) -> None:
    visitor = cached_app(60).test_client()
    assert visitor.get("/faq/hoogwater/").status_code == 404  # no such crisis yet
    new_crisis("hoogwater", "Hoogwater")
    publish_entry(FIRST_Q, "Meld u bij de gemeente.", crisis="hoogwater")
    assert visitor.get("/faq/hoogwater/").status_code == 200


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_stored_answer_expires_after_its_seconds() -> None:
    calls: list[str] = []

    def page(environ: dict, start_response) -> list[bytes]:  # type: ignore[no-untyped-def]
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Cache-Control", "public, max-age=60"), ("ETag", '"v1"')])
        return [f"page {len(calls)}".encode()]

    clock = Clock()
    cache = MicroCache(page, prefixes=("/faq/",), seconds=1.0, clock=clock)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/faq/x/", "QUERY_STRING": ""}

    def get() -> bytes:
        return b"".join(cache(dict(environ), lambda status, headers: None))

    assert get() == b"page 1"
    clock.now = 0.9
    assert get() == b"page 1"
    clock.now = 1.0
    assert get() == b"page 2"
    assert b"".join(cache({**environ, "PATH_INFO": "/elders"}, lambda s, h: None)) == b"page 3"
    assert len(calls) == 3
