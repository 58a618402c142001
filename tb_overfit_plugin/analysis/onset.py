"""Noise, the onset tolerance, the overfitting onset, and the generalization gap.

Pure numpy over finite-or-not validation values: `noise_level` measures a
curve's noise, `onset_tolerance` turns it (with the curve's range and level)
into the tolerance an onset must exceed, and `overfitting_onset` finds where
validation starts to stay materially worse than its best.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional, Union

import numpy as np

from tb_overfit_plugin.analysis.direction import best_index, is_improvement, worsening
from tb_overfit_plugin.analysis.robust import finite_median
from tb_overfit_plugin.analysis.sorted_curve import Curve

MIN_LASTING_POINTS = 2
"""An onset needs at least this many points of lasting worsening: one bad
last epoch may still recover, so it is not yet overfitting."""

NOISE_TOLERANCE = 3.0
"""The onset tolerance is at most this many noise levels (sigma)."""

MATERIAL_FRACTION = 0.005
"""A worsening counts towards an onset only when it exceeds this fraction of
the metric's own level, the magnitude of its best value (`onset_tolerance`):
so a curve flat at chance (accuracy 0.24, a one-sample change in 12,000 is
8e-5, the floor 0.0012) never overfits on its tiny range, a loss near 0 is
still judged relative to itself (0.001 -> 0.002 is material), and an accuracy
near 1 needs to fall by half a point."""

MAD_TO_SIGMA = 1.4826
"""Consistency constant of the median absolute deviation: ``MAD_TO_SIGMA * MAD``
estimates the standard deviation of normally distributed data."""

RANGE_FLOOR_DIVISOR = 5.0
"""The noise term never pulls the onset tolerance below ``R / RANGE_FLOOR_DIVISOR``
(``R``: `onset_tolerance`'s share of the curve's range)."""


def noise_level(values: np.ndarray) -> float:
    """Robust per-point noise level of a curve from its first differences ``d``.

    ``sigma = MAD_TO_SIGMA * median(|d - median(d)|) / sqrt(2)``: subtracting the
    median difference removes a steady trend, MAD_TO_SIGMA * MAD estimates a
    standard deviation robustly (exact for normal noise), and a difference
    of two independent noisy points has twice the variance of one point.
    """
    differences = values[1:] - values[:-1]  # np.diff's numbers, without its dispatch
    if differences.size == 0:
        return 0.0
    mad = finite_median(np.abs(differences - finite_median(differences)))
    return float(MAD_TO_SIGMA * mad / math.sqrt(2.0))


def onset_tolerance(values: np.ndarray, mode: str, noise: float, min_delta: float, tolerance: float) -> float:
    """The absolute onset tolerance over the finite values ``v``::

        R   = tolerance * (max(v) - min(v))
        M   = MATERIAL_FRACTION * |best(v)|         (best: min(v) or max(v) by mode)
        tol = max(|min_delta|, clip(NOISE_TOLERANCE * sigma, R / RANGE_FLOOR_DIVISOR, R), M)

    ``R`` keeps the tolerance meaningful on short, coarse curves; the noise
    term (``sigma = noise``, the raw curve's `noise_level`) tightens it on
    clean curves, so the onset of a smooth rise is found where the rise
    starts, but never below ``R / RANGE_FLOOR_DIVISOR``, so a negligible drift of a
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
    return max(abs(min_delta), min(max(by_noise, by_range / RANGE_FLOOR_DIVISOR), by_range), MATERIAL_FRACTION * level)


def generalization_gap(train: Curve, validation: Curve, mode: str) -> tuple:
    """``(steps, gap)`` on the steps both curves share: ``val - train`` (min), ``train - val`` (max)."""
    in_validation: Union[slice, np.ndarray]
    in_train: Union[slice, np.ndarray]
    if np.array_equal(validation.steps, train.steps) and np.all(np.diff(train.steps) > 0):
        steps, in_validation, in_train = train.steps.copy(), slice(None), slice(None)  # the usual case, quickly
    else:
        steps, in_validation, in_train = np.intersect1d(validation.steps, train.steps, return_indices=True)
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, reported as null
        return steps, worsening(validation.values[in_validation], train.values[in_train], mode)


def generalization_loss(validation: np.ndarray, mode: str) -> Optional[np.ndarray]:
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


@dataclasses.dataclass(frozen=True)
class Onset:
    """Positions in the validation series."""

    index: int  # first point of the lasting worsening
    best_index: int  # the best it is measured against
    end_index: int  # last finite point


def overfitting_onset(
    validation: np.ndarray,
    train: Optional[np.ndarray],
    mode: str,
    min_delta: float,
    tol: float,
    noise: float,
) -> Optional[Onset]:
    """Where validation starts to stay significantly worse than its best.

    On the finite validation values ``v_0..v_{n-1}`` (smoothed, when the
    caller smooths), with ``b`` the best position (earliest on ties),
    ``worse(i) = v_i - v_b`` (min) or ``v_b - v_i`` (max) and ``tol`` the
    absolute tolerance (`onset_tolerance`)::

        J     = max{ j >= b : worse(j) <= tol }
        onset = J + 1,   provided n - onset >= MIN_LASTING_POINTS

    so every point from the onset to the end is worse than the best by more
    than ``tol``; a spike that comes back within ``tol`` (or to a new best)
    is never an onset. It must also be

    * significant: ``mean(worse(onset), ..., worse(n-1)) > sigma = noise``,
      the noise level of the raw validation curve (`noise_level`);
      otherwise it is noise around a plateau;
    * accompanied by training still improving after the best:
      ``is_improvement(train[n-1], train[b], mode, min_delta)`` with `train`
      aligned to the validation positions. When either training value is
      unknown (no training series, or not finite) validation alone decides.

    Returns None when there is no onset.

    Note that ``v_b`` is the lowest of noisy readings, so on a raw plateau
    the tail sits about two sigma above it and can pass both tests (measured
    on 300 noisy plateaus with noise 4% of their level: 8% raw, fewer with
    smoothing 0.6: 0.3%); `climb.judged_onset` therefore asks such an onset
    for a worsening trend too when the tail is long enough to test one.
    """
    positions = np.flatnonzero(np.isfinite(validation))
    values = validation[positions]
    best = best_index(values, mode)
    if best is None:
        return None
    worse = worsening(values, values[best], mode)
    onset = best + int(np.flatnonzero(worse[best:] <= tol)[-1]) + 1
    if values.size - onset < MIN_LASTING_POINTS or not np.mean(worse[onset:]) > noise:
        return None
    found = Onset(index=int(positions[onset]), best_index=int(positions[best]), end_index=int(positions[-1]))
    return found if train_kept_improving(train, found, mode, min_delta) else None


def train_kept_improving(train: Optional[np.ndarray], found: Onset, mode: str, min_delta: float) -> bool:
    """``is_improvement(train[end], train[best], mode, min_delta)`` at the onset's best and end positions.

    True when either training value is unknown (no training series, or not
    finite): validation alone then decides.
    """
    if train is None:
        return True
    at_best, at_end = train[found.best_index], train[found.end_index]
    return not (np.isfinite(at_best) and np.isfinite(at_end)) or is_improvement(at_end, at_best, mode, min_delta)
