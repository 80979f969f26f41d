"""The public FAQ pages: no login, cacheable, accessible."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("faq_public", __name__)
