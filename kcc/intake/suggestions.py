"""Suggestions while an agent types: earlier answers to similar questions in the same crisis.

Each process keeps one index per crisis over its most recent answered questions (masked text
only: suggestions show other agents' work, never a caller's personal data). An index is rebuilt
when it is older than SUGGESTION_INDEX_TTL seconds, so new answers show up within minutes and a
keystroke never waits for the database beyond one small query.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from kcc.extensions import db
from kcc.intake.models import AnswerSource, Question
from kcc.nlp.similarity import AnswerDocument, AnswerIndex

EXTENSION_KEY = "kcc.suggestion_indexes"


@dataclass
class CachedIndex:
    """An index and when it was built (monotonic seconds)."""

    index: AnswerIndex
    built_at: float


def load_answer_documents(crisis_id: int, *, limit: int) -> list[AnswerDocument]:
    """The crisis's most recent answered questions, masked, newest first."""
    rows = db.session.execute(
        select(Question.id, Question.text_masked, Question.answer_masked, Question.reference)
        .where(Question.crisis_id == crisis_id, Question.answer_masked.is_not(None))
        .order_by(Question.received_at.desc())
        .limit(limit)
    ).all()
    return [
        AnswerDocument(
            source_id=row.id,
            question=row.text_masked,
            answer=row.answer_masked,
            label=row.reference or "",
        )
        for row in rows
    ]


def index_cache() -> tuple[dict[int, CachedIndex], threading.Lock]:
    """This app's per-crisis indexes and the lock that guards rebuilding them."""
    return current_app.extensions.setdefault(EXTENSION_KEY, ({}, threading.Lock()))


def answer_index_for(crisis_id: int) -> AnswerIndex:
    """Return a fresh enough index for the crisis, building it when needed."""
    cache, lock = index_cache()
    ttl = current_app.config["SUGGESTION_INDEX_TTL"]
    cached = cache.get(crisis_id)
    if cached is not None and time.monotonic() - cached.built_at < ttl:
        return cached.index
    with lock:
        cached = cache.get(crisis_id)
        if cached is None or time.monotonic() - cached.built_at >= ttl:
            documents = load_answer_documents(
                crisis_id, limit=current_app.config["SUGGESTION_INDEX_SIZE"]
            )
            cached = CachedIndex(AnswerIndex(documents), time.monotonic())
            cache[crisis_id] = cached
    return cached.index


def suggest_for(crisis_id: int, text: str, *, limit: int = 5) -> dict[str, Any]:
    """The JSON the form shows: a predicted topic (none yet) and matching earlier answers."""
    matches = answer_index_for(crisis_id).search(text, limit=limit) if text.strip() else []
    return {
        "topic": None,
        "suggestions": [
            {
                "kind": AnswerSource.QUESTION.value,
                "id": match.document.source_id,
                "reference": match.document.label,
                "question": match.document.question,
                "answer": match.document.answer,
                "score": match.score,
            }
            for match in matches
        ],
    }
