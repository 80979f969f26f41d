"""How long each kind of data is kept, and the moment before which it has expired.

Defaults follow the VNG Selectielijst gemeenten: a resident's request for information is
destroyed after one year; login traces after six months; contact details as soon as the
call-back they were asked for can no longer be pending. Published FAQ versions are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_DAYS = {
    # A call-back or escalation is handled within days; sixty leaves room for slow cases.
    "contact_details": 60,
    # Selectielijst: "informatieverzoek van een burger": vernietigen na 1 jaar.
    "questions": 365,
    # BIO: login and failed-login traces, six months.
    "login_events": 183,
    # The rest of the audit log (views of personal data, changes), so an access request or a
    # complaint about last year can still be answered.
    "audit_events": 730,
    # Online messages (masked media-monitoring exports): kept as long as the questions they are
    # compared with.
    "online_messages": 365,
}


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind of data is kept after the moment it was recorded."""

    contact_details: int = DEFAULT_DAYS["contact_details"]
    questions: int = DEFAULT_DAYS["questions"]
    login_events: int = DEFAULT_DAYS["login_events"]
    audit_events: int = DEFAULT_DAYS["audit_events"]
    online_messages: int = DEFAULT_DAYS["online_messages"]

    @classmethod
    def from_days(cls, days: Mapping[str, int]) -> RetentionPolicy:
        """A policy from a mapping such as the RETENTION_DAYS setting; unknown keys fail."""
        unknown = set(days) - set(DEFAULT_DAYS)
        if unknown:
            raise ValueError(f"unknown retention kinds: {sorted(unknown)}")
        if any(int(value) < 1 for value in days.values()):
            raise ValueError("retention periods are at least one day")
        return cls(**{key: int(value) for key, value in days.items()})

    def expired_before(self, kind: str, now: datetime) -> datetime:
        """Records of this kind recorded before the returned moment have expired."""
        return now - timedelta(days=getattr(self, kind))
