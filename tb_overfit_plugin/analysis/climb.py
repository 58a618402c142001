"""Slow, noisy climbs after the best: the trend rule beside the level rule of `onset`.

The level rule (`onset.overfitting_onset`) asks validation to stay worse than
its best by more than the onset tolerance. A slow climb (+11% over 9 noisy
epochs) never clears a tolerance sized for the noise, and a noisy plateau's
luckiest reading can make its ordinary tail look lastingly worse. `judged_onset`
therefore asks, whenever at least `MIN_TREND_POINTS` validation points follow
the best, whether validation trends worse from its floor on (`trend.mann_kendall`,
one-sided, by a z that a smaller rise must make larger: `required_z`) by a
material amount (Sen's slope).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from tb_overfit_plugin.analysis import onset as level_rule
from tb_overfit_plugin.analysis.direction import best_index, worsening
from tb_overfit_plugin.analysis.onset import (
    MIN_LASTING_POINTS,
    Onset,
    overfitting_onset,
    train_kept_improving,
)
from tb_overfit_plugin.analysis.trend import mann_kendall, sen_slope, thinned

MIN_TREND_Z = 2.0
"""The least Mann-Kendall z of a worsening trend (one-sided p < 0.023): enough for a climb of at
least `FULL_RISE_NOISE` noise levels (`required_z`)."""

FULL_RISE_NOISE = 2.2
"""A climb that rises by fewer noise levels than this needs a larger z (`required_z`)."""

Z_PER_MISSING_NOISE = 0.5
"""How much more z a climb needs per noise level its rise falls short of `FULL_RISE_NOISE`."""

FLOOR_NOISE = 1.25
"""The trend is tested from the floor: from the first point within this many noise levels of the best
(`trend_positions`)."""

MIN_TREND_POINTS = 5
"""The trend test needs at least this many validation points after the best;
with fewer, the level rule decides alone."""

RISE_NOISE = 1.0
"""A climb must rise by more than this many noise levels along Sen's line."""

LEVEL_ALONE_NOISE = 5.0
"""A level onset whose points are worse than the best by more than this many
noise levels on average stands without a significant trend (a sharp rise
after a long flat stretch); a smaller one needs the trend as well."""


@dataclasses.dataclass(frozen=True)
class Climb(Onset):
    """An onset found by the trend rule; positions in the validation series.

    Attributes (besides `Onset`'s):
      p_value: Mann-Kendall's one-sided p-value of the worsening trend from the floor (`trend_positions`).
      slope: Sen's slope of the worsening, per evaluation.
      rise: the worsening along Sen's line from the best to the last point.
    """

    p_value: float = 1.0
    slope: float = 0.0
    rise: float = 0.0


def _after_best(raw: np.ndarray, best: int, mode: str) -> tuple:
    """``(positions, worse)`` of the finite raw points after position `best`."""
    positions = np.flatnonzero(np.isfinite(raw))
    positions = positions[positions > best]
    return positions, worsening(raw[positions], raw[best], mode)


def climb_start(positions: np.ndarray, worse: np.ndarray) -> int:
    """Where the climb starts: the hinge of the best flat-then-rising line.

    Over the points ``(p_i, w_i)`` from the best on (``w_0 = 0``), for each
    hinge ``s = p_k`` with at least `MIN_LASTING_POINTS` points after it,
    least squares fits ``w = c + beta * max(0, p - s)``; the hinge with the
    smallest squared error among those with ``beta > 0`` wins, and the climb
    starts at the first point after it. Without a rising fit: the first point.
    """
    candidates = positions[: max(1, positions.size - MIN_LASTING_POINTS)]
    hinges = np.maximum(0.0, positions[None, :] - candidates[:, None]).astype(np.float64)
    centred = hinges - hinges.mean(axis=1, keepdims=True)
    spread = np.einsum("ij,ij->i", centred, centred)
    beta = np.divide(centred @ (worse - worse.mean()), spread, out=np.zeros(spread.size), where=spread > 0)
    errors = np.sum((worse - worse.mean() - beta[:, None] * centred) ** 2, axis=1)
    errors[beta <= 0] = np.inf
    hinge = int(np.argmin(errors)) if np.isfinite(errors).any() else 0
    return int(positions[hinge + 1])


def trend_positions(raw: np.ndarray, best: int, mode: str, noise: float) -> np.ndarray:
    """The finite positions the trend test reads: the floor and after, the best left out.

    The floor starts at the first finite position ``f <= b`` with
    ``worse(f) = worsening(v_f, v_b) <= FLOOR_NOISE * sigma`` (at ``b`` itself
    when no earlier point is that close). The best ``b``
    is the luckiest of the noisy readings near the floor: a slow climb often
    has its best a few points after it starts, and testing only the points
    after ``b`` would miss that part of the climb; ``b`` itself is left out
    because it was chosen for being the lowest (it would make any flat
    stretch look rising). On a curve without noise (``sigma = 0``) the floor
    is ``b``: the points after the best, as before.
    """
    positions = np.flatnonzero(np.isfinite(raw))
    near = worsening(raw[positions], raw[best], mode) <= FLOOR_NOISE * noise
    start = positions[(positions <= best) & (near | (positions == best))][0]
    return positions[(positions >= start) & (positions != best)]


def required_z(rise_noise: float) -> float:
    """The Mann-Kendall z a climb of ``r = rise / sigma`` noise levels needs::

        z_req = MIN_TREND_Z + Z_PER_MISSING_NOISE * max(0, FULL_RISE_NOISE - r)

    (2.0 from 2.2 noise levels up, 2.6 at 1 noise level): a rise barely
    above the noise is what a noisy plateau's tail shows by chance, so it
    must trend more steadily to count.
    """
    return MIN_TREND_Z + Z_PER_MISSING_NOISE * max(0.0, FULL_RISE_NOISE - rise_noise)


def _climb(raw: np.ndarray, best: int, mode: str, min_delta: float, noise: float) -> Optional[Climb]:
    """The significant, material climb after `best`, or None (also with too few points).

    Material: the rise along Sen's line through the worsening ``w_i`` of the
    points after the best, from the best to the last point,
    ``rise = slope * (p_last - p_best)``, exceeds ``max(|min_delta|,
    MATERIAL_FRACTION * |v_best|, RISE_NOISE * sigma)``, as the level rule's
    tolerance does (`onset.onset_tolerance`). Significant: Mann-Kendall's z
    of the worsening from the floor on (`trend_positions`) is at least
    ``required_z(rise / sigma)`` (`trend.mann_kendall`; with ``sigma = 0``,
    at least `MIN_TREND_Z`).
    """
    positions, worse = thinned(*_after_best(raw, best, mode))
    if positions.size < MIN_TREND_POINTS:
        return None
    slope, _ = sen_slope(positions.astype(np.float64), worse)
    rise = slope * float(positions[-1] - best)
    if not rise > max(abs(min_delta), level_rule.MATERIAL_FRACTION * abs(raw[best]), RISE_NOISE * noise):
        return None
    tested = trend_positions(raw, best, mode, noise)
    test = mann_kendall(thinned(tested, worsening(raw[tested], raw[best], mode))[1])
    if not test.z >= (required_z(rise / noise) if noise > 0 else MIN_TREND_Z):
        return None
    start = climb_start(np.concatenate([[best], positions]), np.concatenate([[0.0], worse]))
    return Climb(
        index=start, best_index=best, end_index=int(positions[-1]), p_value=test.p_value, slope=slope, rise=rise
    )


def _level_alone(judged: np.ndarray, level: Onset, mode: str, noise: float) -> bool:
    """``mean(worse(onset..end)) > LEVEL_ALONE_NOISE * sigma`` on the judged curve."""
    tail = judged[level.index : level.end_index + 1]
    tail = tail[np.isfinite(tail)]
    return bool(np.mean(worsening(tail, judged[level.best_index], mode)) > LEVEL_ALONE_NOISE * noise)


def judged_onset(
    raw: np.ndarray,
    judged: np.ndarray,
    train: Optional[np.ndarray],
    mode: str,
    min_delta: float,
    tol: float,
    noise: float,
) -> Optional[Onset]:
    """The overfitting onset from the level rule and the trend rule together.

    ``raw`` is the validation curve as logged, ``judged`` the one the level
    rule reads (smoothed when asked), ``train`` the training curve at the
    validation positions, ``b`` the best position of ``judged``. The trend rule
    reads the raw points (Mann-Kendall assumes independent points; smoothing
    correlates them). With fewer than `MIN_TREND_POINTS` points after ``b``
    the level onset (`onset.overfitting_onset`) stands alone; otherwise

    * a level onset stands when the climb after ``b`` is significant and
      material (`_climb`), or when it is far beyond the noise (`_level_alone`);
    * with no level onset, a significant, material climb is the onset, at
      its start (`climb_start`), provided training kept improving from ``b``
      to the end (`onset.train_kept_improving`).
    """
    level = overfitting_onset(judged, train, mode, min_delta, tol, noise)
    best = level.best_index if level is not None else best_index(judged, mode)
    if best is None or np.count_nonzero(np.isfinite(raw[best + 1 :])) < MIN_TREND_POINTS:
        return level
    climb = _climb(raw, best, mode, min_delta, noise)
    if level is not None:
        return level if climb is not None or _level_alone(judged, level, mode, noise) else None
    if climb is None or not train_kept_improving(train, climb, mode, min_delta):
        return None
    return climb
