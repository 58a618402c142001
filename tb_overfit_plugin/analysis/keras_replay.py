"""Replays of Keras callbacks on a logged series.

* Where would `keras.callbacks.ModelCheckpoint(save_best_only=True)` have
  saved?  (`save_best_only_indices`)
* When would `keras.callbacks.EarlyStopping` have stopped, and which epoch
  would `restore_best_weights=True` have restored?  (`early_stopping`)
* Where was the learning rate cut?  (`learning_rate_drops`)

Position ``i`` of a series is Keras epoch ``i`` (0-based; Keras writes it at
step ``i`` and prints "Epoch i+1"). Non-finite values are seen exactly as
Keras would see them.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Tuple

import numpy as np

from tb_overfit_plugin.analysis.direction import ArrayLike, keras_improvements

LR_DROP_RTOL = 1e-6
"""A logged learning rate below ``(1 - LR_DROP_RTOL)`` times the previous one was cut;
smaller changes are float32 round-off."""


def save_best_only_indices(values: ArrayLike, mode: str, min_delta: float = 0.0) -> np.ndarray:
    """Positions at which ``ModelCheckpoint(save_best_only=True)`` writes the model.

    ``i`` is saved iff ``is_improvement(values[i], best, mode, min_delta)``
    where ``best`` is the last saved value (None before the first save), so
    position 0 is always saved. Keras' ModelCheckpoint has no ``min_delta``;
    with the default 0 this is exactly Keras, other values answer "what if
    only improvements by more than min_delta counted".

    Returns
    -------
    numpy.ndarray of int64, increasing
    """
    return np.flatnonzero(keras_improvements(values, mode, min_delta))


@dataclasses.dataclass(frozen=True)
class EarlyStoppingOutcome:
    """What ``keras.callbacks.EarlyStopping`` would have done on a series.

    Attributes
    ----------
    stop_index : int or None
        Position (Keras epoch) at which training stops; None if it runs to
        the end.
    restore_index : int or None
        Keras' ``best_epoch`` when training ends — the epoch whose weights
        ``restore_best_weights=True`` restores (Keras restores them whether
        or not it stopped early). None only for an empty series.
    """

    stop_index: Optional[int]
    restore_index: Optional[int]


def early_stopping(values: ArrayLike, mode: str, patience: int = 5, min_delta: float = 0.0) -> EarlyStoppingOutcome:
    """Replays ``EarlyStopping(mode, patience, min_delta, restore_best_weights=True)``.

    With ``improved`` the mask of Keras improvements (see `is_improvement`;
    position 0 always improves) and ``k(i)`` the last improving position
    ``<= i``, Keras' ``wait`` counter after epoch ``i`` is ``i - k(i)``, so::

        stop_index    = min{ i > 0 : not improved[i] and i - k(i) >= patience }
        restore_index = k(stop_index), or k(n - 1) if it never stops

    (baseline None, start_from_epoch 0).
    """
    return _stopped(keras_improvements(values, mode, min_delta).tolist(), patience)


def checkpoints_and_stop(
    values: ArrayLike, mode: str, patience: int = 5, min_delta: float = 0.0
) -> Tuple[np.ndarray, EarlyStoppingOutcome]:
    """(`save_best_only_indices`, `early_stopping`) of one series, from one `keras_improvements` mask."""
    improved = keras_improvements(values, mode, min_delta)
    return np.flatnonzero(improved), _stopped(improved.tolist(), patience)


def _stopped(improved: list, patience: int) -> EarlyStoppingOutcome:
    """`early_stopping` of the improvement mask: a loop that ends at the stop (numpy's dozen calls per
    series cost more than it on the short runs of a sweep)."""
    if patience < 0:
        raise ValueError(f"patience must be >= 0, got {patience!r}")
    if not improved:
        return EarlyStoppingOutcome(stop_index=None, restore_index=None)
    last_improvement = 0  # k(i); position 0 always improves
    for position, better in enumerate(improved):
        if better:
            last_improvement = position
        elif position > 0 and position - last_improvement >= patience:
            return EarlyStoppingOutcome(stop_index=position, restore_index=last_improvement)
    return EarlyStoppingOutcome(stop_index=None, restore_index=last_improvement)


def learning_rate_drops(lr_values: ArrayLike, rtol: float = LR_DROP_RTOL) -> np.ndarray:
    """Positions where the learning rate was cut (ReduceLROnPlateau, step schedules).

    ``{ i > 0 : lr[i] < lr[i-1] * (1 - rtol) }``, ``rtol = LR_DROP_RTOL`` by default; `rtol` ignores float32
    round-off in logged rates. NaN never counts as a drop.

    Returns
    -------
    numpy.ndarray of int64, increasing
    """
    lr = np.asarray(lr_values, dtype=np.float64)
    return np.flatnonzero(lr[1:] < lr[:-1] * (1.0 - rtol)) + 1


@dataclasses.dataclass(frozen=True)
class ReduceLROutcome:
    """What ``keras.callbacks.ReduceLROnPlateau`` would have done: the positions (Keras epochs) at which
    it cut the learning rate, and the rate after each cut (float32, as the optimizer holds it)."""

    cut_indices: tuple
    learning_rates: tuple


def reduce_lr_on_plateau(
    values: ArrayLike,
    mode: str,
    initial_lr: float = 1.0,
    factor: float = 0.1,
    patience: int = 10,
    min_delta: float = 1e-4,
    cooldown: int = 0,
    min_lr: float = 0.0,
) -> ReduceLROutcome:
    """Replays ``ReduceLROnPlateau(factor, patience, min_delta, cooldown, min_lr, mode)`` (Keras 3).

    With ``improved`` the Keras improvements (`keras_improvements`: its running best is
    updated on every improvement, in cooldown or not), after each epoch ``i``::

        if cooldown_counter > 0: cooldown_counter -= 1; wait = 0
        if improved[i]: wait = 0
        elif cooldown_counter == 0:
            wait += 1
            if wait >= patience and lr > float32(min_lr):
                lr = float32(max(lr * factor, min_lr)); cut at i; cooldown_counter = cooldown; wait = 0

    ``lr`` starts at ``float32(initial_lr)``: the optimizer keeps it in a float32 variable.
    """
    if not 0 <= factor < 1:
        raise ValueError(f"factor must be in [0, 1), got {factor!r}")
    improved = keras_improvements(values, mode, min_delta).tolist()
    lr, floor = float(np.float32(initial_lr)), float(np.float32(min_lr))
    cooldown_counter = wait = 0
    cuts, rates = [], []
    for index, better in enumerate(improved):
        if cooldown_counter > 0:
            cooldown_counter -= 1
            wait = 0
        if better:
            wait = 0
            continue
        if cooldown_counter > 0:
            continue
        wait += 1
        if wait >= patience and lr > floor:
            lr = float(np.float32(max(lr * factor, min_lr)))
            cuts.append(index)
            rates.append(lr)
            cooldown_counter, wait = cooldown, 0
    return ReduceLROutcome(tuple(cuts), tuple(rates))
