"""Clustering questions: paraphrases of one question together, different questions apart."""

from __future__ import annotations

import io

import numpy as np
import pytest

from kcc.exceptions import ValidationFailed
from kcc.nlp.clustering import (
    UNCLUSTERED,
    ClusteringSettings,
    cluster_csv,
    cluster_texts,
)
from kcc.nlp.training import load_labelled_csv, shipped_data_path

# Written for these tests (not taken from any evaluation set): each group asks one question.
PARAPHRASE_GROUPS = (
    (
        "Hoeveel leefgeld krijg je per kind?",
        "hoeveel leefgeld is er voor kinderen",
        "Wat is het bedrag aan leefgeld per kind?",
        "beller vraagt hoeveel leefgeld per kind",
    ),
    (
        "Moet ik een mondkapje dragen in de winkel?",
        "is een mondkapje verplicht in winkels",
        "mondkapje verplicht in de supermarkt?",
        "Geldt de mondkapjesplicht ook in de winkel?",
    ),
    (
        "Hoe laat begint de avondklok?",
        "vanaf hoe laat geldt de avondklok",
        "Om hoe laat moet ik binnen zijn vanwege de avondklok?",
        "hoe laat gaat de avondklok in",
    ),
    (
        "Hoe vraag ik de tegemoetkoming voor ondernemers aan?",
        "aanvragen tegemoetkoming ondernemers hoe",
        "Hoe kan ik als ondernemer de tegemoetkoming aanvragen?",
        "ondernemer wil weten hoe hij tegemoetkoming aanvraagt",
    ),
    (
        "Hoe lang moet ik in quarantaine na een positieve test?",
        "hoeveel dagen quarantaine na positieve test",
        "hoe lang quarantaine als ik positief ben getest",
        "Duur van de quarantaine na een positieve coronatest?",
    ),
    (
        "Waar moeten vluchtelingen zich inschrijven bij de gemeente?",
        "hoe schrijven vluchtelingen zich in bij de gemeente",
        "inschrijven in de BRP voor Oekraiense vluchtelingen, waar?",
        "vraagt waar Oekraieners zich moeten inschrijven",
    ),
    (
        "Wanneer wordt het leefgeld betaald?",
        "Op welke dag wordt het leefgeld uitbetaald?",
        "mw vraagt wanneer leefgeld wordt overgemaakt",
    ),
)
ONE_OFFS = (
    "Mijn buurman houdt kippen in de tuin, mag dat tijdens de vogelgriep?",
    "Kan de gemeente helpen met een verhuisbus voor de opvang in Laren?",
    "mw zoekt een tolk Tigrinya voor een gesprek bij de huisarts",
    "Is het zwembad in Bussum open voor schoolzwemmen?",
    "dhr vraagt of zijn rijbewijs uit Oekraine hier geldig blijft",
)


def labelled_texts() -> tuple[list[str], list[int]]:
    """The paraphrase groups and one-offs, with each text's group (-1 for a one-off)."""
    texts: list[str] = []
    groups: list[int] = []
    for number, group in enumerate(PARAPHRASE_GROUPS):
        texts.extend(group)
        groups.extend([number] * len(group))
    texts.extend(ONE_OFFS)
    groups.extend([UNCLUSTERED] * len(ONE_OFFS))
    return texts, groups


@pytest.fixture(scope="module")
def clustered() -> tuple[list[str], list[int], np.ndarray]:
    """The test texts, their true groups and the labels cluster_texts gives them."""
    texts, groups = labelled_texts()
    return texts, groups, cluster_texts(texts).labels


def test_paraphrases_of_one_question_share_one_cluster(
    clustered: tuple[list[str], list[int], np.ndarray],
) -> None:
    texts, groups, labels = clustered
    for number, group in enumerate(PARAPHRASE_GROUPS):
        group_labels = {int(labels[i]) for i, truth in enumerate(groups) if truth == number}
        assert len(group_labels) == 1 and UNCLUSTERED not in group_labels, group


def test_different_questions_are_different_clusters(
    clustered: tuple[list[str], list[int], np.ndarray],
) -> None:
    _, groups, labels = clustered
    label_of_group = {number: int(labels[groups.index(number)]) for number in range(7)}

    assert len(set(label_of_group.values())) == len(PARAPHRASE_GROUPS)


def test_two_questions_about_leefgeld_stay_apart() -> None:
    texts = [
        "wanneer wordt leefgeld betaald",
        "Wanneer wordt het leefgeld betaald?",
        "mw vraagt wanneer het leefgeld wordt betaald",
        "hoeveel leefgeld per kind",
        "Hoeveel leefgeld krijg je per kind?",
        "beller vraagt hoeveel leefgeld per kind",
    ]

    labels = cluster_texts(texts).labels

    assert labels[0] == labels[1] == labels[2] != UNCLUSTERED
    assert labels[3] == labels[4] == labels[5] != UNCLUSTERED
    assert labels[0] != labels[3]


def test_one_off_questions_stay_unclustered(
    clustered: tuple[list[str], list[int], np.ndarray],
) -> None:
    _, groups, labels = clustered

    assert all(labels[i] == UNCLUSTERED for i, truth in enumerate(groups) if truth == UNCLUSTERED)


def test_most_training_questions_are_one_offs() -> None:
    # The training set holds a few near-repeats of its own, but most questions are unique.
    texts = [item.text for item in load_labelled_csv(shipped_data_path("training", "corona"))]

    result = cluster_texts(texts)

    assert result.unclustered / len(texts) >= 0.9


def test_clusters_describe_their_members(
    clustered: tuple[list[str], list[int], np.ndarray],
) -> None:
    texts, _, _ = clustered
    result = cluster_texts(texts)

    assert [cluster.label for cluster in result.clusters] == list(range(len(result.clusters)))
    sizes = [len(cluster.members) for cluster in result.clusters]
    assert sizes == sorted(sizes, reverse=True)
    for cluster in result.clusters:
        assert cluster.representative in cluster.members
        assert all(result.labels[member] == cluster.label for member in cluster.members)
        assert 0 < cluster.cohesion <= 1
        assert cluster.top_terms and all(" " not in term for term in cluster.top_terms)
    avondklok = result.clusters[int(result.labels[texts.index("Hoe laat begint de avondklok?")])]
    assert "avondklok" in avondklok.top_terms


def test_identical_repeats_count_towards_the_minimum_size() -> None:
    texts = ["Waar haal ik een zelftest?"] * 3 + ["Is de milieustraat open?"] * 2

    labels = cluster_texts(texts).labels

    assert list(labels) == [0, 0, 0, UNCLUSTERED, UNCLUSTERED]


def test_min_cluster_size_is_respected(
    clustered: tuple[list[str], list[int], np.ndarray],
) -> None:
    texts, _, _ = clustered

    result = cluster_texts(texts, ClusteringSettings(min_cluster_size=4))

    assert all(len(cluster.members) >= 4 for cluster in result.clusters)
    assert result.labels[texts.index("Wanneer wordt het leefgeld betaald?")] == UNCLUSTERED


def test_clustering_is_deterministic(
    clustered: tuple[list[str], list[int], np.ndarray],
) -> None:
    texts, _, labels = clustered

    assert np.array_equal(cluster_texts(texts).labels, labels)
    assert cluster_texts(texts).clusters == cluster_texts(texts).clusters


def test_the_approximate_search_finds_the_same_groups(
    clustered: tuple[list[str], list[int], np.ndarray],
) -> None:
    texts, _, labels = clustered
    # Force the path large inputs take: projection, k-means cells, exact re-scoring.
    settings = ClusteringSettings(exact_limit=10, cell_size=10, dimensions=16)

    approximate = cluster_texts(texts, settings).labels

    assert np.array_equal(approximate, labels)


@pytest.mark.parametrize("texts", [[], [""], ["", "  ", "de het een"]])
def test_empty_input_and_empty_texts_give_no_clusters(texts: list[str]) -> None:
    result = cluster_texts(texts)

    assert result.clusters == []
    assert list(result.labels) == [UNCLUSTERED] * len(texts)


def test_cluster_csv_masks_and_writes_labels_in_input_order() -> None:
    rows = ["id,text"] + [
        f"{number},Kan ik het leefgeld laten overmaken? Bel me op 06-1234567{number}"
        for number in range(3)
    ]
    target = io.StringIO()

    summary = cluster_csv(rows, target)

    assert target.getvalue().splitlines() == ["id,cluster", "0,0", "1,0", "2,0"]
    assert (summary.rows, summary.clusters, summary.unclustered) == (3, 1, 0)


def test_cluster_csv_refuses_a_file_without_rows() -> None:
    with pytest.raises(ValidationFailed, match="geen vragen"):
        cluster_csv(["id,text"], io.StringIO())
