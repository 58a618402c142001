"""Stop when the verdict says so: the rule of `keras_callback.OverfitStopping`, and its replay.

Pure numpy. At each epoch end the rule runs `curves.analyze_metric` on the
history so far, with the same parameters as `/runs`, and stops

* at once when the status is ``diverged``;
* when the status is one of `ONSET_STATUSES` (validation materially worse
  since its best) and at least ``patience`` evaluations have passed since the
  best (``patience`` is a floor: the rule never stops before
  ``EarlyStopping(patience)`` could);
* when the status is one of `FLAT_STATUSES` (no improvement, no significant
  worsening) held for ``patience`` more evaluations, i.e. the best is at least
  ``PLATEAU_HOLD * patience`` evaluations old, and the values since the best
  do not lean towards improving: Mann-Kendall's statistic of an improving
  trend over them (`trend.mann_kendall`; ``S`` counts the pairs that improve
  minus those that worsen) has ``z <= 0``. A noisy curve that still improves,
  whose best was a lucky early reading, keeps training while its later values
  mostly improve on one another.

It keeps the weights of the best epoch, as ``restore_best_weights=True`` does.
`replay` applies it to a whole logged curve, as if it had watched training.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from tb_overfit_plugin.analysis.curves import CurveAnalysis, analyze_metric
from tb_overfit_plugin.analysis.trend import TrendTest, mann_kendall

ONSET_STATUSES = ("overfitting", "worsening")
"""Validation materially worse since its best: stop once ``patience`` evaluations passed since it."""
FLAT_STATUSES = ("plateau", "underfitting", "not_learning")
"""No improvement and no significant worsening: stop once held (`PLATEAU_HOLD`) without an improving trend."""
STOP_STATUSES = ("diverged",) + ONSET_STATUSES + FLAT_STATUSES
"""Every status at which training may stop."""
PLATEAU_HOLD = 2
"""A flat status stops once the best is ``PLATEAU_HOLD * patience`` evaluations old: the tab says
``plateau`` from ``patience`` evaluations after the best on, and the plateau is held ``patience`` more."""


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
            train_epochs,
            train_values,
            *validation,
            mode=self.mode,
            patience=self.patience,
            min_delta=self.min_delta,
            smoothing=self.smoothing,
            tolerance=self.tolerance,
            name=self.name,
        )

    def stops(self, analysis: CurveAnalysis) -> bool:
        """Whether training stops on this verdict (see the module's docstring for the three cases)."""
        if analysis.status == "diverged":
            return True
        if analysis.best_index is None:
            return False
        since_best = analysis.num_steps - 1 - analysis.best_index
        if analysis.status in ONSET_STATUSES:
            return since_best >= self.patience
        if analysis.status in FLAT_STATUSES and since_best >= PLATEAU_HOLD * self.patience:
            return improving_trend(analysis).z <= 0.0
        return False


def improving_trend(analysis: CurveAnalysis) -> TrendTest:
    """Mann-Kendall's test of an improving trend in the finite validation values after the best.

    The values are negated for a ``min`` metric, so ``z > 0`` when they mostly keep falling.
    """
    curve = analysis.validation if analysis.validation is not None else analysis.train
    if curve is None or analysis.best_index is None:
        return mann_kendall(np.empty(0))
    after = curve.values[analysis.best_index + 1 :]
    after = after[np.isfinite(after)]
    return mann_kendall(-after if analysis.mode == "min" else after)


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
