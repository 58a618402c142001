"""Unit tests of `tb_overfit_plugin.curves` on plain numpy arrays."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tb_overfit_plugin.analysis import climb, curves, direction, onset, status
from tb_overfit_plugin.analysis.curves import analyze_metric
from tb_overfit_plugin.analysis.direction import is_improvement, metric_mode
from tb_overfit_plugin.analysis.keras_replay import (
    EarlyStoppingOutcome,
    early_stopping,
    learning_rate_drops,
    save_best_only_indices,
)
from tb_overfit_plugin.analysis.smoothing import smooth_ema
from tb_overfit_plugin.documents.runs.verdict_json import analysis_json

JSON_KEYS = {
    "status",
    "explanation",
    "best",
    "onset",
    "early_stop",
    "save_best_steps",
    "diverged_step",
    "num_steps",
    "last_step",
    "tolerance",
    "gap",
    "generalization_loss",
    "smoothed_validation",
    "smoothed_train",
}
EARLY_STOP_KEYS = {
    "patience",
    "min_delta",
    "stop_step",
    "stop_epoch",
    "restore_step",
    "restore_epoch",
    "epochs_saved",
    "share_saved",
}

# Acceptance case 1: validation accuracy peaks at epoch 8 (step 7), then sags.
ACCURACY = np.array([0.472, 0.568, 0.600, 0.590, 0.612, 0.602, 0.610, 0.638, 0.610, 0.570, 0.562, 0.596])
STEPS_12 = np.arange(12)
TRAIN_ACCURACY = np.linspace(0.5, 0.95, 12)

EPOCHS_30 = np.arange(30)
FALLING_TRAIN_LOSS = 2.0 * np.exp(-EPOCHS_30 / 8) + 0.1


def analyze(train, validation, steps=None, **options):
    """`analyze_metric` with shared steps and mode "min" unless told otherwise."""
    options.setdefault("mode", "min")
    options.setdefault("name", "loss")
    if steps is None:
        steps = np.arange(len(validation if validation is not None else train))
    return analyze_metric(
        None if train is None else steps,
        train,
        None if validation is None else steps,
        validation,
        **options,
    )


def noisy_u_shaped_loss(seed: int, turn: int = 15, n: int = 30) -> np.ndarray:
    """A validation loss that falls until `turn`, then rises, plus seeded noise."""
    epochs = np.arange(n)
    return 0.4 + 0.002 * (epochs - turn) ** 2 + np.random.default_rng(seed).normal(0.0, 0.02, n)


def as_json(analysis) -> dict:
    """`analysis_json()` after checking it is strict JSON (no NaN / Infinity)."""
    document = analysis_json(analysis)
    json.dumps(document, allow_nan=False)
    return document


# --------------------------------------------------------------------------
# metric_mode
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "accuracy",
        "sparse_categorical_accuracy",
        "val_sparse_top_k_categorical_accuracy",
        "Acc",
        "val_acc",
        "epoch_accuracy",
        "val_auc",
        "AUC",
        "precision",
        "recall_1",
        "f1_score",
        "fbeta_score",
        "mean_io_u",
        "MeanIoU",
        "val/iou",
        "mAP",
        "map50",
        "mAP@0.5",
        "r2_score",
        "top5",
        "dice_coef",
        "psnr",
        "val_ssim",
        "valAcc",
    ],
)
def test_metric_mode_maximises_scores(name):
    assert metric_mode(name) == "max"


@pytest.mark.parametrize(
    "name",
    [
        "loss",
        "val_loss",
        "epoch_loss",
        "accuracy_loss",  # "loss" anywhere wins
        "dice_loss",
        "top5_error",  # so does the word "error"
        "mae",
        "val_mse",
        "root_mean_squared_error",
        "mean_absolute_percentage_error",
        "perplexity",
        "ce",
        "nll",
        "accumulated_steps",  # "acc" only as a word
        "mapping_distance",  # "map" only as a word
        "learning_rate",  # unknown: Keras' default direction
    ],
)
def test_metric_mode_minimises_losses_errors_and_unknown_names(name):
    assert metric_mode(name) == "min"


# --------------------------------------------------------------------------
# smooth_ema
# --------------------------------------------------------------------------


def test_smooth_ema_is_the_debiased_moving_average():
    # m1 = 0.5 * 1 = 0.5, s1 = 0.5 / (1 - 0.5) = 1
    # m2 = 0.5 * 0.5 + 0.5 * 4 = 2.25, s2 = 2.25 / (1 - 0.25) = 3
    np.testing.assert_allclose(smooth_ema([1.0, 4.0], 0.5), [1.0, 3.0])


def test_smooth_ema_passes_non_finite_values_through_without_updating():
    with_gaps = smooth_ema([1.0, np.nan, 4.0, np.inf, 2.0], 0.5)
    without = smooth_ema([1.0, 4.0, 2.0], 0.5)
    np.testing.assert_array_equal(with_gaps[[0, 2, 4]], without)
    assert math.isnan(with_gaps[1]) and with_gaps[3] == np.inf


def test_smooth_ema_keeps_a_constant_series_exactly():
    constant = np.full(50, 0.1)
    np.testing.assert_array_equal(smooth_ema(constant, 0.99), constant)


def test_smooth_ema_weight_zero_returns_a_copy():
    values = np.array([3.0, 1.0, 2.0])
    smoothed = smooth_ema(values, 0.0)
    np.testing.assert_array_equal(smoothed, values)
    assert smoothed is not values


def test_smooth_ema_stays_within_the_running_range():
    values = np.random.default_rng(0).normal(size=200)
    smoothed = smooth_ema(values, 0.9)
    assert np.all(smoothed <= np.maximum.accumulate(values) + 1e-12)
    assert np.all(smoothed >= np.minimum.accumulate(values) - 1e-12)


def test_smooth_ema_of_empty_series_is_empty():
    assert smooth_ema([], 0.6).shape == (0,)


@pytest.mark.parametrize("weight", [-0.1, 1.0, 1.5])
def test_smooth_ema_rejects_weights_outside_zero_one(weight):
    with pytest.raises(ValueError):
        smooth_ema([1.0, 2.0], weight)


# --------------------------------------------------------------------------
# is_improvement, save_best_only_indices, early_stopping
# --------------------------------------------------------------------------


def test_is_improvement_follows_keras():
    assert is_improvement(5.0, None, "min")  # anything beats "no best yet"
    assert is_improvement(math.nan, None, "max")
    assert is_improvement(0.4, 0.5, "min") and not is_improvement(0.5, 0.4, "min")
    assert is_improvement(0.5, 0.4, "max") and not is_improvement(0.4, 0.5, "max")
    assert not is_improvement(0.5, 0.5, "min") and not is_improvement(0.5, 0.5, "max")  # ties


def test_is_improvement_requires_more_than_min_delta_whatever_its_sign():
    for min_delta in (0.1, -0.1):
        assert not is_improvement(0.41, 0.5, "min", min_delta)
        assert is_improvement(0.39, 0.5, "min", min_delta)
        assert not is_improvement(0.59, 0.5, "max", min_delta)
        assert is_improvement(0.61, 0.5, "max", min_delta)


def test_is_improvement_never_involves_nan():
    for mode in ("min", "max"):
        assert not is_improvement(math.nan, 1.0, mode)
        assert not is_improvement(1.0, math.nan, mode)


def test_is_improvement_compares_in_float32_like_keras():
    # 1e-12 is lost in float32, so Keras sees a tie.
    assert not is_improvement(0.1, 0.1 + 1e-12, "min")
    assert not is_improvement(0.1 + 1e-12, 0.1, "max")


def test_is_improvement_rejects_unknown_modes():
    with pytest.raises(ValueError):
        is_improvement(1.0, 2.0, "auto")


_KERAS_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.1, 0.1 + 1e-12, 0.5, 3.5e38, -3.5e38]),  # float32 ties and overflow
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_KERAS_VALUES, max_size=30),
    st.sampled_from(["min", "max"]),
    st.sampled_from([0.0, 1e-9, 0.05, -0.05, 1e39]),
)
def test_improvement_mask_equals_is_improvement_one_value_at_a_time(values, mode, min_delta):
    expected, best = [], None
    for value in values:
        improved = is_improvement(value, best, mode, min_delta)
        expected.append(improved)
        best = value if improved else best
    assert direction.keras_improvements(values, mode, min_delta).tolist() == expected


def test_save_best_only_indices_acceptance_case():
    np.testing.assert_array_equal(save_best_only_indices(ACCURACY, "max"), [0, 1, 2, 4, 7])


def test_save_best_only_indices_with_min_delta():
    # 0.612 beats 0.600 by only 0.012 < 0.02; 0.638 beats it by 0.038.
    np.testing.assert_array_equal(save_best_only_indices(ACCURACY, "max", min_delta=0.02), [0, 1, 2, 7])


def test_save_best_only_indices_ignores_ties_and_nan():
    np.testing.assert_array_equal(save_best_only_indices([1.0, 0.5, 0.5, np.nan, 0.4, 0.4], "min"), [0, 1, 4])


def test_save_best_only_indices_of_empty_series_is_empty():
    assert save_best_only_indices([], "min").size == 0


@pytest.mark.parametrize(
    ("patience", "stop", "restore"),
    [(0, 3, 2), (1, 3, 2), (2, 6, 4), (3, 10, 7), (4, 11, 7), (5, None, 7)],
)
def test_early_stopping_acceptance_case(patience, stop, restore):
    assert early_stopping(ACCURACY, "max", patience) == EarlyStoppingOutcome(stop, restore)


def test_early_stopping_with_min_delta():
    # Improvements by more than 0.02 happen at 0, 1, 2, 7 only.
    assert early_stopping(ACCURACY, "max", patience=2, min_delta=0.02) == EarlyStoppingOutcome(4, 2)


def test_early_stopping_on_degenerate_series():
    assert early_stopping([], "min") == EarlyStoppingOutcome(None, None)
    assert early_stopping([0.3], "min", patience=0) == EarlyStoppingOutcome(None, 0)


def test_early_stopping_after_a_nan_first_value_never_improves():
    # Keras takes the first value as best even when it is NaN; nothing beats NaN.
    assert early_stopping([np.nan, 1.0, 0.5, 0.2], "min", patience=2) == EarlyStoppingOutcome(2, 0)


def test_early_stopping_rejects_negative_patience():
    with pytest.raises(ValueError):
        early_stopping([1.0, 2.0], "min", patience=-1)


# --------------------------------------------------------------------------
# learning_rate_drops
# --------------------------------------------------------------------------


def test_learning_rate_drops_finds_cuts():
    np.testing.assert_array_equal(learning_rate_drops([1e-3, 1e-3, 1e-4, 1e-4, 2e-4, 1e-5]), [2, 5])


def test_learning_rate_drops_ignores_float32_round_off_and_nan():
    lr = np.array([0.001, float(np.float32(0.001)) * (1 - 1e-8), np.nan, 0.001])
    assert learning_rate_drops(lr).size == 0
    assert learning_rate_drops([]).size == 0


# --------------------------------------------------------------------------
# analyze_metric: acceptance cases
# --------------------------------------------------------------------------


def test_acceptance_1_validation_accuracy_overfits_after_epoch_8():
    analysis = analyze_metric(STEPS_12, TRAIN_ACCURACY, STEPS_12, ACCURACY, mode="max", name="accuracy")
    document = as_json(analysis)
    assert document["status"] == "overfitting"
    assert document["best"] == {"step": 7, "epoch": 8, "value": 0.638, "train_value": pytest.approx(TRAIN_ACCURACY[7])}
    assert document["onset"] == {"step": 8, "epoch": 9, "value": 0.61}
    assert document["save_best_steps"] == [0, 1, 2, 4, 7]
    assert document["tolerance"] == pytest.approx(0.1 * (0.638 - 0.472))
    assert "epoch 8" in document["explanation"] and "0.638" in document["explanation"]
    assert "epoch 9" in document["explanation"] and "rising" in document["explanation"]


@pytest.mark.parametrize(("patience", "stop", "restore"), [(2, 6, 4), (4, 11, 7)])
def test_acceptance_1_early_stopping(patience, stop, restore):
    analysis = analyze_metric(STEPS_12, TRAIN_ACCURACY, STEPS_12, ACCURACY, mode="max", patience=patience)
    early_stop = as_json(analysis)["early_stop"]
    saved = 11 - stop
    assert early_stop == {
        "patience": patience,
        "min_delta": 0.0,
        "stop_step": stop,
        "stop_epoch": stop + 1,
        "restore_step": restore,
        "restore_epoch": restore + 1,
        "epochs_saved": saved,
        "share_saved": saved / 12,
    }


@pytest.mark.parametrize("seed", range(5))
def test_acceptance_2_noisy_u_shaped_loss_overfits_after_its_best(seed):
    validation = noisy_u_shaped_loss(seed)
    analysis = analyze(FALLING_TRAIN_LOSS, validation)
    assert analysis.status == "overfitting"
    assert analysis.best_index < analysis.onset_index < 29
    # From the onset on, every point is worse than the best by more than tol.
    assert np.all(validation[analysis.onset_index :] - analysis.best_value > analysis.tolerance)


def test_acceptance_3_steadily_improving_loss():
    analysis = analyze(FALLING_TRAIN_LOSS, 1.5 * np.exp(-EPOCHS_30 / 10) + 0.3)
    assert analysis.status == "improving"
    assert as_json(analysis)["onset"] is None
    assert analysis.best_index == 29


def test_acceptance_4_a_spike_that_recovers_to_a_new_best_is_no_onset():
    validation = np.linspace(1.0, 0.3, 30)
    validation[12] = 0.95
    analysis = analyze(FALLING_TRAIN_LOSS, validation)
    assert analysis.onset_index is None
    assert analysis.status == "improving"


def test_a_spike_that_recovers_within_tolerance_is_no_onset():
    # Best 0.5 at epoch 10, a one-epoch spike, then back within 0.01 (tol is 0.05).
    validation = np.concatenate([np.linspace(1.0, 0.5, 11), [0.9], np.full(18, 0.505)])
    analysis = analyze(FALLING_TRAIN_LOSS, validation)
    assert analysis.onset_index is None
    assert analysis.status == "plateau"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_acceptance_5_non_finite_validation_means_diverged(bad):
    validation = np.linspace(1.0, 0.3, 30)
    validation[17] = bad
    analysis = analyze(FALLING_TRAIN_LOSS, validation, smoothing=0.6)
    document = as_json(analysis)
    assert document["status"] == "diverged"
    assert document["diverged_step"] == 17
    assert "epoch 18" in document["explanation"]
    assert document["smoothed_validation"][17] is None
    assert document["generalization_loss"]["values"][17] is None


def test_non_finite_training_value_means_diverged_at_the_first_one():
    train = FALLING_TRAIN_LOSS.copy()
    train[[9, 20]] = np.nan
    validation = np.linspace(1.0, 0.3, 30)
    validation[12] = np.nan
    analysis = analyze(train, validation)
    assert (analysis.status, analysis.diverged_step) == ("diverged", 9)
    assert "training loss became NaN" in analysis.explanation


def test_exploding_training_loss_means_diverged():
    train = FALLING_TRAIN_LOSS.copy()
    train[14:] = 25.0  # more than 10x the first value, 2.1
    analysis = analyze(train, np.linspace(1.0, 0.3, 30))
    assert (analysis.status, analysis.diverged_step) == ("diverged", 14)
    assert "25" in analysis.explanation


def test_a_rising_accuracy_does_not_count_as_exploding():
    train = np.linspace(0.05, 0.9, 30)  # 18x its first value, but a score
    analysis = analyze(train, np.linspace(0.05, 0.8, 30), mode="max")
    assert analysis.status == "improving"


# --------------------------------------------------------------------------
# analyze_metric: the other statuses
# --------------------------------------------------------------------------


PLATEAU_LOSS = np.array([1.0, 0.8, 0.65, 0.6, 0.58, 0.575, 0.58, 0.577, 0.579, 0.578, 0.58, 0.579, 0.578, 0.58, 0.579])


def test_plateau():
    analysis = analyze(FALLING_TRAIN_LOSS[:15], PLATEAU_LOSS, patience=3)
    assert analysis.status == "plateau"
    assert analysis.best_index == 5 and analysis.onset_index is None
    assert (
        "9 epochs since its best" in analysis.explanation and "(patience 3 epochs)" and "0.575" in analysis.explanation
    )


def test_plateau_becomes_improving_with_more_patience():
    assert analyze(FALLING_TRAIN_LOSS[:15], PLATEAU_LOSS, patience=10).status == "improving"


def test_not_learning():
    train = 2.302 + np.random.default_rng(1).normal(0.0, 0.002, 30)
    validation = 2.303 + np.random.default_rng(2).normal(0.0, 0.002, 30)
    analysis = analyze(train, validation)
    assert analysis.status == "not_learning"
    assert "2.303" in analysis.explanation


def test_learning_training_curve_rules_out_not_learning():
    validation = 2.303 + np.random.default_rng(2).normal(0.0, 0.002, 30)
    assert analyze(FALLING_TRAIN_LOSS, validation).status != "not_learning"


@pytest.mark.parametrize(
    ("train", "validation"),
    [([0.9, 0.8], [1.0, 0.9]), ([0.9, 0.8, 0.7], [1.0, np.nan, 0.8]), (None, []), (None, None)],
)
def test_too_short(train, validation):
    steps = np.arange(len(train) if train is not None else 0)
    analysis = analyze_metric(
        steps if train is not None else None,
        train,
        np.arange(len(validation)) if validation is not None else None,
        validation,
        mode="min",
    )
    assert as_json(analysis)["status"] == "too_short"


def test_too_short_json_of_nothing():
    document = as_json(analyze_metric(None, None, None, None, mode="min"))
    assert document["num_steps"] == 0 and document["last_step"] is None
    assert document["best"] is None and document["save_best_steps"] == []
    assert document["early_stop"]["share_saved"] == 0.0 and document["early_stop"]["restore_step"] is None


def test_no_validation_reports_on_the_training_curve():
    analysis = analyze(FALLING_TRAIN_LOSS, None, smoothing=0.5)
    document = as_json(analysis)
    assert document["status"] == "no_validation"
    assert document["best"]["step"] == 29 and document["best"]["train_value"] is None
    assert document["onset"] is None
    assert document["num_steps"] == 30 and document["save_best_steps"] == list(range(30))
    assert document["gap"] == {"steps": [], "values": []}
    assert document["generalization_loss"] is None and document["smoothed_validation"] is None
    assert len(document["smoothed_train"]) == 30


def test_validation_alone_shows_worsening_not_overfitting():
    # Issue 8 item 7: without a train series there is no evidence of overfitting.
    analysis = analyze(None, noisy_u_shaped_loss(0))
    assert analysis.status == "worsening" and analysis.onset_index is not None
    assert "training" not in analysis.explanation and "only the worsening is known" in analysis.explanation


def test_no_onset_when_training_stopped_improving_too():
    validation = noisy_u_shaped_loss(0)
    rising_train = np.concatenate([np.linspace(1.0, 0.5, 15), np.linspace(0.5, 0.7, 15)])
    assert analyze(rising_train, validation).onset_index is None


# --------------------------------------------------------------------------
# analyze_metric: steps, smoothing, min_delta, ties, JSON
# --------------------------------------------------------------------------


def test_validation_every_second_epoch():
    # Keras validation_freq=2: validation after epochs 2, 4, ... (steps 1, 3, ...).
    train_steps, val_steps = np.arange(20), np.arange(1, 20, 2)
    train = np.linspace(1.0, 0.1, 20)
    validation = np.array([0.9, 0.7, 0.55, 0.5, 0.52, 0.6, 0.7, 0.8, 0.9, 1.0])
    analysis = analyze_metric(train_steps, train, val_steps, validation, mode="min", patience=2)
    document = as_json(analysis)
    assert document["status"] == "overfitting"
    assert document["best"]["step"] == 7 and document["best"]["train_value"] == pytest.approx(train[7])
    assert document["onset"]["step"] == 11
    assert document["num_steps"] == 10 and document["last_step"] == 19
    assert document["save_best_steps"] == [1, 3, 5, 7]
    assert (document["early_stop"]["stop_step"], document["early_stop"]["restore_step"]) == (11, 7)
    assert document["gap"]["steps"] == list(range(1, 20, 2))
    np.testing.assert_allclose(document["gap"]["values"], validation - train[1::2])


def test_training_value_at_a_validation_step_is_the_latest_one_before_it():
    analysis = analyze_metric([0, 10, 20], [1.0, 0.5, 0.2], [5, 15, 25, 35], [0.8, 0.9, 1.0, 1.1], mode="min")
    assert analysis.best_index == 0 and analysis.best_train_value == 1.0
    later_training = analyze_metric([10, 20], [0.5, 0.2], [5, 15, 25], [0.8, 0.9, 1.0], mode="min")
    assert as_json(later_training)["best"]["train_value"] is None
    assert as_json(later_training)["gap"]["steps"] == []


def test_steps_are_sorted_first():
    shuffled = np.random.default_rng(3).permutation(12)
    analysis = analyze_metric(shuffled, TRAIN_ACCURACY[shuffled], shuffled, ACCURACY[shuffled], mode="max")
    assert (analysis.status, analysis.best_index, analysis.onset_index) == ("overfitting", 7, 8)


def test_smoothing_finds_the_onset_through_a_noisy_last_reading():
    # A V-shaped validation loss turning at epoch 20, with noise; its last
    # reading dips to a new low. Raw, that dip hides the overfitting; the
    # smoothed curve still rises from shortly after the turning point.
    epochs = np.arange(40)
    validation = 0.3 + 0.03 * np.abs(epochs - 20) + np.random.default_rng(0).normal(0.0, 0.03, 40)
    validation[-1] = 0.25
    train = np.exp(-epochs / 10)
    raw = analyze(train, validation)
    smoothed = analyze(train, validation, smoothing=0.6)
    assert raw.onset_index is None and raw.status == "improving"
    assert smoothed.status == "overfitting"
    assert 20 < smoothed.onset_index <= 25
    assert "Smoothed validation loss" in smoothed.explanation
    document = as_json(smoothed)
    np.testing.assert_allclose(document["smoothed_validation"], smooth_ema(validation, 0.6))
    np.testing.assert_allclose(document["smoothed_train"], smooth_ema(train, 0.6))
    assert document["onset"]["value"] == validation[smoothed.onset_index]  # raw value at the onset


def test_smoothing_keeps_noise_on_a_plateau_from_looking_like_overfitting():
    # Raw, the best of a noisy plateau is a lucky low reading, and the rest can
    # look lastingly worse than it; the smoothed curve has no such outlier.
    epochs = np.arange(30)
    plateaus = [
        0.5 + 0.5 * np.exp(-epochs / 2) + np.random.default_rng(seed).normal(0.0, 0.02, 30) for seed in range(20)
    ]
    raw = [analyze(FALLING_TRAIN_LOSS, plateau).status for plateau in plateaus]
    smoothed = [analyze(FALLING_TRAIN_LOSS, plateau, smoothing=0.6).status for plateau in plateaus]
    assert "overfitting" in raw
    assert set(smoothed) <= {"plateau", "improving"}


def test_min_delta_sets_a_floor_under_the_tolerance():
    default = analyze(FALLING_TRAIN_LOSS, noisy_u_shaped_loss(1))
    assert default.tolerance == pytest.approx(0.1 * np.ptp(noisy_u_shaped_loss(1)))
    wide = analyze(FALLING_TRAIN_LOSS, noisy_u_shaped_loss(1), min_delta=-0.3)
    assert wide.tolerance == 0.3 and wide.min_delta == 0.3
    assert wide.onset_index is None
    assert as_json(wide)["early_stop"]["min_delta"] == 0.3


def test_min_delta_changes_checkpoints_and_early_stopping():
    analysis = analyze_metric(STEPS_12, TRAIN_ACCURACY, STEPS_12, ACCURACY, mode="max", patience=2, min_delta=0.02)
    document = as_json(analysis)
    assert document["save_best_steps"] == [0, 1, 2, 7]
    assert (document["early_stop"]["stop_step"], document["early_stop"]["restore_step"]) == (4, 2)
    assert document["best"]["step"] == 7  # the best itself does not depend on min_delta


@pytest.mark.parametrize(
    ("mode", "values", "best"),
    [("min", [1.0, 0.5, 0.7, 0.5, 0.6], 1), ("max", [0.1, 0.9, 0.9, 0.2, 0.9], 1), ("min", [np.nan, 2.0, 2.0], 1)],
)
def test_ties_resolve_to_the_earliest_best(mode, values, best):
    assert analyze(None, np.array(values), mode=mode).best_index == best


def test_step_based_runs_speak_of_steps():
    steps = np.arange(0, 1200, 100)
    analysis = analyze_metric(steps, TRAIN_ACCURACY, steps, ACCURACY, mode="max", epoch_based=False)
    document = as_json(analysis)
    assert document["best"] == {
        "step": 700,
        "epoch": None,
        "value": 0.638,
        "train_value": pytest.approx(TRAIN_ACCURACY[7]),
    }
    assert document["onset"]["epoch"] is None and document["early_stop"]["restore_epoch"] is None
    assert "step 700" in document["explanation"] and "epoch" not in document["explanation"]


def test_generalization_gap_is_positive_when_validation_is_worse():
    loss = analyze(np.array([1.0, 0.5, 0.2]), np.array([1.1, 0.7, 0.6]))
    np.testing.assert_allclose(loss.gap_values, [0.1, 0.2, 0.4])
    accuracy = analyze(np.array([0.5, 0.8, 0.9]), np.array([0.45, 0.7, 0.7]), mode="max")
    np.testing.assert_allclose(accuracy.gap_values, [0.05, 0.1, 0.2])


def test_generalization_loss_follows_prechelt():
    validation = np.array([2.0, 1.0, 1.5, np.nan, 0.8, 1.2])
    document = as_json(analyze(None, validation))
    # E_opt = 2, 1, 1, 1, 0.8, 0.8
    assert document["generalization_loss"]["steps"] == list(range(6))
    np.testing.assert_allclose(
        [np.nan if v is None else v for v in document["generalization_loss"]["values"]],
        [0.0, 0.0, 50.0, np.nan, 0.0, 50.0],
    )


@pytest.mark.parametrize(("mode", "values"), [("max", [0.1, 0.5, 0.4]), ("min", [0.5, -0.1, 0.2])])
def test_generalization_loss_needs_a_positive_loss(mode, values):
    assert as_json(analyze(None, np.array(values), mode=mode))["generalization_loss"] is None


STATUS_EXAMPLES = {
    "too_short": dict(train=np.array([1.0, 0.9]), validation=np.array([1.0, 0.9])),
    "diverged": dict(train=FALLING_TRAIN_LOSS, validation=np.where(EPOCHS_30 == 5, np.nan, 1.0 - EPOCHS_30 / 60)),
    "no_validation": dict(train=FALLING_TRAIN_LOSS, validation=None),
    "overfitting": dict(train=FALLING_TRAIN_LOSS, validation=noisy_u_shaped_loss(0)),
    "worsening": dict(train=None, validation=noisy_u_shaped_loss(0)),
    "not_learning": dict(train=np.full(30, 2.3), validation=np.full(30, 2.31)),
    "improving": dict(train=FALLING_TRAIN_LOSS, validation=1.0 - EPOCHS_30 / 60),
    "plateau": dict(train=FALLING_TRAIN_LOSS[:15], validation=PLATEAU_LOSS),
    "underfitting": dict(train=0.6 + 0.4 * np.exp(-EPOCHS_30 / 2.0), validation=0.61 + 0.4 * np.exp(-EPOCHS_30 / 2.0)),
}


@pytest.mark.parametrize("status", status.STATUSES)
@pytest.mark.parametrize("smoothing", [0.0, 0.6])
def test_every_status_gives_strict_json_with_exactly_the_documented_keys(status, smoothing):
    analysis = analyze(**STATUS_EXAMPLES[status], smoothing=smoothing)
    document = as_json(analysis)
    assert document["status"] == status
    assert set(document) == JSON_KEYS
    assert set(document["early_stop"]) == EARLY_STOP_KEYS
    assert document["explanation"].endswith(".") and any(ch.isdigit() for ch in document["explanation"])
    assert isinstance(document["tolerance"], float)
    assert all(type(step) is int for step in document["save_best_steps"] + document["gap"]["steps"])


@pytest.mark.parametrize(
    "options",
    [
        dict(mode="median"),
        dict(mode="min", patience=-1),
        dict(mode="min", tolerance=-0.1),
        dict(mode="min", smoothing=1.0),
    ],
)
def test_analyze_metric_rejects_bad_options(options):
    with pytest.raises(ValueError):
        analyze_metric(STEPS_12, TRAIN_ACCURACY, STEPS_12, ACCURACY, **options)
    with pytest.raises(ValueError):  # even with nothing to analyse
        analyze_metric(None, None, None, None, **options)


def test_analyze_metric_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        analyze_metric(STEPS_12, TRAIN_ACCURACY[:5], STEPS_12, ACCURACY, mode="max")


def test_curves_module_imports_no_tensorflow_stack():
    source = open(curves.__file__, encoding="utf-8").read()
    for heavy in ("tensorflow", "tensorboard", "keras"):
        assert f"import {heavy}" not in source and f"from {heavy}" not in source


_ANY_VALUE = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=32),  # TensorBoard scalars are float32
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1.0]),
)


@st.composite
def _series(draw):
    steps = draw(st.lists(st.integers(0, 40), max_size=15, unique=True))
    return steps, draw(st.lists(_ANY_VALUE, min_size=len(steps), max_size=len(steps)))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    train=st.one_of(st.none(), _series()),
    validation=st.one_of(st.none(), _series()),
    mode=st.sampled_from(direction.MODES),
    patience=st.integers(0, 6),
    smoothing=st.sampled_from([0.0, 0.6, 0.99]),
)
def test_any_input_gives_strict_json_without_numpy_warnings(train, validation, mode, patience, smoothing):
    train_steps, train_values = train if train is not None else (None, None)
    val_steps, val_values = validation if validation is not None else (None, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analysis = analyze_metric(
            train_steps, train_values, val_steps, val_values, mode=mode, patience=patience, smoothing=smoothing
        )
        document = as_json(analysis)
    assert document["status"] in status.STATUSES
    assert set(document) == JSON_KEYS


def test_onset_of_a_clean_rise_is_where_the_rise_starts():
    # Validation falls to epoch 10, then rises steadily by 0.02 per epoch (no noise):
    # the 10%-of-range tolerance alone would put the onset many epochs later.
    validation = np.concatenate([np.linspace(1.0, 0.5, 11), 0.5 + 0.02 * np.arange(1, 20)])
    analysis = analyze(FALLING_TRAIN_LOSS, validation)
    assert analysis.status == "overfitting"
    assert analysis.best_index == 10
    assert 11 <= analysis.onset_index <= 13
    assert analysis.tolerance == pytest.approx(0.2 * 0.1 * np.ptp(validation))  # the R/5 floor


def test_a_single_bad_last_epoch_is_not_yet_an_onset():
    validation = np.concatenate([np.linspace(1.0, 0.5, 29), [0.9]])
    assert analyze(FALLING_TRAIN_LOSS, validation).onset_index is None
    two_bad = np.concatenate([np.linspace(1.0, 0.5, 28), [0.9, 0.95]])
    assert analyze(FALLING_TRAIN_LOSS, two_bad).onset_index == 28


def test_noisy_plateaus_rarely_look_like_overfitting_once_smoothed():
    # Noise 4% of the level: the noise is measured on the raw curve, so the
    # smoothed curve's correlated differences cannot shrink the tolerance.
    epochs = np.arange(30)
    plateaus = [
        0.5 + 0.5 * np.exp(-epochs / 2) + np.random.default_rng(seed).normal(0.0, 0.02, 30) for seed in range(100)
    ]
    raw = sum(analyze(FALLING_TRAIN_LOSS, p).status == "overfitting" for p in plateaus)
    smoothed = sum(analyze(FALLING_TRAIN_LOSS, p, smoothing=0.6).status == "overfitting" for p in plateaus)
    assert raw <= 15 and smoothed <= 2
    u_shapes = [
        0.5 + 0.002 * (epochs - 12) ** 2 + np.random.default_rng(seed).normal(0.0, 0.02, 30) for seed in range(100)
    ]
    assert all(analyze(FALLING_TRAIN_LOSS, u, smoothing=0.6).status == "overfitting" for u in u_shapes)


# --------------------------------------------------------------------------
# Materiality: a worsening must matter on the metric's own scale
# --------------------------------------------------------------------------

EVAL_SAMPLES = 12_000  # an evaluation set: accuracy moves in steps of 1/12000


def test_accuracy_flat_at_chance_is_not_overfitting(monkeypatch):
    # 4 classes, accuracy 0.2365-0.2368 (HF Trainer logs no train accuracy): best at one
    # reading, one or two samples fewer after it.
    counts = np.array([2838, 2840, 2842, 2841, 2841, 2840, 2841, 2841, 2840, 2841, 2840, 2841])
    analysis = analyze(None, counts / EVAL_SAMPLES, mode="max", name="accuracy")
    assert analysis.status == "not_learning" and analysis.onset_index is None
    assert analysis.tolerance == pytest.approx(onset.MATERIAL_FRACTION * counts.max() / EVAL_SAMPLES)
    monkeypatch.setattr(onset, "MATERIAL_FRACTION", 0.0)
    # The trend rule alone rejects it too: a sample more or fewer after the best is no trend.
    assert analyze(None, counts / EVAL_SAMPLES, mode="max", name="accuracy").status == "not_learning"
    monkeypatch.setattr(climb, "MIN_TREND_POINTS", counts.size)  # without either rule: "worse by more than 3.3e-05"
    assert analyze(None, counts / EVAL_SAMPLES, mode="max", name="accuracy").status == "worsening"


def test_accuracy_near_one_jittering_by_a_sample_is_not_overfitting(monkeypatch):
    validation = (11941 - np.array([1, 1, 0, 1, 1, 2, 1, 1, 2, 1, 2, 2, 1, 2, 2])) / EVAL_SAMPLES
    train = np.linspace(0.98, 0.9999, validation.size)
    assert analyze(train, validation, mode="max", name="accuracy").status == "plateau"
    monkeypatch.setattr(onset, "MATERIAL_FRACTION", 0.0)
    assert analyze(train, validation, mode="max", name="accuracy").status == "plateau"  # no significant trend
    monkeypatch.setattr(climb, "MIN_TREND_POINTS", validation.size)
    assert analyze(train, validation, mode="max", name="accuracy").status == "overfitting"


def test_accuracy_near_one_falling_by_a_point_is_overfitting():
    validation = np.concatenate([np.linspace(0.95, 0.995, 10), np.linspace(0.993, 0.985, 10)])
    analysis = analyze(np.linspace(0.9, 0.9999, 20), validation, mode="max", name="accuracy")
    assert analysis.status == "overfitting" and analysis.best_index == 9
    assert analysis.tolerance >= onset.MATERIAL_FRACTION * 0.995


def test_loss_near_zero_is_judged_relative_to_itself():
    # Validation loss falls to 0.002 and doubles: material although every value is below 0.01.
    validation = np.concatenate([np.geomspace(0.01, 0.002, 11), np.linspace(0.0022, 0.004, 19)])
    analysis = analyze(np.geomspace(0.01, 1e-5, 30), validation)
    assert analysis.status == "overfitting" and analysis.best_index == 10
    assert onset.MATERIAL_FRACTION * 0.002 < analysis.tolerance < 0.0002


def test_without_a_train_series_the_explanation_says_only_the_worsening_is_known():
    analysis = analyze(None, 1.0 - noisy_u_shaped_loss(0), mode="max", name="accuracy")
    assert "no train accuracy was logged, so only the worsening is known" in analysis.explanation
    with_train = analyze(np.linspace(0.2, 0.9, 30), 1.0 - noisy_u_shaped_loss(0), mode="max", name="accuracy")
    assert "no train" not in with_train.explanation and "rising" in with_train.explanation
