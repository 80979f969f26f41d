"""A fitted text pipeline behind a small interface: one text or many in, `Prediction`s out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import sklearn
from sklearn.pipeline import Pipeline

from kcc.nlp.compiled import CompiledPipeline, compile_pipeline

# Below this confidence a label is only a suggestion that the agent confirms or corrects.
# Chosen by 5-fold cross-validation on the training data (the evaluation set may not be used
# to choose thresholds): there, topic labels at or above 0.6 were right 86-88% of the time and
# those below it about half the time; 0.6 sent a third of the questions to review and caught
# two thirds of the wrong topics. Probabilities are temperature-scaled, so 0.6 reads as "at
# least 40% chance that this label is wrong". bench/classifier.py shows the same split on the
# evaluation set.
REVIEW_THRESHOLD = 0.6


@dataclass(frozen=True, slots=True)
class Prediction:
    """A label with the model's probability for it, and whether a person should check it."""

    label: str
    confidence: float
    needs_review: bool

    @classmethod
    def from_confidence(cls, label: str, confidence: float, *, threshold: float) -> Prediction:
        """A prediction that needs review when its confidence is below the threshold."""
        return cls(label=label, confidence=confidence, needs_review=confidence < threshold)


class Labeller(Protocol):
    """Anything that labels texts for a target: a TextClassifier or a ColdStartSuggester."""

    target: str
    training_size: int

    @property
    def labels(self) -> tuple[str, ...]: ...

    def predict_one(self, text: str) -> Prediction: ...

    def predict_many(self, texts: Iterable[str]) -> list[Prediction]: ...


class TextClassifier:
    """A fitted pipeline that labels texts, with what it was trained for and on.

    Pipelines that `kcc.nlp.compiled` understands (ours) predict through their compiled form;
    any other fitted pipeline with `predict_proba` (the plain baseline) goes through
    scikit-learn.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        target: str,
        training_size: int,
        review_threshold: float = REVIEW_THRESHOLD,
    ) -> None:
        self.pipeline = pipeline
        self.target = target
        self.training_size = training_size
        self.review_threshold = review_threshold
        self.sklearn_version = sklearn.__version__
        self._compiled: CompiledPipeline | None = None
        self._is_compiled = False

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels the classifier can give, in the order of its probability columns."""
        return tuple(str(label) for label in self.pipeline.classes_)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities per label (columns in `labels` order), one row per text."""
        texts = list(texts)
        if not texts:
            return np.empty((0, len(self.labels)))
        compiled = self._compiled_pipeline()
        if compiled is None:
            return self.pipeline.predict_proba(texts)
        return compiled.predict_proba(texts)

    def predict_one(self, text: str) -> Prediction:
        """The most likely label of one text."""
        return self._predictions(self.predict_proba([text]))[0]

    def predict_many(self, texts: Iterable[str]) -> list[Prediction]:
        """The most likely label of each text, in order."""
        return self._predictions(self.predict_proba(list(texts)))

    def _predictions(self, probabilities: np.ndarray) -> list[Prediction]:
        """The best label of each row of probabilities."""
        labels = self.labels
        best = probabilities.argmax(axis=1)
        confidences = probabilities[np.arange(len(best)), best]
        return [
            Prediction.from_confidence(labels[index], confidence, threshold=self.review_threshold)
            for index, confidence in zip(best.tolist(), confidences.tolist(), strict=True)
        ]

    def _compiled_pipeline(self) -> CompiledPipeline | None:
        """The compiled form of the pipeline, or None when it has a shape we cannot compile."""
        # Compiled on first use, not in __init__ or on unpickling: loading stays cheap and the
        # dense weight copy never ends up in a stored file.
        if not self._is_compiled:
            self._compiled = compile_pipeline(self.pipeline)
            self._is_compiled = True
        return self._compiled

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_compiled=None, _is_compiled=False)
        return state

    def __repr__(self) -> str:
        return (
            f"TextClassifier(target={self.target!r}, labels={len(self.labels)}, "
            f"training_size={self.training_size}, review_threshold={self.review_threshold})"
        )
