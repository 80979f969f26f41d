"""Spike detection on plain arrays of daily counts: no Flask, no database.

A day's count is compared with what the recent past makes expected:

- the *weekday factor* is each weekday's median over the baseline (eight weeks) against the
  other weekdays, shrunk toward 1 while few weeks are known;
- the *level* is the median of the last ten days' counts with the weekday pattern taken out
  (a median, so one earlier spike does not raise the bar for the next days; days already
  flagged are left out too); when the last days are all far above or below it (by a ratio
  and beyond chance), the crisis moved to a new level and the level follows them at once,
  instead of flagging the same change for a week;
- the *test* is a negative binomial tail probability: daily counts vary more than Poisson
  (news, weather, a letter that lands on the mat), so the over-dispersion is estimated from
  how far the baseline's days scatter around their neighbours, with a floor;
- the *score* is -log10 of that probability; a day is a spike when the score passes the
  threshold, the count is at least `min_observed` (1 → 3 questions is no news) and clearly
  above the expectation (`min_ratio`), so that at national volumes a statistically certain
  but small rise is no signal either.

The threshold and the other defaults were chosen with `bench/spikes.py`: a generated year with
planted 3× spikes, aiming at 95% found within a day and at most one false signal per topic per
month.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

DAYS_PER_WEEK = 7
WORKING_DAYS = (0, 1, 2, 3, 4)
WEEKEND_DAYS = (5, 6)
# 1.4826 × the median absolute deviation estimates a normal standard deviation.
MAD_TO_SD = 1.4826
# Scores stop at 300 (a probability of 1e-300), so they stay finite.
MAX_SCORE = 300.0


@dataclass(frozen=True)
class SpikeSettings:
    """The detector's knobs; the defaults are the ones the benchmark supports."""

    # The recent past the expectation is drawn from: eight weeks, eight of each weekday.
    baseline_days: int = 56
    # The level is the median of this many recent (weekday-adjusted) days: short enough to
    # follow a trend, long enough that one odd day does not move it.
    level_days: int = 10
    # When this many most recent days are all `shift_ratio` above or below the level, the
    # series has moved to a new level (a measure took effect) and the level follows them.
    shift_days: int = 2
    shift_ratio: float = 1.6
    shift_z: float = 2.0
    # Fewer known days: no verdict; fewer than `short_history_days`: a cautious one.
    min_history_days: int = 3
    short_history_days: int = 14
    # Over-dispersion (variance = mean + dispersion × mean²) is at least this much: day counts
    # of a contact centre are never purely Poisson, and the estimate itself is uncertain.
    min_dispersion: float = 0.06
    max_dispersion: float = 2.0
    # With a short history the scatter is barely known: assume a lot of it.
    short_history_dispersion: float = 0.15
    # Days used to estimate the dispersion (the most recent ones), each against the median
    # of the days this far on either side.
    dispersion_days: int = 28
    dispersion_half_width: int = 3
    # Shrinks a weekday factor toward 1 by n / (n + prior) with n weeks seen.
    weekday_prior_weeks: float = 0.5
    # Shrinks a weekday toward its group (working days, weekend) by n / (n + this), n weeks.
    weekday_group_weeks: float = 4.0
    # A weekday with a factor below this (a closed day) is left out of the level.
    closed_day_factor: float = 0.1
    # An expectation below this is raised to it: a test against zero says nothing.
    min_expected: float = 0.5
    # A spike has at least this many questions, and at least min_ratio × the expectation.
    min_observed: int = 10
    min_ratio: float = 1.6
    # -log10 of the tail probability a spike needs (2.2: one in about 160). Lower finds more
    # spikes and raises more false signals; bench/spikes.py shows the trade-off.
    threshold: float = 2.2
    # Municipal series are tested only where the baseline has at least this many per day.
    municipal_min_mean: float = 5.0


@dataclass(frozen=True)
class Expectation:
    """What a day's count is expected to be, and how much it is expected to vary."""

    expected: float
    dispersion: float
    history_days: int


@dataclass(frozen=True)
class Verdict:
    """A day's count tested against its expectation."""

    observed: float
    expected: float
    score: float
    is_signal: bool


@dataclass(frozen=True)
class SentimentSettings:
    """When a rising share of negative questions is a signal."""

    # At least this many questions with a sentiment today, and this many in the baseline.
    min_today: int = 20
    min_baseline: int = 50
    # The share negative must rise by at least this much (0.15: from 30% to 45% or more).
    min_rise: float = 0.15
    threshold: float = 3.0


@dataclass(frozen=True)
class ClusterSettings:
    """When a cluster of questions grows fast enough to be a signal."""

    min_this_week: int = 10
    min_growth_factor: float = 3.0


def as_counts(values: ArrayLike) -> NDArray[np.float64]:
    """Daily counts as a float array (NaN marks a day to leave out)."""
    return np.asarray(values, dtype=np.float64).reshape(-1)


def score_from_log_probability(log_probability: float) -> float:
    """-log10 of a probability given as its natural logarithm, capped at MAX_SCORE."""
    return min(-log_probability / math.log(10), MAX_SCORE)


def history_weekdays(length: int, weekday: int) -> NDArray[np.int64]:
    """The weekday (0 = Monday) of each day of a history that ends the day before `weekday`."""
    return (weekday - np.arange(length, 0, -1)) % DAYS_PER_WEEK


def weekday_factors(
    history: NDArray[np.float64], weekdays: NDArray[np.int64], settings: SpikeSettings
) -> NDArray[np.float64]:
    """Each weekday's level against the average weekday.

    Eight weeks give only eight days of each weekday, too few for a steady median on noisy
    counts. So each weekday's median is shrunk toward the median of its group (working days
    or weekend days, many more days), and that toward 1 while few weeks are known.
    """
    known = ~np.isnan(history)
    if not known.any():
        return np.ones(DAYS_PER_WEEK)
    typical = float(np.median(history[known]))
    if typical <= 0:
        return np.ones(DAYS_PER_WEEK)
    factors = np.ones(DAYS_PER_WEEK)
    for group in (WORKING_DAYS, WEEKEND_DAYS):
        in_group = np.isin(weekdays, group) & known
        group_factor = 1.0
        if in_group.any():
            weight = in_group.sum() / (in_group.sum() + settings.weekday_prior_weeks)
            group_factor = weight * float(np.median(history[in_group])) / typical + (1 - weight)
        for day in group:
            values = history[(weekdays == day) & known]
            weight = values.size / (values.size + settings.weekday_group_weeks)
            own = float(np.median(values)) / typical if values.size else group_factor
            factors[day] = weight * own + (1 - weight) * group_factor
    # Scale so an average week has factor 1: the level is then a plain day's count.
    return factors / factors.mean()


def centred_median(values: NDArray[np.float64], half_width: int) -> NDArray[np.float64]:
    """Each day's median over itself and `half_width` days on either side (NaN ignored)."""
    padded = np.concatenate([np.full(half_width, np.nan), values, np.full(half_width, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half_width + 1)
    result = np.full(values.size, np.nan)
    filled = (~np.isnan(windows)).any(axis=1)
    result[filled] = np.nanmedian(windows[filled], axis=1)
    return result


def current_level(
    adjusted: NDArray[np.float64],
    unexcluded: NDArray[np.float64],
    day_factors: NDArray[np.float64],
    settings: SpikeSettings,
) -> float:
    """The recent level of a weekday-adjusted series: a median, or the new level after a shift.

    `adjusted` has the excluded days (earlier spikes) as NaN; `unexcluded` keeps them. The
    shift test looks at the latter: the first days of a lasting jump were flagged, and
    leaving them out would keep the level down and flag the new normal day after day.
    """
    recent = adjusted[-settings.level_days :]
    recent = recent[~np.isnan(recent)]
    if recent.size == 0:
        return 0.0
    level = float(np.median(recent))
    latest = unexcluded[-settings.shift_days :]
    if latest.size == settings.shift_days and not np.isnan(latest).any():
        if has_shifted(latest, day_factors[-settings.shift_days :], level, settings):
            return float(np.median(latest))
    return level


def has_shifted(
    latest: NDArray[np.float64],
    factors: NDArray[np.float64],
    level: float,
    settings: SpikeSettings,
) -> bool:
    """Tell whether the latest days all lie far above or all far below the level.

    Far means both `shift_ratio` times off and beyond chance (`shift_z` Poisson standard
    deviations): two quiet weekend days of 1 and 3 questions, divided by small weekday
    factors, easily differ by the ratio, and treating that as a new level would raise the
    expectation for Monday and hide Monday's spike.
    """
    expected = np.maximum(level * factors, settings.min_expected)
    counts = latest * factors
    z = (counts - expected) / np.sqrt(expected)
    moved_up = np.all(latest > level * settings.shift_ratio) and np.all(z >= settings.shift_z)
    moved_down = np.all(latest * settings.shift_ratio < level) and np.all(z <= -settings.shift_z)
    return bool(moved_up or moved_down)


def estimate_dispersion(
    adjusted: NDArray[np.float64], day_factors: NDArray[np.float64], settings: SpikeSettings
) -> float:
    """Over-dispersion from how far the baseline's days scatter around their neighbours.

    Each day is compared with the median of the days around it (weekday pattern taken out),
    not with what the days before it predicted: after a level shift or along a trend, those
    predictions lag, and their error would count as noise and hide the next spike for weeks.
    A median of absolute deviations keeps earlier spikes from inflating the estimate.
    """
    local = centred_median(adjusted, settings.dispersion_half_width) * day_factors
    counts = adjusted * day_factors
    recent = slice(-settings.dispersion_days, None)
    counts, means = counts[recent], local[recent]
    usable = ~np.isnan(counts) & ~np.isnan(means) & (means >= 1.0)
    if usable.sum() < 5:
        return settings.short_history_dispersion
    relative = (counts[usable] - means[usable]) / means[usable]
    spread = MAD_TO_SD * float(np.median(np.abs(relative - np.median(relative))))
    # The relative variance of a negative binomial is 1/mean + dispersion.
    dispersion = spread**2 - float(np.mean(1.0 / means[usable]))
    return float(np.clip(dispersion, settings.min_dispersion, settings.max_dispersion))


def expect(
    history: ArrayLike,
    weekday: int,
    *,
    excluded: ArrayLike | None = None,
    settings: SpikeSettings | None = None,
) -> Expectation | None:
    """The expected count for a day from the days before it, or None when too little is known.

    `history` holds the daily counts that end the day before the tested day, oldest first
    (only the last `baseline_days` are used); `weekday` is the tested day's (0 = Monday);
    `excluded` marks history days to ignore, such as days already flagged as spikes.
    """
    settings = settings or SpikeSettings()
    everything = as_counts(history)[-settings.baseline_days :]
    counts = everything.copy()
    if excluded is not None:
        mask = np.asarray(excluded, dtype=bool).reshape(-1)[-counts.size :]
        counts[mask] = np.nan
    known_days = int((~np.isnan(counts)).sum())
    if known_days < settings.min_history_days:
        return None
    weekdays = history_weekdays(counts.size, weekday)
    factors = weekday_factors(counts, weekdays, settings)
    day_factors = factors[weekdays]
    is_open = day_factors >= settings.closed_day_factor
    adjusted = np.where(is_open, counts / day_factors, np.nan)
    unexcluded = np.where(is_open, everything / day_factors, np.nan)
    level = current_level(adjusted, unexcluded, day_factors, settings)
    expected = max(level * float(factors[weekday]), settings.min_expected)
    dispersion = estimate_dispersion(adjusted, day_factors, settings)
    if known_days < settings.short_history_days:
        dispersion = max(dispersion, settings.short_history_dispersion)
    return Expectation(expected=expected, dispersion=dispersion, history_days=known_days)


def tail_score(observed: float, expected: float, dispersion: float) -> float:
    """-log10 of the chance of at least `observed` under a negative binomial with this mean."""
    if observed <= expected:
        return 0.0
    size = 1.0 / dispersion
    log_tail = stats.nbinom.logsf(math.ceil(observed) - 1, size, size / (size + expected))
    return score_from_log_probability(float(log_tail))


def assess_volume(
    observed: float,
    history: ArrayLike,
    weekday: int,
    *,
    excluded: ArrayLike | None = None,
    settings: SpikeSettings | None = None,
) -> Verdict | None:
    """Test a day's count against its history; None when the history is too short to judge."""
    settings = settings or SpikeSettings()
    expectation = expect(history, weekday, excluded=excluded, settings=settings)
    if expectation is None:
        return None
    score = tail_score(observed, expectation.expected, expectation.dispersion)
    is_signal = (
        observed >= settings.min_observed
        and observed >= settings.min_ratio * expectation.expected
        and score >= settings.threshold
    )
    return Verdict(
        observed=float(observed), expected=expectation.expected, score=score, is_signal=is_signal
    )


def has_enough_volume(history: ArrayLike, settings: SpikeSettings | None = None) -> bool:
    """Tell whether a (municipal) series is busy enough to test: its mean per day."""
    settings = settings or SpikeSettings()
    counts = as_counts(history)[-settings.baseline_days :]
    counts = counts[~np.isnan(counts)]
    return bool(counts.size) and float(counts.mean()) >= settings.municipal_min_mean


def assess_sentiment(
    negative_today: int,
    labelled_today: int,
    negative_baseline: int,
    labelled_baseline: int,
    settings: SentimentSettings | None = None,
) -> Verdict | None:
    """Test whether today's share of negative questions rose against the baseline's share.

    A one-sided binomial test against the baseline share; observed and expected are counts of
    negative questions today. None when either period has too few questions with a sentiment.
    """
    settings = settings or SentimentSettings()
    if labelled_today < settings.min_today or labelled_baseline < settings.min_baseline:
        return None
    # Add-one smoothing: after a baseline without negative questions one is no miracle.
    baseline_share = (negative_baseline + 1) / (labelled_baseline + 2)
    expected = labelled_today * baseline_share
    score = 0.0
    if negative_today > expected:
        log_tail = stats.binom.logsf(negative_today - 1, labelled_today, baseline_share)
        score = score_from_log_probability(float(log_tail))
    rise = negative_today / labelled_today - baseline_share
    return Verdict(
        observed=float(negative_today),
        expected=expected,
        score=score,
        is_signal=rise >= settings.min_rise and score >= settings.threshold,
    )


def assess_cluster_growth(
    this_week: int, last_week: int, settings: ClusterSettings | None = None
) -> Verdict:
    """Test a cluster's growth: this week's members against last week's.

    The score is the conditional test for two Poisson counts: given their sum, this week's
    share is binomial with p = 1/2 when nothing changed.
    """
    settings = settings or ClusterSettings()
    score = 0.0
    if this_week > last_week:
        log_tail = stats.binom.logsf(this_week - 1, this_week + last_week, 0.5)
        score = score_from_log_probability(float(log_tail))
    is_signal = (
        this_week >= settings.min_this_week and this_week >= settings.min_growth_factor * last_week
    )
    return Verdict(
        observed=float(this_week), expected=float(last_week), score=score, is_signal=is_signal
    )
