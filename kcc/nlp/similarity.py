"""Find earlier answers that fit a question being typed: a small in-memory TF-IDF index.

Character n-grams make the match robust to the typos, abbreviations and Dutch compounds of
notes typed during a call ("leefgeld" matches "leefgeldbetaling"). The index holds a bounded
window of recent answered questions, so a query costs the same at a thousand rows or a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

# Below this cosine similarity a match is noise rather than a hint worth an agent's glance.
MIN_SCORE = 0.12


@dataclass(frozen=True)
class AnswerDocument:
    """An earlier question with the answer given, both already masked."""

    source_id: int
    question: str
    answer: str
    label: str = ""


@dataclass(frozen=True)
class AnswerMatch:
    """A document that fits the typed question, with its cosine similarity (0–1)."""

    document: AnswerDocument
    score: float


def build_vectorizer() -> TfidfVectorizer:
    """Character n-grams within word boundaries, lower-cased, accents folded."""
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        lowercase=True,
        strip_accents="unicode",
        sublinear_tf=True,
        min_df=1,
        dtype=np.float32,
    )


class AnswerIndex:
    """Ranks documents by similarity of their question to a query text."""

    def __init__(self, documents: Sequence[AnswerDocument]) -> None:
        self.documents = list(documents)
        self.vectorizer = build_vectorizer()
        self.postings = None
        if self.documents:
            matrix = self.vectorizer.fit_transform(d.question for d in self.documents)
            # Features × documents: a query touches only the rows of its own n-grams (an
            # inverted index), about ten times less work than scoring every document.
            self.postings = matrix.T.tocsr()

    def __len__(self) -> int:
        return len(self.documents)

    def search(
        self, text: str, *, limit: int = 5, min_score: float = MIN_SCORE
    ) -> list[AnswerMatch]:
        """Return the best matches, at most one per distinct answer, best first."""
        if self.postings is None or not text.strip():
            return []
        query = self.vectorizer.transform([text])
        if query.nnz == 0:
            return []
        scores = (query @ self.postings).toarray().ravel()
        # Look at more than `limit` candidates: several may share one answer.
        candidates = min(len(scores), limit * 8)
        best = np.argpartition(-scores, candidates - 1)[:candidates]
        best = best[np.argsort(-scores[best], kind="stable")]
        return self.distinct_answers(best, scores, limit=limit, min_score=min_score)

    def distinct_answers(
        self, ranked: np.ndarray, scores: np.ndarray, *, limit: int, min_score: float
    ) -> list[AnswerMatch]:
        """Keep the best-scoring document of each answer; agents need answers, not repeats."""
        matches: list[AnswerMatch] = []
        seen_answers: set[str] = set()
        for position in ranked:
            score = float(scores[position])
            if score < min_score or len(matches) == limit:
                break
            document = self.documents[position]
            answer_key = " ".join(document.answer.lower().split())
            if answer_key in seen_answers:
                continue
            seen_answers.add(answer_key)
            matches.append(AnswerMatch(document, round(score, 3)))
        return matches
