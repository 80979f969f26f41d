"""Structured logs with a request id on every line and every response."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only if it looks like one, so logs cannot be forged with newlines.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
QUIET_WHEN_HEALTHY_ENDPOINTS = frozenset({"operations.healthz", "operations.readyz"})
STANDARD_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    """Attach the current request id (or '-') to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """Return the fields a log call added with extra={...} (and the request id)."""
    return {k: v for k, v in vars(record).items() if k not in STANDARD_RECORD_FIELDS}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: easy to ship to a log platform and to search."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(extra_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Readable lines for development: time, level, message, then key=value fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{k}={v}" for k, v in extra_fields(record).items())
        return f"{line} {fields}" if fields else line


def configure_logging(app: Flask) -> None:
    """Send the app's logs to stderr, as JSON lines or as readable text."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if app.config["LOG_JSON"]:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(message)s"))
    app.logger.handlers = [handler]
    app.logger.setLevel(logging.INFO)
    app.logger.propagate = False


def start_request_log() -> None:
    """Give the request an id and note its start time."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def is_worth_logging(endpoint: str | None, status: int) -> bool:
    """Static files never; probes only when they fail (a platform asks every few seconds)."""
    if endpoint == "static":
        return False
    if endpoint in QUIET_WHEN_HEALTHY_ENDPOINTS:
        return status >= 400
    return True


def finish_request_log(response: Response) -> Response:
    """Echo the request id and log one line per request."""
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
    if is_worth_logging(request.endpoint, response.status_code):
        duration_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        current_app.logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration_ms, 2),
            },
        )
    return response


def register_request_logging(app: Flask) -> None:
    """Hook the request id and access log into every request."""
    configure_logging(app)
    # First of all before-request hooks: a request that CSRF or a rate limit stops earlier
    # still gets its id and duration.
    app.before_request_funcs.setdefault(None, []).insert(0, start_request_log)
    app.after_request(finish_request_log)
