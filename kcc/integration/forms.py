"""Forms of the integration screens."""

from __future__ import annotations

from kcc.intake.forms import DutchForm


class RetryPushForm(DutchForm):
    """Try a push to Open Klant again (only the CSRF token)."""
