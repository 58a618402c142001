"""What one metric's training and validation curves say.

Pure numpy (plus the standard library): the reading layer hands over step and
value arrays, this module answers the questions a practitioner asks of them —

* Where was validation best, and would `keras.callbacks.ModelCheckpoint(
  save_best_only=True)` have saved there?  (`save_best_only_indices`)
* When would `keras.callbacks.EarlyStopping` have stopped, and which epoch
  would `restore_best_weights=True` have restored?  (`early_stopping`)
* Did the model start to overfit, and since when?  (`analyze_metric`)

Conventions
-----------
* Position ``i`` of a series is Keras epoch ``i`` (0-based; Keras writes it at
  step ``i`` and prints "Epoch i+1").
* ``mode`` is ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (higher is
  better, e.g. accuracy); `metric_mode` guesses it from a metric's name.
* Non-finite values (NaN, +-Inf) are data, not errors: the Keras replays see
  them exactly as Keras would, the descriptive statistics skip them, and a
  run containing one is reported as diverged.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Optional, Sequence, Union

import numpy as np

from tb_overfit_plugin.jsonable import finite_or_none, float_list, int_list

ArrayLike = Union[np.ndarray, Sequence[float]]

MODES = ("min", "max")

STATUSES = (
    "too_short",
    "diverged",
    "no_validation",
    "overfitting",
    "not_learning",
    "improving",
    "plateau",
)

MIN_POINTS = 3
"""Fewer finite points than this and the curve is `too_short` to judge."""

EXPLOSION_FACTOR = 10.0
"""A loss-like training value above this multiple of its first value has exploded."""

LEARNING_FRACTION = 0.01
"""A curve whose best improves on its first value by less than this fraction
of the first value's magnitude has not learnt anything."""

# Consistency constant of the median absolute deviation: MAD * 1.4826 estimates
# the standard deviation of normally distributed data.
_MAD_TO_SIGMA = 1.4826


# --------------------------------------------------------------------------
# Direction of a metric
# --------------------------------------------------------------------------

# Names of quantities that are maximised. Matched as "words": not preceded or
# followed by a letter, so digits and separators may touch them ("top5",
# "map50", "val_acc", "mAP@0.5") but "accumulated" or "mapping" do not match.
_MAXIMISED = re.compile(
    r"(?<![a-z])(?:"
    r"acc|accuracy|auc|auroc|auprc|ap|map|precision|recall|sensitivity|specificity"
    r"|f\d|fbeta|f_beta|iou|io_u|jaccard|dice|r2|top_?k|top_?\d+|psnr|ssim"
    r"|bleu|rouge\w*|ndcg|mrr|hits|kappa|similarity|correlation|true_positives|true_negatives"
    r")(?![a-z])"
)
# Words that make a name minimised even when it also contains a maximised word
# ("top5_error", "recall_loss"); "loss" wins wherever it appears.
_MINIMISED = re.compile(r"loss|(?<![a-z])(?:error|err|wer|cer)(?![a-z])")
# camelCase boundary: "valAcc" -> "val_Acc", "MeanIoU" -> "Mean_Io_U".
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def metric_mode(name: str) -> str:
    """Whether a metric is minimised (``"min"``) or maximised (``"max"``), from its name.

    The name is lower-cased and read twice: as is ("mAP" -> "map") and with
    camelCase split into words ("valAcc" -> "val_acc", "MeanIoU" ->
    "mean_io_u"). It is ``"min"`` if either reading contains "loss" anywhere
    or the word error/err/wer/cer; else ``"max"`` if either reading contains
    a word naming a score (accuracy, acc, auc, precision, recall, f1, fbeta,
    iou, mAP, r2, top-k, dice, psnr, ssim, ...); else ``"min"`` — the
    default Keras uses for a monitor it does not recognise as a score, and
    right for mae, mse, rmse, mape, perplexity, ce, nll and friends.

    >>> metric_mode("sparse_categorical_accuracy"), metric_mode("val_loss"), metric_mode("mAP")
    ('max', 'min', 'max')
    """
    readings = (name.lower(), _CAMEL_BOUNDARY.sub("_", name).lower())
    if any(_MINIMISED.search(reading) for reading in readings):
        return "min"
    if any(_MAXIMISED.search(reading) for reading in readings):
        return "max"
    return "min"


# --------------------------------------------------------------------------
# Smoothing
# --------------------------------------------------------------------------


def smooth_ema(values: ArrayLike, weight: float) -> np.ndarray:
    """TensorBoard's scalar-chart smoothing: a debiased exponential moving average.

    With ``w = weight`` and the finite values ``x_1, x_2, ...`` in order::

        m_0 = 0,    m_k = w * m_{k-1} + (1 - w) * x_k,    s_k = m_k / (1 - w**k)

    so ``s_k`` is the average of ``x_1..x_k`` with weights proportional to
    ``w**(k - j)``. Non-finite values are passed through unchanged and do
    not update the average. As in TensorBoard, a series whose values are all
    equal is returned unchanged (the division above could otherwise move it
    by a rounding error), and ``weight == 0`` returns a copy.

    Parameters
    ----------
    values : array_like of float, shape (n,)
    weight : float in [0, 1)
        TensorBoard's "Smoothing" slider.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight!r}")
    values = np.asarray(values, dtype=np.float64)
    smoothed = values.copy()
    if weight == 0.0 or np.all(values == values[:1]):
        return smoothed
    # A recurrence over at most a few thousand points: a plain loop is the
    # clearest statement of it and fast enough.
    average = 0.0
    for count, index in enumerate(np.flatnonzero(np.isfinite(values)), start=1):
        average = weight * average + (1.0 - weight) * values[index]
        smoothed[index] = average / (1.0 - weight**count)
    return smoothed


# --------------------------------------------------------------------------
# Keras callback replays
# --------------------------------------------------------------------------


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")


def is_improvement(
    current: float, reference: Optional[float], mode: str, min_delta: float = 0.0
) -> bool:
    """Whether `current` improves on `reference`, exactly as Keras' callbacks decide.

    Keras' ``MonitorCallback._is_improvement``::

        reference is None                                  -> True
        mode "min":  float32(current + |min_delta|) < float32(reference)
        mode "max":  float32(current - |min_delta|) > float32(reference)

    The comparison is in float32 because Keras hands the Python floats to
    ``keras.ops.less`` / ``greater``, which convert them to tensors of the
    default float type (float32). Consequences worth knowing: equal values
    (ties) never improve; NaN never improves on a number and nothing
    improves on NaN.
    """
    _check_mode(mode)
    if reference is None:
        return True
    margin = abs(min_delta)
    if mode == "min":
        return bool(np.float32(current + margin) < np.float32(reference))
    return bool(np.float32(current - margin) > np.float32(reference))


def _keras_improvements(values: ArrayLike, mode: str, min_delta: float) -> np.ndarray:
    """Boolean mask: ``improved[i] = is_improvement(values[i], best_before_i)``.

    ``best_before_i`` is the running best of a Keras monitor callback: None
    before the first value, then the latest value that improved. Both
    ModelCheckpoint(save_best_only=True) and EarlyStopping (baseline None)
    keep exactly this running best, so both are functions of this mask.
    """
    _check_mode(mode)
    values = np.asarray(values, dtype=np.float64)
    improved = np.zeros(len(values), dtype=bool)
    best = None
    for index, value in enumerate(values.tolist()):
        if is_improvement(value, best, mode, min_delta):
            improved[index] = True
            best = value
    return improved


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
    return np.flatnonzero(_keras_improvements(values, mode, min_delta))


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


def early_stopping(
    values: ArrayLike, mode: str, patience: int = 5, min_delta: float = 0.0
) -> EarlyStoppingOutcome:
    """Replays ``EarlyStopping(mode, patience, min_delta, restore_best_weights=True)``.

    With ``improved`` the mask of Keras improvements (see `is_improvement`;
    position 0 always improves) and ``k(i)`` the last improving position
    ``<= i``, Keras' ``wait`` counter after epoch ``i`` is ``i - k(i)``, so::

        stop_index    = min{ i > 0 : not improved[i] and i - k(i) >= patience }
        restore_index = k(stop_index), or k(n - 1) if it never stops

    (baseline None, start_from_epoch 0).
    """
    if patience < 0:
        raise ValueError(f"patience must be >= 0, got {patience!r}")
    improved = _keras_improvements(values, mode, min_delta)
    if improved.size == 0:
        return EarlyStoppingOutcome(stop_index=None, restore_index=None)
    positions = np.arange(improved.size)
    last_improvement = np.maximum.accumulate(np.where(improved, positions, 0))
    stops = np.flatnonzero(~improved & (positions - last_improvement >= patience) & (positions > 0))
    if stops.size == 0:
        return EarlyStoppingOutcome(stop_index=None, restore_index=int(last_improvement[-1]))
    stop = int(stops[0])
    return EarlyStoppingOutcome(stop_index=stop, restore_index=int(last_improvement[stop]))


def learning_rate_drops(lr_values: ArrayLike, rtol: float = 1e-6) -> np.ndarray:
    """Positions where the learning rate was cut (ReduceLROnPlateau, step schedules).

    ``{ i > 0 : lr[i] < lr[i-1] * (1 - rtol) }``; `rtol` ignores float32
    round-off in logged rates. NaN never counts as a drop.

    Returns
    -------
    numpy.ndarray of int64, increasing
    """
    lr = np.asarray(lr_values, dtype=np.float64)
    return np.flatnonzero(lr[1:] < lr[:-1] * (1.0 - rtol)) + 1


# --------------------------------------------------------------------------
# Descriptive statistics of one curve
# --------------------------------------------------------------------------


def _best_index(values: np.ndarray, mode: str) -> Optional[int]:
    """Position of the best finite value (the earliest on ties); None if there is none."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    masked = np.where(finite, values, np.inf if mode == "min" else -np.inf)
    return int(np.argmin(masked) if mode == "min" else np.argmax(masked))


def _worsening(values: np.ndarray, reference: float, mode: str) -> np.ndarray:
    """How much worse than `reference` each value is: ``v - ref`` (min), ``ref - v`` (max)."""
    return values - reference if mode == "min" else reference - values


def _noise_level(values: np.ndarray) -> float:
    """Robust per-point noise of a curve from its first differences ``d``.

    ``sigma = 1.4826 * median(|d - median(d)|) / sqrt(2)``: subtracting the
    median difference removes a steady trend, the scaled MAD estimates the
    standard deviation of the differences robustly, and differencing two
    independent noisy points doubles the variance, hence the ``sqrt(2)``.
    """
    differences = np.diff(values)
    if differences.size == 0:
        return 0.0
    deviation = np.median(np.abs(differences - np.median(differences)))
    return float(_MAD_TO_SIGMA * deviation / math.sqrt(2.0))


def _onset_tolerance(values: np.ndarray, min_delta: float, tolerance: float) -> float:
    """``max(|min_delta|, tolerance * (max(v) - min(v)))`` over the finite values."""
    finite = values[np.isfinite(values)]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    return max(abs(min_delta), tolerance * spread)


def _net_gain(values: np.ndarray, mode: str) -> Optional[tuple]:
    """``(first, best, gain)`` over the finite values, ``gain`` = how much best beats first."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    first = float(finite[0])
    best = float(finite.min() if mode == "min" else finite.max())
    return first, best, -float(_worsening(np.float64(best), first, mode))


def _barely_learnt(values: np.ndarray, mode: str) -> bool:
    """``gain <= 0 or gain < 0.01 * |first|`` with `_net_gain`'s first value and gain."""
    first, _, gain = _net_gain(values, mode)
    return gain <= 0.0 or gain < LEARNING_FRACTION * abs(first)


def _value_at_or_before(steps: np.ndarray, values: np.ndarray, query_steps: np.ndarray) -> np.ndarray:
    """``values`` at the latest step ``<= q`` for each query step ``q``; NaN where there is none.

    This is how a training value is read "at" a validation step when the two
    are logged at different steps (Keras ``validation_freq > 1``).
    """
    positions = np.searchsorted(steps, query_steps, side="right") - 1
    return np.where(positions >= 0, values[np.maximum(positions, 0)], np.nan)


# --------------------------------------------------------------------------
# Overfitting
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Onset:
    index: int  # first position of the lasting worsening
    reference_index: int  # position of the best it is measured against


def _overfitting_onset(
    validation: np.ndarray,
    train: Optional[np.ndarray],
    mode: str,
    min_delta: float,
    tolerance: float,
) -> Optional[_Onset]:
    """Where validation starts to get lastingly and significantly worse than its best.

    On the finite validation values ``v_0..v_{n-1}`` (the caller passes the
    smoothed curve when smoothing), with ``b`` the best position (earliest on
    ties), ``worse(i) = v_i - v_b`` (min) or ``v_b - v_i`` (max), and
    ``tol = tolerance`` (absolute)::

        J     = max{ j >= b : worse(j) <= tol }
        onset = J + 1,  provided J < n - 1

    i.e. from the onset on, every point is worse than the best by more than
    ``tol`` — a spike that comes back within ``tol`` (or to a new best) is
    never an onset. Two more conditions:

    * significance: ``mean(worse(onset..n-1)) > sigma``, the curve's noise
      level from `_noise_level`; otherwise the "worsening" is noise and
      the run is a plateau;
    * training kept improving after the best:
      ``is_improvement(train[n-1], train[b], mode, min_delta)``, with `train`
      aligned to the validation positions; when the training value at either
      position is unknown (no training series, or not finite) validation
      alone decides.

    Returns None when there is no onset.
    """
    finite_positions = np.flatnonzero(np.isfinite(validation))
    values = validation[finite_positions]
    best = _best_index(values, mode)
    if best is None:
        return None
    worse = _worsening(values, values[best], mode)
    last_within = best + int(np.flatnonzero(worse[best:] <= tolerance)[-1])
    onset = last_within + 1
    if onset >= values.size:
        return None
    if not np.mean(worse[onset:]) > _noise_level(values):
        return None
    best_position, last_position = finite_positions[best], finite_positions[-1]
    if train is not None:
        train_at_best, train_at_end = train[best_position], train[last_position]
        if np.isfinite(train_at_best) and np.isfinite(train_at_end):
            if not is_improvement(train_at_end, train_at_best, mode, min_delta):
                return None
    return _Onset(index=int(finite_positions[onset]), reference_index=int(best_position))


def _generalization_loss(validation: np.ndarray, mode: str) -> Optional[np.ndarray]:
    """Prechelt's (1998) generalization loss in percent, for positive loss-like curves.

    ``GL(t) = 100 * (E_va(t) / E_opt(t) - 1)`` with ``E_opt(t) = min_{t' <= t} E_va(t')``
    (non-finite values skipped in the running minimum; GL is NaN where
    ``E_va(t)`` is). Defined only for mode "min" and when every finite value
    is positive; None otherwise.
    """
    finite = validation[np.isfinite(validation)]
    if mode != "min" or finite.size == 0 or finite.min() <= 0:
        return None
    running_best = np.fmin.accumulate(validation)
    with np.errstate(invalid="ignore"):
        return 100.0 * (validation / running_best - 1.0)


# --------------------------------------------------------------------------
# Divergence
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Divergence:
    step: int
    cause: str  # completes "<series> <name> ..." in the explanation


def _first_nonfinite(curve: "_Curve", label: str) -> Optional[_Divergence]:
    bad = np.flatnonzero(~np.isfinite(curve.values))
    if bad.size == 0:
        return None
    return _Divergence(int(curve.steps[bad[0]]), f"{label} became {_fmt(curve.values[bad[0]])}")


def _first_explosion(curve: "_Curve", label: str) -> Optional[_Divergence]:
    """First value above ``10 * |first finite value|`` (only when that first value is non-zero)."""
    finite = curve.values[np.isfinite(curve.values)]
    if finite.size == 0 or finite[0] == 0:
        return None
    limit = EXPLOSION_FACTOR * abs(finite[0])
    exploded = np.flatnonzero(curve.values > limit)
    if exploded.size == 0:
        return None
    value = curve.values[exploded[0]]
    return _Divergence(
        int(curve.steps[exploded[0]]),
        f"{label} reached {_fmt(value)}, more than {EXPLOSION_FACTOR:g}x its first value {_fmt(finite[0])}",
    )


# --------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Curve:
    steps: np.ndarray  # int64, increasing
    values: np.ndarray  # float64


def _curve(steps: Optional[ArrayLike], values: Optional[ArrayLike], what: str) -> Optional[_Curve]:
    """A `_Curve` sorted by step (stably), or None for a missing or empty series."""
    if steps is None or values is None:
        return None
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    if steps.shape != values.shape or steps.ndim != 1:
        raise ValueError(f"{what} steps and values must be 1-d and of equal length")
    if steps.size == 0:
        return None
    order = np.argsort(steps, kind="stable")
    return _Curve(steps[order], values[order])


@dataclasses.dataclass(frozen=True, eq=False)
class CurveAnalysis:
    """The verdict on one metric's curves; see `analyze_metric`.

    Positions (``*_index``) index `steps`, the analysed steps: the
    validation steps, or the training steps when there is no validation.
    """

    status: str
    explanation: str
    steps: np.ndarray
    epoch_based: bool
    best_index: Optional[int]
    best_value: Optional[float]
    best_train_value: Optional[float]
    onset_index: Optional[int]
    onset_value: Optional[float]
    patience: int
    min_delta: float
    early_stop: EarlyStoppingOutcome
    save_best_indices: np.ndarray
    diverged_step: Optional[int]
    tolerance: float
    gap_steps: np.ndarray
    gap_values: np.ndarray
    generalization_loss: Optional[np.ndarray]
    smoothed_validation: Optional[np.ndarray]
    smoothed_train: Optional[np.ndarray]

    @property
    def num_steps(self) -> int:
        return int(self.steps.size)

    def _epoch(self, step: Optional[int]) -> Optional[int]:
        return None if step is None or not self.epoch_based else int(step) + 1

    def _step(self, index: Optional[int]) -> Optional[int]:
        return None if index is None else int(self.steps[index])

    def to_json(self) -> dict:
        """A JSON-safe dict (no NaN/Infinity: non-finite floats become null)."""
        best = onset = None
        if self.best_index is not None:
            step = self._step(self.best_index)
            best = {
                "step": step,
                "epoch": self._epoch(step),
                "value": finite_or_none(self.best_value),
                "train_value": finite_or_none(self.best_train_value),
            }
        if self.onset_index is not None:
            step = self._step(self.onset_index)
            onset = {"step": step, "epoch": self._epoch(step), "value": finite_or_none(self.onset_value)}
        stop_step = self._step(self.early_stop.stop_index)
        restore_step = self._step(self.early_stop.restore_index)
        epochs_saved = 0 if stop_step is None else self.num_steps - 1 - self.early_stop.stop_index
        return {
            "status": self.status,
            "explanation": self.explanation,
            "best": best,
            "onset": onset,
            "early_stop": {
                "patience": int(self.patience),
                "min_delta": float(self.min_delta),
                "stop_step": stop_step,
                "stop_epoch": self._epoch(stop_step),
                "restore_step": restore_step,
                "restore_epoch": self._epoch(restore_step),
                "epochs_saved": int(epochs_saved),
                "share_saved": epochs_saved / self.num_steps if self.num_steps else 0.0,
            },
            "save_best_steps": int_list(self.steps[self.save_best_indices]),
            "diverged_step": self.diverged_step,
            "num_steps": self.num_steps,
            "last_step": self._step(self.num_steps - 1) if self.num_steps else None,
            "tolerance": finite_or_none(self.tolerance),
            "gap": {"steps": int_list(self.gap_steps), "values": float_list(self.gap_values)},
            "generalization_loss": None
            if self.generalization_loss is None
            else {"steps": int_list(self.steps), "values": float_list(self.generalization_loss)},
            "smoothed_validation": _optional_float_list(self.smoothed_validation),
            "smoothed_train": _optional_float_list(self.smoothed_train),
        }


def _optional_float_list(values: Optional[np.ndarray]) -> Optional[list]:
    return None if values is None else float_list(values)


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
    name: str = "metric",
) -> CurveAnalysis:
    """Analyses one metric's training and validation curves.

    Parameters
    ----------
    train_steps, train_values, val_steps, val_values : array_like or None
        The two series; either may be None (or empty) when it was not
        logged. Their steps may differ (Keras ``validation_freq=2``): the
        analysis runs on the validation steps, and the training value "at" a
        validation step is the one at the latest training step at or before
        it (`_value_at_or_before`).
    mode : {"min", "max"}
        Direction of the metric (see `metric_mode`).
    patience, min_delta : int, float
        The EarlyStopping settings to replay and judge against; `min_delta`
        also applies to ModelCheckpoint's what-if and to the overfitting
        tolerance.
    smoothing : float in [0, 1)
        TensorBoard smoothing weight (`smooth_ema`) applied to both curves
        before the overfitting onset is sought; 0 uses the raw curves.
    tolerance : float >= 0
        Onset tolerance relative to the validation range:
        ``tol = max(|min_delta|, tolerance * (max(v) - min(v)))``.
    epoch_based : bool
        Whether step ``s`` is epoch ``s + 1`` (Keras' epoch logging);
        explanations then say "epoch N", else "step S".
    name : str
        The metric's display name in the explanation (e.g. "loss").

    Notes
    -----
    *Best* is the best finite raw validation value, the earliest on ties.
    The *overfitting onset* is defined in `_overfitting_onset`. The status is
    the first that applies of:

    ``too_short``
        fewer than 3 finite validation points (training points when there is
        no validation);
    ``diverged``
        a non-finite training or validation value, or (mode "min") a
        training value above 10x the first (`diverged_step`: the first such
        step);
    ``no_validation``
        no validation series; best, early stopping and checkpoints then
        describe the training curve;
    ``overfitting``
        an onset was found;
    ``not_learning``
        neither the training nor the validation curve's best beats its first
        value by 1% of the first value's magnitude (validation alone when
        there is no training series);
    ``improving``
        the best is among the last ``max(1, patience)`` points:
        ``n - 1 - best_index < max(1, patience)``;
    ``plateau``
        otherwise — no improvement for ``patience`` points, and no
        significant worsening either.

    The *generalization gap* on the steps both series share is
    ``val - train`` (min) or ``train - val`` (max), positive when validation
    is worse.
    """
    _check_mode(mode)
    if patience < 0:
        raise ValueError(f"patience must be >= 0, got {patience!r}")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    train = _curve(train_steps, train_values, "train")
    validation = _curve(val_steps, val_values, "validation")
    primary = validation if validation is not None else train
    if primary is None:
        primary = _Curve(np.zeros(0, dtype=np.int64), np.zeros(0))

    smoothed_train = None if train is None or smoothing == 0 else smooth_ema(train.values, smoothing)
    smoothed_validation = None if validation is None or smoothing == 0 else smooth_ema(validation.values, smoothing)

    best_index = _best_index(primary.values, mode)
    best_train_value = None
    onset = None
    gap_steps, gap_values = np.zeros(0, dtype=np.int64), np.zeros(0)
    tol = _onset_tolerance(
        primary.values if smoothed_validation is None else smoothed_validation, min_delta, tolerance
    )
    if validation is not None:
        onset_curve = validation.values if smoothed_validation is None else smoothed_validation
        train_at_validation = None
        if train is not None:
            train_curve = train.values if smoothed_train is None else smoothed_train
            train_at_validation = _value_at_or_before(train.steps, train_curve, validation.steps)
            if best_index is not None:
                best_train_value = float(
                    _value_at_or_before(train.steps, train.values, validation.steps[best_index : best_index + 1])[0]
                )
            gap_steps, gap_values = _generalization_gap(train, validation, mode)
        onset = _overfitting_onset(onset_curve, train_at_validation, mode, min_delta, tol)

    divergence = _divergence(train, validation, mode, name)
    analysis = dict(
        steps=primary.steps,
        epoch_based=epoch_based,
        best_index=best_index,
        best_value=None if best_index is None else float(primary.values[best_index]),
        best_train_value=best_train_value,
        onset_index=None if onset is None else onset.index,
        onset_value=None if onset is None else float(primary.values[onset.index]),
        patience=int(patience),
        min_delta=abs(float(min_delta)),
        early_stop=early_stopping(primary.values, mode, patience, min_delta),
        save_best_indices=save_best_only_indices(primary.values, mode, min_delta),
        diverged_step=None if divergence is None else divergence.step,
        tolerance=float(tol),
        gap_steps=gap_steps,
        gap_values=gap_values,
        generalization_loss=None if validation is None else _generalization_loss(validation.values, mode),
        smoothed_validation=smoothed_validation,
        smoothed_train=smoothed_train,
    )
    context = _Context(
        name=name,
        mode=mode,
        epoch_based=epoch_based,
        patience=patience,
        train=train,
        validation=validation,
        primary=primary,
        best_index=best_index,
        onset=onset,
        onset_curve=None if validation is None else (validation.values if smoothed_validation is None else smoothed_validation),
        train_at_validation=None,
        tolerance=tol,
        divergence=divergence,
    )
    status = _status(context)
    return CurveAnalysis(status=status, explanation=_EXPLAIN[status](context), **analysis)
