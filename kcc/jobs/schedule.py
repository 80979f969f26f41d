"""Periodic jobs: which are due when, and enqueueing each due run exactly once.

Time is divided into slots per job (every minute, every hour, each local day after a set
time). A scheduler claims a slot before it enqueues the job; with Redis the claim is a key
set only if absent (SET NX with an expiry), so any number of schedulers on any machines
enqueue each run once and a scheduler that restarts does not repeat it. Without Redis the
claims live in the process: run one scheduler then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# The municipalities' clock: "daily at 02:00" means Dutch time, also across summer time.
LOCAL_TIMEZONE = ZoneInfo("Europe/Amsterdam")
SLOT_KEY_PREFIX = "kcc:schedule:"


@dataclass(frozen=True)
class Periodic:
    """A job due once per slot: every `every`, or daily from `daily_at` (local time)."""

    job: str
    every: timedelta | None = None
    daily_at: time | None = None
    working_days_only: bool = False
    # A config key that must be set for the job to make sense (e.g. a mailbox host).
    needs_setting: str | None = None

    def slot(self, now: datetime) -> str | None:
        """The slot `now` falls in, or None when the job is not due at this moment."""
        if self.every is not None:
            seconds = int(self.every.total_seconds())
            return f"{self.job}:{int(now.timestamp()) // seconds}"
        local = now.astimezone(LOCAL_TIMEZONE)
        if self.working_days_only and local.weekday() >= 5:
            return None
        if self.daily_at is not None and local.time() < self.daily_at:
            return None
        return f"{self.job}:{local.date().isoformat()}"

    def slot_lifetime(self) -> timedelta:
        """How long a claimed slot must be remembered: a little longer than the slot."""
        return (self.every or timedelta(days=1)) + timedelta(hours=1)


# Times follow the CLI commands' advice: purge at night, signals after closing time and hourly
# during the day, the digest before the working day starts.
SCHEDULE: tuple[Periodic, ...] = (
    Periodic("purge", daily_at=time(2, 0)),
    Periodic("signals", every=timedelta(hours=1)),
    Periodic("digest", daily_at=time(8, 0), working_days_only=True),
    Periodic("notify-deadlines", every=timedelta(minutes=15)),
    Periodic("webhooks-send", every=timedelta(minutes=1)),
    Periodic("mail-intake-poll", every=timedelta(minutes=1), needs_setting="MAIL_INTAKE_HOST"),
)


SlotClaim = Callable[[str, timedelta], bool]


@dataclass
class InProcessClaims:
    """Slot claims for a scheduler without Redis: remembered by this process only."""

    claimed: set[str] = field(default_factory=set)

    def __call__(self, slot: str, lifetime: timedelta) -> bool:
        if slot in self.claimed:
            return False
        self.claimed.add(slot)
        return True


def due_jobs(
    now: datetime,
    claim: SlotClaim,
    *,
    settings: dict[str, object],
    schedule: Iterable[Periodic] = SCHEDULE,
) -> list[str]:
    """The names of the jobs due now whose slot this scheduler won (each slot once)."""
    due = []
    for periodic in schedule:
        if periodic.needs_setting and not settings.get(periodic.needs_setting):
            continue
        slot = periodic.slot(now)
        if slot is not None and claim(slot, periodic.slot_lifetime()):
            due.append(periodic.job)
    return due
