"""A monotonic trend test: Mann-Kendall with the normal approximation, and Sen's slope.

Pure numpy (and `math`): scipy is not a dependency. Used by `climb` to tell a
slow, noisy climb of the validation curve after its best from noise around a
plateau.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from tb_overfit_plugin.analysis.robust import finite_median

MAX_TREND_POINTS = 1000
"""The test compares every pair of points (O(n^2) memory and time); a longer
series is thinned to this many evenly spaced points first (`thinned`)."""


CACHED_PAIRS_MAX = 256
"""Series up to this length reuse their pair indices (`_pairs`): at most 64 lengths x 0.5 MB."""


def _pairs(n: int) -> tuple:
    """``np.triu_indices(n, k=1)``, the pairs ``i < j``: made once per length up to `CACHED_PAIRS_MAX` (a
    sweep's short runs share a few lengths, and building them was a third of a short series' trend test)."""
    return _cached_pairs(n) if n <= CACHED_PAIRS_MAX else np.triu_indices(n, k=1)


@functools.lru_cache(maxsize=64)
def _cached_pairs(n: int) -> tuple:
    pairs = np.triu_indices(n, k=1)
    for index in pairs:
        index.flags.writeable = False  # shared: read-only
    return pairs


@dataclasses.dataclass(frozen=True)
class TrendTest:
    """Mann-Kendall's test of an increasing trend.

    Attributes:
      s: Kendall's statistic, ``sum_{i<j} sign(x_j - x_i)``.
      variance: its variance under "no trend", corrected for ties.
      z: the continuity-corrected normal score.
      p_value: one-sided, for an increasing trend: ``P(Z >= z)``.
    """

    s: int
    variance: float
    z: float
    p_value: float


def thinned(positions: np.ndarray, values: np.ndarray) -> tuple:
    """At most `MAX_TREND_POINTS` evenly spaced points of the series (the first and last kept)."""
    if values.size <= MAX_TREND_POINTS:
        return positions, values
    keep = np.unique(np.linspace(0, values.size - 1, MAX_TREND_POINTS).round().astype(np.int64))
    return positions[keep], values[keep]


def mann_kendall(values: np.ndarray) -> TrendTest:
    """Mann-Kendall's one-sided test that `values` (in order, finite) increase.

    With ``n`` values and ``t_k`` the sizes of the groups of tied values::

        S      = sum_{i<j} sign(x_j - x_i)
        Var(S) = (n(n-1)(2n+5) - sum_k t_k(t_k-1)(2t_k+5)) / 18
        z      = (S - sign(S)) / sqrt(Var(S))        (0 when Var(S) = 0)
        p      = P(Z >= z) = erfc(z / sqrt(2)) / 2

    (Kendall 1975, the normal approximation with the continuity correction;
    Hipel & McLeod 1994, ch. 23.) A decreasing trend has ``p`` near 1.
    """
    n = values.size
    upper = _pairs(n)
    s = int(np.sign(values[upper[1]] - values[upper[0]]).sum())
    _, tie_sizes = np.unique(values, return_counts=True)
    ties = float(np.sum(tie_sizes * (tie_sizes - 1.0) * (2.0 * tie_sizes + 5.0)))
    variance = (n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0
    z = (s - np.sign(s)) / math.sqrt(variance) if variance > 0 else 0.0
    return TrendTest(s=s, variance=variance, z=float(z), p_value=0.5 * math.erfc(z / math.sqrt(2.0)))


def sen_slope(positions: np.ndarray, values: np.ndarray) -> tuple:
    """Sen's (1968) robust line through the points: ``(slope, intercept)``.

    ``slope = median_{i<j} (x_j - x_i) / (p_j - p_i)`` over the pairs of
    distinct positions, ``intercept = median_i (x_i - slope * p_i)``.
    """
    first, second = _pairs(values.size)
    apart = positions[second] - positions[first]
    slopes = (values[second] - values[first])[apart != 0] / apart[apart != 0]
    slope = finite_median(slopes) if slopes.size else 0.0
    return slope, finite_median(values - slope * positions)
