"""Local (Dutch) time for display and for anything a person reads, like reference years."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL_TIMEZONE = ZoneInfo("Europe/Amsterdam")


def to_local(moment: datetime) -> datetime:
    """Convert an aware UTC timestamp to Dutch local time."""
    return moment.astimezone(LOCAL_TIMEZONE)


def format_local(moment: datetime | None, pattern: str = "%d-%m-%Y %H:%M") -> str:
    """Render a timestamp the Dutch way (dd-mm-jjjj uu:mm), or an empty string."""
    return to_local(moment).strftime(pattern) if moment else ""
