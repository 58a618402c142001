"""One logged curve sorted by step, and reading it at another curve's steps."""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from tb_overfit_plugin.analysis.direction import ArrayLike


@dataclasses.dataclass(frozen=True)
class Curve:
    """One series, sorted by step."""

    steps: np.ndarray  # int64, non-decreasing
    values: np.ndarray  # float64, may hold NaN / +-Inf

    def finite_values(self) -> np.ndarray:
        return self.values[np.isfinite(self.values)]


NO_CURVE = Curve(np.zeros(0, dtype=np.int64), np.zeros(0))


def read_curve(steps: Optional[ArrayLike], values: Optional[ArrayLike], which: str) -> Optional[Curve]:
    """A `Curve` sorted stably by step, or None for a missing (None or empty) series."""
    if steps is None or values is None:
        return None
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    if steps.ndim != 1 or steps.shape != values.shape:
        raise ValueError(f"{which} steps and values must be 1-d arrays of equal length")
    if steps.size == 0:
        return None
    order = np.argsort(steps, kind="stable")
    return Curve(steps[order], values[order])


def value_at_or_before(curve: Curve, values: np.ndarray, query_steps: np.ndarray) -> np.ndarray:
    """``values`` (aligned with ``curve.steps``) at the latest step ``<= q`` for each query ``q``.

    NaN where the curve has no step ``<= q``. This is how a training value is
    read "at" a validation step when the two are logged at different steps
    (Keras ``validation_freq > 1``).
    """
    positions = np.searchsorted(curve.steps, query_steps, side="right") - 1
    return np.where(positions >= 0, values[np.maximum(positions, 0)], np.nan)
