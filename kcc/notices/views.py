"""Screens for notices: coordinators write them, agents read and acknowledge them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notices", __name__)
