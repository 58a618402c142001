"""`OverfitStopping`: a Keras 3 callback that stops training when the OVERFIT tab would say "overfitting".

At each epoch end it runs the same curve analysis as `/runs` (`curves.analyze_metric`,
through `analysis.stop_rule.StopRule`) on the history so far, stops when the
status is ``overfitting`` or ``diverged`` and at least ``patience`` evaluations
have passed since the best, or a ``plateau`` has held for ``patience`` more evaluations
without an improving trend (`stop_rule`), and restores the best epoch's weights when training
ends, as ``EarlyStopping(restore_best_weights=True)`` does::

    from tb_overfit_plugin.keras_callback import OverfitStopping
    model.fit(..., validation_data=..., callbacks=[OverfitStopping(monitor="val_loss")])

The only module of the package that imports Keras: the plugin and the CLI never
import it.
"""

from __future__ import annotations

from typing import Optional

import keras

from tb_overfit_plugin.analysis.curves import CurveAnalysis
from tb_overfit_plugin.analysis.direction import metric_mode
from tb_overfit_plugin.analysis.stop_rule import FLAT_STATUSES, StopRule, improving_trend

VALIDATION_PREFIX = "val_"


class OverfitStopping(keras.callbacks.Callback):
    """Stops training on the verdict the tab gives, and keeps the best weights.

    Args:
      monitor: the validation metric as Keras logs it ("val_loss"); its
        training side is the same name without "val_" ("loss").
      mode: "min", "max" or "auto" (from the metric's name, as the tab).
      patience: the floor: never stops fewer than this many evaluations after
        the best; also the tab's "improving" window (default 5, as `/runs`).
      min_delta, smoothing, tolerance: as the tab's parameters (`analyze_metric`).
      restore_best_weights: restore the best epoch's weights when training ends.
      verbose: 1 prints one line when it stops, with the verdict's numbers.

    Attributes (after `fit`):
      stopped_epoch: the 0-based epoch at whose end it stopped, or None.
      best_epoch: the 0-based epoch of the best value (its weights are restored).
      analysis: the `CurveAnalysis` of the last epoch judged (`analysis.explanation`).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        patience: int = 5,
        min_delta: float = 0.0,
        smoothing: float = 0.0,
        tolerance: float = 0.1,
        restore_best_weights: bool = True,
        verbose: int = 1,
    ):
        super().__init__()
        self.monitor = monitor
        self.train_key = monitor[len(VALIDATION_PREFIX) :] if monitor.startswith(VALIDATION_PREFIX) else None
        name = self.train_key or monitor
        self.rule = StopRule(
            mode=metric_mode(name) if mode == "auto" else mode,
            patience=patience,
            min_delta=min_delta,
            smoothing=smoothing,
            tolerance=tolerance,
            name=name,
        )
        self.rule.judge(None, ([], []))  # rejects bad parameters now, not at the first epoch end
        self.restore_best_weights = restore_best_weights
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        self._train: tuple = ([], [])
        self._validation: tuple = ([], [])
        self.stopped_epoch: Optional[int] = None
        self.best_epoch: Optional[int] = None
        self.best_weights = None
        self.analysis: Optional[CurveAnalysis] = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.train_key is not None and self.train_key in logs:
            self._train[0].append(epoch)
            self._train[1].append(float(logs[self.train_key]))
        if self.monitor not in logs:
            return  # not an evaluation epoch (validation_freq)
        self._validation[0].append(epoch)
        self._validation[1].append(float(logs[self.monitor]))
        self.analysis = self.rule.judge(self._train if self._train[0] else None, self._validation)
        best = self.analysis.best_index
        if best is not None and self._validation[0][best] == epoch:
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        if self.rule.stops(self.analysis):
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(self.stop_message())

    def stop_message(self) -> str:
        """ "Epoch 17: OverfitStopping: overfitting. <the tab's explanation> Restoring the weights of epoch 11."."""
        analysis, stopped = self.analysis, self.stopped_epoch
        if analysis is None or stopped is None:
            return "OverfitStopping: training was not stopped."
        restoring = ""
        if analysis.status in FLAT_STATUSES:
            trend = improving_trend(analysis)
            restoring = f" Since its best the values do not lean towards improving (Mann-Kendall z = {trend.z:.2f})."
        if self.restore_best_weights and self.best_weights is not None and self.best_epoch is not None:
            restoring += f" Restoring the weights of epoch {self.best_epoch + 1}."
        return f"Epoch {stopped + 1}: OverfitStopping: {analysis.status}. {analysis.explanation}{restoring}"

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
