"""Suggestions while an agent types: earlier answers to similar questions in the same crisis.

Each process keeps one index per crisis over its most recent answered questions (masked text
only: suggestions show other agents' work, never a caller's personal data). An index is rebuilt
when it is older than SUGGESTION_INDEX_TTL seconds, in a background thread while the old one
keeps answering, so new answers show up within minutes and a keystroke never waits for it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from kcc.classification.services import classify
from kcc.extensions import db
from kcc.faq.suggestions import faq_suggestions
from kcc.index_cache import IndexCache, fresh_index, index_cache_named
from kcc.intake.models import AnswerSource, Question
from kcc.nlp.similarity import AnswerDocument, AnswerIndex
from kcc.nlp.store import ModelStoreError
from kcc.privacy.masking import mask_personal_data
from kcc.reference.models import Topic


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


def index_cache() -> IndexCache:
    """This process's answer indexes, one per crisis."""
    return index_cache_named("suggestions")


def answer_index_for(crisis_id: int) -> AnswerIndex:
    """Return an index over the crisis's recent answers; a stale one refreshes itself."""
    config = current_app.config

    def build() -> AnswerIndex:
        return AnswerIndex(load_answer_documents(crisis_id, limit=config["SUGGESTION_INDEX_SIZE"]))

    return fresh_index(
        index_cache(),
        crisis_id,
        build,
        ttl=config["SUGGESTION_INDEX_TTL"],
        refresh_in_background=config["SUGGESTION_INDEX_REFRESH_IN_BACKGROUND"],
    )


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
    # Published FAQ entries first: the approved public answer beats an earlier agent's words.
    faq = faq_suggestions(crisis_id, text, limit=min(3, limit))
    remaining = limit - len(faq)
    matches = answer_index_for(crisis_id).search(text, limit=remaining) if remaining > 0 else []
    topic, sentiment = predicted_labels(crisis_id, text)
    return {
        "topic": topic,
        "sentiment": sentiment,
        "suggestions": faq
        + [
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
