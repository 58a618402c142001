"""Movement of a weight tensor between consecutive steps: the 1-Wasserstein distance
between consecutive histograms, in units of the earlier step's spread."""

from __future__ import annotations

import numpy as np

from tb_overfit_plugin.analysis.histograms import Flat


def wasserstein_consecutive(flat: Flat) -> np.ndarray:
    """W1(row i-1, row i) for every row i >= 1 (element i - 1), exactly for the uniform-bucket model.

    W1 = integral over x of |F_{i-1}(x) - F_i(x)| = integral over u in [0, 1] of
    |Q_{i-1}(u) - Q_i(u)|, Q = F^-1 the quantile functions (the two integrals are the
    same area between the CDF curves). Each Q is piecewise linear in u with knots at
    the buckets' cumulative shares, from (cum_before / N, l) to (cum / N, r) for each
    bucket: flat over a point mass, jumping across a gap between buckets. Between
    consecutive knots of the merged knot list of a pair both Q are linear, so their
    difference g is linear too and its |g| integrates exactly: du (|g0| + |g1|) / 2
    when the end values g0, g1 have the same sign, du (g0^2 + g1^2) / (2 (|g0| + |g1|))
    when g crosses zero.

    Vectorised over all pairs: pair i's knots are keyed u + 3i, so the knot list of
    all rows is sorted, row i serves as the second histogram of pair i (key u + 3i)
    and, shifted by 3, as the first of pair i + 1; one stable argsort merges both
    copies and a running count gives each merged interval its segment of either Q.
    NaN where either histogram is empty or has a non-finite edge; callers mask pairs
    that straddle two different series.
    """
    n = flat.rows
    if n < 2:
        return np.zeros(max(n - 1, 0))
    valid = _valid_rows(flat)
    knot_u, knot_x, key_second, key_first = _knots(flat, valid)
    p = len(knot_u)
    if p < 2:
        return np.full(n - 1, np.nan)
    start, area = _interval_areas(knot_u, knot_x, key_second, key_first)
    # Pair i's intervals start in [3i, 3i + 3): sum each pair's run of intervals.
    bounds = np.searchsorted(start, 3.0 * np.arange(1, n + 1), side="left")
    sums = np.add.reduceat(area, np.minimum(bounds, len(area) - 1))[:-1]
    sums = np.where(bounds[1:] > bounds[:-1], sums, 0.0)
    return np.where(valid[:-1] & valid[1:], sums, np.nan)


def _valid_rows(flat: Flat) -> np.ndarray:
    """Rows with a positive finite total and finite bucket widths."""
    valid = flat.total > 0
    with np.errstate(invalid="ignore"):
        if valid.any():
            valid[valid] = np.logical_and.reduceat(np.isfinite(flat.width), flat.starts[valid])
        valid &= np.isfinite(flat.total)
    return valid


def _knots(flat: Flat, valid: np.ndarray):
    """``(knot_u, knot_x, key_second, key_first)``: every row's quantile-function knots
    (u within the row, x) and their sort keys as second (u + 3i) and first (u + 3(i + 1))
    histogram of a pair; see `wasserstein_consecutive`."""
    row = flat.row
    m = len(row)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = 1.0 / flat.total[row]
        u_after = flat.cum * scale
        u_before = flat.cum_before * scale
    bucket_valid = valid[row]
    if not bucket_valid.all():  # keep the keys sorted whatever the data
        u_after = np.where(bucket_valid, u_after, 0.0)
        u_before = np.where(bucket_valid, u_before, 0.0)
    # Knots: every bucket's right end; its left end only where it is not the previous
    # bucket's right end (a row's first bucket, or a gap before it).
    needs_left = np.ones(m, dtype=bool)
    needs_left[1:] = (flat.left[1:] != flat.right[:-1]) | (row[1:] != row[:-1])
    keep = np.empty(2 * m, dtype=bool)
    keep[0::2], keep[1::2] = needs_left, True
    keep = np.flatnonzero(keep)  # (take() with indices beats boolean indexing several times over)

    def knots(before, after):
        both_ends = np.empty(2 * m)
        both_ends[0::2], both_ends[1::2] = before, after
        return both_ends.take(keep)

    offset = 3.0 * row
    knot_u = knots(u_before, u_after)
    knot_x = knots(flat.left, flat.right)
    # Keys of row i as the second histogram of pair i (u + 3i) and as the first of
    # pair i + 1 (u + 3(i + 1)), each computed directly so that two identical rows
    # get bitwise identical keys (and an unchanged tensor moves exactly 0).
    key_second = knots(u_before + offset, u_after + offset)
    offset += 3.0
    key_first = knots(u_before + offset, u_after + offset)
    return knot_u, knot_x, key_second, key_first


def _interval_areas(knot_u, knot_x, key_second, key_first):
    """``(start, area)`` of every interval of the merged knot keys: its start key and the
    integral of |Q_first - Q_second| over it (0 for intervals joining two pairs)."""
    p = len(knot_u)
    # On the segment from knot k, Q(u) = intercept_k + u slope_k with u local to the
    # pair (0 across a jump; junk from a row's last knot, never used).
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        span = np.diff(knot_u)
        slope = np.zeros(p)
        slope[:-1] = np.diff(knot_x) / np.where(span > 0, span, np.inf)
        intercept = knot_x - knot_u * slope

    both = np.concatenate([key_second, key_first])
    order = np.argsort(both, kind="stable")
    keys = both.take(order)
    start, du = keys[:-1], np.diff(keys)
    local = start - 3.0 * np.floor(start / 3.0)  # u of the interval's start within its pair
    # The last knot of each histogram at or before merged position i: copy-0 elements
    # (index < p) are the pair's second histogram's knots in order, so their running
    # count gives its last knot; the two counts add up to i + 1 (the sort is stable,
    # and the smallest key is a copy-0 one).
    is_second = order[:-1] < p
    second = np.cumsum(is_second.view(np.int8), dtype=np.int32) - 1  # chunks stay far below 2**31
    first = np.arange(-1, len(second) - 1, dtype=np.int32) - second
    np.maximum(first, 0, out=first)
    with np.errstate(invalid="ignore", over="ignore"):
        d_slope = slope.take(first) - slope.take(second)
        g0 = intercept.take(first) - intercept.take(second) + local * d_slope
        g1 = g0 + du * d_slope
        total_abs = np.abs(g0) + np.abs(g1)
        # |g| integrated over a linear piece: du (|g0| + |g1|) / 2, minus |g0| |g1| / (|g0| + |g1|)
        # when g crosses zero, giving du (g0^2 + g1^2) / (2 (|g0| + |g1|)).
        area = du * (0.5 * total_abs + np.minimum(g0 * g1, 0.0) / (total_abs + 1e-300))
    # Intervals joining two pairs (3 apart) or of zero length hold nothing. (A product
    # masks faster than np.where, but NaN * 0 is NaN: invalid rows' junk can sit on a
    # zero-length interval of the next pair.)
    inside = (du > 0) & (du < 1.5)
    area = area * inside if np.isfinite(area).all() else np.where(inside, area, 0.0)
    return start, area


def step_movement(stats: dict, distance: np.ndarray, first_rows: np.ndarray) -> np.ndarray:
    """movement[i] = W1(i-1, i) / scale_{i-1}; scale = std_{i-1}, or |mean_{i-1}| when std is 0.

    The |mean| fallback gives a point mass (one value, or all values equal) a relative
    change; a point mass at exactly 0 has no scale: 0 if it did not move, else NaN
    (null). NaN at each series' first row: nothing to compare with.
    """
    n = len(stats["std"])
    movement = np.full(n, np.nan)
    if n > 1:
        std, mean = stats["std"][:-1], stats["mean"][:-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(std > 0, std, np.abs(mean))
            movement[1:] = np.where(scale > 0, distance / scale, np.where(distance == 0, 0.0, np.nan))
    movement[first_rows] = np.nan
    return movement
