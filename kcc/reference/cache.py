"""Municipalities, crises and topics for the hot paths: a snapshot per process, kept briefly.

Every registration looks up its municipality and crisis by code, checks that they and its topic
are active, reads the service levels an escalation's deadline needs and names all three in the
API's answer. As separate ORM queries that was nine statements (3-4 ms of CPU) for three small
tables that change a few times per crisis. The snapshot holds them as plain frozen values and is
reloaded when it is older than REFRESH_SECONDS, or at once after this process committed a change
to one of the tables (kcc.local_cache's ChangeWatch). A change made through another app server shows
here within REFRESH_SECONDS: a deactivated municipality can still be chosen that long there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from kcc.extensions import db
from kcc.local_cache import ChangeWatch, remembered
from kcc.reference.models import Crisis, Municipality, Topic

REFRESH_SECONDS = 30.0
REFERENCE_MODELS = (Municipality, Crisis, Topic)


@dataclass(frozen=True)
class MunicipalityRef:
    id: int
    cbs_code: str
    name: str
    is_active: bool


@dataclass(frozen=True)
class CrisisRef:
    id: int
    code: str
    is_active: bool
    response_hours: float


@dataclass(frozen=True)
class TopicRef:
    id: int
    crisis_id: int
    code: str
    is_active: bool
    response_hours: float | None
    default_department_id: int | None


@dataclass(frozen=True)
class ReferenceSnapshot:
    """The three tables as they were when read, looked up by id and by code."""

    municipalities: dict[int, MunicipalityRef]
    municipality_ids_by_code: dict[str, int]
    crises: dict[int, CrisisRef]
    crisis_ids_by_code: dict[str, int]
    topics: dict[int, TopicRef]
    topic_ids_by_crisis_and_code: dict[tuple[int, str], int]

    def municipality_by_code(self, cbs_code: str) -> MunicipalityRef | None:
        found = self.municipality_ids_by_code.get(cbs_code.strip().upper())
        return self.municipalities[found] if found is not None else None

    def crisis_by_code(self, code: str) -> CrisisRef | None:
        found = self.crisis_ids_by_code.get(code.strip().lower())
        return self.crises[found] if found is not None else None

    def topic_id(self, crisis_id: int, code: str) -> int | None:
        return self.topic_ids_by_crisis_and_code.get((crisis_id, code))


# Commits of this process that changed a reference table: the snapshot is reloaded after one.
reference_changes = ChangeWatch(*REFERENCE_MODELS)


def reference_snapshot(*, max_age: float = REFRESH_SECONDS) -> ReferenceSnapshot:
    """This process's snapshot of the reference tables, reloaded when older than max_age or
    changed here."""
    return remembered(reference_changes, ("reference-snapshot",), load_snapshot, seconds=max_age)


# A row missing from the snapshot may be newer than it (made through another server): look
# again in a fresh one, but not more than once a second, so unknown codes cannot make every
# request reload the tables.
MISS_RELOAD_SECONDS = 1.0


def municipality_by_code(cbs_code: str) -> MunicipalityRef | None:
    """The municipality with this CBS code (any case), if it exists."""
    found = reference_snapshot().municipality_by_code(cbs_code)
    return found or reference_snapshot(max_age=MISS_RELOAD_SECONDS).municipality_by_code(cbs_code)


def crisis_by_code(code: str) -> CrisisRef | None:
    """The crisis with this code (any case), if it exists."""
    found = reference_snapshot().crisis_by_code(code)
    return found or reference_snapshot(max_age=MISS_RELOAD_SECONDS).crisis_by_code(code)


def municipality_ref(municipality_id: int) -> MunicipalityRef | None:
    found = reference_snapshot().municipalities.get(municipality_id)
    return found or reference_snapshot(max_age=MISS_RELOAD_SECONDS).municipalities.get(
        municipality_id
    )


def crisis_ref(crisis_id: int) -> CrisisRef | None:
    found = reference_snapshot().crises.get(crisis_id)
    return found or reference_snapshot(max_age=MISS_RELOAD_SECONDS).crises.get(crisis_id)


def topic_ref(topic_id: int) -> TopicRef | None:
    found = reference_snapshot().topics.get(topic_id)
    return found or reference_snapshot(max_age=MISS_RELOAD_SECONDS).topics.get(topic_id)


def topic_id_by_code(crisis_id: int, code: str) -> int | None:
    """The id of the crisis's topic with this code."""
    found = reference_snapshot().topic_id(crisis_id, code)
    if found is None:
        found = reference_snapshot(max_age=MISS_RELOAD_SECONDS).topic_id(crisis_id, code)
    return found


def load_snapshot() -> ReferenceSnapshot:
    """Read the three tables in three plain queries (a few hundred rows at most)."""
    # Plain column queries: nothing enters the request's session or its identity map.
    municipalities = {
        row.id: MunicipalityRef(row.id, row.cbs_code, row.name, row.is_active)
        for row in db.session.execute(
            select(
                Municipality.id, Municipality.cbs_code, Municipality.name, Municipality.is_active
            )
        )
    }
    crises = {
        row.id: CrisisRef(row.id, row.code, row.is_active, float(row.response_hours))
        for row in db.session.execute(
            select(Crisis.id, Crisis.code, Crisis.is_active, Crisis.response_hours)
        )
    }
    topics = {
        row.id: TopicRef(
            row.id,
            row.crisis_id,
            row.code,
            row.is_active,
            row.response_hours,
            row.default_department_id,
        )
        for row in db.session.execute(
            select(
                Topic.id,
                Topic.crisis_id,
                Topic.code,
                Topic.is_active,
                Topic.response_hours,
                Topic.default_department_id,
            )
        )
    }
    return ReferenceSnapshot(
        municipalities=municipalities,
        municipality_ids_by_code={m.cbs_code.upper(): m.id for m in municipalities.values()},
        crises=crises,
        crisis_ids_by_code={c.code.lower(): c.id for c in crises.values()},
        topics=topics,
        topic_ids_by_crisis_and_code={(t.crisis_id, t.code): t.id for t in topics.values()},
    )
