"""TextClassifier: the compiled fast path gives scikit-learn's answers; review flags."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from kcc.nlp.classifier import REVIEW_THRESHOLD, Prediction, TextClassifier
from kcc.nlp.compiled import word_ngrams
from kcc.nlp.pipelines import plain_baseline
from kcc.nlp.training import TOPIC, LabelledText, train_classifier, train_topic_model

TEXTS = [
    "mw belt ivm leefgeld, nog niks ontvangen, boos",
    "How can I get BSN number?",
    "dhr [NAAM] wil een kamer aanbieden, tel [TELEFOON]",
    "",
    "xyzzy qwerty",
    "overlast bij de opvang in onze straat, 's nachts lawaai",
]


@pytest.fixture(scope="module")
def model(training_sets: dict[str, list[LabelledText]]) -> TextClassifier:
    return train_topic_model(training_sets["oekraine"])


def test_compiled_probabilities_equal_scikit_learns(
    model: TextClassifier, evaluation_sets: dict[str, list[LabelledText]]
) -> None:
    texts = TEXTS + [row.text for row in evaluation_sets["oekraine"]]

    expected = model.pipeline.predict_proba(texts)

    np.testing.assert_allclose(model.predict_proba(texts), expected, atol=1e-5)
    np.testing.assert_allclose(model.predict_proba(TEXTS[:1]), expected[:1], atol=1e-5)


def test_our_pipeline_is_compiled(model: TextClassifier) -> None:
    model.predict_one("vraag")

    assert model._compiled_pipeline() is not None


def test_predict_one_and_predict_many_agree(model: TextClassifier) -> None:
    one_by_one = [model.predict_one(text) for text in TEXTS]
    batch = model.predict_many(TEXTS)

    assert [p.label for p in one_by_one] == [p.label for p in batch]
    assert [p.confidence for p in one_by_one] == pytest.approx([p.confidence for p in batch])


def test_predictions_carry_a_label_and_its_probability(model: TextClassifier) -> None:
    prediction = model.predict_one(TEXTS[0])
    probabilities = model.predict_proba([TEXTS[0]])[0]

    assert prediction.label == "leefgeld"
    assert prediction.confidence == pytest.approx(probabilities.max())
    assert probabilities.sum() == pytest.approx(1.0)


def test_unclear_questions_are_flagged_for_review(model: TextClassifier) -> None:
    unclear = model.predict_one("xyzzy qwerty")
    clear = model.predict_one(TEXTS[0])

    assert unclear.confidence < REVIEW_THRESHOLD and unclear.needs_review
    assert clear.confidence >= REVIEW_THRESHOLD and not clear.needs_review


def test_predictions_below_the_threshold_need_review() -> None:
    assert Prediction.from_confidence("zorg", 0.59, threshold=0.6).needs_review
    assert not Prediction.from_confidence("zorg", 0.6, threshold=0.6).needs_review


def test_the_threshold_is_configurable(training_sets: dict[str, list[LabelledText]]) -> None:
    strict = train_topic_model(training_sets["oekraine"][:400], review_threshold=0.999)

    assert all(prediction.needs_review for prediction in strict.predict_many(TEXTS))


def test_no_texts_give_no_predictions(model: TextClassifier) -> None:
    assert model.predict_many([]) == []


def test_a_pipeline_of_another_shape_goes_through_scikit_learn(
    training_sets: dict[str, list[LabelledText]],
) -> None:
    baseline = train_classifier(plain_baseline(), training_sets["corona"], target=TOPIC)

    predictions = baseline.predict_many(TEXTS)

    assert baseline._compiled_pipeline() is None
    assert [p.label for p in predictions] == list(baseline.pipeline.predict(TEXTS))


def test_pickling_leaves_the_compiled_form_behind(model: TextClassifier) -> None:
    model.predict_one("vraag")

    # Our own object, round-tripped in memory: nothing untrusted is unpickled.
    copy = pickle.loads(pickle.dumps(model))  # noqa: S301

    assert copy.__dict__["_compiled"] is None
    assert copy.predict_many(TEXTS) == model.predict_many(TEXTS)


@pytest.mark.parametrize("ngram_range", [(2, 4), (3, 5), (1, 6)])
def test_word_ngrams_match_scikit_learns_char_wb(ngram_range: tuple[int, int]) -> None:
    text = "a ab abc mw belt ivm leefgeld _telefoon_ coördinatie"
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range).build_analyzer()

    ours = [ngram for word in text.split() for ngram in word_ngrams(word, ngram_range)]

    assert ours == analyzer(text)
