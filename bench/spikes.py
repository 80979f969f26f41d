"""Spike detection on a generated year of daily counts with planted spikes (issue 7).

Run: .venv/bin/python bench/spikes.py [--regions 5] [--seed 7]
(targets: >= 95% of planted 3x spikes found within a day; <= 1 false signal per topic per month)

Pure numpy, no database: the figure is about the detector (kcc/insight/spikes.py), which the
service feeds with the same daily counts from aggregate queries. Each generated region has
topics of very different volume with a weekday pattern (quiet weekends), over-dispersion
(gamma-Poisson), a slow trend, a few lasting level shifts as the crisis evolves, and single-day
spikes of 3x the day's expected count at known days. The detector runs day by day from the
crisis's first day on, leaving days it flagged out of later baselines, as the service does.

A spike counts as found when the detector flags its day or the day after. Every other flag is
a false signal; flags in the first days after a planted level shift are reported apart as
well, because a lasting jump of the volume is a change the adviser should hear about too.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

import numpy as np

from kcc.insight.spikes import SpikeSettings, assess_volume

DAYS = 365
# The planted spike (the day brings exactly 3x its baseline) and a harder, noisier one.
SPIKE_KINDS = {
    "exact": "spikes of 3x the day's baseline (the issue's definition)",
    "extra": "the day's ordinary, noisy count plus Poisson(2x baseline) on top",
}
# Mean questions per weekday of each topic at the crisis's start, from a quiet topic to a busy one.
TOPIC_LEVELS = (6, 10, 18, 30, 50, 90, 160, 400)
# Monday to Sunday: busy Monday, quiet weekend (the crisis line is open, few people call).
WEEKDAY_PATTERN = np.array([1.3, 1.15, 1.05, 1.0, 0.9, 0.4, 0.3])
SPIKES_PER_TOPIC = 12
SPIKE_FACTOR = 3.0
SHIFTS_PER_TOPIC = 3
SHIFT_FACTORS = (0.5, 0.6, 1.7, 2.0)
# Flags this many days from a level shift's first day on count as "at a level shift".
SHIFT_WINDOW = 3
DAYS_PER_MONTH = 365 / 12
RECALL_TARGET = 0.95
FALSE_PER_TOPIC_MONTH_TARGET = 1.0


@dataclass
class Series:
    """One topic's generated year: the counts, its true mean per day, and what was planted."""

    counts: np.ndarray
    means: np.ndarray
    spike_days: list[int]
    shift_days: list[int]
    start_weekday: int


@dataclass
class Tally:
    """What the detector found over all generated topics."""

    spikes: int = 0
    found: int = 0
    spikes_countable: int = 0
    found_countable: int = 0
    false_signals: int = 0
    shift_signals: int = 0
    topic_months: float = 0.0
    missed: list[str] = field(default_factory=list)


def planted_days(rng: np.random.Generator, count: int, taken: set[int], start: int) -> list[int]:
    """Random days from `start` on, at least a week from each other and from days taken."""
    chosen: list[int] = []
    while len(chosen) < count:
        day = int(rng.integers(start, DAYS - 1))
        if all(abs(day - other) >= 7 for other in (*chosen, *taken)):
            chosen.append(day)
    return sorted(chosen)


def generate_series(rng: np.random.Generator, level: float, spike_kind: str) -> Series:
    """A year of one topic's counts with weekday pattern, trend, shifts, noise and spikes."""
    days = np.arange(DAYS)
    trend = np.exp(np.linspace(0.0, rng.uniform(-0.7, 0.7), DAYS))
    wobble = 1 + 0.15 * np.sin(2 * np.pi * days / rng.uniform(60, 120) + rng.uniform(0, 6))
    shift_days = planted_days(rng, SHIFTS_PER_TOPIC, set(), start=30)
    shifts = np.ones(DAYS)
    for day in shift_days:
        shifts[day:] *= rng.choice(SHIFT_FACTORS)
    start_weekday = int(rng.integers(0, 7))
    weekday = WEEKDAY_PATTERN[(days + start_weekday) % 7]
    means = level * trend * wobble * shifts * weekday
    # Spikes come after the first fortnight, once there is something to compare with.
    spike_days = planted_days(rng, SPIKES_PER_TOPIC, set(shift_days), start=14)
    dispersion = rng.uniform(0.03, 0.10)
    counts = rng.poisson(rng.gamma(1 / dispersion, means * dispersion)).astype(float)
    if spike_kind == "exact":
        # The definition: the day brings three times its baseline.
        counts[spike_days] = np.round(SPIKE_FACTOR * means[spike_days])
    else:
        # The day's ordinary (noisy) questions plus twice the expected number on top (the news
        # of the day): three times the baseline on average, often much less on the day.
        counts[spike_days] += rng.poisson((SPIKE_FACTOR - 1) * means[spike_days])
    return Series(counts, means, spike_days, shift_days, start_weekday)


def detect_year(series: Series, start_weekday: int, settings: SpikeSettings) -> np.ndarray:
    """Run the detector day by day, as the daily job does; return the flagged days."""
    flagged = np.zeros(DAYS, dtype=bool)
    for day in range(1, DAYS):
        start = max(0, day - settings.baseline_days)
        verdict = assess_volume(
            series.counts[day],
            series.counts[start:day],
            (start_weekday + day) % 7,
            excluded=flagged[start:day],
            settings=settings,
        )
        flagged[day] = bool(verdict and verdict.is_signal)
    return flagged


def tally_series(
    series: Series, flagged: np.ndarray, tally: Tally, settings: SpikeSettings
) -> None:
    """Add one topic's spikes found, spikes missed and false signals to the tally."""
    explained = np.zeros(DAYS, dtype=bool)
    for day in series.spike_days:
        found = bool(flagged[day] or flagged[min(day + 1, DAYS - 1)])
        countable = series.means[day] * SPIKE_FACTOR >= settings.min_observed
        tally.spikes += 1
        tally.found += found
        tally.spikes_countable += countable
        tally.found_countable += found and countable
        if not found:
            tally.missed.append(
                f"day {day}: expected {series.means[day]:.1f}, spike {series.counts[day]:.0f}"
            )
        explained[day : day + 2] = True
    at_shift = np.zeros(DAYS, dtype=bool)
    for day in series.shift_days:
        at_shift[day : day + SHIFT_WINDOW] = True
    wrong = flagged & ~explained
    tally.shift_signals += int((wrong & at_shift).sum())
    tally.false_signals += int(wrong.sum())
    tally.topic_months += DAYS / DAYS_PER_MONTH


def run(regions: int, seed: int, settings: SpikeSettings, spike_kind: str) -> Tally:
    """Generate `regions` years of every topic level and tally the detector's results."""
    rng = np.random.default_rng(seed)
    tally = Tally()
    for _ in range(regions):
        for level in TOPIC_LEVELS:
            series = generate_series(rng, level, spike_kind)
            flagged = detect_year(series, series.start_weekday, settings)
            tally_series(series, flagged, tally, settings)
    return tally


def report(tally: Tally, spike_kind: str, settings: SpikeSettings, missed: int) -> None:
    """Print one kind of spike's recall and false signals against the targets."""
    recall = tally.found / tally.spikes
    recall_countable = tally.found_countable / max(tally.spikes_countable, 1)
    false_rate = tally.false_signals / tally.topic_months
    shift_rate = tally.shift_signals / tally.topic_months
    other_rate = (tally.false_signals - tally.shift_signals) / tally.topic_months
    print(f"{SPIKE_KINDS[spike_kind]}:")
    print(
        f"  recall, spikes found within a day: {tally.found}/{tally.spikes} = {recall:.1%} "
        f"(target >= {RECALL_TARGET:.0%})"
    )
    print(
        f"  of spikes of at least {settings.min_observed} questions (3x expected): "
        f"{tally.found_countable}/{tally.spikes_countable} = {recall_countable:.1%}"
    )
    print(
        f"  false signals per topic per month: {false_rate:.2f} "
        f"(target <= {FALSE_PER_TOPIC_MONTH_TARGET:g}); of which in the first {SHIFT_WINDOW} "
        f"days of a planted level shift: {shift_rate:.2f}, elsewhere: {other_rate:.2f}"
    )
    for line in tally.missed[:missed]:
        print(f"    missed {line}")


def main() -> None:
    """Print recall and false signals against the targets, for both kinds of spike."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, default=5, help="generated years per topic level")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--missed", type=int, default=5, help="missed spikes to list per kind")
    arguments = parser.parse_args()
    settings = SpikeSettings()
    topics = arguments.regions * len(TOPIC_LEVELS)
    print(
        f"{topics} topic-years ({arguments.regions} regions x {len(TOPIC_LEVELS)} topics, "
        f"levels {TOPIC_LEVELS} per weekday), seed {arguments.seed}, "
        f"threshold {settings.threshold}, min_observed {settings.min_observed}"
    )
    for spike_kind in SPIKE_KINDS:
        started = time.perf_counter()
        tally = run(arguments.regions, arguments.seed, settings, spike_kind)
        seconds = time.perf_counter() - started
        report(tally, spike_kind, settings, arguments.missed)
        print(f"  {seconds:.1f} s ({topics * (DAYS - 1) / seconds:,.0f} series-days/s)")


if __name__ == "__main__":
    main()
