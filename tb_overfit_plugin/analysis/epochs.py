"""Epoch numbers for logged steps: the epoch the user's progress bar showed.

Pure numpy. One place for every rule that turns a step into a 1-based epoch:

* Keras (`epoch_*` tags, TF1 Keras `val_*`): the step *is* the 0-based epoch,
  so step ``s`` is epoch ``s + 1`` (`keras_epoch`).
* An epoch series logged against the global step (Lightning's ``epoch``,
  HF Trainer's ``train/epoch``): the epoch at step ``s`` is read from the
  series' point at the greatest logged step ``<= s`` (its first point for an
  earlier step), as `EpochSeries` describes.
* Anything else has no epochs: it is reported in steps.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional, Sequence, Union

import numpy as np

ArrayLike = Union[np.ndarray, Sequence[float]]

INTEGER_TOLERANCE = 1e-4
"""An epoch value within this of an integer is that integer (values are logged as float32)."""


def keras_epoch(step: int) -> int:
    """Keras writes epoch ``i`` (printed "Epoch i+1") at step ``i``: step ``s`` is epoch ``s + 1``."""
    return int(step) + 1


def _is_integer(values: np.ndarray) -> np.ndarray:
    return np.abs(values - np.round(values)) <= INTEGER_TOLERANCE


@dataclasses.dataclass(frozen=True, eq=False)
class EpochSeries:
    """Step -> 1-based epoch, from an epoch series logged against the global step.

    Two conventions, told apart by the data:

    * a **0-based counter** of the current epoch (Lightning adds
      ``epoch = trainer.current_epoch`` to every ``log_metrics`` call):
      integer values, and 0 at some step > 0 (training had started while no
      epoch was complete); epoch = ``value + 1``;
    * **epochs completed** otherwise (HF Trainer's ``train/epoch``: 0.5
      half-way through the first epoch, 1.0 at its end, where the epoch's
      evaluation is logged): epoch = ``max(1, ceil(value))``, a value within
      `INTEGER_TOLERANCE` of an integer counting as that integer.

    `steps` are sorted and unique (one point per step, as `ScalarSeries`).
    """

    steps: np.ndarray
    values: np.ndarray
    counter: bool

    def __call__(self, step: int) -> int:
        index = max(int(np.searchsorted(self.steps, step, side="right")) - 1, 0)
        value = float(self.values[index])
        if self.counter:
            return int(round(value)) + 1
        nearest = round(value)
        completed = nearest if abs(value - nearest) <= INTEGER_TOLERANCE else math.ceil(value)
        return max(1, int(completed))


def epoch_series(steps: ArrayLike, values: ArrayLike) -> Optional[EpochSeries]:
    """The `EpochSeries` of an epoch tag's points (non-finite ones dropped); None if none are left."""
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    steps, values = steps[finite], values[finite]
    if steps.size == 0:
        return None
    order = np.argsort(steps, kind="stable")
    steps, values = steps[order], values[order]
    counter = bool(np.all(_is_integer(values)) and np.any((steps > 0) & (np.abs(values) <= INTEGER_TOLERANCE)))
    return EpochSeries(steps=steps, values=values, counter=counter)
