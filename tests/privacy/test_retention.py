"""The retention policy: defaults from the Selectielijst, overrides checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config import ConfigurationError, retention_days_from
from kcc.privacy.retention import RetentionPolicy


def test_defaults_and_overrides() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    policy = RetentionPolicy.from_days({"contact_details": 14})

    assert policy.expired_before("contact_details", now) == datetime(2026, 11, 9, tzinfo=UTC)
    assert policy.expired_before("questions", now) == datetime(2025, 11, 23, tzinfo=UTC)
    assert policy.login_events == 183


@pytest.mark.parametrize("days", [{"bestaat_niet": 5}, {"questions": 0}])
def test_nonsense_is_refused(days: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        RetentionPolicy.from_days(days)


def test_the_environment_sets_retention_days() -> None:
    assert retention_days_from({"KCC_RETENTION_CONTACT_DETAILS_DAYS": "30"}) == {
        "contact_details": 30
    }
    with pytest.raises(ConfigurationError):
        retention_days_from({"KCC_RETENTION_QUESTIONS_DAYS": "een jaar"})
