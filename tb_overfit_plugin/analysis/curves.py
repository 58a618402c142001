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
from typing import Callable, Optional, Sequence, Union

import numpy as np

from tb_overfit_plugin.analysis import epochs
from tb_overfit_plugin.jsonable import finite_or_none, float_list, int_list

ArrayLike = Union[np.ndarray, Sequence[float]]
EpochOf = Callable[[int], int]  # step -> 1-based epoch (see `epochs`)

MODES = ("min", "max")

STATUSES = (
    "too_short",
    "diverged",
    "no_validation",
    "overfitting",
    "worsening",
    "not_learning",
    "improving",
    "plateau",
)

MIN_POINTS = 3
"""Fewer finite points than this and the curve is `too_short` to judge."""

MIN_LASTING_POINTS = 2
"""An onset needs at least this many points of lasting worsening: one bad
last epoch may still recover, so it is not yet overfitting."""

NOISE_TOLERANCE = 3.0
"""The onset tolerance is at most this many noise levels (sigma)."""

EXPLOSION_FACTOR = 10.0
"""A loss-like training value above this multiple of its first value has exploded."""

LEARNING_FRACTION = 0.01
"""A curve whose best improves on its first value by less than this fraction
of the first value's magnitude has not learnt anything."""

MATERIAL_FRACTION = 0.005
"""A worsening counts towards an onset only when it exceeds this fraction of
the metric's own level, the magnitude of its best value (`_onset_tolerance`):
so a curve flat at chance (accuracy 0.24, a one-sample change in 12,000 is
8e-5, the floor 0.0012) never overfits on its tiny range, a loss near 0 is
still judged relative to itself (0.001 -> 0.002 is material), and an accuracy
near 1 needs to fall by half a point."""

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
    r"|mar|miou|\w*bleu|chrf\w*|meteor|exact_match|em|mcc|spearman\w*|pearson\w*|fitness"
    r"|hit_rate|hit_ratio|reward|success_rate"
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
    iou, mIoU, mAP, mAR, r2, top-k, dice, psnr, ssim, BLEU, exact_match,
    Spearman/Pearson correlation, YOLO's fitness, reward, ...); else ``"min"`` — the
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


def _check_smoothing(weight: float) -> None:
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight!r}")


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
    _check_smoothing(weight)
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
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf (Keras would raise)
        if mode == "min":
            return bool(np.float32(current + margin) < np.float32(reference))
        return bool(np.float32(current - margin) > np.float32(reference))


def _keras_improvements(values: ArrayLike, mode: str, min_delta: float) -> np.ndarray:
    """Boolean mask: ``improved[i] = is_improvement(values[i], best_before_i)``.

    ``best_before_i`` is the running best of a Keras monitor callback: None
    before the first value, then the latest value that improved. Both
    ModelCheckpoint(save_best_only=True) and EarlyStopping (baseline None)
    keep exactly this running best, so both are functions of this mask.

    The float32 casts of `is_improvement` are done once for the whole
    series (``float32(v + |min_delta|)`` or ``float32(v - |min_delta|)``, and
    ``float32(v)`` for the best); comparing those as Python floats is exact,
    so the loop only compares numbers.
    """
    _check_mode(mode)
    values = np.asarray(values, dtype=np.float64)
    margin = abs(min_delta)
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, as in `is_improvement`
        shifted = (values + margin if mode == "min" else values - margin).astype(np.float32).tolist()
        as_best = values.astype(np.float32).tolist()
    improved = np.zeros(len(values), dtype=bool)
    best = None
    for index, current in enumerate(shifted):
        if best is None or (current < best if mode == "min" else current > best):
            improved[index] = True
            best = as_best[index]
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


@dataclasses.dataclass(frozen=True)
class _Curve:
    """One series, sorted by step."""

    steps: np.ndarray  # int64, non-decreasing
    values: np.ndarray  # float64, may hold NaN / +-Inf

    def finite_values(self) -> np.ndarray:
        return self.values[np.isfinite(self.values)]


_NO_CURVE = _Curve(np.zeros(0, dtype=np.int64), np.zeros(0))


def _read_curve(steps: Optional[ArrayLike], values: Optional[ArrayLike], which: str) -> Optional[_Curve]:
    """A `_Curve` sorted stably by step, or None for a missing (None or empty) series."""
    if steps is None or values is None:
        return None
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    if steps.ndim != 1 or steps.shape != values.shape:
        raise ValueError(f"{which} steps and values must be 1-d arrays of equal length")
    if steps.size == 0:
        return None
    order = np.argsort(steps, kind="stable")
    return _Curve(steps[order], values[order])


def best_index(values: np.ndarray, mode: str) -> Optional[int]:
    """Position of the best finite value, the earliest on ties; None if no value is finite."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    if mode == "min":
        return int(np.argmin(np.where(finite, values, np.inf)))
    return int(np.argmax(np.where(finite, values, -np.inf)))


def _worsening(values, reference, mode: str):
    """How much worse than `reference` `values` are: ``v - ref`` (min) or ``ref - v`` (max)."""
    return values - reference if mode == "min" else reference - values


def _noise_level(values: np.ndarray) -> float:
    """Robust per-point noise level of a curve from its first differences ``d``.

    ``sigma = 1.4826 * median(|d - median(d)|) / sqrt(2)``: subtracting the
    median difference removes a steady trend, 1.4826 * MAD estimates a
    standard deviation robustly (exact for normal noise), and a difference
    of two independent noisy points has twice the variance of one point.
    """
    differences = np.diff(values)
    if differences.size == 0:
        return 0.0
    mad = np.median(np.abs(differences - np.median(differences)))
    return float(_MAD_TO_SIGMA * mad / math.sqrt(2.0))


def _onset_tolerance(values: np.ndarray, mode: str, noise: float, min_delta: float, tolerance: float) -> float:
    """The absolute onset tolerance over the finite values ``v``::

        R   = tolerance * (max(v) - min(v))
        M   = MATERIAL_FRACTION * |best(v)|         (best: min(v) or max(v) by mode)
        tol = max(|min_delta|, clip(3 * sigma, R / 5, R), M)

    ``R`` keeps the tolerance meaningful on short, coarse curves; the noise
    term (``sigma = noise``, the raw curve's `_noise_level`) tightens it on
    clean curves, so the onset of a smooth rise is found where the rise
    starts, but never below a fifth of ``R``, so a negligible drift of a
    noiseless curve is not one. ``M`` makes the worsening material on the
    metric's own scale, not only relative to the curve's range: a curve that
    barely moves (flat at chance level) has a tiny range, and a change of one
    sample must not look like overfitting.
    """
    finite = values[np.isfinite(values)]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    level = float(abs(finite.min() if mode == "min" else finite.max())) if finite.size else 0.0
    by_range = tolerance * spread
    by_noise = NOISE_TOLERANCE * noise
    return max(abs(min_delta), min(max(by_noise, by_range / 5.0), by_range), MATERIAL_FRACTION * level)


def _net_gain(curve: _Curve, mode: str) -> tuple:
    """``(first, best, gain)`` of the finite values; ``gain = -worsening(best, first)`` >= 0."""
    finite = curve.finite_values()
    first = float(finite[0])
    best = float(finite.min() if mode == "min" else finite.max())
    return first, best, -float(_worsening(best, first, mode))


def _barely_learnt(curve: _Curve, mode: str) -> bool:
    """``gain < 0.01 * |first|`` (or no gain at all), with `_net_gain`'s first and gain."""
    first, _, gain = _net_gain(curve, mode)
    return gain <= 0.0 or gain < LEARNING_FRACTION * abs(first)


def _value_at_or_before(curve: _Curve, values: np.ndarray, query_steps: np.ndarray) -> np.ndarray:
    """``values`` (aligned with ``curve.steps``) at the latest step ``<= q`` for each query ``q``.

    NaN where the curve has no step ``<= q``. This is how a training value is
    read "at" a validation step when the two are logged at different steps
    (Keras ``validation_freq > 1``).
    """
    positions = np.searchsorted(curve.steps, query_steps, side="right") - 1
    return np.where(positions >= 0, values[np.maximum(positions, 0)], np.nan)


def _generalization_gap(train: _Curve, validation: _Curve, mode: str) -> tuple:
    """``(steps, gap)`` on the steps both curves share: ``val - train`` (min), ``train - val`` (max)."""
    steps, in_validation, in_train = np.intersect1d(validation.steps, train.steps, return_indices=True)
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, reported as null
        return steps, _worsening(validation.values[in_validation], train.values[in_train], mode)


def _generalization_loss(validation: np.ndarray, mode: str) -> Optional[np.ndarray]:
    """Prechelt's (1998) generalization loss, in percent.

    ``GL(t) = 100 * (E_va(t) / E_opt(t) - 1)``, ``E_opt(t) = min_{t' <= t} E_va(t')``
    (non-finite values are skipped by the running minimum, and give NaN).
    Defined for mode "min" when every finite value is positive; None otherwise.
    """
    finite = validation[np.isfinite(validation)]
    if mode != "min" or finite.size == 0 or finite.min() <= 0:
        return None
    lowest_so_far = np.fmin.accumulate(validation)
    with np.errstate(invalid="ignore"):
        return 100.0 * (validation / lowest_so_far - 1.0)


# --------------------------------------------------------------------------
# Overfitting onset and divergence
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Onset:
    """Positions in the validation series."""

    index: int  # first point of the lasting worsening
    best_index: int  # the best it is measured against
    end_index: int  # last finite point


def _overfitting_onset(
    validation: np.ndarray,
    train: Optional[np.ndarray],
    mode: str,
    min_delta: float,
    tol: float,
    noise: float,
) -> Optional[_Onset]:
    """Where validation starts to stay significantly worse than its best.

    On the finite validation values ``v_0..v_{n-1}`` (smoothed, when the
    caller smooths), with ``b`` the best position (earliest on ties),
    ``worse(i) = v_i - v_b`` (min) or ``v_b - v_i`` (max) and ``tol`` the
    absolute tolerance (`_onset_tolerance`)::

        J     = max{ j >= b : worse(j) <= tol }
        onset = J + 1,   provided J < n - 2 (at least 2 worse points)

    so every point from the onset to the end is worse than the best by more
    than ``tol``; a spike that comes back within ``tol`` (or to a new best)
    is never an onset. It must also be

    * significant: ``mean(worse(onset), ..., worse(n-1)) > sigma = noise``,
      the noise level of the raw validation curve (`_noise_level`);
      otherwise it is noise around a plateau;
    * accompanied by training still improving after the best:
      ``is_improvement(train[n-1], train[b], mode, min_delta)`` with `train`
      aligned to the validation positions. When either training value is
      unknown (no training series, or not finite) validation alone decides.

    Returns None when there is no onset.

    Note that ``v_b`` is the lowest of noisy readings, so on a raw plateau
    the tail sits about two sigma above it and can pass both tests (measured
    on 300 noisy plateaus with noise 4% of their level: 8% raw, fewer with
    smoothing 0.6: 0.3%); smoothing removes most such false onsets.
    """
    positions = np.flatnonzero(np.isfinite(validation))
    values = validation[positions]
    best = best_index(values, mode)
    if best is None:
        return None
    worse = _worsening(values, values[best], mode)
    onset = best + int(np.flatnonzero(worse[best:] <= tol)[-1]) + 1
    if values.size - onset < MIN_LASTING_POINTS or not np.mean(worse[onset:]) > noise:
        return None
    found = _Onset(index=int(positions[onset]), best_index=int(positions[best]), end_index=int(positions[-1]))
    if train is not None:
        at_best, at_end = train[found.best_index], train[found.end_index]
        if np.isfinite(at_best) and np.isfinite(at_end) and not is_improvement(at_end, at_best, mode, min_delta):
            return None
    return found


@dataclasses.dataclass(frozen=True)
class _Divergence:
    step: int
    cause: str  # e.g. "validation loss became NaN"


def _first_nonfinite(curve: _Curve, label: str) -> Optional[_Divergence]:
    bad = np.flatnonzero(~np.isfinite(curve.values))
    if bad.size == 0:
        return None
    return _Divergence(int(curve.steps[bad[0]]), f"{label} became {_fmt(curve.values[bad[0]])}")


def _first_explosion(curve: _Curve, label: str) -> Optional[_Divergence]:
    """First value ``> 10 * |first finite value|`` (a first value of 0 gives no limit)."""
    finite = curve.finite_values()
    if finite.size == 0 or finite[0] == 0:
        return None
    exploded = np.flatnonzero(curve.values > EXPLOSION_FACTOR * abs(finite[0]))
    if exploded.size == 0:
        return None
    return _Divergence(
        int(curve.steps[exploded[0]]),
        f"{label} reached {_fmt(curve.values[exploded[0]])}, "
        f"more than {EXPLOSION_FACTOR:g}x its first value {_fmt(finite[0])}",
    )


def _divergence(
    train: Optional[_Curve], validation: Optional[_Curve], mode: str, name: str
) -> Optional[_Divergence]:
    """The earliest sign of divergence: a non-finite value in either curve, or
    (mode "min") an exploding training value; None if there is none."""
    signs = []
    if validation is not None:
        signs.append(_first_nonfinite(validation, f"validation {name}"))
    if train is not None:
        signs.append(_first_nonfinite(train, f"training {name}"))
        if mode == "min":
            signs.append(_first_explosion(train, f"training {name}"))
    signs = [sign for sign in signs if sign is not None]
    return min(signs, key=lambda sign: sign.step) if signs else None


# --------------------------------------------------------------------------
# Status and explanation
# --------------------------------------------------------------------------


def _fmt(value) -> str:
    """A number to 4 significant digits ("NaN", "Infinity", "-Infinity" as in JSON markers)."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:.4g}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclasses.dataclass(frozen=True)
class _Evidence:
    """Everything the status and its explanation are decided from."""

    name: str
    mode: str
    patience: int
    smoothing: float
    epoch_based: bool
    epoch_of: Optional[EpochOf]
    train: Optional[_Curve]
    validation: Optional[_Curve]
    primary: _Curve  # validation, else train, else empty
    best_index: Optional[int]  # on primary, raw
    judged_validation: Optional[np.ndarray]  # the validation curve the onset is sought on
    judged_train: Optional[np.ndarray]  # the training curve aligned to validation steps
    tolerance: float
    onset: Optional[_Onset]
    divergence: Optional[_Divergence]

    def where(self, step: int) -> str:
        """"epoch 8" (Keras), "epoch 2, step 1500" (an epoch series), else "step 70"."""
        if self.epoch_of is None:
            return f"step {int(step)}"
        epoch = f"epoch {self.epoch_of(int(step))}"
        return epoch if self.epoch_based else f"{epoch}, step {int(step)}"

    def label(self) -> str:
        return f"{'validation' if self.validation is not None else 'training'} {self.name}"

    def points_since_best(self) -> int:
        return self.primary.values.size - 1 - self.best_index

    def best_point(self) -> str:
        """E.g. "0.3121 at epoch 8"."""
        return f"{_fmt(self.primary.values[self.best_index])} at {self.where(self.primary.steps[self.best_index])}"


def _status(evidence: _Evidence) -> str:
    """The first status of `analyze_metric`'s list that applies."""
    if evidence.primary.finite_values().size < MIN_POINTS:
        return "too_short"
    if evidence.divergence is not None:
        return "diverged"
    if evidence.validation is None:
        return "no_validation"
    if evidence.onset is not None:
        return "overfitting" if evidence.train is not None else "worsening"
    logged = [curve for curve in (evidence.train, evidence.validation) if curve is not None]
    if all(_barely_learnt(curve, evidence.mode) for curve in logged):
        return "not_learning"
    if evidence.points_since_best() < max(1, evidence.patience):
        return "improving"
    return "plateau"


def _explain_too_short(e: _Evidence) -> str:
    count = e.primary.finite_values().size
    return (
        f"Only {_plural(count, 'finite ' + e.label() + ' value')} so far; "
        f"at least {MIN_POINTS} are needed to judge the curve."
    )


def _explain_diverged(e: _Evidence) -> str:
    return f"Training diverged at {e.where(e.divergence.step)}: {e.divergence.cause}."


def _explain_no_validation(e: _Evidence) -> str:
    return (
        f"No validation {e.name} was logged, so overfitting cannot be judged; "
        f"training {e.name} was best, {e.best_point()}, and ends at {_fmt(e.primary.values[-1])}."
    )


def _worse_since(e: _Evidence) -> str:
    """"validation loss was best at epoch 8 (0.31); since epoch 10 it is worse by more than 0.02 and ends at 0.4"."""
    onset, curve, steps = e.onset, e.judged_validation, e.validation.steps
    smoothed = "smoothed " if e.smoothing > 0 else ""
    return (
        f"{smoothed}validation {e.name} was best at {e.where(steps[onset.best_index])} "
        f"({_fmt(curve[onset.best_index])}); since {e.where(steps[onset.index])} it is worse "
        f"by more than {_fmt(e.tolerance)} and ends at {_fmt(curve[onset.end_index])}"
    )


def _explain_overfitting(e: _Evidence) -> str:
    sentence = _worse_since(e)
    if e.judged_train is not None:
        at_best, at_end = e.judged_train[e.onset.best_index], e.judged_train[e.onset.end_index]
        if np.isfinite(at_best) and np.isfinite(at_end):
            direction = "falling" if e.mode == "min" else "rising"
            sentence += f" while training {e.name} kept {direction} ({_fmt(at_best)} → {_fmt(at_end)})"
    return sentence[0].upper() + sentence[1:] + "."


def _explain_worsening(e: _Evidence) -> str:
    # Overfitting is validation worsening while the fit to the train data improves;
    # without a train curve only the first half is known.
    sentence = (_worse_since(e) + f"; no train {e.name} was logged, so only the worsening is known, "
                f"not whether the train curve kept improving as in overfitting")
    return sentence[0].upper() + sentence[1:] + "."


def _explain_not_learning(e: _Evidence) -> str:
    parts = []
    for label, curve in (("training", e.train), ("validation", e.validation)):
        if curve is not None:
            first, best, _ = _net_gain(curve, e.mode)
            parts.append(f"{label} {e.name} went from {_fmt(first)} to at best {_fmt(best)}")
    return (
        f"The model is not learning: {' and '.join(parts)}, less than "
        f"{LEARNING_FRACTION:.0%} of the starting value; check the learning rate, labels and inputs."
    )


def _explain_improving(e: _Evidence) -> str:
    since = e.points_since_best()
    if since == 0:
        return f"Validation {e.name} is still improving: the latest value, {e.best_point()}, is the best so far."
    return (
        f"Validation {e.name} is still improving: its best so far, {e.best_point()}, "
        f"is {_plural(since, 'evaluation')} old, within the patience of {e.patience}."
    )


def _explain_plateau(e: _Evidence) -> str:
    return (
        f"Validation {e.name} has plateaued: no improvement in the {_plural(e.points_since_best(), 'evaluation')} "
        f"since its best, {e.best_point()} (patience {e.patience}), and no significant worsening; "
        f"it ends at {_fmt(e.primary.values[-1])}."
    )


_EXPLAIN = {
    "too_short": _explain_too_short,
    "diverged": _explain_diverged,
    "no_validation": _explain_no_validation,
    "overfitting": _explain_overfitting,
    "worsening": _explain_worsening,
    "not_learning": _explain_not_learning,
    "improving": _explain_improving,
    "plateau": _explain_plateau,
}


# --------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class CurveAnalysis:
    """The verdict on one metric's curves; see `analyze_metric`.

    Every ``*_index`` is a position in `steps`, the analysed steps (the
    validation steps, or the training steps when there is no validation).
    """

    status: str
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
    gap_steps: np.ndarray
    gap_values: np.ndarray
    generalization_loss: Optional[np.ndarray]  # aligned with `steps`
    smoothed_validation: Optional[np.ndarray]
    smoothed_train: Optional[np.ndarray]

    @property
    def num_steps(self) -> int:
        return int(self.steps.size)

    def _step(self, index: Optional[int]) -> Optional[int]:
        return None if index is None else int(self.steps[index])

    def _epoch(self, step: Optional[int]) -> Optional[int]:
        return self.epoch_of(step) if step is not None and self.epoch_of is not None else None

    def _point(self, index: Optional[int], value: Optional[float]) -> Optional[dict]:
        if index is None:
            return None
        step = self._step(index)
        return {"step": step, "epoch": self._epoch(step), "value": finite_or_none(value)}

    def to_json(self, series: bool = True) -> dict:
        """A JSON-safe dict: no NaN or Infinity anywhere (non-finite floats become null).

        `series=False` leaves out the per-step series (gap, generalization
        loss, smoothed curves): the verdict alone, as a leaderboard row needs.
        """
        best = self._point(self.best_index, self.best_value)
        if best is not None:
            best["train_value"] = finite_or_none(self.best_train_value)
        stop_step = self._step(self.early_stop.stop_index)
        restore_step = self._step(self.early_stop.restore_index)
        epochs_saved = 0 if stop_step is None else self.num_steps - 1 - self.early_stop.stop_index
        verdict = {
            "status": self.status,
            "explanation": self.explanation,
            "best": best,
            "onset": self._point(self.onset_index, self.onset_value),
            "early_stop": {
                "patience": self.patience,
                "min_delta": self.min_delta,
                "stop_step": stop_step,
                "stop_epoch": self._epoch(stop_step),
                "restore_step": restore_step,
                "restore_epoch": self._epoch(restore_step),
                "epochs_saved": epochs_saved,
                "share_saved": epochs_saved / self.num_steps if self.num_steps else 0.0,
            },
            "save_best_steps": int_list(self.steps[self.save_best_indices]),
            "diverged_step": self.diverged_step,
            "num_steps": self.num_steps,
            "last_step": self._step(self.num_steps - 1 if self.num_steps else None),
            "tolerance": finite_or_none(self.tolerance),
        }
        if not series:
            return verdict
        return {
            **verdict,
            "gap": {"steps": int_list(self.gap_steps), "values": float_list(self.gap_values)},
            "generalization_loss": None
            if self.generalization_loss is None
            else {"steps": int_list(self.steps), "values": float_list(self.generalization_loss)},
            "smoothed_validation": None if self.smoothed_validation is None else float_list(self.smoothed_validation),
            "smoothed_train": None if self.smoothed_train is None else float_list(self.smoothed_train),
        }


def _smoothed(curve: Optional[_Curve], weight: float) -> Optional[np.ndarray]:
    """``smooth_ema(curve.values, weight)``, or None without a curve or smoothing."""
    return None if curve is None or weight == 0 else smooth_ema(curve.values, weight)


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
        ``tol = max(|min_delta|, clip(3 * sigma, R / 5, R), MATERIAL_FRACTION * |best(v)|)``
        with ``R = tolerance * (max(v) - min(v))`` over the finite (smoothed)
        validation values (`_onset_tolerance`, `MATERIAL_FRACTION`).
    epoch_based : bool
        Whether step ``s`` is Keras epoch ``s + 1``; the explanation then
        says "epoch N", else "step S", and the JSON carries epochs.
    epoch_of : callable or None
        Step -> 1-based epoch when the steps are not Keras epochs but the
        run logged an epoch series (`epochs.EpochSeries`); the JSON then
        carries those epochs and the explanation says "epoch N, step S".
    name : str
        The metric's name as the explanation should say it ("loss").

    Notes
    -----
    *Best* is the best finite raw value, the earliest on ties. The
    *overfitting onset* is defined in `_overfitting_onset`. The status is
    the first that applies of:

    ``too_short``
        fewer than 3 finite validation values (training values when there
        is no validation);
    ``diverged``
        a non-finite training or validation value, or (mode "min") a
        training value above 10x its first value; ``diverged_step`` is the
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
        ``0.01 * |first|``;
    ``improving``
        the best is among the last ``max(1, patience)`` points:
        ``n - 1 - best_index < max(1, patience)``;
    ``plateau``
        otherwise: no improvement for ``patience`` points, and no
        significant worsening.

    The *generalization gap* is taken on the steps both series share:
    ``val - train`` (min) or ``train - val`` (max), positive when
    validation is worse. The *generalization loss* is `_generalization_loss`.
    """
    _check_mode(mode)
    if patience < 0:
        raise ValueError(f"patience must be >= 0, got {patience!r}")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    _check_smoothing(smoothing)
    if epoch_based:
        epoch_of = epochs.keras_epoch
    train = _read_curve(train_steps, train_values, "train")
    validation = _read_curve(val_steps, val_values, "validation")
    primary = validation if validation is not None else train if train is not None else _NO_CURVE

    smoothed_train, smoothed_validation = _smoothed(train, smoothing), _smoothed(validation, smoothing)
    best = best_index(primary.values, mode)
    best_train_value = judged_validation = judged_train = onset = None
    gap_steps, gap_values = _NO_CURVE.steps, _NO_CURVE.values
    if validation is not None and train is not None:
        if best is not None:
            best_train_value = float(_value_at_or_before(train, train.values, validation.steps[[best]])[0])
        # The onset is judged on the curves as the chart shows them: smoothed if asked.
        judged_train = _value_at_or_before(
            train, train.values if smoothed_train is None else smoothed_train, validation.steps
        )
        gap_steps, gap_values = _generalization_gap(train, validation, mode)
    if validation is not None:
        judged_validation = validation.values if smoothed_validation is None else smoothed_validation
    # Noise of the raw measurements: a smoothed curve's differences are
    # correlated and would understate it.
    noise = _noise_level(primary.finite_values())
    tol = _onset_tolerance(primary.values if judged_validation is None else judged_validation, mode, noise, min_delta, tolerance)
    if validation is not None:
        onset = _overfitting_onset(judged_validation, judged_train, mode, min_delta, tol, noise)

    evidence = _Evidence(
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
        judged_validation=judged_validation,
        judged_train=judged_train,
        tolerance=tol,
        onset=onset,
        divergence=_divergence(train, validation, mode, name),
    )
    status = _status(evidence)
    return CurveAnalysis(
        status=status,
        explanation=_EXPLAIN[status](evidence),
        steps=primary.steps,
        epoch_based=epoch_based,
        epoch_of=epoch_of,
        best_index=best,
        best_value=None if best is None else float(primary.values[best]),
        best_train_value=best_train_value,
        onset_index=None if onset is None else onset.index,
        onset_value=None if onset is None else float(primary.values[onset.index]),
        patience=int(patience),
        min_delta=abs(float(min_delta)),
        early_stop=early_stopping(primary.values, mode, patience, min_delta),
        save_best_indices=save_best_only_indices(primary.values, mode, min_delta),
        diverged_step=None if evidence.divergence is None else evidence.divergence.step,
        tolerance=float(tol),
        gap_steps=gap_steps,
        gap_values=gap_values,
        generalization_loss=None if validation is None else _generalization_loss(validation.values, mode),
        smoothed_validation=smoothed_validation,
        smoothed_train=smoothed_train,
    )
