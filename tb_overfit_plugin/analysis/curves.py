"""What one metric's training and validation curves say: `analyze_metric`.

The entry point of the curve analysis. Pure numpy (plus the standard
library): the reading layer hands over step and value arrays, and
`analyze_metric` answers, in one `CurveAnalysis`, the questions a
practitioner asks of them, from the modules that hold each concept —

* which direction is better (`direction`: `metric_mode`, `is_improvement`);
* the curves as TensorBoard's chart shows them (`smoothing.smooth_ema`);
* where validation was best, and what `keras.callbacks.ModelCheckpoint(
  save_best_only=True)` and `EarlyStopping` would have done (`keras_replay`);
* whether and since when the model overfits (`onset`, and `climb` for slow climbs);
* whether training diverged (`divergence`);
* the status and its English explanation (`status`).

Conventions
-----------
* Position ``i`` of a series is Keras epoch ``i`` (0-based; Keras writes it at
  step ``i`` and prints "Epoch i+1").
* ``mode`` is ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (higher is
  better, e.g. accuracy); `metric_mode` guesses it from a metric's name.
* Non-finite values (NaN, +-Inf) are data, not errors: the Keras replays see
  them exactly as Keras would, the descriptive statistics skip them, and a
  run containing one is reported as diverged.

The JSON form of a `CurveAnalysis` is built outside this package
(`tb_overfit_plugin.documents.runs.verdict_json`)."""

from __future__ import annotations

import dataclasses
import functools
from typing import Optional, Tuple

import numpy as np

from tb_overfit_plugin.analysis import epochs
from tb_overfit_plugin.analysis import reinforcement as reinforcement_rule
from tb_overfit_plugin.analysis.climb import judged_onset
from tb_overfit_plugin.analysis.direction import (  # noqa: F401  (re-exported: the public curve API)
    MODES,
    ArrayLike,
    best_index,
    check_mode,
    is_improvement,
    metric_mode,
)
from tb_overfit_plugin.analysis.divergence import run_divergence
from tb_overfit_plugin.analysis.failure_modes import (
    failures_of,
)
from tb_overfit_plugin.analysis.keras_replay import (  # noqa: F401  (re-exported)
    EarlyStoppingOutcome,
    ReduceLROutcome,
    checkpoints_and_stop,
    early_stopping,
    learning_rate_drops,
    reduce_lr_on_plateau,
    save_best_only_indices,
)
from tb_overfit_plugin.analysis.onset import generalization_gap, generalization_loss, noise_level, onset_tolerance
from tb_overfit_plugin.analysis.smoothing import check_smoothing, smooth_ema
from tb_overfit_plugin.analysis.sorted_curve import NO_CURVE, Curve, read_curve, value_at_or_before
from tb_overfit_plugin.analysis.status import EXPLAIN, STATUSES, EpochOf, Evidence, status_of  # noqa: F401


@dataclasses.dataclass(frozen=True, eq=False)
class CurveAnalysis:
    """The verdict on one metric's curves; see `analyze_metric`.

    Every ``*_index`` is a position in `steps`, the analysed steps (the
    validation steps, or the training steps when there is no validation).
    The per-step series a leaderboard row does not show (`gap_steps`,
    `gap_values`, `generalization_loss`) are computed when first asked for.
    """

    status: str
    mode: str
    explanation: str
    steps: np.ndarray
    epoch_based: bool
    epoch_of: Optional[EpochOf]
    best_index: Optional[int]
    best_value: Optional[float]
    best_train_value: Optional[float]  # training value at (or just before) the best step
    onset_index: Optional[int]
    onset_value: Optional[float]  # raw validation value at the onset
    patience: int
    min_delta: float
    early_stop: EarlyStoppingOutcome
    save_best_indices: np.ndarray
    diverged_step: Optional[int]
    tolerance: float  # absolute tolerance used for the onset
    smoothed_validation: Optional[np.ndarray]
    smoothed_train: Optional[np.ndarray]
    train: Optional[Curve] = dataclasses.field(repr=False)
    validation: Optional[Curve] = dataclasses.field(repr=False)

    @property
    def num_steps(self) -> int:
        return int(self.steps.size)

    @functools.cached_property
    def _gap(self) -> tuple:
        if self.train is None or self.validation is None:
            return NO_CURVE.steps, NO_CURVE.values
        return generalization_gap(self.train, self.validation, self.mode)

    @property
    def gap_steps(self) -> np.ndarray:
        """The steps both series share (`onset.generalization_gap`)."""
        return self._gap[0]

    @property
    def gap_values(self) -> np.ndarray:
        """The generalization gap at `gap_steps`: positive when validation is worse."""
        return self._gap[1]

    @functools.cached_property
    def generalization_loss(self) -> Optional[np.ndarray]:
        """`onset.generalization_loss` of the validation values, aligned with `steps`; None without validation."""
        return None if self.validation is None else generalization_loss(self.validation.values, self.mode)


def _smoothed(curve: Optional[Curve], weight: float) -> Optional[np.ndarray]:
    """``smooth_ema(curve.values, weight)``, or None without a curve or smoothing."""
    return None if curve is None or weight == 0 else smooth_ema(curve.values, weight)


def _check_arguments(mode: str, patience: int, tolerance: float, smoothing: float) -> None:
    """Raises ValueError for a parameter `analyze_metric` cannot use."""
    check_mode(mode)
    if patience < 0:
        raise ValueError(f"patience must be >= 0, got {patience!r}")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    check_smoothing(smoothing)


@dataclasses.dataclass(frozen=True)
class _Judged:
    """The curves the onset is judged on, and what pairs the training curve with validation."""

    validation: Optional[np.ndarray]  # smoothed if asked, else raw; None without validation
    train: Optional[np.ndarray]  # training curve (smoothed if asked) at the validation steps
    best_train_value: Optional[float]  # raw training value at (or just before) the best step


def _judge(
    train: Optional[Curve],
    validation: Optional[Curve],
    smoothed_train: Optional[np.ndarray],
    smoothed_validation: Optional[np.ndarray],
    best: Optional[int],
) -> _Judged:
    """`_Judged` for the two curves: the onset is judged on the curves as the chart shows them."""
    if validation is None:
        return _Judged(None, None, None)
    judged_validation = validation.values if smoothed_validation is None else smoothed_validation
    if train is None:
        return _Judged(judged_validation, None, None)
    best_train_value = None
    if best is not None:
        best_train_value = float(value_at_or_before(train, train.values, validation.steps[[best]])[0])
    judged_train = value_at_or_before(
        train, train.values if smoothed_train is None else smoothed_train, validation.steps
    )
    return _Judged(judged_validation, judged_train, best_train_value)


def _status(evidence: Evidence, reinforcement: bool) -> tuple:
    """(status, explanation): `status_of`, where a reward's onset is a collapse (`reinforcement`)."""
    status = status_of(evidence)
    if reinforcement and status in reinforcement_rule.COLLAPSED:
        return reinforcement_rule.COLLAPSE, reinforcement_rule.explain_collapse(evidence)
    return status, EXPLAIN[status](evidence)


def _analysis(
    evidence: Evidence,
    judged: _Judged,
    min_delta: float,
    smoothed_train: Optional[np.ndarray],
    smoothed_validation: Optional[np.ndarray],
    reinforcement: bool = False,
) -> CurveAnalysis:
    """The `CurveAnalysis` of what `analyze_metric` gathered: status, explanation, Keras replays."""
    primary, best, onset, mode, patience = (
        evidence.primary,
        evidence.best_index,
        evidence.onset,
        evidence.mode,
        evidence.patience,
    )
    status, explanation = _status(evidence, reinforcement)
    save_best_indices, early_stop = checkpoints_and_stop(primary.values, mode, patience, min_delta)
    return CurveAnalysis(
        status=status,
        mode=mode,
        explanation=explanation,
        steps=primary.steps,
        epoch_based=evidence.epoch_based,
        epoch_of=evidence.epoch_of,
        best_index=best,
        best_value=None if best is None else float(primary.values[best]),
        best_train_value=judged.best_train_value,
        onset_index=None if onset is None else onset.index,
        onset_value=None if onset is None else float(primary.values[onset.index]),
        patience=int(patience),
        min_delta=abs(float(min_delta)),
        early_stop=early_stop,
        save_best_indices=save_best_indices,
        diverged_step=None if evidence.divergence is None else evidence.divergence.step,
        tolerance=float(evidence.tolerance),
        smoothed_validation=smoothed_validation,
        smoothed_train=smoothed_train,
        train=evidence.train,
        validation=evidence.validation,
    )


def analyze_metric(
    train_steps: Optional[ArrayLike],
    train_values: Optional[ArrayLike],
    val_steps: Optional[ArrayLike],
    val_values: Optional[ArrayLike],
    *,
    mode: str,
    patience: int = 5,
    min_delta: float = 0.0,
    smoothing: float = 0.0,
    tolerance: float = 0.1,
    epoch_based: bool = True,
    epoch_of: Optional[EpochOf] = None,
    name: str = "metric",
    reinforcement: bool = False,
    train_accuracy: Optional[Tuple[ArrayLike, ArrayLike]] = None,
) -> CurveAnalysis:
    """Analyses one metric's training and validation curves.

    Parameters
    ----------
    train_steps, train_values, val_steps, val_values : array_like or None
        The two series (sorted by step here); either may be None or empty
        when it was not logged. Their steps may differ (Keras
        ``validation_freq=2``): the analysis runs on the validation steps,
        and the training value "at" a validation step is the one at the
        latest training step at or before it.
    mode : {"min", "max"}
        Direction of the metric (see `metric_mode`).
    patience : int >= 0
        EarlyStopping patience to replay, and the "still improving" window.
    min_delta : float
        EarlyStopping ``min_delta`` (its absolute value is used); also used
        for the ModelCheckpoint what-if, as the floor of the onset tolerance
        and as the margin by which training must have kept improving.
    smoothing : float in [0, 1)
        TensorBoard smoothing weight (`smooth_ema`) applied to both curves
        before the overfitting onset is sought; 0 uses the raw curves. Best,
        early stopping and checkpoints always use the raw values, as Keras.
    tolerance : float >= 0
        Onset tolerance relative to the validation range, capped by the
        noise and floored by materiality:
        ``tol = max(|min_delta|, clip(NOISE_TOLERANCE * sigma, R / RANGE_FLOOR_DIVISOR, R),
        MATERIAL_FRACTION * |best(v)|)``
        with ``R = tolerance * (max(v) - min(v))`` over the finite (smoothed)
        validation values (`onset.onset_tolerance`, `onset.MATERIAL_FRACTION`).
    epoch_based : bool
        Whether step ``s`` is Keras epoch ``s + 1``; the explanation then
        says "epoch N", else "step S", and the JSON carries epochs.
    epoch_of : callable or None
        Step -> 1-based epoch when the steps are not Keras epochs but the
        run logged an epoch series (`epochs.EpochSeries`); the JSON then
        carries those epochs and the explanation says "epoch N, step S".
    name : str
        The metric's name as the explanation should say it ("loss").
    reinforcement : bool
        The run is reinforcement learning (`headline.is_reinforcement`): never
        ``overfitting`` (a reward collapse is ``worsening``) and no exploding-loss
        divergence (`reinforcement`).
    train_accuracy : (steps, values) or None
        The run's training accuracy when the metric is its (cross-entropy) loss: a first loss well
        above chance while the accuracy sits at chance is divergence in the first epoch
        (`failure_modes.chance_level_divergence`).

    Notes
    -----
    *Best* is the best finite raw value, the earliest on ties. The
    *overfitting onset* is defined in `climb.judged_onset` (the level rule
    `onset.overfitting_onset` and the trend rule for slow climbs). The status is
    the first that applies of:

    ``too_short``
        fewer than `status.MIN_POINTS` finite validation values (training values when there
        is no validation);
    ``diverged``
        a non-finite training or validation value, or (mode "min") a
        training value above `divergence.EXPLOSION_FACTOR` times its first value; ``diverged_step`` is the
        first such step;
    ``no_validation``
        no validation series: best, early stopping and checkpoints then
        describe the training curve, and no onset is sought;
    ``overfitting``
        an onset was found on the validation curve and a training series
        was logged (the explanation says how it moved meanwhile);
    ``worsening``
        an onset was found but no training series was logged: validation
        got materially worse after its best, but without a train curve there
        is no evidence that the model fits its training data ever better,
        which is what overfitting is;
    ``not_learning``
        for both training and validation (validation alone without a
        training series) ``best`` beats ``first`` by less than
        ``LEARNING_FRACTION * |first|`` (`status.LEARNING_FRACTION`);
    ``improving``
        the best is among the last ``max(MIN_IMPROVING_WINDOW, patience)`` points:
        ``n - 1 - best_index < max(MIN_IMPROVING_WINDOW, patience)`` (`status.MIN_IMPROVING_WINDOW`);
    ``plateau``
        otherwise: no improvement for ``patience`` points, and no
        significant worsening.

    The *generalization gap* is taken on the steps both series share:
    ``val - train`` (min) or ``train - val`` (max), positive when
    validation is worse. The *generalization loss* is `generalization_loss`.
    """
    _check_arguments(mode, patience, tolerance, smoothing)
    if epoch_based:
        epoch_of = epochs.keras_epoch
    train = read_curve(train_steps, train_values, "train")
    validation = read_curve(val_steps, val_values, "validation")
    primary = validation if validation is not None else train if train is not None else NO_CURVE

    smoothed_train, smoothed_validation = _smoothed(train, smoothing), _smoothed(validation, smoothing)
    best = best_index(primary.values, mode)
    judged = _judge(train, validation, smoothed_train, smoothed_validation, best)
    # Noise of the raw measurements: a smoothed curve's differences are
    # correlated and would understate it.
    noise = noise_level(primary.finite_values())
    tol = onset_tolerance(
        primary.values if judged.validation is None else judged.validation, mode, noise, min_delta, tolerance
    )
    onset = None
    if validation is not None and judged.validation is not None:
        onset = judged_onset(validation.values, judged.validation, judged.train, mode, min_delta, tol, noise)

    accuracy = None if train_accuracy is None else read_curve(*train_accuracy, "train accuracy")
    failures = failures_of(
        train, validation, judged.train, None if onset is None else onset.best_index, mode, patience, accuracy
    )
    evidence = Evidence(
        name=name,
        mode=mode,
        patience=patience,
        smoothing=smoothing,
        epoch_based=epoch_based,
        epoch_of=epoch_of,
        train=train,
        validation=validation,
        primary=primary,
        best_index=best,
        judged_validation=judged.validation,
        judged_train=judged.train,
        tolerance=tol,
        onset=onset,
        divergence=run_divergence(train, validation, mode, name, failures, explosions=not reinforcement),
        failures=failures,
    )
    return _analysis(evidence, judged, min_delta, smoothed_train, smoothed_validation, reinforcement)
