"""Statistics of histograms under the uniform-bucket model (see `weights`' docstring).

Many histograms are flattened into one bucket array (`Flat`) and every statistic is one
numpy pass over it; `bucket_stats` gives them for one histogram."""

from __future__ import annotations

import dataclasses
from typing import Dict

import numpy as np

from tb_overfit_plugin.analysis.series import BucketRows, normalize_buckets

# Percentiles drawn by TensorBoard's distributions dashboard: the normal
# distribution's sigma levels (-inf, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, +inf sigma).
PERCENTILES = (0.0, 6.68, 15.87, 30.85, 50.0, 69.15, 84.13, 93.32, 100.0)


# Percentiles computed in one pass: the public ones, then p25 and p75 for the IQR.
_QUANTILES = np.array(PERCENTILES + (25.0, 75.0)) / 100.0
_N_PUBLIC = len(PERCENTILES)


@dataclasses.dataclass
class Flat:
    """Many histograms concatenated: bucket b belongs to row ``row[b]``.

    ``cum[b]`` / ``cum_before[b]`` are the row's cumulative count at the bucket's
    right / left edge (cum_before is exactly 0 at a row's first bucket and exactly
    the previous bucket's cum otherwise); ``total[r]`` = N of row r, exactly the
    cum of its last bucket (0 for an empty row).
    """

    left: np.ndarray
    right: np.ndarray
    counts: np.ndarray
    width: np.ndarray
    row: np.ndarray
    starts: np.ndarray  # index of each row's first bucket
    lengths: np.ndarray  # buckets per row
    cum: np.ndarray
    cum_before: np.ndarray
    total: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.lengths)


def _rows_and_lengths(bucket_arrays):
    """(every bucket row as one float64 (m, 3) array, rows per histogram) of (k_i, 3) arrays."""
    buckets = bucket_arrays if isinstance(bucket_arrays, BucketRows) else BucketRows.of(bucket_arrays)
    return buckets.rows, buckets.lengths


def flatten(bucket_arrays) -> Flat:
    """Concatenates normalised (k_i, 3) bucket arrays (`series.normalize_buckets` output)."""
    return _flat(*_rows_and_lengths(bucket_arrays))


def flatten_series(series_buckets) -> Flat:
    """`flatten` of every histogram of several series' `buckets`, in order (a `BucketRows` as it is)."""
    parts = [_rows_and_lengths(buckets) for buckets in series_buckets]
    if not parts:
        return _flat(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
    return _flat(np.concatenate([rows for rows, _ in parts]), np.concatenate([lengths for _, lengths in parts]))


def _flat(rows: np.ndarray, lengths: np.ndarray) -> Flat:
    """The `Flat` of bucket `rows`, `lengths[i]` of them for histogram i."""
    n = len(lengths)
    starts = np.cumsum(lengths) - lengths
    row = np.repeat(np.arange(n), lengths)
    left, right, counts = rows[:, 0], rows[:, 1], rows[:, 2]
    running = np.cumsum(counts)
    # Cumulative count within each row: the running total minus the rows before.
    before_row = np.zeros(n)
    later = starts > 0
    before_row[later] = running[starts[later] - 1]
    cum = running - before_row[row]
    cum_before = np.empty_like(cum)
    if len(cum):
        cum_before[1:] = cum[:-1]
        cum_before[starts[lengths > 0]] = 0.0
    total = np.zeros(n)
    nonempty = lengths > 0
    total[nonempty] = cum[(starts + lengths - 1)[nonempty]]
    return Flat(
        left=left,
        right=right,
        counts=counts,
        width=right - left,
        row=row,
        starts=starts,
        lengths=lengths,
        cum=cum,
        cum_before=cum_before,
        total=total,
    )


def flat_stats(flat: Flat, near_zero: float, shape: bool = True) -> Dict[str, np.ndarray]:
    """`bucket_stats` for every row of `flat` at once (formulas there); NaN = null.

    `_moments` always, `_shape` unless `shape` is False (the flag rules need only the
    moments). Per-row sums are `np.add.reduceat` over the non-empty rows' segments
    (empty rows have no buckets, so the remaining segments are exactly the non-empty rows).
    """
    stats = _moments(flat)
    if shape:
        stats.update(_shape(flat, near_zero))
    return stats


def _moments(flat: Flat) -> Dict[str, np.ndarray]:
    """count, mean, std, min, max, identical and all_zero of every row of `flat`."""
    n = flat.rows
    out = {name: np.full(n, np.nan) for name in ("mean", "std", "min", "max")}
    out["count"] = flat.total
    present = np.flatnonzero(flat.lengths > 0)
    if present.size:
        seg, total = flat.starts[present], flat.total[present]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            mid = 0.5 * (flat.left + flat.right)
            mean = np.add.reduceat(flat.counts * mid, seg) / total
            mean_of_row = np.zeros(n)
            mean_of_row[present] = mean
            deviation = mid - mean_of_row[flat.row]
            var = np.add.reduceat(flat.counts * (deviation * deviation + flat.width * flat.width / 12.0), seg) / total
            out["mean"][present] = mean
            out["std"][present] = np.sqrt(var)
        out["min"][present] = np.minimum.reduceat(flat.left, seg)
        out["max"][present] = np.maximum.reduceat(flat.right, seg)
    out["identical"] = (flat.total > 1) & (out["min"] == out["max"])
    out["all_zero"] = (flat.total > 0) & (out["min"] == 0.0) & (out["max"] == 0.0)
    return out


def _shape(flat: Flat, near_zero: float) -> Dict[str, np.ndarray]:
    """percentiles, iqr, peak_count, peak_density and near_zero_share of every row of `flat`."""
    n = flat.rows
    out = {name: np.full(n, np.nan) for name in ("iqr", "peak_count", "peak_density", "near_zero_share")}
    out["percentiles"] = np.full((n, _N_PUBLIC), np.nan)
    present = np.flatnonzero(flat.lengths > 0)
    if not present.size:
        return out
    seg, total = flat.starts[present], flat.total[present]
    left, right, counts, width, row = flat.left, flat.right, flat.counts, flat.width, flat.row
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total_of_bucket = flat.total[row]
        # Probability density of each bucket; a point mass (zero width) is infinite.
        density = np.where(width > 0, counts / (total_of_bucket * width), np.inf)
        overlap = np.clip(np.minimum(right, near_zero) - np.maximum(left, -near_zero), 0.0, None)
        share = np.where(width > 0, overlap / width, np.abs(left) < near_zero)

        # Percentiles, all rows at once: row r's cumulative shares cum / N are
        # offset by 2r so the concatenation is sorted; bucket j = the first whose
        # share reaches q, then x = l_j + (q N - cum_before_j) / c_j (r_j - l_j).
        keys = flat.cum / total_of_bucket + 2.0 * row
        targets = (_QUANTILES[None, :] + 2.0 * present[:, None]).ravel()
        j = np.minimum(np.searchsorted(keys, targets), len(keys) - 1).reshape(len(present), -1)
        mass = _QUANTILES[None, :] * total[:, None]
        fraction = np.clip((mass - flat.cum_before[j]) / counts[j], 0.0, 1.0)
        quantiles = left[j] + fraction * width[j]

        out["percentiles"][present] = quantiles[:, :_N_PUBLIC]
        out["iqr"][present] = quantiles[:, _N_PUBLIC + 1] - quantiles[:, _N_PUBLIC]
        out["peak_count"][present] = np.maximum.reduceat(counts, seg)
        out["peak_density"][present] = np.maximum.reduceat(density, seg)
        out["near_zero_share"][present] = np.add.reduceat(counts * share, seg) / total
    return out


def bucket_stats(buckets: np.ndarray, near_zero: float) -> Dict[str, np.ndarray]:
    """Scalar statistics of ONE histogram given as (k, 3) rows (left, right, count), as
    one-element numpy columns (NaN where `documents.weights.health_json.bucket_stats` gives None).

    Rows are normalised first (`series.normalize_buckets`). With N = sum c and each
    bucket's count uniform over [l, r] (a point mass when l == r):

    - ``count`` = N
    - ``mean`` = sum c (l + r) / 2 / N
    - ``std`` = sqrt(sum c [((l + r) / 2 - mean)^2 + (r - l)^2 / 12] / N)
      (between-bucket plus within-bucket variance of the uniform model)
    - ``min`` = smallest left edge of a non-empty bucket, ``max`` = largest right edge
    - ``percentiles`` (at `PERCENTILES`): with target mass t = p/100 N and j the first
      bucket whose cumulative count reaches t, ``l_j + (t - cum_{j-1}) / c_j (r_j - l_j)``
      (linear interpolation of the cumulative distribution inside the bucket, as
      TensorBoard's distributions dashboard does); p0 = min, p100 = max, and a
      percentile falling in a point mass is its value
    - ``iqr`` = p75 - p25, same interpolation
    - ``peak_count`` = max c (what one compares between epochs by eye; but bucket widths
      change between steps, hence also:)
    - ``peak_density`` = max c / (N (r - l)), a probability density (1 / value units)
      comparable across steps; ``None`` when the histogram has a point mass (zero-width
      bucket with count > 0): its density is infinite
    - ``near_zero_share`` = share of N with |x| < `near_zero`: the part of each bucket's
      [l, r] inside (-near_zero, near_zero), pro rata (a point mass wholly or not at all)
    - ``identical`` = N > 1 and min == max (all values equal)
    - ``all_zero`` = N > 0 and min == max == 0

    An empty histogram (N = 0) gives count 0, every other number None, identical and
    all_zero False. Non-finite results (from NaN/Inf edges) are None.
    """
    return flat_stats(flatten((normalize_buckets(buckets),)), near_zero)
