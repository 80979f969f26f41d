"""Fitted linear text pipelines compiled into plain arrays, for fast prediction.

scikit-learn's `Pipeline.predict_proba` costs about 10 ms for a single question, nearly all of
it per-call checks, sparse-matrix bookkeeping and Python loops over calibrators. Our pipelines
are linear underneath (TF-IDF blocks, linear SVMs, temperature scaling), so once fitted they
reduce to a vocabulary, an IDF vector, one weight matrix and a temperature per fold: about
0.2 ms for one question, about 0.1 ms each in a batch, and the same probabilities (a test
checks).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

# Distinct words whose n-gram columns each character block remembers. Agents' vocabulary is
# small, so after a few thousand questions nearly every word is a hit; the bound keeps memory
# flat however many odd words arrive.
WORD_CACHE_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class AnalyzerBlock:
    """Any fitted TfidfVectorizer: run its analyzer over the text, look the terms up."""

    analyzer: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    offset: int  # of the block's first column in the FeatureUnion's output

    def column_counts(self, text: str) -> Counter[int]:
        """How often each known term of the block occurs in the text, by union column."""
        vocabulary, offset = self.vocabulary, self.offset
        return Counter(
            column + offset
            for term in self.analyzer(text)
            if (column := vocabulary.get(term)) is not None
        )


class CharacterWordBlock:
    """A fitted char_wb TfidfVectorizer, with the known n-gram columns of each word cached.

    char_wb n-grams never cross a space, so a text's n-grams are its words' n-grams one after
    the other: looking a word up once replaces generating and looking up its n-grams on every
    later question (the slowest step of prediction without the cache).
    """

    __slots__ = ("preprocess", "ngram_range", "vocabulary", "offset", "word_columns")

    def __init__(self, vectorizer: TfidfVectorizer, offset: int) -> None:
        self.preprocess = vectorizer.build_preprocessor()
        self.ngram_range: tuple[int, int] = vectorizer.ngram_range
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.offset = offset
        self.word_columns = lru_cache(maxsize=WORD_CACHE_SIZE)(self._word_columns)

    def column_counts(self, text: str) -> Counter[int]:
        """How often each known n-gram occurs in the text, by union column."""
        word_columns = self.word_columns
        return Counter(
            column for word in self.preprocess(text).split() for column in word_columns(word)
        )

    def _word_columns(self, word: str) -> tuple[int, ...]:
        """The union columns of a word's known n-grams, repeated as often as they occur."""
        vocabulary, offset = self.vocabulary, self.offset
        return tuple(
            column + offset
            for ngram in word_ngrams(word, self.ngram_range)
            if (column := vocabulary.get(ngram)) is not None
        )


def word_ngrams(word: str, ngram_range: tuple[int, int]) -> list[str]:
    """The char_wb n-grams of one word, as scikit-learn's `_char_wb_ngrams` makes them.

    The word is padded with a space on each side; a padded word no longer than n gives itself
    once and ends the loop over n.
    """
    padded = f" {word} "
    length = len(padded)
    ngrams: list[str] = []
    for size in range(ngram_range[0], ngram_range[1] + 1):
        if length <= size:
            ngrams.append(padded)
            break
        ngrams.extend(padded[start : start + size] for start in range(length - size + 1))
    return ngrams


TfidfBlock = AnalyzerBlock | CharacterWordBlock


@dataclass(frozen=True, slots=True)
class CompiledTfidf:
    """A FeatureUnion of l2-normalised TF-IDF vectorizers.

    `idf` and `sublinear_tf` are per column of the whole union, so the arithmetic runs once
    over a batch instead of once per text and block.
    """

    blocks: tuple[TfidfBlock, ...]
    idf: np.ndarray
    sublinear_tf: np.ndarray

    def matrix(self, texts: Sequence[str]) -> csr_matrix:
        """The TF-IDF rows of the texts, as the fitted FeatureUnion would produce them."""
        row_ends, columns, values = self.entries(texts)
        return csr_matrix((values, columns, row_ends), shape=(len(texts), len(self.idf)))

    def entries(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR parts of the TF-IDF rows: row ends, columns and values."""
        segment_ends, column_list, counts = self._known_term_counts(texts)
        columns = np.array(column_list, dtype=np.intp)
        values = np.array(counts, dtype=np.float64)
        sublinear = self.sublinear_tf[columns]
        values[sublinear] = 1.0 + np.log(values[sublinear])
        values *= self.idf[columns]
        # Each (text, block) segment is normalised on its own, as each vectorizer does.
        segments = np.repeat(np.arange(len(segment_ends)), np.diff(segment_ends, prepend=0))
        squares = np.bincount(segments, weights=values * values, minlength=len(segment_ends))
        values /= np.sqrt(squares)[segments]
        row_ends = np.concatenate(([0], segment_ends[len(self.blocks) - 1 :: len(self.blocks)]))
        return row_ends, columns, values.astype(np.float32)

    def _known_term_counts(self, texts: Sequence[str]) -> tuple[list[int], list[int], list[int]]:
        """Per (text, block) segment: where it ends, and the columns and counts of its terms."""
        segment_ends: list[int] = []
        columns: list[int] = []
        counts: list[int] = []
        for text in texts:
            for block in self.blocks:
                column_counts = block.column_counts(text)
                columns.extend(column_counts.keys())
                counts.extend(column_counts.values())
                segment_ends.append(len(columns))
        return segment_ends, columns, counts


@dataclass(frozen=True, slots=True)
class CompiledPipeline:
    """TF-IDF features, then per fold a linear model and a temperature; folds averaged.

    `weights` holds every fold's coefficients side by side, feature-major (n_features,
    n_folds * n_classes), so one product scores all folds at once.
    """

    features: CompiledTfidf
    weights: np.ndarray
    intercepts: np.ndarray  # (n_folds, n_classes)
    inverse_temperatures: np.ndarray  # (n_folds, 1)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text (as CalibratedClassifierCV gives them)."""
        if len(texts) == 1:
            # One question (the agent's form): gathering weight rows beats building a sparse
            # matrix, which alone costs more than the arithmetic.
            _, columns, values = self.features.entries(texts)
            scores = (values @ self.weights[columns]).reshape(1, -1)
        else:
            scores = self.features.matrix(texts) @ self.weights
        return self._probabilities(np.asarray(scores, dtype=np.float64))

    def _probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Per fold: add intercepts, scale by the temperature, softmax; then average folds."""
        n_folds, n_classes = self.intercepts.shape
        scores = scores.reshape(len(scores), n_folds, n_classes) + self.intercepts
        scores *= self.inverse_temperatures
        scores -= scores.max(axis=2, keepdims=True)  # softmax without overflow
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=2, keepdims=True)
        return scores.mean(axis=1)


def compile_tfidf_union(features: Any) -> CompiledTfidf | None:
    """Compile a fitted FeatureUnion of plain l2 TF-IDF vectorizers; None for anything else."""
    if not isinstance(features, FeatureUnion) or features.transformer_weights is not None:
        return None
    blocks, idf, sublinear_tf = [], [], []
    offset = 0
    for _, vectorizer in features.transformer_list:
        if not (
            isinstance(vectorizer, TfidfVectorizer)
            and vectorizer.norm == "l2"
            and vectorizer.use_idf
            and not vectorizer.binary
        ):
            return None
        size = len(vectorizer.vocabulary_)
        if vectorizer.analyzer == "char_wb":
            blocks.append(CharacterWordBlock(vectorizer, offset))
        else:
            blocks.append(
                AnalyzerBlock(vectorizer.build_analyzer(), vectorizer.vocabulary_, offset)
            )
        idf.append(np.asarray(vectorizer.idf_, dtype=np.float64))
        sublinear_tf.append(np.full(size, vectorizer.sublinear_tf))
        offset += size
    return CompiledTfidf(tuple(blocks), np.concatenate(idf), np.concatenate(sublinear_tf))


def compile_pipeline(pipeline: Pipeline) -> CompiledPipeline | None:
    """Compile features + CalibratedClassifierCV(linear, "temperature"); None for other shapes.

    Reads the fitted calibrators (`calibrated_classifiers_`, their `estimator` and
    `calibrators[0].beta_`): scikit-learn internals. That is safe because a model is never
    used with another scikit-learn version (store.py refuses it) and a test checks that the
    compiled probabilities equal `pipeline.predict_proba`.
    """
    if len(pipeline.steps) != 2:
        return None
    (_, features), (_, classifier) = pipeline.steps
    compiled_features = compile_tfidf_union(features)
    if compiled_features is None or not isinstance(classifier, CalibratedClassifierCV):
        return None
    if classifier.method != "temperature" or len(classifier.classes_) < 3:
        return None
    # Temperature scaling trains on label-encoded targets: fold estimators know the classes as
    # 0..n-1, in the order of `classifier.classes_`.
    encoded_classes = np.arange(len(classifier.classes_))
    fold_weights, intercepts, inverse_temperatures = [], [], []
    for calibrated in classifier.calibrated_classifiers_:
        estimator = calibrated.estimator
        if not hasattr(estimator, "coef_") or not np.array_equal(
            estimator.classes_, encoded_classes
        ):
            return None
        fold_weights.append(np.asarray(estimator.coef_, dtype=np.float32).T)
        intercepts.append(np.asarray(estimator.intercept_, dtype=np.float64))
        inverse_temperatures.append(float(calibrated.calibrators[0].beta_))
    return CompiledPipeline(
        features=compiled_features,
        weights=np.ascontiguousarray(np.hstack(fold_weights)),
        intercepts=np.vstack(intercepts),
        inverse_temperatures=np.asarray(inverse_temperatures).reshape(-1, 1),
    )
