"""Stop when the verdict says so: the rule of `keras_callback.OverfitStopping`, and its replay.

Pure numpy. At each epoch end the rule runs `curves.analyze_metric` on the
history so far, with the same parameters as `/runs`, and stops when its status
is one of `STOP_STATUSES` and at least ``patience`` evaluations have passed
since the best (``patience`` is a floor: the rule never stops before
``EarlyStopping(patience)`` could). It keeps the weights of the best epoch,
as ``restore_best_weights=True`` does. `replay` applies it to a whole logged
curve, as if it had watched training.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from tb_overfit_plugin.analysis.curves import CurveAnalysis, analyze_metric

STOP_STATUSES = ("overfitting", "diverged")
"""The statuses at which training stops."""


@dataclasses.dataclass(frozen=True)
class StopRule:
    """The parameters of `/runs` the rule judges with (see `curves.analyze_metric`)."""

    mode: str = "min"
    patience: int = 5
    min_delta: float = 0.0
    smoothing: float = 0.0
    tolerance: float = 0.1
    name: str = "loss"

    def judge(self, train: Optional[tuple], validation: tuple) -> CurveAnalysis:
        """`analyze_metric` of the history so far: ``(epochs, values)`` of each side (epochs 0-based, as Keras)."""
        train_epochs, train_values = (None, None) if train is None else train
        return analyze_metric(
            train_epochs, train_values, *validation,
            mode=self.mode, patience=self.patience, min_delta=self.min_delta,
            smoothing=self.smoothing, tolerance=self.tolerance, name=self.name,
        )

    def stops(self, analysis: CurveAnalysis) -> bool:
        """``status in STOP_STATUSES`` and ``n - 1 - best >= patience`` (a divergence stops at once)."""
        if analysis.status == "diverged":
            return True
        if analysis.status not in STOP_STATUSES or analysis.best_index is None:
            return False
        return analysis.num_steps - 1 - analysis.best_index >= self.patience


@dataclasses.dataclass(frozen=True)
class Replayed:
    """Where the rule stops on a whole curve: positions, None when it never stops."""

    stop_index: Optional[int]
    restore_index: Optional[int]  # the best up to the stop (of the whole curve when it never stops)
    analysis: CurveAnalysis  # the verdict at the stop (or on the whole curve)


def replay(rule: StopRule, train: Optional[np.ndarray], validation: np.ndarray) -> Replayed:
    """The first epoch at whose end `rule` stops, judging each prefix ``[0, i]`` as training would.

    Both curves hold one value per epoch (`train` may be None).
    """
    validation = np.asarray(validation, dtype=np.float64)
    epochs = np.arange(validation.size)
    analysis = rule.judge(None, (epochs[:0], validation[:0]))
    for end in range(1, validation.size + 1):
        analysis = rule.judge(None if train is None else (epochs[:end], train[:end]), (epochs[:end], validation[:end]))
        if rule.stops(analysis):
            return Replayed(stop_index=end - 1, restore_index=analysis.best_index, analysis=analysis)
    return Replayed(stop_index=None, restore_index=analysis.best_index, analysis=analysis)
