"""The coordinator's cluster screens: runs, clusters ranked by size and growth, merge, split."""

from __future__ import annotations

from kcc.faq.views import bp  # noqa: F401  (routes are added to the FAQ blueprint)
