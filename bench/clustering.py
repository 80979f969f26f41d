"""Clustering questions (issue 6): quality on paraphrase groups written by someone else, and speed.

Run: .venv/bin/python bench/clustering.py [--paraphrases kcc/data/clustering/paraphrases.csv]
         [--database bench/data/million.sqlite] [--sizes 100000,1000000] [--skip-quality]
         [--skip-speed]

Quality: the paraphrase file has columns id,text,group; rows sharing a group ask the same
question, an empty group marks a one-off. Each one-off counts as a true cluster of its own, so a
one-off that we leave unclustered (-1) is right, and every -1 we give is likewise its own
predicted cluster; then the adjusted Rand index (ARI) and V-measure are computed over all rows.
Texts are masked first, as the cluster command does. Also printed: the share of one-offs
left unclustered. The baseline is plain TF-IDF + KMeans, told the true number of clusters
(groups + one-offs), which no real run would know.
Targets: ARI >= 0.8, most one-offs unclustered.

Speed: N masked question texts (question.text_masked, in id order) from the benchmark database,
each size clustered in a fresh subprocess so its peak resident memory (ru_maxrss) is its own.
Targets: 100,000 questions <= 60 s, 1,000,000 <= 600 s, peak memory <= 4 GB, on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kcc.nlp.clustering import UNCLUSTERED, cluster_texts  # noqa: E402
from kcc.privacy.masking import mask_personal_data  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PARAPHRASES = ROOT / "kcc" / "data" / "clustering" / "paraphrases.csv"
DEFAULT_DATABASE = ROOT / "bench" / "data" / "million.sqlite"
DEFAULT_SIZES = (100_000, 1_000_000)
TARGET_ARI = 0.8
TARGET_SECONDS = {100_000: 60.0, 1_000_000: 600.0}
TARGET_PEAK_MIB = 4 * 1024
RANDOM_STATE = 0


def read_paraphrases(path: Path) -> tuple[list[str], np.ndarray]:
    """Texts and true cluster numbers; each one-off (empty group) gets a number of its own."""
    texts: list[str] = []
    truth: list[int] = []
    numbers: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as file:
        for row in csv.DictReader(file):
            texts.append(row["text"])
            group = (row.get("group") or "").strip()
            truth.append(numbers.setdefault(group, len(numbers)) if group else -1)
    labels = np.array(truth, dtype=np.int64)
    one_offs = np.flatnonzero(labels < 0)
    labels[one_offs] = len(numbers) + np.arange(one_offs.size)
    return texts, labels


def as_partition(labels: np.ndarray) -> np.ndarray:
    """Predicted labels with every unclustered row as a cluster of its own."""
    partition = labels.astype(np.int64).copy()
    unclustered = np.flatnonzero(partition == UNCLUSTERED)
    partition[unclustered] = partition.max(initial=0) + 1 + np.arange(unclustered.size)
    return partition


def baseline_labels(texts: Sequence[str], clusters: int) -> np.ndarray:
    """Plain TF-IDF + KMeans with the true number of clusters."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    features = TfidfVectorizer().fit_transform(texts)
    model = KMeans(n_clusters=clusters, n_init=3, random_state=RANDOM_STATE)
    return model.fit_predict(features)


def print_quality(
    name: str, truth: np.ndarray, predicted: np.ndarray, one_offs: np.ndarray
) -> float:
    """Print ARI, V-measure and the share of one-offs left alone; return the ARI."""
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    ari = adjusted_rand_score(truth, predicted)
    v_measure = v_measure_score(truth, predicted)
    counts = np.bincount(predicted)
    alone = float(np.mean(counts[predicted[one_offs]] == 1)) if one_offs.size else float("nan")
    print(f"{name:<28} ARI {ari:.3f}  V-measure {v_measure:.3f}  one-offs alone {alone:.1%}")
    return ari


def run_quality(path: Path) -> None:
    """Score cluster_texts and the baseline on the paraphrase file, if it exists."""
    if not path.is_file():
        print(f"Kwaliteit overgeslagen: {path} bestaat (nog) niet.")
        return
    texts, truth = read_paraphrases(path)
    # As the cluster command does: personal data is masked before anything sees the text.
    texts = [mask_personal_data(text) for text in texts]
    sizes = np.bincount(truth)
    one_offs = np.flatnonzero(sizes[truth] == 1)
    print(
        f"{len(texts)} texts, {int(np.sum(sizes > 1))} paraphrase groups, {one_offs.size} one-offs"
    )
    started = time.perf_counter()
    ours = as_partition(cluster_texts(texts).labels)
    seconds = time.perf_counter() - started
    ari = print_quality("ours (cluster_texts)", truth, ours, one_offs)
    print_quality("baseline TF-IDF + KMeans", truth, baseline_labels(texts, sizes.size), one_offs)
    verdict = "PASS" if ari >= TARGET_ARI else "FAIL"
    print(f"target ARI >= {TARGET_ARI}: {verdict} (clustering took {seconds:.2f} s)")


def read_texts(database: Path, size: int) -> list[str]:
    """The first `size` masked question texts of the benchmark database."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        query = "SELECT text_masked FROM question ORDER BY id LIMIT ?"
        return [row[0] or "" for row in connection.execute(query, (size,))]


def measure_one_size(database: Path, size: int) -> dict[str, float]:
    """Cluster `size` texts in this process; return time, peak memory and the outcome."""
    texts = read_texts(database, size)
    if len(texts) < size:
        raise SystemExit(f"{database} holds only {len(texts)} questions, fewer than {size}.")
    started, cpu_started = time.perf_counter(), time.process_time()
    result = cluster_texts(texts)
    return {
        "size": size,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        # ru_maxrss is in KiB on Linux; it includes reading the texts.
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "clusters": len(result.clusters),
        "unclustered": result.unclustered / size,
    }


def run_speed(database: Path, sizes: Sequence[int]) -> None:
    """Measure each size in a fresh subprocess and print it beside its targets."""
    if not database.is_file():
        print(f"Snelheid overgeslagen: {database} ontbreekt (make bench-data).")
        return
    for size in sizes:
        command = [
            sys.executable,
            __file__,
            "--measure-one",
            str(size),
            "--database",
            str(database),
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
        measured = json.loads(output.strip().splitlines()[-1])
        target = TARGET_SECONDS.get(size)
        time_verdict = ""
        if target is not None:
            passed = "PASS" if measured["seconds"] <= target else "FAIL"
            time_verdict = f" (target <= {target:.0f} s: {passed})"
        memory_verdict = "PASS" if measured["peak_mib"] <= TARGET_PEAK_MIB else "FAIL"
        print(
            f"{size:>9,} questions: {measured['seconds']:.1f} s wall{time_verdict}, "
            f"{measured['cpu_seconds']:.1f} s CPU, peak {measured['peak_mib']:,.0f} MiB "
            f"(target <= {TARGET_PEAK_MIB:,} MiB: {memory_verdict}), "
            f"{measured['clusters']:,} clusters, {measured['unclustered']:.1%} unclustered"
        )


def parse_sizes(value: str) -> list[int]:
    """Comma-separated positive sizes."""
    sizes = [int(part) for part in value.split(",") if part.strip()]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("give positive sizes, e.g. 100000,1000000")
    return sizes


def parse_arguments(arguments: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paraphrases", type=Path, default=DEFAULT_PARAPHRASES)
    parser.add_argument("--database", type=Path, default=DEFAULT_DATABASE)
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES))
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--measure-one", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(arguments)


def main(arguments: Sequence[str] | None = None) -> None:
    """Run the quality part, then the speed part."""
    options = parse_arguments(arguments)
    if options.measure_one:
        print(json.dumps(measure_one_size(options.database, options.measure_one)))
        return
    if not options.skip_quality:
        run_quality(options.paraphrases)
    if not options.skip_speed:
        run_speed(options.database, options.sizes)


if __name__ == "__main__":
    main()
