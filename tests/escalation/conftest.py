"""Escalation fixtures: the demo region by id and a way to escalate a question at a given time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy import select

from kcc.auth.models import User
from kcc.extensions import db
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.reference.models import Crisis, Department, Municipality


@dataclass(frozen=True)
class Region:
    """Ids of the demo records the escalation tests use."""

    hilversum: int
    oekraine: int
    corona: int
    users: dict[str, int]
    departments: dict[str, int]


@pytest.fixture
def region(app: Flask, demo: None) -> Region:
    """The demo region; the specialist works at Publiekszaken and has an e-mail address."""
    with app.app_context():
        municipality = {m.name: m.id for m in db.session.execute(select(Municipality)).scalars()}
        crisis = {c.code: c.id for c in db.session.execute(select(Crisis)).scalars()}
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        users["specialist"].email = "specialist@gemeente.test"
        users["coordinator"].email = "coordinator@gemeente.test"
        db.session.commit()
        return Region(
            hilversum=municipality["Hilversum"],
            oekraine=crisis["oekraine"],
            corona=crisis["corona"],
            users={name: user.id for name, user in users.items()},
            departments={d.name: d.id for d in db.session.execute(select(Department)).scalars()},
        )


def escalate_question(
    app: Flask,
    region: Region,
    *,
    text: str = "Wanneer gaat de nieuwe opvanglocatie open?",
    caller_type: str = "inwoner",
    priority: str | None = None,
    sentiment: str | None = None,
    topic_id: int | None = None,
    now: datetime | None = None,
    email: str = "k.deboer@example.nl",
) -> int:
    """Register an escalated question (as the agent) and return its escalation's id."""
    with app.app_context():
        question = register_question(
            QuestionInput(
                channel="telefoon",
                caller_type=caller_type,
                municipality_id=region.hilversum,
                crisis_id=region.oekraine,
                text=text,
                escalate=True,
                contact=ContactInput(name="K. de Boer", phone="06-12345678", email=email),
                priority=priority,
                sentiment=sentiment,
                topic_id=topic_id,
                received_at=now,
            ),
            user_id=region.users["agent"],
            now=now,
        ).question
        assert question.escalation is not None
        return question.escalation.id
