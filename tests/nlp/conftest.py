"""Shipped labelled data for the nlp tests; models are trained per test module, once."""

from __future__ import annotations

import pytest

from kcc.nlp.training import LabelledText, load_labelled_csv, shipped_data_path

CRISES = ("corona", "oekraine")


@pytest.fixture(scope="session")
def training_sets() -> dict[str, list[LabelledText]]:
    """kcc/data/training/<crisis>.csv per crisis."""
    return {crisis: load_labelled_csv(shipped_data_path("training", crisis)) for crisis in CRISES}


@pytest.fixture(scope="session")
def evaluation_sets() -> dict[str, list[LabelledText]]:
    """kcc/data/evaluation/<crisis>.csv per crisis: only ever for scoring."""
    return {crisis: load_labelled_csv(shipped_data_path("evaluation", crisis)) for crisis in CRISES}
