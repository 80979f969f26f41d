"""Store trained classifiers as files and load only the ones we wrote ourselves.

Loading a pickle runs code, so `load_verified` compares the file's SHA-256 with the checksum
recorded when the file was written (kept in the database, outside the file's reach) before it
unpickles a byte. A model is also refused when it was made by another scikit-learn version:
scikit-learn does not promise that pickles work across versions, and our compiled fast path
reads its internals. Where the file lives is the caller's business.

File layout: a magic line, one line of JSON metadata, then the pickle. The metadata is read
without unpickling, so a version mismatch is found before anything is executed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sklearn

from kcc.nlp.classifier import TextClassifier

MAGIC = b"KCC-NLP-MODEL 1\n"


class ModelStoreError(Exception):
    """A stored model cannot be used."""


class ChecksumMismatch(ModelStoreError):
    """The file is not the one we wrote: its SHA-256 differs from the recorded one."""


class IncompatibleModel(ModelStoreError):
    """The file is ours but cannot be used here (other format or scikit-learn version)."""


@dataclass(frozen=True, slots=True)
class StoredModel:
    """Where a classifier was written, its checksum (record it!) and its size in bytes."""

    path: Path
    sha256: str
    size: int


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of some bytes, as 64 lowercase hexadecimal characters."""
    return hashlib.sha256(data).hexdigest()


def serialise(classifier: TextClassifier) -> bytes:
    """The bytes of a model file for the classifier."""
    metadata = {
        "sklearn_version": classifier.sklearn_version,
        "target": classifier.target,
        "labels": list(classifier.labels),
        "training_size": classifier.training_size,
    }
    header = json.dumps(metadata, sort_keys=True, ensure_ascii=True).encode("ascii") + b"\n"
    return MAGIC + header + pickle.dumps(classifier, protocol=pickle.HIGHEST_PROTOCOL)


def save(classifier: TextClassifier, path: Path | str) -> StoredModel:
    """Write the classifier to a file, atomically, and return its checksum."""
    path = Path(path)
    data = serialise(classifier)
    # Write beside the target and rename, so a reader never sees half a file.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return StoredModel(path=path, sha256=sha256_hex(data), size=len(data))


def read_metadata(data: bytes) -> dict[str, object]:
    """The JSON metadata of a model file's bytes (nothing is unpickled)."""
    if not data.startswith(MAGIC):
        raise IncompatibleModel("not a kcc model file (or an unknown format version)")
    header_end = data.find(b"\n", len(MAGIC))
    if header_end < 0:
        raise IncompatibleModel("model file has no metadata line")
    try:
        metadata = json.loads(data[len(MAGIC) : header_end])
    except ValueError as error:
        raise IncompatibleModel(f"model file metadata is not JSON: {error}") from error
    if not isinstance(metadata, dict):
        raise IncompatibleModel("model file metadata is not a JSON object")
    return metadata


def deserialise_verified(data: bytes, expected_sha256: str) -> TextClassifier:
    """The classifier in a model file's bytes, if they have the expected checksum."""
    actual = sha256_hex(data)
    if not hmac.compare_digest(actual, expected_sha256.strip().lower()):
        raise ChecksumMismatch(
            f"model checksum {actual} differs from the recorded {expected_sha256}: "
            "refusing to load a file this application did not write"
        )
    metadata = read_metadata(data)
    if metadata.get("sklearn_version") != sklearn.__version__:
        raise IncompatibleModel(
            f"model was trained with scikit-learn {metadata.get('sklearn_version')}, "
            f"this is {sklearn.__version__}: retrain it"
        )
    payload = data[data.index(b"\n", len(MAGIC)) + 1 :]
    # Safe to unpickle: the checksum proves these are the bytes we wrote ourselves.
    classifier = pickle.loads(payload)  # noqa: S301
    if not isinstance(classifier, TextClassifier):
        raise IncompatibleModel(f"model file holds a {type(classifier).__name__}")
    return classifier


def load_verified(path: Path | str, expected_sha256: str) -> TextClassifier:
    """Load a classifier file, refusing it unless its SHA-256 is the recorded one."""
    return deserialise_verified(Path(path).read_bytes(), expected_sha256)
