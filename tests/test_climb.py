"""Slow, noisy climbs after the best are overfitting: the trend rule (`analysis.trend`, `analysis.climb`).

Mann-Kendall and Sen's slope against their definitions; the rule on simulated
curves (tests/simulated_curves.py, the table in docs/method.md); and the real case it was
built for, a tf.keras 2 run whose validation loss climbs noisily for 9 epochs,
written again as real event files by `tf.summary` and read through the plugin's
HTTP layer and the CLI.
"""

from __future__ import annotations

import io
import itertools
import json
import math

import logwriters
import numpy as np
import pytest
import simulated_curves
from hypothesis import given, settings
from hypothesis import strategies as st

from tb_overfit_plugin.analysis import climb
from tb_overfit_plugin.analysis.curves import analyze_metric
from tb_overfit_plugin.analysis.trend import MAX_TREND_POINTS, mann_kendall, sen_slope, thinned
from tb_overfit_plugin.cli import command as cli

# keras2-hist (TheCodeheadMT/TensorBoard-Tutorial, archive/logs/mod2-reuters-1690485412): tf.keras 2,
# epoch_loss of both runs as logged (rounded to 4 digits). Best 0.8667 at epoch 11, then a noisy climb
# to 0.96 while the training loss halves.
REUTERS_TRAIN = [
    2.7605,
    1.5591,
    1.1873,
    0.9752,
    0.8159,
    0.6833,
    0.5718,
    0.4777,
    0.4071,
    0.3482,
    0.2986,
    0.2623,
    0.2317,
    0.2109,
    0.1908,
    0.1716,
    0.1643,
    0.1538,
    0.1433,
    0.138,
]
REUTERS_VALIDATION = [
    1.8658,
    1.4065,
    1.2225,
    1.1389,
    1.0321,
    0.984,
    0.95,
    0.9281,
    0.8739,
    0.8897,
    0.8667,
    0.899,
    0.8857,
    0.9161,
    0.8987,
    0.9019,
    0.9043,
    0.9212,
    0.9751,
    0.9609,
]


def analyze(train, validation, **options):
    steps = np.arange(len(validation))
    options.setdefault("mode", "min")
    return analyze_metric(None if train is None else steps, train, steps, validation, name="loss", **options)


# ------------------------------------------------------------------ the test itself


def _brute_force_s(values):
    return sum(int(np.sign(values[j] - values[i])) for i, j in itertools.combinations(range(len(values)), 2))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=2, max_size=25))
def test_mann_kendall_follows_its_definition_with_ties(integers):
    values = np.array(integers, dtype=np.float64)
    test = mann_kendall(values)
    n = values.size
    groups = [len(list(group)) for _, group in itertools.groupby(sorted(integers))]
    variance = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in groups)) / 18
    assert test.s == _brute_force_s(values)
    assert test.variance == pytest.approx(variance)
    if variance > 0:
        z = (test.s - np.sign(test.s)) / math.sqrt(variance)
        assert test.z == pytest.approx(z)
        assert test.p_value == pytest.approx(1 - 0.5 * (1 + math.erf(z / math.sqrt(2))))
    else:
        assert (test.z, test.p_value) == (0.0, 0.5)


def test_mann_kendall_known_values():
    rising = mann_kendall(np.arange(1.0, 6.0))  # S = 10, Var = 5*4*15/18, z = 9 / sqrt(50/3)
    assert (rising.s, rising.variance) == (10, pytest.approx(50 / 3))
    assert rising.p_value == pytest.approx(0.013743, abs=1e-6)  # P(Z > 2.2045)
    falling = mann_kendall(np.arange(5.0, 0.0, -1.0))
    assert falling.p_value == pytest.approx(1 - 0.013743, abs=1e-6)
    tied = mann_kendall(np.array([1.0, 1.0, 2.0, 3.0]))  # ties: Var = (4*3*13 - 2*1*9) / 18
    assert (tied.s, tied.variance) == (5, pytest.approx(138 / 18))


def test_sen_slope_is_robust_to_an_outlier():
    positions = np.arange(10.0)
    line = 0.3 + 0.02 * positions
    assert sen_slope(positions, line) == (pytest.approx(0.02), pytest.approx(0.3))
    line[4] = 5.0
    assert sen_slope(positions, line)[0] == pytest.approx(0.02)


def test_long_series_are_thinned_evenly_keeping_both_ends():
    positions, values = np.arange(5000), np.arange(5000) * 2.0
    kept_positions, kept_values = thinned(positions, values)
    assert kept_positions.size == MAX_TREND_POINTS
    assert (kept_positions[0], kept_positions[-1]) == (0, 4999)
    np.testing.assert_array_equal(kept_values, kept_positions * 2.0)


def test_climb_starts_at_the_hinge_of_flat_then_rising():
    positions = np.arange(20)
    worse = np.where(positions < 8, 0.0, 0.01 * (positions - 7))
    assert climb.climb_start(positions, worse) == 8
    assert climb.climb_start(positions, 0.01 * positions) == 1  # rising from the best on


# ------------------------------------------------------------------ the rule


def test_the_real_slow_climb_is_overfitting_from_where_it_climbs(monkeypatch):
    analysis = analyze(REUTERS_TRAIN, REUTERS_VALIDATION)
    assert analysis.status == "overfitting"
    assert (analysis.best_index, analysis.onset_index) == (10, 16)  # best epoch 11, climb from epoch 17
    assert analysis.explanation == (
        "Validation loss was best at epoch 11 (0.8667); since epoch 17 it climbs steadily, worse by 0.007483 per "
        "epoch (Sen's slope; Mann-Kendall p = 0.00092), and ends at 0.9609 while training loss kept falling "
        "(0.2986 → 0.138)."
    )
    monkeypatch.setattr(climb, "MIN_TREND_POINTS", len(REUTERS_VALIDATION))  # the level rule alone
    assert analyze(REUTERS_TRAIN, REUTERS_VALIDATION).status == "plateau"


def test_a_climb_needs_training_to_keep_improving():
    flat_train = np.full(len(REUTERS_VALIDATION), 0.3)
    assert analyze(flat_train, REUTERS_VALIDATION).status == "plateau"
    assert analyze(None, REUTERS_VALIDATION).status == "worsening"  # no train series: only the worsening is known


def test_a_climb_of_a_higher_is_better_metric_is_its_fall():
    mirrored = analyze(3.0 - np.array(REUTERS_TRAIN), 2.0 - np.array(REUTERS_VALIDATION), mode="max")
    assert (mirrored.status, mirrored.best_index, mirrored.onset_index) == ("overfitting", 10, 16)
    assert "climbs steadily, worse by 0.007483 per epoch" in mirrored.explanation


def test_a_climb_must_be_material():
    # A significant but tiny climb: 0.2% of the level over 15 epochs, below MATERIAL_FRACTION.
    validation = np.concatenate([np.linspace(1.0, 0.5, 10), 0.5 + 0.001 * np.linspace(0.1, 1, 15)])
    assert analyze(simulated_curves.falling_train(25), validation).status == "plateau"


def test_simulated_calls_meet_the_method_page_table():
    """docs/method.md's simulation (benchmarks/bench_calls.py prints the full table)."""
    calls = {
        kind: [analyze(*make(seed)[::-1]).status for seed in range(300)]
        for kind, make in simulated_curves.KINDS.items()
    }
    assert calls["noisy plateau"].count("overfitting") <= 6  # at most 2%; the level rule alone: 24
    assert calls["noisy U-shape"].count("overfitting") == 300
    strong = [seed for seed in range(300) if np.divide(*simulated_curves.slow_rise_parameters(seed)[::2]) >= 5]
    missed = [seed for seed in strong if calls["slow rise"][seed] != "overfitting"]
    assert len(strong) > 100 and len(missed) <= 2  # rises of 5 noise levels or more: 8 epochs, noise overestimated
    assert calls["slow rise"].count("overfitting") >= 255


def test_the_trend_is_read_from_the_floor_without_the_best():
    values = np.array([1.0, 0.8, 0.51, 0.53, 0.5, 0.49, 0.51, 0.53, 0.52, 0.54, 0.55])
    # sigma 0.02: the floor starts at the first value within 1.25 sigma (0.025) of the best 0.49, 0.51;
    # from there every point is read (0.53 too), except the best
    np.testing.assert_array_equal(climb.trend_positions(values, 5, "min", 0.02), [2, 3, 4, 6, 7, 8, 9, 10])
    np.testing.assert_array_equal(climb.trend_positions(values, 5, "min", 0.0), [6, 7, 8, 9, 10])  # no noise
    np.testing.assert_array_equal(climb.trend_positions(1.0 - values, 5, "max", 0.02), [2, 3, 4, 6, 7, 8, 9, 10])
    with_gap = values.copy()
    with_gap[2] = np.nan
    np.testing.assert_array_equal(climb.trend_positions(with_gap, 5, "min", 0.02), [4, 6, 7, 8, 9, 10])


def test_a_rise_within_the_noise_needs_a_steadier_trend():
    assert climb.required_z(climb.FULL_RISE_NOISE) == climb.required_z(10.0) == climb.MIN_TREND_Z
    assert climb.required_z(1.0) == pytest.approx(
        climb.MIN_TREND_Z + climb.Z_PER_MISSING_NOISE * (climb.FULL_RISE_NOISE - 1.0)
    )


def test_a_plateau_tail_rising_within_the_noise_is_not_a_climb(monkeypatch):
    validation, train = simulated_curves.noisy_plateau(101)  # Mann-Kendall z 2.03 after its best, rising 1.5 sigma
    assert analyze(train, validation).status == "plateau"
    monkeypatch.setattr(climb, "Z_PER_MISSING_NOISE", 0.0)  # one z for every rise
    assert analyze(train, validation).status == "overfitting"


def test_a_climb_whose_best_comes_late_is_found_from_its_floor(monkeypatch):
    validation, train = simulated_curves.slow_rise(1)  # turns at epoch 10, best reading at epoch 13
    analysis = analyze(train, validation)
    assert (analysis.status, analysis.best_index) == ("overfitting", 12)
    monkeypatch.setattr(climb, "FLOOR_NOISE", 0.0)  # only the points after the best
    assert analyze(train, validation).status == "plateau"


# ------------------------------------------------------------------ real event files


@pytest.fixture(scope="module")
def reuters_logdir(tmp_path_factory):
    """The real run's numbers written again by tf.summary in tf_keras 2's layout (`logwriters.write_tf_keras`)."""
    logdir = tmp_path_factory.mktemp("climb")
    logwriters.write_tf_keras(
        logdir, "mod2-reuters", {"epoch_loss": REUTERS_TRAIN}, {"epoch_loss": REUTERS_VALIDATION}, steps_per_epoch=16
    )
    values, train = simulated_curves.slow_rise(7)
    logwriters.write_keras_layout(logdir, "slow-rise", {"epoch_loss": train}, {"epoch_loss": values})
    return logdir


def test_real_event_files_of_a_slow_noisy_rise_are_overfitting(reuters_logdir, plugin_client):
    status, document = plugin_client(reuters_logdir).get("runs")
    assert status == 200
    rows = {row["run"]: row for row in document["runs"]}
    reuters = rows["mod2-reuters"]
    assert (reuters["status"], reuters["best"]["epoch"], reuters["onset"]["epoch"]) == ("overfitting", 11, 17)
    assert "climbs steadily" in reuters["explanation"] and "Mann-Kendall p = 0.00092" in reuters["explanation"]
    assert rows["slow-rise"]["status"] == "overfitting"
    out = io.StringIO()
    assert cli.run([str(reuters_logdir), "--no-weights", "--json"], out=out) == 0
    by_cli = {row["run"]: row for row in json.loads(out.getvalue())["runs"]}
    assert by_cli["mod2-reuters"]["explanation"] == reuters["explanation"]
    assert by_cli["slow-rise"]["onset"] == rows["slow-rise"]["onset"]
