"""Published FAQ entries as intake suggestions: what the public reads is what agents say first.

One small index per crisis over its live entries (their live question, plain answer), rebuilt
after SUGGESTION_INDEX_TTL seconds like the index of earlier answers. Entries flagged
'controleren' are still offered, marked, so the agent knows to double-check before reading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from kcc.extensions import db
from kcc.faq.formatting import plain_answer
from kcc.faq.models import FaqEntry
from kcc.index_cache import fresh_index, index_cache_named
from kcc.intake.models import AnswerSource
from kcc.nlp.similarity import AnswerDocument, AnswerIndex


@dataclass(frozen=True)
class FaqSuggestionIndex:
    """The index over a crisis's live entries, and what the agent must know about each."""

    index: AnswerIndex
    flagged: frozenset[int]
    scope: dict[int, str]


def load_faq_index(crisis_id: int) -> FaqSuggestionIndex:
    """Index the crisis's public entries (live text only)."""
    entries = db.session.scalars(
        select(FaqEntry).where(FaqEntry.crisis_id == crisis_id, FaqEntry.is_public.is_(True))
    ).all()
    documents = [
        AnswerDocument(
            source_id=entry.id,
            question=entry.live_question or "",
            answer=plain_answer(entry.live_answer or ""),
            label=f"veelgestelde vraag {entry.id}",
        )
        for entry in entries
    ]
    return FaqSuggestionIndex(
        index=AnswerIndex(documents),
        flagged=frozenset(entry.id for entry in entries if entry.needs_check),
        scope={
            entry.id: entry.municipality.name if entry.municipality else "hele regio"
            for entry in entries
        },
    )


def faq_index_for(crisis_id: int) -> FaqSuggestionIndex:
    """This process's index of the crisis's public entries; a stale one refreshes itself."""
    config = current_app.config
    return fresh_index(
        index_cache_named("faq-suggestions"),
        crisis_id,
        lambda: load_faq_index(crisis_id),
        ttl=config["SUGGESTION_INDEX_TTL"],
        refresh_in_background=config["SUGGESTION_INDEX_REFRESH_IN_BACKGROUND"],
    )


def faq_suggestions(crisis_id: int, text: str, *, limit: int = 3) -> list[dict[str, Any]]:
    """The public entries that fit the typed question, best first, as the form's JSON."""
    found = faq_index_for(crisis_id)
    return [
        {
            "kind": AnswerSource.FAQ.value,
            "id": match.document.source_id,
            "reference": match.document.label,
            "question": match.document.question,
            "answer": match.document.answer,
            "score": match.score,
            "needs_check": match.document.source_id in found.flagged,
            "scope": found.scope.get(match.document.source_id, ""),
        }
        for match in found.index.search(text, limit=limit)
    ]
