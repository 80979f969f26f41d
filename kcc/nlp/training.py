"""Train topic and sentiment classifiers from labelled questions, and measure them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
from sklearn.pipeline import Pipeline

from kcc.nlp.classifier import REVIEW_THRESHOLD, Labeller, TextClassifier
from kcc.nlp.pipelines import sentiment_pipeline, topic_pipeline

TOPIC = "topic"
SENTIMENT = "sentiment"
CSV_COLUMNS = ("text", TOPIC, SENTIMENT)


@dataclass(frozen=True, slots=True)
class LabelledText:
    """A question text with its topic and sentiment, as in the shipped CSV files."""

    text: str
    topic: str
    sentiment: str

    def label(self, target: str) -> str:
        """The label for a target: "topic" or "sentiment"."""
        if target == TOPIC:
            return self.topic
        if target == SENTIMENT:
            return self.sentiment
        raise ValueError(f"unknown target {target!r}: expected {TOPIC!r} or {SENTIMENT!r}")


@dataclass(frozen=True, slots=True)
class ClassMetrics:
    """Precision, recall and F1 of one label, and how many examples had it."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Metrics:
    """How well a classifier labels a set of examples; `to_dict()` is JSON-ready."""

    macro_f1: float
    accuracy: float
    per_class: dict[str, ClassMetrics]
    labels: list[str]
    confusion_matrix: list[list[int]]  # rows: true label, columns: predicted, in `labels` order
    training_size: int
    evaluation_size: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists, floats and ints (for JSON and the model registry)."""
        return asdict(self)


def shipped_data_path(kind: str, crisis: str) -> Path:
    """The labelled CSV shipped in kcc/data/<kind>/<crisis>.csv (kind: training, evaluation)."""
    return Path(str(resources.files("kcc").joinpath("data", kind, f"{crisis}.csv")))


def load_labelled_csv(path: Path | str) -> list[LabelledText]:
    """Read a labelled CSV with the columns text, topic and sentiment."""
    with open(path, encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        missing = set(CSV_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        return [
            LabelledText(row["text"].strip(), row[TOPIC].strip(), row[SENTIMENT].strip())
            for row in reader
            if row["text"].strip()
        ]


def train_classifier(
    pipeline: Pipeline,
    examples: Sequence[LabelledText],
    *,
    target: str,
    review_threshold: float = REVIEW_THRESHOLD,
) -> TextClassifier:
    """Fit an unfitted pipeline on the examples' labels for the target."""
    labels = [example.label(target) for example in examples]
    if len(set(labels)) < 2:
        raise ValueError(f"training a {target} model needs at least two different labels")
    pipeline.fit([example.text for example in examples], labels)
    return TextClassifier(
        pipeline, target=target, training_size=len(examples), review_threshold=review_threshold
    )


def train_topic_model(
    examples: Sequence[LabelledText], *, review_threshold: float = REVIEW_THRESHOLD
) -> TextClassifier:
    """A topic classifier for one crisis, trained on that crisis's labelled questions."""
    return train_classifier(
        topic_pipeline(), examples, target=TOPIC, review_threshold=review_threshold
    )


def train_sentiment_model(
    examples: Sequence[LabelledText], *, review_threshold: float = REVIEW_THRESHOLD
) -> TextClassifier:
    """A sentiment classifier; sentiment does not depend on the crisis, so pass them all."""
    return train_classifier(
        sentiment_pipeline(), examples, target=SENTIMENT, review_threshold=review_threshold
    )


def evaluate(classifier: Labeller, examples: Iterable[LabelledText]) -> Metrics:
    """Compare the classifier's labels with the examples' labels for its target."""
    examples = list(examples)
    if not examples:
        raise ValueError("evaluating needs at least one example")
    expected = [example.label(classifier.target) for example in examples]
    predicted = [
        prediction.label
        for prediction in classifier.predict_many(example.text for example in examples)
    ]
    labels = sorted(set(expected) | set(predicted) | set(classifier.labels))
    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=labels, zero_division=0
    )
    # Macro F1 over the labels that were expected or predicted, as sklearn's f1_score does.
    seen = set(expected) | set(predicted)
    present = [index for index, label in enumerate(labels) if label in seen]
    return Metrics(
        macro_f1=float(f1[present].mean()),
        accuracy=float(accuracy_score(expected, predicted)),
        per_class={
            label: ClassMetrics(
                float(precision[index]), float(recall[index]), float(f1[index]), int(support[index])
            )
            for index, label in enumerate(labels)
        },
        labels=labels,
        confusion_matrix=confusion_matrix(expected, predicted, labels=labels).tolist(),
        training_size=classifier.training_size,
        evaluation_size=len(examples),
    )


def is_not_worse(new: Metrics, old: Metrics, *, tolerance: float = 0.01) -> bool:
    """Tell whether a retrained model may replace the old one: macro F1 within the tolerance.

    Both must be measured on the same evaluation set; a small tolerance lets a model trained
    on more (newer) questions through when it scores within noise of the old one.
    """
    return new.macro_f1 >= old.macro_f1 - tolerance
