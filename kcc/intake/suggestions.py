"""Suggestions while an agent types: earlier answers to similar questions in the same crisis.

Each process keeps one index per crisis over its most recent answered questions (masked text
only: suggestions show other agents' work, never a caller's personal data). An index is rebuilt
when it is older than SUGGESTION_INDEX_TTL seconds, in a background thread while the old one
keeps answering, so new answers show up within minutes and a keystroke never waits for it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from kcc.classification.services import classify
from kcc.extensions import db
from kcc.intake.models import AnswerSource, Question
from kcc.memory import exempt_long_lived_objects_from_collection
from kcc.nlp.similarity import AnswerDocument, AnswerIndex
from kcc.nlp.store import ModelStoreError
from kcc.privacy.masking import mask_personal_data
from kcc.reference.models import Topic

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


@dataclass
class IndexCache:
    """This app's per-crisis indexes, the lock that guards them, and rebuilds under way."""

    indexes: dict[int, CachedIndex] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rebuilding: set[int] = field(default_factory=set)


def index_cache() -> IndexCache:
    """The cache kept on the current app (one per process)."""
    return current_app.extensions.setdefault(EXTENSION_KEY, IndexCache())


def build_index(crisis_id: int) -> CachedIndex:
    """Read the crisis's recent answers and index them."""
    documents = load_answer_documents(crisis_id, limit=current_app.config["SUGGESTION_INDEX_SIZE"])
    cached = CachedIndex(AnswerIndex(documents), time.monotonic())
    exempt_long_lived_objects_from_collection()
    return cached


def rebuild_in_background(app: Flask, cache: IndexCache, crisis_id: int) -> None:
    """Replace a stale index without making a typing agent wait the seconds it takes."""
    with cache.lock:
        if crisis_id in cache.rebuilding:
            return
        cache.rebuilding.add(crisis_id)

    def rebuild() -> None:
        try:
            with app.app_context():
                cache.indexes[crisis_id] = build_index(crisis_id)
                db.session.remove()
        finally:
            cache.rebuilding.discard(crisis_id)

    threading.Thread(target=rebuild, name=f"suggestions-{crisis_id}", daemon=True).start()


def answer_index_for(crisis_id: int) -> AnswerIndex:
    """Return an index for the crisis; a stale one is refreshed behind the scenes."""
    cache = index_cache()
    cached = cache.indexes.get(crisis_id)
    ttl = current_app.config["SUGGESTION_INDEX_TTL"]
    if cached is not None and time.monotonic() - cached.built_at < ttl:
        return cached.index
    if cached is not None and current_app.config["SUGGESTION_INDEX_REFRESH_IN_BACKGROUND"]:
        rebuild_in_background(current_app._get_current_object(), cache, crisis_id)  # type: ignore[attr-defined]
        return cached.index
    cached = build_index(crisis_id)  # the first request of a process waits for it
    cache.indexes[crisis_id] = cached
    return cached.index


def predicted_labels(crisis_id: int, text: str) -> tuple[dict[str, Any] | None, Any]:
    """The topic and sentiment the models expect for the masked text, for the agent to accept."""
    try:
        result = classify(crisis_id, mask_personal_data(text))
    except ModelStoreError:
        return None, None
    topic = db.session.get(Topic, result.topic_id) if result.topic_id else None
    topic_json = (
        {
            "id": topic.id,
            "code": topic.code,
            "name": topic.name,
            "confidence": result.topic_confidence,
        }
        if topic
        else None
    )
    sentiment_json = (
        {"label": result.sentiment, "confidence": result.sentiment_confidence}
        if result.sentiment
        else None
    )
    return topic_json, sentiment_json


def suggest_for(crisis_id: int, text: str, *, limit: int = 5) -> dict[str, Any]:
    """The JSON the form shows: predicted topic and sentiment, and matching earlier answers."""
    if not text.strip():
        return {"topic": None, "sentiment": None, "suggestions": []}
    matches = answer_index_for(crisis_id).search(text, limit=limit)
    topic, sentiment = predicted_labels(crisis_id, text)
    return {
        "topic": topic,
        "sentiment": sentiment,
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
