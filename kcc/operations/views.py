"""Probes for process managers and load balancers: /healthz (alive) and /readyz (ready)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from kcc.extensions import limiter
from kcc.operations.health import check_readiness

bp = Blueprint("operations", __name__)


def probe_response(body: dict[str, object], status: int) -> tuple[Response, int]:
    """A JSON probe answer that no cache keeps."""
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """Answer while the process runs; touches neither the database nor the models."""
    return probe_response({"status": "ok"}, 200)


@bp.get("/readyz")
@limiter.exempt
def readyz() -> tuple[Response, int]:
    """200 when the database answers and the active models load, 503 with the reasons if not."""
    readiness = check_readiness()
    if readiness.is_ready:
        return probe_response({"status": "ok", "checks": readiness.checks}, 200)
    return probe_response({"status": "unavailable", "checks": readiness.checks}, 503)
