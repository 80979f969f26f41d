"""Every request gets an id, echoed in the response and written on its log line."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask

from kcc.observability import JsonFormatter, RequestIdFilter


def test_a_request_id_is_generated_and_echoed(app: Flask) -> None:
    client = app.test_client()

    first = client.get("/login").headers["X-Request-ID"]
    second = client.get("/login").headers["X-Request-ID"]

    assert len(first) == 32 and first != second


@pytest.mark.parametrize(
    ("sent", "kept"), [("abc-12345678", True), ("bad id;drop-1234567", False), ("x", False)]
)
def test_a_callers_request_id_is_kept_only_when_well_formed(
    app: Flask, sent: str, kept: bool
) -> None:
    echoed = app.test_client().get("/login", headers={"X-Request-ID": sent}).headers["X-Request-ID"]

    assert (echoed == sent) is kept


def test_json_log_lines_carry_the_request_id_and_the_request(app: Flask) -> None:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    collector = Collect()
    collector.addFilter(RequestIdFilter())
    app.logger.addHandler(collector)
    try:
        app.test_client().get("/login", headers={"X-Request-ID": "req-abcdefgh"})
    finally:
        app.logger.removeHandler(collector)

    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["request_id"] == "req-abcdefgh"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/login", 200)
    assert line["level"] == "INFO"
