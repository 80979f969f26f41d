"""Screens of the integrations (Klantinteracties pushes)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("integration", __name__)
