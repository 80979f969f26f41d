"""Model files: a round trip works, and anything we did not write is refused unread."""

from __future__ import annotations

from pathlib import Path

import pytest
import sklearn

from kcc.nlp import store
from kcc.nlp.classifier import TextClassifier
from kcc.nlp.store import (
    ChecksumMismatch,
    IncompatibleModel,
    load_verified,
    save,
    serialise,
    sha256_hex,
)
from kcc.nlp.training import LabelledText, train_topic_model

QUESTIONS = ["mw belt ivm leefgeld, nog niks ontvangen", "How can I get BSN number?"]


@pytest.fixture(scope="module")
def model(training_sets: dict[str, list[LabelledText]]) -> TextClassifier:
    return train_topic_model(training_sets["oekraine"])


def test_a_saved_model_loads_and_predicts_the_same(model: TextClassifier, tmp_path: Path) -> None:
    stored = save(model, tmp_path / "topic.model")

    loaded = load_verified(stored.path, stored.sha256)

    assert loaded.predict_many(QUESTIONS) == model.predict_many(QUESTIONS)
    assert (loaded.target, loaded.labels, loaded.training_size) == (
        model.target,
        model.labels,
        model.training_size,
    )
    assert stored.sha256 == sha256_hex(stored.path.read_bytes())
    assert stored.size == stored.path.stat().st_size
    assert [path.name for path in tmp_path.iterdir()] == ["topic.model"]


def test_a_tampered_file_is_refused(model: TextClassifier, tmp_path: Path) -> None:
    stored = save(model, tmp_path / "topic.model")
    data = bytearray(stored.path.read_bytes())
    data[-10] ^= 0xFF
    stored.path.write_bytes(bytes(data))

    with pytest.raises(ChecksumMismatch, match="did not write"):
        load_verified(stored.path, stored.sha256)


def test_another_file_is_refused_before_it_is_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "evil.model"
    path.write_bytes(b"cos\nsystem\n(S'echo owned'\ntR.")
    monkeypatch.setattr(store.pickle, "loads", pytest.fail)

    with pytest.raises(ChecksumMismatch):
        load_verified(path, "0" * 64)


def test_a_model_from_another_scikit_learn_version_is_refused(
    model: TextClassifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = save(model, tmp_path / "topic.model")
    monkeypatch.setattr(store.sklearn, "__version__", "0.0.1")
    monkeypatch.setattr(store.pickle, "loads", pytest.fail)

    with pytest.raises(IncompatibleModel, match="retrain"):
        load_verified(stored.path, stored.sha256)


def test_the_metadata_names_the_version_and_labels(model: TextClassifier) -> None:
    metadata = store.read_metadata(serialise(model))

    assert metadata["sklearn_version"] == sklearn.__version__
    assert metadata["labels"] == list(model.labels)


def test_a_file_in_another_format_is_refused(tmp_path: Path) -> None:
    data = b"not a model"

    with pytest.raises(IncompatibleModel):
        store.deserialise_verified(data, sha256_hex(data))
