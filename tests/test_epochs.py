"""Step -> epoch from an epoch series logged against the global step (Lightning, HF Trainer)."""

import numpy as np
import pytest

from tb_overfit_plugin.analysis.epochs import epoch_series, keras_epoch


def _epochs(steps, values, queries):
    series = epoch_series(steps, values)
    return [series(step) for step in queries]


def test_keras_step_is_the_zero_based_epoch():
    assert [keras_epoch(step) for step in (0, 7)] == [1, 8]


def test_lightning_counter_is_zero_based():
    # log_every_n_steps=5, 20 steps per epoch: `epoch` is the current epoch, 0 at steps 5..20.
    steps = np.arange(5, 61, 5)
    values = (steps - 1) // 20
    assert _epochs(steps, values, [20, 21, 25, 40, 60]) == [1, 1, 2, 2, 3]
    # Only epoch-end logs: 0 at step 20 (> 0) still marks a counter.
    assert _epochs([20, 40, 60], [0, 1, 2], [20, 40, 60]) == [1, 2, 3]


@pytest.mark.parametrize(
    "steps, values, queries, expected",
    [
        # Fractional epochs completed: 1.0 at the end of epoch 1 is epoch 1; 1.2 is in epoch 2.
        ([10, 50, 60, 100], [0.2, 1.0, 1.2, 2.0], [50, 55, 60, 100], [1, 1, 2, 2]),
        # Logged only at epoch ends: 1.0, 2.0, ... (float32) are epochs 1, 2, ...
        ([50, 100, 150], np.float32([1.0, 2.0, 3.0]), [50, 100, 150], [1, 2, 3]),
        # eval_on_start: 0 at step 0 (before any training) is not a counter.
        ([0, 50, 100], [0.0, 1.0, 2.0], [0, 50, 100], [1, 1, 2]),
    ],
)
def test_hf_train_epoch_counts_epochs_completed(steps, values, queries, expected):
    assert _epochs(steps, values, queries) == expected


def test_steps_before_the_first_point_and_non_finite_values():
    assert _epochs([10, 20], [0.5, 1.0], [0, 15]) == [1, 1]
    assert epoch_series([1, 2], [np.nan, np.inf]) is None
