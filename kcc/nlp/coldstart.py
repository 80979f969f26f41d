"""Topic suggestions for a new crisis that has no labelled questions yet.

Until agents have labelled a few hundred questions, the only knowledge of a topic is what an
administrator wrote: its code, name, description and keywords. The suggester compares a
question with each topic's text by TF-IDF cosine similarity, half on word stems and half on
character n-grams (for compounds and typos), and suggests the most similar topic.

Be honest about what this is worth: on the shipped evaluation sets it picks the right topic
about half the time (bench/classifier.py measures it), against nine in ten for a trained
model. The confidence is the cosine similarity itself, not a probability, and it is low for
short questions even when the topic is right, so nearly every suggestion needs review. Those
reviews are what produce the labels to train a real model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from kcc.nlp.classifier import REVIEW_THRESHOLD, Prediction
from kcc.nlp.text import StemAnalyzer, normalise

# Below this similarity to every topic, the question goes to the catch-all topic. Chosen on
# the training sets of the shipped crises (used here as development data, since a cold-start
# crisis has no labels); the evaluation sets played no part.
MINIMUM_SIMILARITY = 0.08
# Share of the character n-gram similarity in the combined score (the rest is word stems).
CHARACTER_WEIGHT = 0.5
FALLBACK_TOPIC = "overig"


@dataclass(frozen=True, slots=True)
class TopicText:
    """A topic code with the words that describe it (name, description, keywords)."""

    code: str
    text: str

    def document(self) -> str:
        """The text to compare questions with; the code's words count too."""
        return f"{self.code.replace('_', ' ')} {self.text}"


class ColdStartSuggester:
    """Suggests topics by similarity to their descriptions; same interface as TextClassifier.

    The fallback topic ("overig": questions that fit no other topic) is never matched on its
    own description, which describes nothing; it is suggested when no topic is similar enough.
    """

    target = "topic"
    training_size = 0

    def __init__(
        self,
        topics: Iterable[tuple[str, str]],
        *,
        fallback_code: str | None = FALLBACK_TOPIC,
        minimum_similarity: float = MINIMUM_SIMILARITY,
        review_threshold: float = REVIEW_THRESHOLD,
    ) -> None:
        topic_texts = [TopicText(code, text) for code, text in topics]
        codes = [topic.code for topic in topic_texts]
        if len(set(codes)) != len(codes):
            raise ValueError("topic codes must be unique")
        self.fallback_code = fallback_code if fallback_code in codes else None
        matched = [topic for topic in topic_texts if topic.code != self.fallback_code]
        if not matched:
            raise ValueError("a cold-start suggester needs at least one described topic")
        self.matched_codes = tuple(topic.code for topic in matched)
        self.labels = tuple(codes)
        self.minimum_similarity = minimum_similarity
        self.review_threshold = review_threshold
        documents = [topic.document() for topic in matched]
        self._word_stems = TfidfVectorizer(
            analyzer=StemAnalyzer(bigrams=False), sublinear_tf=True
        ).fit(documents)
        self._characters = TfidfVectorizer(
            analyzer="char_wb",
            preprocessor=normalise,
            lowercase=False,
            ngram_range=(3, 5),
            sublinear_tf=True,
        ).fit(documents)
        self._topic_word_stems = self._word_stems.transform(documents)
        self._topic_characters = self._characters.transform(documents)

    def similarities(self, texts: list[str]) -> np.ndarray:
        """Cosine similarity of each text (rows) to each matched topic (columns)."""
        words = self._word_stems.transform(texts) @ self._topic_word_stems.T
        characters = self._characters.transform(texts) @ self._topic_characters.T
        return (1 - CHARACTER_WEIGHT) * words.toarray() + CHARACTER_WEIGHT * characters.toarray()

    def predict_one(self, text: str) -> Prediction:
        """The suggested topic of one question."""
        return self.predict_many([text])[0]

    def predict_many(self, texts: Iterable[str]) -> list[Prediction]:
        """The suggested topic of each question, in order."""
        texts = list(texts)
        if not texts:
            return []
        similarities = self.similarities(texts)
        best = similarities.argmax(axis=1)
        best_similarity = similarities[np.arange(len(texts)), best]
        return [
            self._prediction(self.matched_codes[index], similarity)
            for index, similarity in zip(best.tolist(), best_similarity.tolist(), strict=True)
        ]

    def _prediction(self, code: str, similarity: float) -> Prediction:
        """A suggestion for the most similar topic, or the fallback when none is similar."""
        if similarity < self.minimum_similarity and self.fallback_code is not None:
            code = self.fallback_code
        return Prediction.from_confidence(code, similarity, threshold=self.review_threshold)
