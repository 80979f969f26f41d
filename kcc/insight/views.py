"""Insight screens for communication advisers and coordinators: the dashboard (signals, the
weekly report and online messages add their routes from their own modules)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("insight", __name__)
