"""Stopping rules on hand-made curves whose answers follow from the formulas (Prechelt 1998, Keras)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tb_overfit_plugin.analysis import keras_replay, smoothing, stopping


def _by(outcomes, rule, parameter):
    (outcome,) = [o for o in outcomes if o.rule == rule and o.parameter == parameter]
    return outcome


def test_generalization_loss_formula():
    error = np.array([1.0, 0.5, 0.52, 0.55, np.nan, 0.75])
    gl = stopping.generalization_loss(error)
    np.testing.assert_allclose(gl, [0.0, 0.0, 4.0, 10.0, np.nan, 50.0])


def test_gl_stops_after_the_first_epoch_past_alpha():
    values = [1.0, 0.8, 0.6, 0.5, 0.52, 0.53, 0.56, 0.6]  # GL = 0, 0, 0, 0, 4, 6, 12, 20
    outcomes = stopping.compare(values, "min")
    for alpha, stop in [(1.0, 4), (2.0, 4), (5.0, 5)]:
        outcome = _by(outcomes, "GL", alpha)
        assert (outcome.stop_index, outcome.restore_index) == (stop, 3)
        assert outcome.restore_value == 0.5 and outcome.regret == 0.0
        assert outcome.epochs_saved == len(values) - 1 - stop


def test_training_progress_formula():
    train = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35])
    progress = stopping.training_progress(train, 5)
    assert np.isnan(progress[:4]).all()
    assert progress[4] == pytest.approx(1000 * (4.0 / (5 * 0.6) - 1))
    assert progress[9] == pytest.approx(1000 * (2.25 / (5 * 0.35) - 1))


def test_pq_compares_at_strip_ends_only():
    train = [1.0, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35]
    values = [1.0, 0.8, 0.6, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.3]
    # Strip ends 4 and 9: GL = 10 and 160, P_5 = 333.3 and 285.7, so PQ = 0.03 and 0.56.
    outcomes = stopping.compare(values, "min", train_values=train)
    assert _by(outcomes, "PQ", 0.5).stop_index == 9 and _by(outcomes, "PQ", 0.5).restore_index == 3
    assert _by(outcomes, "PQ", 1.0).stop_index is None
    assert _by(outcomes, "PQ", 1.0).restore_index == 3  # never stops: the best of the whole run is kept
    assert not _by(stopping.compare(values, "min"), "PQ", 1.0).applicable  # no training curve


def test_up_needs_s_successive_worse_strips():
    values = np.linspace(1.0, 0.3, 20)
    values[[4, 9, 14, 19]] = [0.5, 0.6, 0.7, 0.65]  # worse, worse, better at the strip ends
    outcomes = stopping.compare(values, "min")
    assert _by(outcomes, "UP", 2).stop_index == 14
    assert _by(outcomes, "UP", 3).stop_index is None
    up2 = _by(outcomes, "UP", 2)
    assert up2.restore_index == int(np.argmin(values[:15]))
    assert up2.regret == pytest.approx(values[up2.restore_index] - values.min())


def test_max_metrics_use_the_error_rate_or_are_not_judged_by_ratios():
    accuracy = [0.5, 0.7, 0.8, 0.795, 0.78, 0.7]  # error .5, .3, .2, .205 (GL 2.5), .22 (GL 10)
    assert _by(stopping.compare(accuracy, "max"), "GL", 5.0).stop_index == 4
    psnr = [20.0, 25.0, 27.0, 26.0, 24.0]
    gl = _by(stopping.compare(psnr, "max"), "GL", 5.0)
    assert not gl.applicable and gl.reason
    assert _by(stopping.compare(psnr, "max"), "UP", 2).applicable


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.01, 10.0), min_size=1, max_size=40), st.integers(0, 8))
def test_patience_rules_are_the_keras_replay(values, patience):
    outcomes = stopping.compare(values, "min", patience=patience)
    for p in set(stopping.PATIENCES) | {patience}:
        replay = keras_replay.early_stopping(values, "min", p)
        outcome = _by(outcomes, "patience", p)
        assert (outcome.stop_index, outcome.restore_index) == (replay.stop_index, replay.restore_index)
        assert outcome.regret >= 0.0
    ema = keras_replay.early_stopping(smoothing.smooth_ema(values, stopping.EMA_WEIGHT), "min", patience)
    assert _by(outcomes, "ema_patience", patience).stop_index == ema.stop_index


def test_overfit_stopping_rule_is_the_callbacks_replay_and_skips_long_curves():
    from tb_overfit_plugin.analysis.stop_rule import StopRule, replay

    t = np.arange(40)
    values, train = 0.5 + 0.002 * (t - 12.0) ** 2, 2.0 * np.exp(-t / 8.0)
    outcome = stopping.compare(values, "min", train, patience=3)[-1]
    replayed = replay(StopRule(patience=3), train, values)
    assert outcome.rule == stopping.OVERFIT_RULE and outcome.parameter == 3.0
    assert (outcome.stop_index, outcome.restore_index) == (replayed.stop_index, 12) and outcome.regret == 0.0
    assert 12 + 3 <= outcome.stop_index < 39 and outcome.epochs_saved == 39 - outcome.stop_index
    long = np.linspace(1.0, 0.5, stopping.MAX_REPLAY_POINTS + 1)
    skipped = stopping.compare(long, "min")[-1]
    assert not skipped.applicable and str(stopping.MAX_REPLAY_POINTS) in skipped.reason
