"""The coordinator's FAQ screens: entries and their workflow (clusters in cluster_views.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("faq", __name__)
