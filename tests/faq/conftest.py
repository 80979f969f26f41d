"""FAQ fixtures: entries made through the real editorial workflow (write, submit, publish)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from kcc.auth.models import User
from kcc.extensions import db, utcnow
from kcc.faq import editorial
from kcc.faq.editorial import EntryInput
from kcc.reference.models import Crisis, Municipality, Topic
from kcc.reference.services import CrisisInput, create_crisis

PublishEntry = Callable[..., int]


def find_user(username: str) -> User:
    """A demo user by username (the role code)."""
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def entry_input_for(
    crisis: str,
    question: str,
    answer: str,
    *,
    topic: str | None = None,
    municipality: str | None = None,
    replaces: int | None = None,
    translations: dict[str, tuple[str, str]] | None = None,
) -> EntryInput:
    """An EntryInput from codes: crisis and topic codes, the municipality's CBS code."""
    crisis_row = db.session.execute(select(Crisis).where(Crisis.code == crisis)).scalar_one()
    topic_id = None
    if topic is not None:
        topic_id = db.session.execute(
            select(Topic.id).where(Topic.crisis_id == crisis_row.id, Topic.code == topic)
        ).scalar_one()
    municipality_id = None
    if municipality is not None:
        municipality_id = db.session.execute(
            select(Municipality.id).where(Municipality.cbs_code == municipality)
        ).scalar_one()
    return EntryInput(
        crisis_id=crisis_row.id,
        question=question,
        answer=answer,
        topic_id=topic_id,
        municipality_id=municipality_id,
        replaces_entry_id=replaces,
        translations=translations or {},
    )


@pytest.fixture
def publish_entry(app: Flask, demo: None) -> PublishEntry:
    """Publish an entry the way people do: the coordinator writes and submits, the analyst
    publishes (four eyes). Returns the entry's id. Keyword arguments: see entry_input_for."""

    def publish(
        question: str,
        answer: str,
        *,
        crisis: str = "oekraine",
        now: datetime | None = None,
        **details: object,
    ) -> int:
        moment = now or utcnow()
        with app.app_context():
            coordinator, analyst = find_user("coordinator"), find_user("analyst")
            data = entry_input_for(crisis, question, answer, **details)  # type: ignore[arg-type]
            entry = editorial.create_entry(data, user=coordinator, now=moment)
            entry = editorial.take_action(
                entry.id, "submit", user=coordinator, seen_version=entry.version, now=moment
            )
            entry = editorial.take_action(
                entry.id, "publish", user=analyst, seen_version=entry.version, now=moment
            )
            return entry.id

    return publish


@pytest.fixture
def new_crisis(app: Flask, demo: None) -> Callable[[str], str]:
    """Add a crisis with the oekraine template's topics and no FAQ yet (the demo has one);
    returns its code."""

    def add(code: str, name: str = "Opvang testcrisis") -> str:
        with app.app_context():
            data = CrisisInput(name=name, start_date=date(2026, 1, 1))
            return create_crisis(code, data, template_code="oekraine").code

    return add
