"""Insight routes added to the insight blueprint."""

from __future__ import annotations

from kcc.insight.views import bp  # noqa: F401  (routes are added to the insight blueprint)
