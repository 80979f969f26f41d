"""Group a crisis's questions that ask the same thing in other words; one-offs stay alone.

The steps, each built for a million questions on two cores:
1. Identical texts (after normalising) are clustered once and count as often as they occur.
2. Each distinct text becomes TF-IDF features: Snowball word stems with neighbouring pairs
   (so "hoeveel leefgeld" and "wanneer leefgeld" differ) beside character n-grams within words
   (typos and Dutch compounds). Cosine similarity on these features decides everything below.
3. Candidate neighbours: exact for small inputs; for large ones an approximate search in a
   TruncatedSVD projection, partitioned into k-means cells (each text searches its nearest few
   cells). The candidates are then re-scored exactly on the TF-IDF features, so the projection
   only proposes pairs and never decides that two texts are alike.
4. Texts are linked to neighbours above a similarity threshold; groups are the connected parts
   of that graph. A group most of whose members lie far from its centre (a chain) is split by
   linking again at a higher threshold; members far from their group's centre are dropped.
   Groups smaller than `min_cluster_size` questions are left unclustered (-1).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import TextIO

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from kcc.exceptions import ValidationFailed
from kcc.nlp.text import StemAnalyzer, load_stop_words, normalise, stem_word, tokenise
from kcc.privacy.masking import mask_personal_data
from kcc.privacy.spreadsheet import read_id_text_rows, spreadsheet_safe

UNCLUSTERED = -1
CSV_OUTPUT_COLUMNS = ("id", "cluster")
# Rows of the exact similarity matrix computed at once: 2,000 × 5,000 float32 is 40 MB.
_BLOCK_ROWS = 2_000
# Queries scored against one cell at once in the approximate search (bounds peak memory).
_QUERY_CHUNK = 4_096
# Candidate pairs re-scored on the sparse features at once.
_PAIR_CHUNK = 200_000
# How agents frame a note ("beller vraagt of", "mw wil weten"): shared by notes about anything,
# so for clustering they would link different questions. Stems, as the analyzer sees them.
FRAMING_STEMS = frozenset(
    stem_word(word)
    for word in (
        "vraag vraagt vragen vraagje beller belt bellen weten graag wilt informatie info "
        "gemeente alstublieft"
    ).split()
)
# Members read to name a cluster's top terms: enough for stable counts, bounded for speed.
_TERM_SAMPLE = 200
_MIN_TERM_LENGTH = 3
# Distinct words whose n-grams are kept: the notes' vocabulary is a few hundred thousand words.
_GRAM_CACHE_SIZE = 500_000


@dataclass(frozen=True)
class ClusteringSettings:
    """The knobs of cluster_texts; the defaults were tuned on our own paraphrase sets only."""

    # A group must hold this many questions (repeats included) to be worth a FAQ entry.
    min_cluster_size: int = 3
    # Two texts are linked when their similarity (0.3 word-stem cosine + 0.7 character n-gram
    # cosine) reaches this, and a linked group keeps only members within member_similarity of
    # its centre. Tuned together on our own 15 paraphrase groups (62 texts, in a scratch script)
    # mixed with samples of 100 training texts as one-offs, mean of three samples:
    #   link 0.40, member 0.55: adjusted Rand index 0.79, 96% of one-offs left alone (chosen);
    #   link 0.35, member 0.55: 0.80, 95%; link 0.45, member 0.55: 0.76, 99%;
    #   link 0.30, member 0.60: 0.79, 93%; member 0.50 was 0.04-0.07 worse throughout.
    # With all 2,353 training texts as one-offs 92% stay alone (some are real repeats).
    # Different questions on one subject score far lower than paraphrases ("wanneer wordt
    # leefgeld betaald" against "hoeveel leefgeld per kind": 0.14; paraphrases: 0.5 median).
    link_similarity: float = 0.4
    member_similarity: float = 0.55
    # A linked group is accepted when this share of it (by questions) lies within
    # member_similarity of its centre; otherwise it is split by linking again 0.05 higher, up
    # to highest_link_similarity.
    coherent_share: float = 0.8
    highest_link_similarity: float = 0.9
    # Share of the word-stem cosine in the similarity; the rest is the character n-gram cosine.
    # 0.3 beat 0.5 (0.72 against 0.68 ARI, before groups were split): n-grams bridge
    # "aanmelden"/"meld aan" and compounds. Four-letter grams alone scored as well as 3-5 at a
    # third of the features.
    word_weight: float = 0.3
    char_ngram_range: tuple[int, int] = (4, 4)
    # Neighbours kept per text: a group larger than this is still found through its members'
    # overlapping neighbourhoods.
    neighbours: int = 10
    # Up to this many distinct texts, all pairwise similarities are computed exactly.
    exact_limit: int = 5_000
    # Approximate search above exact_limit: projection size, texts per k-means cell and the
    # number of nearest cells each text searches (a text near a cell's border finds its
    # neighbours in the next cell). Chosen for speed at a million; see bench/clustering.py.
    dimensions: int = 128
    cell_size: int = 400
    # Texts the projection and the k-means cells are fitted on.
    fit_sample: int = 20_000
    probes: int = 3
    top_terms: int = 5
    random_state: int = 0


@dataclass(frozen=True)
class Cluster:
    """One group of questions: positions in the input, its most central member, its words."""

    label: int
    members: tuple[int, ...]
    representative: int
    top_terms: tuple[str, ...]
    cohesion: float


@dataclass(frozen=True)
class ClusteringResult:
    """A label per input text (-1 = unclustered; 0.. by size, largest first) and the clusters."""

    labels: np.ndarray
    clusters: list[Cluster]

    @property
    def unclustered(self) -> int:
        """How many texts belong to no cluster."""
        return int(np.count_nonzero(self.labels == UNCLUSTERED))


@dataclass(frozen=True)
class DistinctTexts:
    """The distinct normalised texts, how often each occurs and where each input text went."""

    texts: list[str]
    counts: np.ndarray
    inverse: np.ndarray


def deduplicate(texts: Sequence[str]) -> DistinctTexts:
    """Normalise texts and keep each distinct one once, in order of first appearance."""
    positions: dict[str, int] = {}
    inverse = np.empty(len(texts), dtype=np.int64)
    for index, text in enumerate(texts):
        inverse[index] = positions.setdefault(normalise(text), len(positions))
    counts = np.bincount(inverse, minlength=len(positions)).astype(np.int64)
    return DistinctTexts(texts=list(positions), counts=counts, inverse=inverse)


class QuestionAnalyzer:
    """Word stems and neighbouring pairs of a question, without the agent's framing words.

    A module-level class rather than a closure, so it pickles like the pipelines' analyzers.
    """

    def __call__(self, text: str) -> list[str]:
        stems = [stem for stem in StemAnalyzer(bigrams=False)(text) if stem not in FRAMING_STEMS]
        return stems + [f"{first} {second}" for first, second in pairwise(stems)]

    def __repr__(self) -> str:
        return "QuestionAnalyzer()"


@lru_cache(maxsize=_GRAM_CACHE_SIZE)
def word_grams(word: str, shortest: int, longest: int) -> tuple[str, ...]:
    """The character n-grams of one word padded with spaces, as scikit-learn's char_wb makes."""
    padded = f" {word} "
    return tuple(
        padded[start : start + size]
        for size in range(shortest, longest + 1)
        for start in range(len(padded) - size + 1)
    )


class WordGramAnalyzer:
    """Character n-grams within words, cached per word: twice as fast as char_wb on our notes."""

    def __init__(self, ngram_range: tuple[int, int]) -> None:
        self.ngram_range = ngram_range

    def __call__(self, text: str) -> list[str]:
        shortest, longest = self.ngram_range
        grams: list[str] = []
        for word in text.split():
            grams.extend(word_grams(word, shortest, longest))
        return grams

    def __repr__(self) -> str:
        return f"WordGramAnalyzer(ngram_range={self.ngram_range})"


def build_vectorizers(settings: ClusteringSettings) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """Word-stem (with pairs) and character n-gram TF-IDF for already normalised texts."""
    words = TfidfVectorizer(analyzer=QuestionAnalyzer(), sublinear_tf=True, dtype=np.float32)
    characters = TfidfVectorizer(
        analyzer=WordGramAnalyzer(settings.char_ngram_range),
        # An n-gram seen once is mostly a typo: it cannot link two texts anyway.
        min_df=2,
        sublinear_tf=True,
        dtype=np.float32,
    )
    return words, characters


def build_features(texts: Sequence[str], settings: ClusteringSettings) -> sparse.csr_matrix:
    """L2-normalised features whose dot product is the weighted mean of the two cosines."""
    weights = (settings.word_weight, 1.0 - settings.word_weight)
    blocks = []
    for vectorizer, weight in zip(build_vectorizers(settings), weights, strict=True):
        try:
            block = vectorizer.fit_transform(texts)
        except ValueError:
            # No feature at all (only stop words, or n-grams that occur once): no block.
            continue
        # Each block is L2-normalised per row; scaling by the root of its weight makes a dot
        # product of the stacked rows the weighted mean of the two cosines.
        blocks.append(block * np.float32(np.sqrt(weight)))
    if not blocks:
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)
    stacked = sparse.hstack(blocks, format="csr", dtype=np.float32)
    # Rows with only one kind of feature (a text of stop words and a rare n-gram) get unit length.
    return normalize(stacked).astype(np.float32)


def top_k(similarities: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column positions and values of the k largest entries of each row, unordered."""
    k = min(k, similarities.shape[1])
    positions = np.argpartition(-similarities, k - 1, axis=1)[:, :k]
    return positions, np.take_along_axis(similarities, positions, axis=1)


def exact_neighbours(features: sparse.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each text's k most similar other texts and their cosines, from all pairs."""
    count = features.shape[0]
    transposed = features.T.tocsc()
    neighbours = np.empty((count, min(k, count)), dtype=np.int64)
    similarities = np.empty(neighbours.shape, dtype=np.float32)
    for start in range(0, count, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, count)
        block = (features[start:stop] @ transposed).toarray()
        block[np.arange(stop - start), np.arange(start, stop)] = -1.0  # not its own neighbour
        neighbours[start:stop], similarities[start:stop] = top_k(block, neighbours.shape[1])
    return neighbours, similarities


def fitting_sample(count: int, settings: ClusteringSettings) -> np.ndarray:
    """Positions of the texts the projection and the cells are fitted on (all, if few)."""
    if count <= settings.fit_sample:
        return np.arange(count)
    generator = np.random.default_rng(settings.random_state)
    return np.sort(generator.choice(count, settings.fit_sample, replace=False))


def project(features: sparse.csr_matrix, settings: ClusteringSettings) -> np.ndarray:
    """A dense, L2-normalised TruncatedSVD projection of the features (float32)."""
    dimensions = min(settings.dimensions, features.shape[1] - 1, features.shape[0] - 1)
    # Fitted on a sample: the main directions of 20,000 notes are those of a million, and the
    # fit costs a fraction. Candidates are re-scored exactly, so a rough projection only costs
    # a little recall.
    svd = TruncatedSVD(
        n_components=max(dimensions, 1), n_iter=3, random_state=settings.random_state
    )
    svd.fit(features[fitting_sample(features.shape[0], settings)])
    projected = np.empty((features.shape[0], svd.n_components), dtype=np.float32)
    for start in range(0, features.shape[0], _PAIR_CHUNK):
        projected[start : start + _PAIR_CHUNK] = svd.transform(
            features[start : start + _PAIR_CHUNK]
        )
    return normalize(projected, copy=False)


def nearest_cells(projected: np.ndarray, settings: ClusteringSettings) -> np.ndarray:
    """For each text, its `probes` nearest k-means cells, nearest first."""
    cells = max(2, projected.shape[0] // settings.cell_size)
    kmeans = MiniBatchKMeans(
        n_clusters=cells,
        # Random starting centres: cells only need to split the space, and k-means++ costs
        # more than the whole search at a million texts (thousands of cells).
        init="random",
        batch_size=8_192,
        n_init=1,
        max_iter=10,
        max_no_improvement=3,
        random_state=settings.random_state,
    ).fit(projected[fitting_sample(projected.shape[0], settings)])
    centres = kmeans.cluster_centers_.astype(np.float32)
    probes = min(settings.probes, cells)
    nearest = np.empty((projected.shape[0], probes), dtype=np.int64)
    for start in range(0, projected.shape[0], _QUERY_CHUNK):
        scores = projected[start : start + _QUERY_CHUNK] @ centres.T
        positions, values = top_k(scores, probes)
        order = np.argsort(-values, axis=1, kind="stable")
        nearest[start : start + _QUERY_CHUNK] = np.take_along_axis(positions, order, axis=1)
    return nearest


def approximate_candidates(projected: np.ndarray, settings: ClusteringSettings) -> np.ndarray:
    """Each text's likely nearest neighbours: searched in its nearest cells of the projection."""
    count = projected.shape[0]
    cells = nearest_cells(projected, settings)
    k = settings.neighbours
    probes = cells.shape[1]
    candidates = np.full((count, probes * k), -1, dtype=np.int64)
    scores = np.full((count, probes * k), -np.inf, dtype=np.float32)
    home = cells[:, 0]
    members_by_cell = group_positions(home)
    for probe in range(probes):
        queries_by_cell = group_positions(cells[:, probe])
        for cell, queries in queries_by_cell.items():
            members = members_by_cell.get(cell)
            if members is None:
                continue
            member_vectors = projected[members]
            for start in range(0, queries.size, _QUERY_CHUNK):
                chunk = queries[start : start + _QUERY_CHUNK]
                similarities = projected[chunk] @ member_vectors.T
                # A text is not its own neighbour; members are sorted, so look each query up.
                own = np.minimum(np.searchsorted(members, chunk), members.size - 1)
                is_member = members[own] == chunk
                similarities[np.flatnonzero(is_member), own[is_member]] = -np.inf
                positions, values = top_k(similarities, k)
                width = positions.shape[1]
                columns = slice(probe * k, probe * k + width)
                candidates[chunk, columns] = members[positions]
                scores[chunk, columns] = values
    positions, _ = top_k(scores, k)
    return np.take_along_axis(candidates, positions, axis=1)


def group_positions(keys: np.ndarray) -> dict[int, np.ndarray]:
    """Positions of each distinct key, ascending."""
    order = np.argsort(keys, kind="stable")
    distinct, starts = np.unique(keys[order], return_index=True)
    groups = np.split(order, starts[1:])
    return {int(key): group for key, group in zip(distinct, groups, strict=True)}


def pair_similarities(
    features: sparse.csr_matrix, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """Exact cosine of each pair (first[i], second[i]) of feature rows."""
    result = np.empty(first.size, dtype=np.float32)
    for start in range(0, first.size, _PAIR_CHUNK):
        stop = start + _PAIR_CHUNK
        products = features[first[start:stop]].multiply(features[second[start:stop]])
        result[start:stop] = np.asarray(products.sum(axis=1)).ravel()
    return result


@dataclass(frozen=True)
class Edges:
    """Pairs of linked texts (first[i], second[i]) and their exact similarity."""

    first: np.ndarray
    second: np.ndarray
    similarity: np.ndarray


def neighbour_edges(features: sparse.csr_matrix, settings: ClusteringSettings) -> Edges:
    """Pairs of distinct texts whose exact similarity reaches link_similarity."""
    count = features.shape[0]
    if count < 2:
        nothing = np.empty(0, dtype=np.int64)
        return Edges(nothing, nothing, np.empty(0, dtype=np.float32))
    if count <= settings.exact_limit:
        neighbours, similarities = exact_neighbours(features, settings.neighbours)
    else:
        neighbours = approximate_candidates(project(features, settings), settings)
        valid = neighbours >= 0
        similarities = np.full(neighbours.shape, -1.0, dtype=np.float32)
        rows = np.broadcast_to(np.arange(count)[:, None], neighbours.shape)
        similarities[valid] = pair_similarities(features, rows[valid], neighbours[valid])
    rows = np.broadcast_to(np.arange(count)[:, None], neighbours.shape)
    # A text can be its own candidate when a cell holds fewer than `neighbours` others.
    linked = (similarities >= settings.link_similarity) & (neighbours != rows)
    return Edges(rows[linked], neighbours[linked], similarities[linked])


def link_groups(count: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The connected part of the neighbour graph each text belongs to."""
    graph = sparse.coo_matrix(
        (np.ones(first.size, dtype=np.int8), (first, second)), shape=(count, count)
    )
    _, groups = connected_components(graph, directed=False)
    return groups.astype(np.int64)


def centroids(
    features: sparse.csr_matrix, groups: np.ndarray, weights: np.ndarray, group_count: int
) -> sparse.csr_matrix:
    """The L2-normalised weighted mean feature vector of each group (groups < 0 ignored)."""
    member = groups >= 0
    indicator = sparse.csr_matrix(
        (weights[member].astype(np.float32), (groups[member], np.flatnonzero(member))),
        shape=(group_count, features.shape[0]),
    )
    return normalize(indicator @ features).astype(np.float32)


def similarity_to_centre(
    features: sparse.csr_matrix, groups: np.ndarray, centres: sparse.csr_matrix
) -> np.ndarray:
    """Each text's cosine to its own group's centre (0 for texts in no group)."""
    result = np.zeros(groups.size, dtype=np.float32)
    # Group by group: a centre row repeated for every member would hold billions of entries.
    for group, rows in group_positions(groups).items():
        if group >= 0:
            result[rows] = (features[rows] @ centres[group].T).toarray().ravel()
    return result


def trim_groups(
    features: sparse.csr_matrix,
    groups: np.ndarray,
    weights: np.ndarray,
    settings: ClusteringSettings,
) -> np.ndarray:
    """Drop members far from their group's centre and groups too small; renumber 0.. by size."""
    groups = keep_large_groups(groups, weights, settings.min_cluster_size)
    # Twice: once a far member is gone, the centre moves and may leave others out.
    for _ in range(2):
        group_count = int(groups.max(initial=UNCLUSTERED)) + 1
        if group_count == 0:
            break
        centres = centroids(features, groups, weights, group_count)
        closeness = similarity_to_centre(features, groups, centres)
        groups = np.where(closeness >= settings.member_similarity, groups, UNCLUSTERED)
        groups = keep_large_groups(groups, weights, settings.min_cluster_size)
    return groups


def link_thresholds(settings: ClusteringSettings) -> list[float]:
    """The rising similarity thresholds at which incoherent groups are split again."""
    steps = int(np.floor((settings.highest_link_similarity - settings.link_similarity) / 0.05))
    return [round(settings.link_similarity + 0.05 * step, 2) for step in range(max(steps, 0) + 1)]


def split_into_groups(
    features: sparse.csr_matrix, edges: Edges, weights: np.ndarray, settings: ClusteringSettings
) -> np.ndarray:
    """Connected groups of linked texts; a group that is not coherent is split at a higher link.

    Plain linking chains: at a hundred thousand notes, one group held 80% of them ("X? Beller
    klonk geemotioneerd." links X to every other such note). A group is accepted when most of
    it lies close to its centre; otherwise only its stronger links count in the next round.
    """
    count = features.shape[0]
    groups = np.full(count, UNCLUSTERED, dtype=np.int64)
    # A text without any feature (empty, or only stop words) is like no other text.
    is_open = np.diff(features.indptr) > 0
    next_label = 0
    thresholds = link_thresholds(settings)
    for round_number, threshold in enumerate(thresholds):
        kept = (edges.similarity >= threshold) & is_open[edges.first] & is_open[edges.second]
        candidates = link_groups(count, edges.first[kept], edges.second[kept])
        candidates[~is_open] = UNCLUSTERED
        candidates = keep_large_groups(candidates, weights, settings.min_cluster_size)
        # A text in too small a group now is in one at least as small at any higher threshold.
        is_open &= candidates >= 0
        if not is_open.any():
            break
        candidate_count = int(candidates.max()) + 1
        centres = centroids(features, candidates, weights, candidate_count)
        is_close = similarity_to_centre(features, candidates, centres) >= settings.member_similarity
        members = candidates[is_open]
        close_share = np.bincount(
            members, weights=(weights * is_close)[is_open], minlength=candidate_count
        ) / np.bincount(members, weights=weights[is_open], minlength=candidate_count)
        is_last = round_number == len(thresholds) - 1
        accepted = is_open & ((close_share[candidates] >= settings.coherent_share) | is_last)
        # Far members of an accepted group are left out rather than split off.
        groups[accepted & is_close] = next_label + candidates[accepted & is_close]
        next_label += candidate_count
        is_open &= ~accepted
    return trim_groups(features, groups, weights, settings)


def keep_large_groups(groups: np.ndarray, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Groups of at least `minimum` questions, numbered 0.. by size (ties: first text first)."""
    member = groups >= 0
    if not member.any():
        return np.full(groups.size, UNCLUSTERED, dtype=np.int64)
    sizes = np.bincount(groups[member], weights=weights[member])
    first_seen = np.full(sizes.size, groups.size, dtype=np.int64)
    np.minimum.at(first_seen, groups[member], np.flatnonzero(member))
    kept = np.flatnonzero(sizes >= minimum)
    order = kept[np.lexsort((first_seen[kept], -sizes[kept]))]
    renumber = np.full(sizes.size, UNCLUSTERED, dtype=np.int64)
    renumber[order] = np.arange(order.size)
    result = np.full(groups.size, UNCLUSTERED, dtype=np.int64)
    result[member] = renumber[groups[member]]
    return result


def readable_terms(texts: Iterable[str], idf: dict[str, float], limit: int) -> tuple[str, ...]:
    """The words that mark a group: frequent in it, rare overall; shown as they were written."""
    stop_words = load_stop_words()
    stem_counts: Counter[str] = Counter()
    surface_forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        seen: set[str] = set()
        for word in tokenise(text):
            if word in stop_words or len(word) < _MIN_TERM_LENGTH or word.startswith("_"):
                continue
            if word.isdigit():
                continue
            stem = stem_word(word)
            surface_forms[stem][word] += 1
            if stem not in seen:
                seen.add(stem)
                stem_counts[stem] += 1
    ranked = sorted(stem_counts, key=lambda stem: (-stem_counts[stem] * idf.get(stem, 1.0), stem))
    return tuple(surface_forms[stem].most_common(1)[0][0] for stem in ranked[:limit])


def stem_idf(texts: Sequence[str], sample: np.ndarray) -> dict[str, float]:
    """Inverse document frequency of word stems, estimated on a sample of the texts."""
    document_frequency: Counter[str] = Counter()
    for position in sample:
        document_frequency.update(set(StemAnalyzer(bigrams=False)(texts[position])))
    total = max(sample.size, 1)
    return {
        stem: float(np.log((1 + total) / (1 + df)) + 1) for stem, df in document_frequency.items()
    }


def describe_clusters(
    distinct: DistinctTexts,
    features: sparse.csr_matrix,
    groups: np.ndarray,
    settings: ClusteringSettings,
) -> list[Cluster]:
    """Members, representative, top terms and cohesion of each group."""
    group_count = int(groups.max(initial=UNCLUSTERED)) + 1
    if group_count == 0:
        return []
    centres = centroids(features, groups, distinct.counts, group_count)
    closeness = similarity_to_centre(features, groups, centres)
    generator = np.random.default_rng(settings.random_state)
    sample_size = min(len(distinct.texts), 20_000)
    idf = stem_idf(
        distinct.texts, generator.choice(len(distinct.texts), sample_size, replace=False)
    )
    # Input positions per distinct text, so each cluster lists the questions it holds.
    positions_by_text = group_positions(distinct.inverse)
    texts_by_group = group_positions(groups)
    clusters = []
    for label in range(group_count):
        texts = texts_by_group[label]
        members = np.sort(np.concatenate([positions_by_text[int(text)] for text in texts]))
        central = int(texts[np.argmax(closeness[texts])])
        weights = distinct.counts[texts]
        clusters.append(
            Cluster(
                label=label,
                members=tuple(int(member) for member in members),
                representative=int(positions_by_text[central][0]),
                top_terms=readable_terms(
                    (distinct.texts[int(text)] for text in texts[:_TERM_SAMPLE]),
                    idf,
                    settings.top_terms,
                ),
                cohesion=round(float(np.average(closeness[texts], weights=weights)), 3),
            )
        )
    return clusters


def cluster_texts(
    texts: Sequence[str],
    settings: ClusteringSettings = ClusteringSettings(),  # noqa: B008
) -> ClusteringResult:
    """Group texts that ask the same question; see the module docstring for how."""
    if not texts:
        return ClusteringResult(labels=np.empty(0, dtype=np.int64), clusters=[])
    distinct = deduplicate(texts)
    features = build_features(distinct.texts, settings)
    edges = neighbour_edges(features, settings)
    groups = split_into_groups(features, edges, distinct.counts, settings)
    return ClusteringResult(
        labels=groups[distinct.inverse],
        clusters=describe_clusters(distinct, features, groups, settings),
    )


@dataclass(frozen=True)
class ClusterSummary:
    """What cluster_csv did: rows read, clusters found, rows left unclustered."""

    rows: int
    clusters: int
    unclustered: int


def read_id_text_rows_at_once(source: Iterable[str]) -> tuple[list[str], list[str]]:
    """The ids and texts of an `id,text` CSV (clustering needs them all); at least one row."""
    ids: list[str] = []
    texts: list[str] = []
    for identifier, text in read_id_text_rows(source):
        ids.append(identifier)
        texts.append(text)
    if not ids:
        raise ValidationFailed("Het invoerbestand bevat geen vragen.")
    return ids, texts


def cluster_csv(
    source: Iterable[str],
    target: TextIO,
    settings: ClusteringSettings = ClusteringSettings(),  # noqa: B008
) -> ClusterSummary:
    """Read `id,text`, mask and cluster the texts, write `id,cluster` in the same order."""
    ids, texts = read_id_text_rows_at_once(source)
    # Personal data never reaches the features, the top terms or anything derived from them.
    result = cluster_texts([mask_personal_data(text) for text in texts], settings)
    writer = csv.writer(target)
    writer.writerow(CSV_OUTPUT_COLUMNS)
    for identifier, label in zip(ids, result.labels, strict=True):
        writer.writerow((spreadsheet_safe(identifier), int(label)))
    return ClusterSummary(
        rows=len(ids), clusters=len(result.clusters), unclustered=result.unclustered
    )
