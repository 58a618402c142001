"""Our Keras replays against the real Keras callbacks, on random sequences.

Each generated sequence of monitored values is fed, epoch by epoch, to a real
`keras.callbacks.EarlyStopping` / `keras.callbacks.ModelCheckpoint` driving a
tiny fake model, and their decisions are compared with
`keras_replay.early_stopping` / `keras_replay.save_best_only_indices`.

The ModelCheckpoint replay calls two private methods, `_set_monitor_op()` and
`_should_save_model(epoch, batch, logs, filepath)` (checked against Keras
3.15): the public `on_epoch_end` would write a model file. If their
signatures change, those tests skip with a message rather than fail.
"""

from __future__ import annotations

import inspect
import math
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

keras = pytest.importorskip("keras")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tb_overfit_plugin.analysis.direction import is_improvement  # noqa: E402
from tb_overfit_plugin.analysis.keras_replay import (  # noqa: E402
    EarlyStoppingOutcome,
    ReduceLROutcome,
    early_stopping,
    reduce_lr_on_plateau,
    save_best_only_indices,
)

MONITOR = "val_m"

# Deterministic (CI gets the same examples every run) and no example database.
replays = settings(max_examples=200, deadline=None, derandomize=True, database=None)

# Monitored values: a small pool so ties and repeats are common, the float32
# neighbours of 0.5 to probe Keras' float32 comparison, non-finite values,
# and arbitrary float64 values within float32's range.
_POOL = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0, float(np.nextafter(np.float32(0.5), np.float32(1.0))), 0.5 + 1e-9]
values_strategy = st.lists(
    st.one_of(
        st.sampled_from(_POOL),
        st.floats(min_value=-3.0, max_value=3.0),
        st.sampled_from([math.nan, math.inf, -math.inf]),
    ),
    max_size=30,
)
modes = st.sampled_from(["min", "max"])
patiences = st.integers(min_value=0, max_value=6)
min_deltas = st.sampled_from([0.0, 1e-9, 1e-3, 0.1, 0.5, -0.1])


class FakeModel:
    """Just what EarlyStopping(restore_best_weights=True) touches on a model."""

    def __init__(self):
        self.stop_training = False
        self.restored = False

    def get_weights(self):
        return []

    def set_weights(self, weights):
        self.restored = True


def keras_early_stopping(values, mode, patience, min_delta) -> EarlyStoppingOutcome:
    """Runs the real callback as `Model.fit` would, stopping when it says so."""
    callback = keras.callbacks.EarlyStopping(
        monitor=MONITOR, mode=mode, patience=patience, min_delta=min_delta, restore_best_weights=True
    )
    model = FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    stop = None
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {MONITOR: value})
        if model.stop_training:
            stop = epoch
            assert callback.stopped_epoch == epoch
            break
    callback.on_train_end()
    assert model.restored == bool(values)
    # Keras initialises best_epoch to 0 even when no epoch ran; we say None.
    return EarlyStoppingOutcome(stop_index=stop, restore_index=callback.best_epoch if values else None)


def _private_checkpoint_api_or_skip():
    checkpoint = keras.callbacks.ModelCheckpoint
    if not hasattr(checkpoint, "_set_monitor_op") or not hasattr(checkpoint, "_should_save_model"):
        pytest.skip("keras.callbacks.ModelCheckpoint lost _set_monitor_op/_should_save_model; update this replay")
    parameters = list(inspect.signature(checkpoint._should_save_model).parameters)
    if parameters != ["self", "epoch", "batch", "logs", "filepath"]:
        pytest.skip(f"ModelCheckpoint._should_save_model(epoch, batch, logs, filepath) is now {parameters}")


def keras_save_best_only(values, mode, min_delta=0.0) -> list:
    """Epochs at which the real ModelCheckpoint(save_best_only=True) would write.

    ModelCheckpoint has no min_delta argument; its base class keeps one
    (0 here), so setting it before `_set_monitor_op` shows that our what-if
    uses the very same formula.
    """
    _private_checkpoint_api_or_skip()
    callback = keras.callbacks.ModelCheckpoint("never_written.keras", monitor=MONITOR, mode=mode, save_best_only=True)
    callback.set_model(FakeModel())
    callback.min_delta = abs(min_delta)
    callback._set_monitor_op()
    return [
        epoch
        for epoch, value in enumerate(values)
        if callback._should_save_model(epoch, None, {MONITOR: value}, callback.filepath)
    ]


@replays
@given(values=values_strategy, mode=modes, patience=patiences, min_delta=min_deltas)
def test_early_stopping_matches_keras(values, mode, patience, min_delta):
    assert early_stopping(values, mode, patience, min_delta) == keras_early_stopping(values, mode, patience, min_delta)


@replays
@given(values=values_strategy, mode=modes)
def test_save_best_only_matches_keras_model_checkpoint(values, mode):
    assert save_best_only_indices(values, mode).tolist() == keras_save_best_only(values, mode)


@replays
@given(values=values_strategy, mode=modes, min_delta=min_deltas)
def test_save_best_only_min_delta_what_if_uses_keras_formula(values, mode, min_delta):
    assert save_best_only_indices(values, mode, min_delta).tolist() == keras_save_best_only(values, mode, min_delta)


def test_acceptance_case_against_keras():
    accuracy = [0.472, 0.568, 0.600, 0.590, 0.612, 0.602, 0.610, 0.638, 0.610, 0.570, 0.562, 0.596]
    assert keras_early_stopping(accuracy, "max", 2, 0.0) == EarlyStoppingOutcome(6, 4)
    assert keras_early_stopping(accuracy, "max", 4, 0.0) == EarlyStoppingOutcome(11, 7)
    assert keras_save_best_only(accuracy, "max") == [0, 1, 2, 4, 7]


_SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -1.0, 0.5, 1.0]


@pytest.mark.parametrize("left", _SPECIAL)
@pytest.mark.parametrize("right", _SPECIAL)
def test_keras_ops_compare_non_finite_values_like_python(left, right):
    assert bool(keras.ops.less(left, right)) == (left < right)
    assert bool(keras.ops.greater(left, right)) == (left > right)


def test_keras_compares_in_float32():
    # Why `is_improvement` casts to float32: this difference is lost in Keras.
    assert not bool(keras.ops.less(0.1, 0.1 + 1e-12))
    assert not is_improvement(0.1, 0.1 + 1e-12, "min")


class FakeOptimizerModel(FakeModel):
    """What ReduceLROnPlateau touches: a model with a real Keras optimizer (its learning rate a float32 variable)."""

    def __init__(self, learning_rate):
        super().__init__()
        self.optimizer = keras.optimizers.SGD(learning_rate=learning_rate)


def keras_reduce_lr(values, mode, initial_lr, factor, patience, min_delta, cooldown, min_lr) -> ReduceLROutcome:
    """Runs the real ReduceLROnPlateau epoch by epoch; a cut is an epoch after which the rate fell."""
    callback = keras.callbacks.ReduceLROnPlateau(
        monitor=MONITOR,
        mode=mode,
        factor=factor,
        patience=patience,
        min_delta=min_delta,
        cooldown=cooldown,
        min_lr=min_lr,
    )
    model = FakeOptimizerModel(initial_lr)
    callback.set_model(model)
    callback.on_train_begin()
    cuts, rates = [], []
    for epoch, value in enumerate(values):
        before = float(model.optimizer.learning_rate)
        callback.on_epoch_end(epoch, {MONITOR: value})
        after = float(model.optimizer.learning_rate)
        if after != before:
            cuts.append(epoch)
            rates.append(after)
    return ReduceLROutcome(tuple(cuts), tuple(rates))


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    values=values_strategy,
    mode=modes,
    patience=st.integers(min_value=0, max_value=4),
    min_delta=min_deltas,
    factor=st.sampled_from([0.1, 0.5, 0.2, 0.0]),
    cooldown=st.integers(min_value=0, max_value=3),
    min_lr=st.sampled_from([0.0, 1e-3, 0.05, 0.3]),
    initial_lr=st.sampled_from([1.0, 0.1, 3e-4, 0.01]),
)
def test_reduce_lr_on_plateau_matches_keras(values, mode, patience, min_delta, factor, cooldown, min_lr, initial_lr):
    arguments = dict(
        initial_lr=initial_lr, factor=factor, patience=patience, min_delta=min_delta, cooldown=cooldown, min_lr=min_lr
    )
    assert reduce_lr_on_plateau(values, mode, **arguments) == keras_reduce_lr(values, mode, **arguments)
