"""Model quality on the shipped evaluation set, written by another author (never trained on)."""

from __future__ import annotations

import json

import pytest

from kcc.nlp.classifier import TextClassifier
from kcc.nlp.pipelines import plain_baseline
from kcc.nlp.training import (
    SENTIMENT,
    TOPIC,
    LabelledText,
    Metrics,
    evaluate,
    is_not_worse,
    load_labelled_csv,
    train_classifier,
    train_sentiment_model,
    train_topic_model,
)
from tests.nlp.conftest import CRISES

TOPIC_TARGET = 0.85
SENTIMENT_TARGET = 0.75


@pytest.fixture(scope="module")
def topic_models(training_sets: dict[str, list[LabelledText]]) -> dict[str, TextClassifier]:
    return {crisis: train_topic_model(training_sets[crisis]) for crisis in CRISES}


@pytest.fixture(scope="module")
def sentiment_model(training_sets: dict[str, list[LabelledText]]) -> TextClassifier:
    return train_sentiment_model([row for crisis in CRISES for row in training_sets[crisis]])


@pytest.fixture(scope="module")
def all_evaluation(evaluation_sets: dict[str, list[LabelledText]]) -> list[LabelledText]:
    return [row for crisis in CRISES for row in evaluation_sets[crisis]]


@pytest.mark.parametrize("crisis", CRISES)
def test_topic_model_reaches_the_target_and_beats_the_baseline(
    crisis: str,
    topic_models: dict[str, TextClassifier],
    training_sets: dict[str, list[LabelledText]],
    evaluation_sets: dict[str, list[LabelledText]],
) -> None:
    baseline = train_classifier(plain_baseline(), training_sets[crisis], target=TOPIC)

    ours = evaluate(topic_models[crisis], evaluation_sets[crisis])
    plain = evaluate(baseline, evaluation_sets[crisis])

    assert ours.macro_f1 >= TOPIC_TARGET
    assert ours.macro_f1 >= plain.macro_f1 + 0.05


def test_sentiment_model_reaches_the_target_and_beats_the_baseline(
    sentiment_model: TextClassifier,
    training_sets: dict[str, list[LabelledText]],
    all_evaluation: list[LabelledText],
) -> None:
    training = [row for crisis in CRISES for row in training_sets[crisis]]
    baseline = train_classifier(plain_baseline(), training, target=SENTIMENT)

    ours = evaluate(sentiment_model, all_evaluation)
    plain = evaluate(baseline, all_evaluation)

    assert ours.macro_f1 >= SENTIMENT_TARGET
    assert ours.macro_f1 > plain.macro_f1


def test_models_know_their_target_labels_and_training_size(
    topic_models: dict[str, TextClassifier],
    sentiment_model: TextClassifier,
    training_sets: dict[str, list[LabelledText]],
) -> None:
    oekraine = topic_models["oekraine"]

    assert oekraine.target == TOPIC
    assert oekraine.training_size == len(training_sets["oekraine"])
    assert set(oekraine.labels) == {row.topic for row in training_sets["oekraine"]}
    assert sentiment_model.labels == ("negatief", "neutraal", "positief")


def test_clear_questions_get_the_obvious_labels(
    topic_models: dict[str, TextClassifier], sentiment_model: TextClassifier
) -> None:
    assert topic_models["oekraine"].predict_one(
        "mw belt ivm leefgeld, nog niks ontvangen"
    ).label == ("leefgeld")
    assert topic_models["corona"].predict_one("waar kan ik een boosterprik halen").label == (
        "testen_vaccineren"
    )
    assert sentiment_model.predict_one(
        "dhr woedend, al 3 keer gebeld en niemand belt terug"
    ).label == ("negatief")
    assert (
        sentiment_model.predict_one("mw wil iedereen heel hartelijk bedanken").label == "positief"
    )


def test_metrics_describe_the_evaluation_and_serialise_to_json(
    topic_models: dict[str, TextClassifier], evaluation_sets: dict[str, list[LabelledText]]
) -> None:
    metrics = evaluate(topic_models["corona"], evaluation_sets["corona"])

    data = json.loads(json.dumps(metrics.to_dict()))

    assert data["evaluation_size"] == len(evaluation_sets["corona"])
    assert data["training_size"] == topic_models["corona"].training_size
    assert sum(map(sum, data["confusion_matrix"])) == len(evaluation_sets["corona"])
    assert len(data["confusion_matrix"]) == len(data["labels"]) == 9
    assert sum(row["support"] for row in data["per_class"].values()) == 270
    assert 0 <= data["accuracy"] <= 1
    assert data["per_class"]["handhaving"].keys() == {"precision", "recall", "f1", "support"}


def make_metrics(macro_f1: float) -> Metrics:
    return Metrics(macro_f1, macro_f1, {}, [], [], training_size=1, evaluation_size=1)


@pytest.mark.parametrize(
    ("new", "old", "expected"),
    [(0.90, 0.88, True), (0.875, 0.88, True), (0.869, 0.88, False), (0.5, 0.88, False)],
)
def test_is_not_worse_allows_a_small_tolerance(new: float, old: float, expected: bool) -> None:
    assert is_not_worse(make_metrics(new), make_metrics(old), tolerance=0.01) is expected


def test_load_labelled_csv_reads_quoted_text(tmp_path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        'text,topic,sentiment\n"mw boos, geen leefgeld",leefgeld,negatief\n,,\n', encoding="utf-8"
    )

    assert load_labelled_csv(path) == [
        LabelledText("mw boos, geen leefgeld", "leefgeld", "negatief")
    ]


def test_load_labelled_csv_names_missing_columns(tmp_path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("text,topic\nvraag,overig\n", encoding="utf-8")

    with pytest.raises(ValueError, match="sentiment"):
        load_labelled_csv(path)


def test_training_needs_two_labels() -> None:
    examples = [LabelledText(f"vraag {n}", "overig", "neutraal") for n in range(5)]

    with pytest.raises(ValueError, match="two different labels"):
        train_topic_model(examples)
