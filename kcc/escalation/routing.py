"""Department suggestions from earlier routings: the coordinator's choices teach the next one.

Every escalation that ends up with a department is an example (its masked question text and
that department); a correction by the coordinator simply changes the example. The index covers
the ROUTING_INDEX_SIZE most recently changed routings and refreshes every ROUTING_INDEX_TTL
seconds in the background.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from kcc.escalation.models import Escalation
from kcc.extensions import db
from kcc.index_cache import fresh_index, index_cache_named
from kcc.intake.models import Question
from kcc.nlp.routing import DepartmentSuggestion, Routing, RoutingIndex

# One index for the whole installation: departments serve every crisis of the region.
INDEX_KEY = "all"


def load_routings(*, limit: int) -> list[Routing]:
    """The most recently routed escalations, newest first (a correction counts as new)."""
    rows = db.session.execute(
        select(Question.text_masked, Escalation.department_id)
        .join(Question, Question.id == Escalation.question_id)
        .where(Escalation.department_id.is_not(None))
        .order_by(Escalation.updated_at.desc(), Escalation.id.desc())
        .limit(limit)
    ).all()
    return [Routing(text=row.text_masked, department_id=row.department_id) for row in rows]


def routing_index() -> RoutingIndex:
    """This process's routing index, refreshed when stale."""
    config = current_app.config

    def build() -> RoutingIndex:
        return RoutingIndex(load_routings(limit=config["ROUTING_INDEX_SIZE"]))

    return fresh_index(
        index_cache_named("routing"),
        INDEX_KEY,
        build,
        ttl=config["ROUTING_INDEX_TTL"],
        refresh_in_background=config["ROUTING_INDEX_TTL"] > 0,
    )


def suggest_department(text_masked: str) -> DepartmentSuggestion | None:
    """The department earlier routings of similar questions point at, if they agree enough."""
    return routing_index().suggest(text_masked)
