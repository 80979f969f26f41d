"""The spike detector on generated daily counts: planted spikes, noise, weekdays, short history."""

from __future__ import annotations

import numpy as np

from kcc.insight.spikes import (
    SpikeSettings,
    assess_cluster_growth,
    assess_sentiment,
    assess_volume,
    expect,
    has_enough_volume,
)

# Monday to Sunday, as a contact centre sees it: busy Monday, quiet weekend.
WEEKDAY_PATTERN = np.array([1.3, 1.15, 1.05, 1.0, 0.9, 0.4, 0.3])


def generated_counts(rng: np.random.Generator, level: float, days: int) -> np.ndarray:
    """Over-dispersed daily counts (gamma-Poisson) with a weekday pattern; day 0 is a Monday."""
    means = level * WEEKDAY_PATTERN[np.arange(days) % 7]
    return rng.poisson(rng.gamma(1 / 0.05, means * 0.05)).astype(float)


def test_three_times_spikes_are_found_on_noisy_series() -> None:
    rng = np.random.default_rng(1)
    found = 0
    for trial in range(40):
        counts = generated_counts(rng, 40, 70)
        day = 56 + trial % 14
        observed = counts[day] + rng.poisson(2 * 40 * WEEKDAY_PATTERN[day % 7])
        verdict = assess_volume(observed, counts[:day], day % 7)
        assert verdict is not None
        found += verdict.is_signal
    assert found >= 36


def test_ordinary_days_rarely_raise_a_signal() -> None:
    rng = np.random.default_rng(2)
    flags = 0
    checked = 0
    for _ in range(6):
        counts = generated_counts(rng, 30, 240)
        for day in range(56, 240):
            verdict = assess_volume(counts[day], counts[day - 56 : day], day % 7)
            assert verdict is not None
            flags += verdict.is_signal
            checked += 1
    # The target is at most one false signal per topic per month (about 1 in 30 days).
    assert flags / checked * 30 <= 1.0


def test_a_rise_from_one_to_three_questions_is_no_spike() -> None:
    history = np.array([1, 0, 1, 2, 1, 0, 1] * 8, dtype=float)
    tiny = assess_volume(3, history, 0)
    still_small = assess_volume(9, history, 0)
    real = assess_volume(14, history, 0)
    assert tiny is not None and not tiny.is_signal
    assert still_small is not None and not still_small.is_signal  # below min_observed
    assert real is not None and real.is_signal


def test_the_weekday_pattern_sets_the_expectation() -> None:
    # Eight weeks from a Monday to a Sunday: 100 on weekdays, 10 on Saturday and Sunday.
    week = [100, 100, 100, 100, 100, 10, 10]
    until_sunday = np.array(week * 8, dtype=float)
    until_saturday = until_sunday[:-1]
    monday = expect(until_sunday, 0)
    sunday = expect(until_saturday, 6)
    assert monday is not None and sunday is not None
    assert 90 <= monday.expected <= 110
    assert 8 <= sunday.expected <= 15
    assert not assess_volume(110, until_sunday, 0).is_signal  # type: ignore[union-attr]
    assert assess_volume(45, until_saturday, 6).is_signal  # type: ignore[union-attr]


def test_a_busy_weekend_of_a_quiet_topic_does_not_move_the_level() -> None:
    # A quiet topic: 6 on weekdays, 2 on weekend days; this weekend brought 4 and 4. Divided
    # by the weekend factor that looks like twice the level, yet 4 instead of 2 is chance.
    week = [6, 6, 6, 6, 6, 2, 2]
    history = np.array(week * 8, dtype=float)
    history[-2:] = 4
    monday = expect(history, 0)
    assert monday is not None and 5 <= monday.expected <= 8
    assert assess_volume(18, history, 0).is_signal  # type: ignore[union-attr]


def test_a_lasting_jump_moves_the_level_at_once() -> None:
    # From 100 a day to 200 a day since two days (a new measure): the new normal is expected.
    history = np.array([100] * 54 + [200, 200], dtype=float)
    today = expect(history, 2)
    assert today is not None and 180 <= today.expected <= 220
    assert not assess_volume(210, history, 2).is_signal  # type: ignore[union-attr]


def test_a_short_history_gives_no_verdict_then_a_cautious_one() -> None:
    settings = SpikeSettings()
    assert assess_volume(100, [20, 22], 2) is None
    early = expect([20, 22, 19, 21, 20], 5)
    assert early is not None
    assert early.dispersion >= settings.short_history_dispersion
    # A tripling is still clear after five days; a 40% rise is not.
    assert assess_volume(63, [20, 22, 19, 21, 20], 5).is_signal  # type: ignore[union-attr]
    assert not assess_volume(28, [20, 22, 19, 21, 20], 5).is_signal  # type: ignore[union-attr]


def test_an_earlier_spike_left_out_does_not_raise_the_bar() -> None:
    history = np.array([30.0] * 56)
    history[-3:] = [90, 95, 30]  # two spike days, already flagged
    excluded = np.zeros(56, dtype=bool)
    excluded[-3:-1] = True
    verdict = assess_volume(90, history, 3, excluded=excluded)
    assert verdict is not None and verdict.is_signal
    assert verdict.expected == 30


def test_a_lasting_jump_is_followed_instead_of_flagged_every_day() -> None:
    history = np.array([30.0] * 54 + [62.0, 64.0])
    verdict = assess_volume(63, history, 3)
    assert verdict is not None
    assert not verdict.is_signal
    assert verdict.expected > 55


def test_municipal_series_need_enough_volume() -> None:
    assert has_enough_volume([6, 5, 7, 4, 6, 5, 6])
    assert not has_enough_volume([1, 2, 0, 3, 1, 2, 1])


def test_a_rising_share_of_negative_questions_is_a_signal() -> None:
    turned = assess_sentiment(30, 50, 100, 500)
    too_few = assess_sentiment(10, 12, 100, 500)
    small_rise = assess_sentiment(14, 50, 100, 500)
    assert turned is not None and turned.is_signal
    assert turned.expected < 11
    assert too_few is None
    assert small_rise is not None and not small_rise.is_signal


def test_a_fast_growing_new_cluster_is_a_signal() -> None:
    assert assess_cluster_growth(30, 5).is_signal
    assert assess_cluster_growth(12, 0).is_signal
    assert not assess_cluster_growth(9, 0).is_signal  # too small
    assert not assess_cluster_growth(30, 12).is_signal  # growing, not fast
    assert assess_cluster_growth(30, 5).score > assess_cluster_growth(12, 3).score
