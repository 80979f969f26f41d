"""Suggest the department for an escalated question from where similar questions went before.

A topic's default department decides when it has one. Where it has none, the coordinator's
earlier routings are the training data: each escalation's final department (after any
correction) is its label, so a correction is simply one more labelled example and counts as
soon as the index is rebuilt. The suggestion is a similarity-weighted vote of the nearest
earlier questions, over the same character n-grams as the answer search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from kcc.nlp.similarity import build_vectorizer

# Chosen by 5-fold cross-validation on the shipped training sets (corona and Oekraïne together,
# 2,105 questions, each topic routed to its crisis-template department, "overig" left out; the
# evaluation sets were not used). The best neighbour of an in-domain question reaches 0.216 in
# 99% of cases, keyboard mashing ("asdf jkl", "aaaa") at most 0.13: below 0.2 nothing earlier
# resembles the question. Off-topic Dutch questions still reach 0.25–0.45 on shared words, so
# keeping those out is the confidence threshold's job. At 0.5 confidence about half of the
# questions get a suggestion and 88% of those are right (always suggesting: 70% right); 0.55
# would raise that to 90% but leave three in five questions without a suggestion.
MIN_SIMILARITY = 0.2
MIN_CONFIDENCE = 0.5

# Votes weigh similarity squared, so near-identical questions outvote merely related ones: three
# newer corrections of one kind of question then overrule ten older, looser matches, which plain
# similarity did not. Cross-validated accuracy is the same or slightly better (70.3% against
# 69.6% when always suggesting); a cube overrules sooner but makes off-topic questions confident.
SIMILARITY_POWER = 2

# The caller passes routings newest first. When the coordinator routes the same kind of question
# somewhere else than before (a correction, a reorganisation), the newer routing should win a
# tie, so older routings count a little less: one this many escalations back weighs half.
# Neighbours a few escalations apart differ by a fraction of a percent; only ties and long-stale
# history are affected.
RECENCY_HALF_LIFE = 10_000


@dataclass(frozen=True)
class Routing:
    """An earlier escalation: its masked question text and the department it finally went to."""

    text: str
    department_id: int


@dataclass(frozen=True)
class DepartmentSuggestion:
    """A suggested department, its share of the neighbours' vote (0–1) and how many voted for it."""

    department_id: int
    confidence: float
    support: int


class RoutingIndex:
    """Suggests a department by a nearest-neighbour vote over earlier routings, newest first."""

    def __init__(self, routings: Sequence[Routing], *, neighbours: int = 15) -> None:
        if neighbours < 1:
            raise ValueError("neighbours must be at least 1")
        self.routings = list(routings)
        self.neighbours = neighbours
        self.vectorizer = build_vectorizer()
        self.postings: csr_matrix | None = None
        # Departments as dense codes, so a vote is one bincount rather than a loop per query.
        self.department_ids, self.department_codes = np.unique(
            np.array([routing.department_id for routing in self.routings], dtype=np.int64),
            return_inverse=True,
        )
        self.recency_weights = recency_weights(len(self.routings))
        # Without a single non-blank text the vectorizer has no vocabulary to learn.
        if any(routing.text.strip() for routing in self.routings):
            matrix = self.vectorizer.fit_transform(routing.text for routing in self.routings)
            # Features × routings: a query touches only the rows of its own n-grams (an inverted
            # index): about 2 ms for a question against 20,000 routings.
            self.postings = matrix.T.tocsr()

    def __len__(self) -> int:
        return len(self.routings)

    def suggest(
        self,
        text: str,
        *,
        min_similarity: float = MIN_SIMILARITY,
        min_confidence: float = MIN_CONFIDENCE,
    ) -> DepartmentSuggestion | None:
        """Return the department that similar earlier questions went to, or None if unsure."""
        if self.postings is None or not text.strip():
            return None
        query = self.vectorizer.transform([text])
        if query.nnz == 0:
            return None
        similarities = (query @ self.postings).toarray().ravel()
        nearest = self.nearest_neighbours(similarities, min_similarity=min_similarity)
        if nearest.size == 0:
            return None
        return self.vote(nearest, similarities[nearest], min_confidence=min_confidence)

    def nearest_neighbours(self, similarities: np.ndarray, *, min_similarity: float) -> np.ndarray:
        """Positions of the most similar routings, unordered; none if even the best is too far."""
        count = min(self.neighbours, similarities.size)
        nearest = np.argpartition(-similarities, count - 1)[:count]
        if similarities[nearest].max() < min_similarity:
            return nearest[:0]
        # Weaker neighbours keep their vote: when they disagree with the best ones, the lower
        # confidence is a true warning (in cross-validation, dropping those below min_similarity
        # gave more wrong suggestions at the same coverage). Routings sharing no n-gram are out.
        return nearest[similarities[nearest] > 0]

    def vote(
        self, nearest: np.ndarray, similarities: np.ndarray, *, min_confidence: float
    ) -> DepartmentSuggestion | None:
        """Weigh each neighbour by similarity and recency; the heaviest department wins."""
        weights = similarities.astype(np.float64) ** SIMILARITY_POWER
        weights *= self.recency_weights[nearest]
        codes = self.department_codes[nearest]
        mass = np.bincount(codes, weights=weights, minlength=self.department_ids.size)
        winner = int(np.argmax(mass))
        confidence = float(mass[winner] / mass.sum())
        if confidence < min_confidence:
            return None
        return DepartmentSuggestion(
            department_id=int(self.department_ids[winner]),
            confidence=round(confidence, 3),
            support=int(np.count_nonzero(codes == winner)),
        )


def recency_weights(count: int) -> np.ndarray:
    """Weight per position, newest first: 1 for the newest routing, halving every half-life."""
    return np.power(0.5, np.arange(count, dtype=np.float64) / RECENCY_HALF_LIFE)
