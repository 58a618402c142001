"""Stopping rules compared on one validation curve: when each stops, what it keeps.

Pure numpy. Every rule sees the curve epoch by epoch, as it would during
training, and answers three things: the position it stops at (None: it
never stops, training runs to the end), the position whose weights it keeps,
and what that costs or saves. The rules:

* **Keras patience** (`PATIENCE_RULE`): ``keras.callbacks.EarlyStopping(
  patience=p, restore_best_weights=True)``, replayed exactly by
  `keras_replay.early_stopping`, for the user's patience and `PATIENCES`.
* **Patience on the smoothed curve** (`EMA_RULE`): the same replay on the
  TensorBoard-style EMA of the curve (`smoothing.smooth_ema`, weight
  `EMA_WEIGHT` unless the user smooths). It stops and restores where the
  smoothed curve says; the value kept is the raw one there.
* **Prechelt's criteria** (L. Prechelt, "Early Stopping - but when?", 1998),
  on the validation error ``E_va`` (the metric itself for a `min` metric; ``1 -
  value`` for a `max` metric whose values lie in [0, 1], such as accuracy;
  not applicable to other `max` metrics), with ``E_opt(t) = min_{t' <= t}
  E_va(t')`` and strips of ``k = STRIP_LENGTH`` epochs:

  - ``GL(t) = 100 * (E_va(t) / E_opt(t) - 1)``; ``GL_alpha`` stops after the
    first epoch with ``GL(t) > alpha`` (`GL_ALPHAS`).
  - ``P_k(t) = 1000 * (sum_{t'=t-k+1..t} E_tr(t') / (k * min_{t'=t-k+1..t}
    E_tr(t')) - 1)``, the training progress over the strip ending at ``t``;
    ``PQ_alpha`` stops after the first strip end with ``GL(t) / P_k(t) >
    alpha`` (`PQ_ALPHAS`; needs the training curve; ``P_k = 0`` with ``GL >
    0`` counts as an infinite quotient).
  - ``UP_s`` stops after the strip end ``t`` at which the validation error
    has grown over ``s`` successive strips: ``E_va(t - j k) > E_va(t - (j+1) k)``
    for ``j = 0 .. s-1`` (`UP_STRIPS`). Direction-aware, so any metric.

  Strip ends are the epochs whose 1-based number is a multiple of ``k``.
* **OverfitStopping** (`OVERFIT_RULE`): the rule of the package's own Keras
  callback (`keras_callback.OverfitStopping` with the user's patience,
  min_delta, smoothing and tolerance), replayed by `stop_rule.replay` on each
  prefix of the curve as training would judge it; not replayed on curves longer
  than `MAX_REPLAY_POINTS` (one full analysis per evaluation).
  Prechelt's criteria keep the weights of the best epoch seen up to the stop
  (the whole run if they never stop).

For each rule: ``regret = worse_by(value kept, best value of the whole run)``
(0 when it keeps the best epoch) and ``epochs_saved = n - 1 - stop`` (0 when
it never stops), with n the curve's length.
"""

from __future__ import annotations

import dataclasses
from typing import List, Optional, Sequence, Union

import numpy as np

from tb_overfit_plugin.analysis.direction import best_index
from tb_overfit_plugin.analysis.keras_replay import early_stopping
from tb_overfit_plugin.analysis.smoothing import smooth_ema
from tb_overfit_plugin.analysis.stop_rule import StopRule, replay

PATIENCE_RULE, EMA_RULE, GL_RULE, PQ_RULE, UP_RULE = "patience", "ema_patience", "GL", "PQ", "UP"
OVERFIT_RULE = "overfit_stopping"
RULES = (PATIENCE_RULE, EMA_RULE, GL_RULE, PQ_RULE, UP_RULE, OVERFIT_RULE)
MAX_REPLAY_POINTS = 500
"""`OVERFIT_RULE` runs the whole curve analysis once per evaluation: longer curves are not replayed."""
PATIENCES = (2, 5, 10, 20)
"""Patience values always compared (the user's own is added)."""
EMA_WEIGHT = 0.6
"""Smoothing for the EMA rule when the user asked for none."""
GL_ALPHAS = (1.0, 2.0, 5.0)
PQ_ALPHAS = (0.5, 1.0, 2.0)
UP_STRIPS = (2, 3, 4)
STRIP_LENGTH = 5
"""Prechelt's strip length k (epochs)."""
_GL_SCALE, _PROGRESS_SCALE = 100.0, 1000.0  # Prechelt's percent and per-mille


@dataclasses.dataclass(frozen=True)
class StoppingOutcome:
    """One stopping rule replayed on a curve (positions are indices into the curve).

    `applicable` is False (with `reason`) where the rule cannot judge this
    curve; the other fields are then None / 0.
    """

    rule: str
    parameter: float
    stop_index: Optional[int]
    restore_index: Optional[int]
    restore_value: Optional[float]
    regret: Optional[float]
    epochs_saved: int
    applicable: bool = True
    reason: Optional[str] = None


def _outcome(
    rule: str, parameter: float, values: np.ndarray, mode: str, stop: Optional[int], restore: Optional[int]
) -> StoppingOutcome:
    """Fills the value kept, the regret against the whole run's best and the epochs saved."""
    best = best_index(values, mode)
    value = None if restore is None else float(values[restore])
    regret = None
    if value is not None and best is not None and np.isfinite(value):
        regret = float(value - values[best]) if mode == "min" else float(values[best] - value)
    saved = 0 if stop is None else len(values) - 1 - stop
    return StoppingOutcome(rule, float(parameter), stop, restore, value, regret, saved)


def _not_applicable(rule: str, parameter: float, reason: str) -> StoppingOutcome:
    return StoppingOutcome(rule, float(parameter), None, None, None, None, 0, applicable=False, reason=reason)


def _error_curve(values: np.ndarray, mode: str) -> Optional[np.ndarray]:
    """Prechelt's error E: the values of a `min` metric, 1 - value of a [0, 1] `max` metric, else None."""
    if mode == "min":
        return values
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
        return 1.0 - values
    return None


def generalization_loss(error: np.ndarray) -> np.ndarray:
    """``GL(t) = 100 * (E(t) / E_opt(t) - 1)``, NaN where undefined (E_opt <= 0 or non-finite)."""
    running_best = np.fmin.accumulate(np.where(np.isfinite(error), error, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        gl = _GL_SCALE * (error / running_best - 1.0)
    return np.where(running_best > 0, gl, np.nan)


def training_progress(train_error: np.ndarray, k: int = STRIP_LENGTH) -> np.ndarray:
    """``P_k(t)`` for every t >= k - 1 (NaN before, or where the strip holds a non-positive value)."""
    progress = np.full(len(train_error), np.nan)
    if len(train_error) < k:
        return progress
    strips = np.lib.stride_tricks.sliding_window_view(train_error, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = _PROGRESS_SCALE * (strips.sum(axis=1) / (k * strips.min(axis=1)) - 1.0)
    progress[k - 1 :] = np.where(strips.min(axis=1) > 0, values, np.nan)
    return progress


def _strip_ends(n: int, k: int) -> np.ndarray:
    return np.arange(k - 1, n, k)


def _first(mask: np.ndarray, candidates: np.ndarray) -> Optional[int]:
    hits = candidates[mask]
    return int(hits[0]) if hits.size else None


def _prechelt(rule: str, parameter: float, values: np.ndarray, mode: str, stop: Optional[int]) -> StoppingOutcome:
    restore = best_index(values if stop is None else values[: stop + 1], mode)
    return _outcome(rule, parameter, values, mode, stop, restore)


def _gl_rule(values, mode, error, alpha) -> StoppingOutcome:
    gl = generalization_loss(error)
    return _prechelt(GL_RULE, alpha, values, mode, _first(gl > alpha, np.arange(len(values))))


def _pq_rule(values, mode, error, train_error, alpha, k) -> StoppingOutcome:
    ends = _strip_ends(len(values), k)
    gl, progress = generalization_loss(error)[ends], training_progress(train_error, k)[ends]
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.where(progress > 0, gl / progress, np.where(gl > 0, np.inf, np.nan))
    return _prechelt(PQ_RULE, alpha, values, mode, _first(quotient > alpha, ends))


def _up_rule(values, mode, strips, k) -> StoppingOutcome:
    ends = _strip_ends(len(values), k)
    now, before = values[ends[1:]], values[ends[:-1]]
    worse = np.concatenate([[False], now > before if mode == "min" else now < before])
    successive = np.zeros(len(ends), dtype=int)  # strips in a row whose end is worse than the last
    for i in np.flatnonzero(worse):
        successive[i] = successive[i - 1] + 1
    return _prechelt(UP_RULE, strips, values, mode, _first(successive >= strips, ends))


def _patience_rule(rule, values, monitored, mode, patience, min_delta) -> StoppingOutcome:
    replay = early_stopping(monitored, mode, patience, min_delta)
    return _outcome(rule, patience, values, mode, replay.stop_index, replay.restore_index)


def _overfit_rule(values, mode, train, rule: StopRule) -> StoppingOutcome:
    """`keras_callback.OverfitStopping`'s rule replayed (`stop_rule.replay`); it keeps the best up to its stop."""
    if len(values) > MAX_REPLAY_POINTS:
        return _not_applicable(OVERFIT_RULE, rule.patience, f"longer than {MAX_REPLAY_POINTS} evaluations")
    replayed = replay(rule, train, values)
    return _outcome(OVERFIT_RULE, rule.patience, values, mode, replayed.stop_index, replayed.restore_index)


def compare(
    values: Union[Sequence[float], np.ndarray],
    mode: str,
    train_values: Union[Sequence[float], np.ndarray, None] = None,
    patience: int = 5,
    min_delta: float = 0.0,
    smoothing: float = 0.0,
    tolerance: float = 0.1,
) -> List[StoppingOutcome]:
    """Every rule of this module on one validation curve.

    Args:
      values: the validation curve, one value per epoch (or evaluation).
      mode: "min" or "max".
      train_values: the training curve at the same positions, or None (PQ needs it).
      patience, min_delta: the user's EarlyStopping settings (patience is added to `PATIENCES`).
      smoothing: the user's EMA weight; `EMA_WEIGHT` when 0.
      tolerance: the onset tolerance of `OVERFIT_RULE` (with patience, min_delta and the raw smoothing).

    Returns:
      One `StoppingOutcome` per rule and parameter, in the order of `RULES`.
    """
    curve = np.asarray(values, dtype=np.float64)
    outcomes = [
        _patience_rule(PATIENCE_RULE, curve, curve, mode, p, min_delta) for p in sorted(set(PATIENCES) | {patience})
    ]
    ema = smooth_ema(curve, smoothing or EMA_WEIGHT)
    outcomes.append(_patience_rule(EMA_RULE, curve, ema, mode, patience, min_delta))
    error = _error_curve(curve, mode)
    train = None if train_values is None else np.asarray(train_values, dtype=np.float64)
    train_error = None if train is None else _error_curve(train, mode)
    for alpha in GL_ALPHAS:
        outcomes.append(
            _gl_rule(curve, mode, error, alpha)
            if error is not None
            else _not_applicable(GL_RULE, alpha, "needs an error: a min metric or a max metric in [0, 1]")
        )
    for alpha in PQ_ALPHAS:
        if error is None or train_error is None:
            outcomes.append(_not_applicable(PQ_RULE, alpha, "needs the training curve of an error metric"))
        else:
            outcomes.append(_pq_rule(curve, mode, error, train_error, alpha, STRIP_LENGTH))
    outcomes.extend(_up_rule(curve, mode, s, STRIP_LENGTH) for s in UP_STRIPS)
    rule = StopRule(mode=mode, patience=patience, min_delta=min_delta, smoothing=smoothing, tolerance=tolerance)
    outcomes.append(_overfit_rule(curve, mode, train, rule))
    return outcomes
