"""Issue 24: a cross-entropy loss well above chance (ln K) while accuracy sits at chance (1/K) is
divergence in the first epoch (`failure_modes.chance_level_divergence`), on curves and through
`analyze_metric`; the real Keras fits are in test_failed_fits.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tb_overfit_plugin.analysis import headline
from tb_overfit_plugin.analysis.curves import analyze_metric
from tb_overfit_plugin.analysis.failure_modes import (
    CHANCE_ACCURACY_TOLERANCE,
    CHANCE_LOSS_FACTOR,
    chance_level_divergence,
    first_epoch_divergence,
)
from tb_overfit_plugin.analysis.sorted_curve import read_curve

EPOCHS = 12
STEPS = np.arange(EPOCHS)


def _loss(first, later, seed=0):
    """A first value, then flat at `later` with small noise."""
    rng = np.random.default_rng(seed)
    return np.concatenate([[first], later + 0.002 * rng.standard_normal(EPOCHS - 1)])


def _accuracy(level, seed=1):
    return level + 0.01 * level * np.random.default_rng(seed).standard_normal(EPOCHS)


def _analyze(loss, accuracy):
    return analyze_metric(
        STEPS,
        loss,
        STEPS,
        loss + 0.01,
        mode="min",
        name="loss",
        train_accuracy=None if accuracy is None else (STEPS, accuracy),
    )


def test_binary_loss_well_above_ln2_at_chance_accuracy_diverged_in_the_first_epoch():
    loss = _loss(5.0, 0.75)  # 5.0 < 10 x 0.75: the 10x-the-later-median rule does not see it
    assert first_epoch_divergence(read_curve(STEPS, loss, "train"), "min") is None
    result = _analyze(loss, _accuracy(0.5))
    assert result.status == "diverged" and result.diverged_step == 0
    assert "more than 2x chance (ln 2 = 0.6931" in result.explanation
    assert "accuracy stayed at chance" in result.explanation and "1/2 = 0.5" in result.explanation


def test_ten_classes_chance_is_ln10():
    found = chance_level_divergence(
        read_curve(STEPS, _loss(6.0, 2.4), "t"), "min", read_curve(STEPS, _accuracy(0.1), "a")
    )
    assert found.classes == 10 and found.chance_loss == pytest.approx(math.log(10))
    assert found.first == 6.0 and found.step == 0


@pytest.mark.parametrize("factor, diverged", [(CHANCE_LOSS_FACTOR * 0.97, False), (CHANCE_LOSS_FACTOR * 1.03, True)])
def test_the_threshold_is_the_named_multiple_of_chance(factor, diverged):
    loss = _loss(factor * math.log(2), 0.72)
    assert (_analyze(loss, _accuracy(0.5)).status == "diverged") is diverged


def test_accuracy_that_leaves_chance_is_no_divergence():
    accuracy = _accuracy(0.5)
    accuracy[-4:] = 0.5 * (1 + 3 * CHANCE_ACCURACY_TOLERANCE)  # learnt something late
    assert (
        chance_level_divergence(read_curve(STEPS, _loss(5.0, 0.75), "t"), "min", read_curve(STEPS, accuracy, "a"))
        is None
    )


def test_without_an_accuracy_or_with_one_in_percent_the_rule_does_not_apply():
    loss = _loss(5.0, 0.75)
    assert _analyze(loss, None).status != "diverged"
    assert _analyze(loss, 100 * _accuracy(0.5)).status != "diverged"
    assert _analyze(loss, _accuracy(0.9)).status != "diverged"  # 1/0.9 rounds to 1 class: no chance level


def test_both_rules_holding_say_both():
    result = _analyze(_loss(40.0, 0.75), _accuracy(0.5))
    assert result.status == "diverged"
    assert "more than 10x the median of the later values" in result.explanation
    assert "; training accuracy stayed at chance" in result.explanation


@pytest.mark.parametrize(
    "name, accuracy",
    [
        ("accuracy", True),
        ("epoch_accuracy", True),
        ("sparse_categorical_accuracy", True),
        ("val_acc", True),
        ("top5_accuracy", False),
        ("loss", False),
        ("auc", False),
    ],
)
def test_is_accuracy(name, accuracy):
    assert headline.is_accuracy(name) is accuracy
