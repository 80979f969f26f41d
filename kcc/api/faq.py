"""The public FAQ feed: /api/v1/faq?crisis=CODE."""

from __future__ import annotations

from kcc.api.views import bp  # noqa: F401
