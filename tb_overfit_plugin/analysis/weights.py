"""Weight-histogram health: per-layer numbers and flags from TensorBoard histograms.

Pure numpy (no TensorBoard import): the reading layer hands over
`HistogramSeries` (see `series.py`), this module turns them into JSON-ready
per-tensor statistics, trends across steps and health flags, grouped by layer.

Reading a histogram
-------------------
A histogram is a set of buckets ``(l, r, c)`` (left edge, right edge, count),
normalised by `series.normalize_buckets` (l <= r, no zero-count rows, sorted).
Each bucket's count is taken to be spread *uniformly* over ``[l, r]``; a
zero-width bucket (``l == r``) is a *point mass* at ``l``. The cumulative
distribution F is then piecewise linear with jumps at point masses, and every
statistic here is exact for that model; against the raw values it is off by at
most the bucket widths (see `bucket_stats`). What the writers produce:

- TF2 ``tf.summary.histogram`` (TensorBoard 2.21 ``summary_v2``): 30 equal-width
  buckets over [min, max]; all values equal: 30 zero-width buckets at the value
  with all the count in the last; an empty tensor: 30 all-zero rows (no rows
  once normalised); any NaN in the tensor: NaN edges and zero counts (no rows
  either, which is why a histogram that *becomes* empty counts as exploding).
- TF1 ``HistogramProto`` (tensorboardX / PyTorch ``add_histogram``, TF1 summaries):
  hundreds of exponentially spaced bucket limits (~10% apart), empty ones dropped,
  the outer edges at the min and max (float32 in tensorboardX).

Tag conventions (`parse_weight_tag`)
------------------------------------
- Keras 3 ``TensorBoard(histogram_freq=1)``: ``<model>/<layer>/<weight>/histogram``
  (``sequential/dense_1/kernel/histogram``), one histogram per epoch at
  step = 0-based epoch, written at the *end* of the epoch.
- tf_keras: ``dense_1/kernel_0/histogram`` or ``dense_1/kernel_0``
  (the variable name with ``:`` replaced by ``_``).
- PyTorch ``add_histogram(name, param)``: ``layer1.0.conv1.weight``.
- Anything else: its own layer.

Flags
-----
``identical_values`` and ``all_zero`` (errors), ``exploding`` (error),
``collapsing`` and ``unchanged`` (warnings); see `analyze_tensor` for the rules
and `Thresholds` for every number they use (each overridable from a query
parameter of the same name).

Speed
-----
Series are analysed in batches (`_CHUNK_BUCKETS` buckets at a time, ragged:
every step's histogram has its own bucket count): every statistic, the
Wasserstein movement between consecutive steps, the trends and each flag rule
are one vectorised numpy pass over all histograms (or series) of the batch.
Python only words the flags raised and assembles each tensor's JSON. That JSON
(a list per step and statistic) then costs about as much as the numpy passes;
`summarize_layers` gives a run's summary (all a leaderboard needs) without it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from tb_overfit_plugin import jsonable
from tb_overfit_plugin.analysis.series import HistogramSeries, looks_downsampled, normalize_buckets

# Percentiles drawn by TensorBoard's distributions dashboard: the normal
# distribution's sigma levels (-inf, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, +inf sigma).
PERCENTILES = (0.0, 6.68, 15.87, 30.85, 50.0, 69.15, 84.13, 93.32, 100.0)
SEVERITIES = ("info", "warning", "error")
KINDS = ("kernel", "bias", "other")

FLAG_SEVERITIES = {
    "identical_values": "error",
    "all_zero": "error",
    "exploding": "error",
    "collapsing": "warning",
    "unchanged": "warning",
}

# unchanged needs this many steps: two histograms can be equal by chance of logging
# (e.g. one written before training), three in a row are a tensor that does not train.
UNCHANGED_MIN_STEPS = 3


# Percentiles computed in one pass: the public ones, then p25 and p75 for the IQR.
_QUANTILES = np.array(PERCENTILES + (25.0, 75.0)) / 100.0
_N_PUBLIC = len(PERCENTILES)


def _doc(default: float, text: str):
    return dataclasses.field(default=default, metadata={"doc": text})


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """Every number a weight flag depends on: all floats, each overridable by field name.

    The defaults were checked on the demo's real Keras runs (demo/write_logs.py):
    no warning-or-worse flag on the healthy `overfit` and `regularized` runs,
    identical_values on the constant-initialised layers of `broken`. Numbers quoted
    below are from those runs. `Thresholds.docs()` gives each field's help text.
    """

    explode_factor: float = _doc(
        10.0,
        "exploding: std or max|value| grows by more than this factor over the tensor's first "
        "step (reference floored by explode_min_scale / explode_min_scale_bias). Healthy "
        "kernels widen 1.0-1.6x over 40-50 epochs in the demo; real explosions run to 1e3+ and NaN.",
    )
    explode_min_scale: float = _doc(
        0.01,
        "exploding: floor on a kernel's first-step std and max|value| used as the growth "
        "reference, so a kernel that starts (almost) constant is not called exploding just for "
        "spreading out to a normal size (the demo's constant-initialised first kernel goes from "
        "std 0.002-0.004 to 0.03-0.04, 10-16x). A kernel must then exceed std or max|value| "
        "10 x 0.01 = 0.1 and 10x its first step.",
    )
    explode_min_scale_bias: float = _doc(
        1.0,
        "exploding: the same floor for biases and other tensors (BatchNorm statistics, ...). "
        "Biases start at exactly 0, so the first histogram (after one epoch) holds only one "
        "epoch of movement: healthy demo biases then grow 1.2-9x in std and up to 16x in "
        "max|value| (constant-initialised output biases 55-100x). With the floor a bias must "
        "exceed 10 x 1.0 = 10.",
    )
    collapse_factor: float = _doc(
        0.1,
        "collapsing: std falls below this fraction of its first-step value. Healthy demo "
        "kernels keep 1.0-1.6x their first std, with L2(1e-4) 1.0-1.05x; weight decay strong "
        "enough to shrink a layer 10x leaves it near-constant.",
    )
    unchanged_tolerance: float = _doc(
        1e-6,
        "unchanged: a step-to-step movement (1-Wasserstein distance between consecutive "
        "histograms, in units of the earlier step's std) below this counts as none; a tensor with "
        f"{UNCHANGED_MIN_STEPS}+ steps that never moves after its first step is flagged. A frozen tensor moves "
        "exactly 0; the slowest healthy kernels in the demo move about 1e-3 per epoch.",
    )
    near_zero: float = _doc(
        1e-3,
        "near_zero_share: values with |x| below this (absolute) count as near zero.",
    )

    @classmethod
    def docs(cls) -> Dict[str, dict]:
        """``{field: {"default": float, "doc": str}}`` for help texts."""
        return {
            field.name: {"default": field.default, "doc": field.metadata["doc"]}
            for field in dataclasses.fields(cls)
        }


# -- tags -------------------------------------------------------------------

_KERNEL_NAMES = re.compile(
    r"^(kernel|recurrent_kernel|depthwise_kernel|pointwise_kernel|embeddings?|w|weights?"
    r"|weight_(ih|hh|hr)_l\d+(_reverse)?|in_proj_weight|.*_kernel|.*_weight)$",
    re.IGNORECASE,
)
_BIAS_NAMES = re.compile(r"(^b$|bias)", re.IGNORECASE)
# PyTorch normalisation layers call their scale `weight`; it starts at 1 and is not a kernel.
_NORM_LAYER = re.compile(r"(^|[._/])(bn|batch_?norm|norm|ln|layer_?norm|group_?norm|gn)(\d*|_\w*)$",
                         re.IGNORECASE)
_TF_OUTPUT_SUFFIX = "_0"  # tf_keras: variable `dense/kernel:0` -> tag `dense/kernel_0`


def _kind(layer: str, tensor: str) -> str:
    if _BIAS_NAMES.search(tensor):
        return "bias"
    if _KERNEL_NAMES.match(tensor):
        if tensor.lower() == "weight" and _NORM_LAYER.search(layer):
            return "other"
        return "kernel"
    return "other"


def parse_weight_tag(tag: str) -> Tuple[str, str, str]:
    """``(layer, tensor, kind)`` of a weight-histogram tag; kind is kernel, bias or other.

    - ``sequential/dense_1/kernel/histogram`` -> ``('dense_1', 'kernel', 'kernel')``: a
      trailing ``histogram`` component is dropped, and with 3+ components left the
      first one (the Keras 3 model name) is dropped too; nested paths keep the rest
      (``functional/lstm/lstm_cell/kernel/histogram`` -> layer ``lstm/lstm_cell``).
    - ``dense_1/kernel_0[/histogram]`` (tf_keras) -> ``('dense_1', 'kernel', 'kernel')``:
      the ``_0`` output suffix is dropped; tf_keras names carry no model prefix, so
      nothing else is stripped.
    - ``layer1.0.conv1.weight`` (PyTorch) -> ``('layer1.0.conv1', 'weight', 'kernel')``:
      split at the last dot (after any ``/`` prefix, which stays in the layer).
    - kind: ``bias`` for names containing "bias" (and ``b``); ``kernel`` for kernel,
      recurrent/depthwise/pointwise kernels, embeddings, ``w`` and PyTorch ``weight*``
      (except ``weight`` of a layer named like a norm layer: bn1, norm, ln_f, ...);
      ``other`` for the rest (gamma, beta, moving_mean, running_var, ...).
    - Anything else (one component without a dot, empty parts) -> ``(tag, tag, 'other')``.
    """
    parts = tag.split("/")
    if len(parts) > 1 and parts[-1] == "histogram":
        parts = parts[:-1]
    if not parts or any(not part for part in parts):
        return tag, tag, "other"
    last = parts[-1]
    if "." in last:  # PyTorch parameter name
        head, _, tensor = last.rpartition(".")
        if not head or not tensor:
            return tag, tag, "other"
        layer = "/".join(parts[:-1] + [head])
        return layer, tensor, _kind(head, tensor)
    if len(parts) < 2:
        return tag, tag, "other"
    tensor, scope = last, parts[:-1]
    if tensor.endswith(_TF_OUTPUT_SUFFIX) and len(tensor) > len(_TF_OUTPUT_SUFFIX):
        tensor = tensor[: -len(_TF_OUTPUT_SUFFIX)]
    elif len(scope) >= 2:
        scope = scope[1:]  # Keras 3 model name
    layer = "/".join(scope)
    return layer, tensor, _kind(layer, tensor)


# -- statistics ---------------------------------------------------------------


@dataclasses.dataclass
class _Flat:
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


def _flatten(bucket_arrays) -> _Flat:
    """Concatenates normalised (k_i, 3) bucket arrays (`series.normalize_buckets` output)."""
    n = len(bucket_arrays)
    lengths = np.fromiter(map(len, bucket_arrays), dtype=np.int64, count=n)
    rows = np.zeros((0, 3))
    if n:
        try:
            rows = np.concatenate(bucket_arrays).astype(np.float64, copy=False).reshape(-1, 3)
        except ValueError:  # a (0,) array or similar: be lenient
            rows = np.concatenate([np.asarray(b, dtype=np.float64).reshape(-1, 3) for b in bucket_arrays])
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
    return _Flat(left=left, right=right, counts=counts, width=right - left, row=row, starts=starts,
                 lengths=lengths, cum=cum, cum_before=cum_before, total=total)


def _flat_stats(flat: _Flat, near_zero: float, shape: bool = True) -> Dict[str, np.ndarray]:
    """`bucket_stats` for every row of `flat` at once (formulas there); NaN = null.

    `_moments` always, `_shape` unless `shape` is False (the flag rules need only the
    moments). Per-row sums are `np.add.reduceat` over the non-empty rows' segments
    (empty rows have no buckets, so the remaining segments are exactly the non-empty rows).
    """
    stats = _moments(flat)
    if shape:
        stats.update(_shape(flat, near_zero))
    return stats


def _moments(flat: _Flat) -> Dict[str, np.ndarray]:
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
            var = np.add.reduceat(flat.counts * (deviation * deviation + flat.width * flat.width / 12.0),
                                  seg) / total
            out["mean"][present] = mean
            out["std"][present] = np.sqrt(var)
        out["min"][present] = np.minimum.reduceat(flat.left, seg)
        out["max"][present] = np.maximum.reduceat(flat.right, seg)
    out["identical"] = (flat.total > 1) & (out["min"] == out["max"])
    out["all_zero"] = (flat.total > 0) & (out["min"] == 0.0) & (out["max"] == 0.0)
    return out


def _shape(flat: _Flat, near_zero: float) -> Dict[str, np.ndarray]:
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


def bucket_stats(buckets: np.ndarray, near_zero: float = 1e-3) -> dict:
    """Scalar statistics of ONE histogram given as (k, 3) rows (left, right, count).

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
    stats = _flat_stats(_flatten((normalize_buckets(buckets),)), near_zero)
    result = {name: jsonable.finite_or_none(stats[name][0]) for name in
              ("mean", "std", "min", "max", "iqr", "peak_count", "peak_density", "near_zero_share")}
    result["count"] = float(stats["count"][0])
    result["percentiles"] = jsonable.float_list(stats["percentiles"][0]) if stats["count"][0] > 0 else None
    result["identical"] = bool(stats["identical"][0])
    result["all_zero"] = bool(stats["all_zero"][0])
    return result


# -- movement between consecutive histograms -------------------------------------


def _wasserstein_consecutive(flat: _Flat) -> np.ndarray:
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
    valid = flat.total > 0
    with np.errstate(invalid="ignore"):
        if valid.any():
            valid[valid] = np.logical_and.reduceat(np.isfinite(flat.width), flat.starts[valid])
        valid &= np.isfinite(flat.total)
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
    p = len(knot_u)
    if p < 2:
        return np.full(n - 1, np.nan)
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
    # Pair i's intervals start in [3i, 3i + 3): sum each pair's run of intervals.
    bounds = np.searchsorted(start, 3.0 * np.arange(1, n + 1), side="left")
    sums = np.add.reduceat(area, np.minimum(bounds, len(area) - 1))[:-1]
    sums = np.where(bounds[1:] > bounds[:-1], sums, 0.0)
    return np.where(valid[:-1] & valid[1:], sums, np.nan)


# -- a batch of series ----------------------------------------------------------


@dataclasses.dataclass
class _Batch:
    """Consecutive series analysed together: row r is one step's histogram.

    Series s owns rows ``start[s]`` to ``end[s]`` (inclusive; ``size[s]`` rows, end -1
    when there are none) and ``owner[r]`` is the series of row r. ``stats`` holds
    `_flat_stats`' per-row arrays and ``movement``; per row also ``max_abs`` =
    max(|min|, |max|) and ``finite`` (mean, std and max_abs finite: False when empty);
    per series ``reference``, its first *usable* row (non-empty and finite), -1 if none.
    The segment helpers reduce a per-row array to one value per series, one
    ``reduceat`` over every series at once.
    """

    steps: np.ndarray
    start: np.ndarray
    size: np.ndarray
    kinds: List[str]
    stats: Dict[str, np.ndarray]

    def __post_init__(self):
        self.end = np.where(self.size > 0, self.start + self.size - 1, -1)
        self.owner = np.repeat(np.arange(len(self.size)), self.size)
        self.rows = np.arange(len(self.steps))
        self._present = np.flatnonzero(self.size > 0)
        stats = self.stats
        with np.errstate(invalid="ignore", over="ignore"):
            self.max_abs = np.maximum(np.abs(stats["min"]), np.abs(stats["max"]))
        self.finite = np.isfinite(stats["mean"]) & np.isfinite(stats["std"]) & np.isfinite(self.max_abs)
        self.reference = self.first((stats["count"] > 0) & self.finite)

    def reduce(self, ufunc, values, empty) -> np.ndarray:
        """Per series: ``ufunc.reduceat`` of the per-row `values` over its rows, `empty` without rows."""
        out = np.full(len(self.size), empty, dtype=np.result_type(values, type(empty)))
        if self._present.size:
            out[self._present] = ufunc.reduceat(values, self.start[self._present])
        return out

    def first(self, mask: np.ndarray) -> np.ndarray:
        """Per series: the first row where `mask` holds, -1 if none."""
        first = self.reduce(np.minimum, np.where(mask, self.rows, len(mask)), len(mask))
        return np.where(first < len(mask), first, -1)

    def last(self, mask: np.ndarray) -> np.ndarray:
        """Per series: the last row where `mask` holds, -1 if none."""
        return self.reduce(np.maximum, np.where(mask, self.rows, -1), -1)

    def count(self, mask: np.ndarray) -> np.ndarray:
        return self.reduce(np.add, mask.astype(np.int64), 0)

    def all(self, mask: np.ndarray) -> np.ndarray:
        """Per series: `mask` holds at every row (True for a series without rows)."""
        return self.reduce(np.logical_and, mask, True)

    def at(self, values: np.ndarray, rows: np.ndarray, missing=np.nan) -> np.ndarray:
        """Per series: ``values[rows]``, `missing` where the row is -1."""
        return np.where(rows >= 0, values[np.maximum(rows, 0)] if len(values) else missing, missing)

    def relative(self, values: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Per row: ``values`` / its series' `reference`; NaN where the row is not finite."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.finite, values / reference[self.owner], np.nan)


# -- JSON helpers --------------------------------------------------------------


def _floats(values) -> list:
    """Like `jsonable.float_list` (NaN/Inf -> None), also for 2-D arrays, in bulk: `tolist`
    once, then patch the few non-finite entries."""
    array = np.asarray(values, dtype=np.float64)
    values = array.tolist()
    bad = ~np.isfinite(array)
    if array.ndim == 2:
        for i, j in zip(*np.nonzero(bad)):
            values[i][j] = None
    else:
        for i in np.flatnonzero(bad).tolist():
            values[i] = None
    return values


def _histogram_json(buckets) -> list:
    return _floats(np.asarray(buckets, dtype=np.float64).reshape(-1, 3))


def _g(value) -> str:
    return "null" if value is None or not math.isfinite(value) else f"{value:.3g}"


def _flag(name: str, severity: str, step, message: str, evidence: dict) -> dict:
    return {
        "flag": name,
        "severity": severity,
        "first_step": None if step is None else int(step),
        "message": message,
        "evidence": {key: (jsonable.finite_or_none(value) if isinstance(value, float) else value)
                     for key, value in evidence.items()},
    }


# -- flags: one rule per function, every series of a batch at once ----------------
#
# A rule returns ``[(series, flag)]`` for the series it flags; numpy finds them, Python
# only words the (few) flags raised.


def _state_rule(batch: _Batch, name: str, holds: np.ndarray, describe) -> list:
    """identical_values / all_zero from the per-row condition `holds`.

    - Holds at the last step: the tensor is stuck -> the flag's own severity (error),
      first_step = the first step where it holds.
    - Held only at the first step and never again: a histogram written before training
      (PyTorch loops often log step 0 at initialisation; a zero-initialised bias is all
      zero then) -> no flag.
    - Held at later steps but no longer at the last: symmetry broken late (noise such
      as dropout) -> warning.

    ``describe(series, first_row, last_row, persists)`` gives (message, evidence).
    """
    first, last, held = batch.first(holds), batch.last(holds), batch.count(holds)
    persists = batch.at(holds, batch.end, False).astype(bool)
    flags = []
    for series in np.flatnonzero(persists | (last > batch.start)).tolist():
        severity = FLAG_SEVERITIES[name] if persists[series] else "warning"
        message, evidence = describe(series, int(first[series]), int(last[series]), bool(persists[series]))
        evidence.update(steps_holding=int(held[series]), last_step_holding=int(batch.steps[last[series]]))
        flags.append((series, _flag(name, severity, batch.steps[first[series]], message, evidence)))
    return flags


def _all_zero(batch: _Batch, thresholds: Thresholds) -> list:
    """all_zero (error): count > 0 and min == max == 0, with `_state_rule`'s step rules."""
    count, steps = batch.stats["count"], batch.steps

    def describe(series, first, last, persists):
        tail = "from then on" if persists else f"until step {int(steps[last])}"
        return (f"all {count[first]:g} values are exactly 0 from step {int(steps[first])} {tail}: "
                f"this tensor is not training (zero initialisation, dead path or frozen)",
                {"count": float(count[first])})

    return _state_rule(batch, "all_zero", batch.stats["all_zero"], describe)


def _identical_values(batch: _Batch, thresholds: Thresholds) -> list:
    """identical_values (error): count > 1 and min == max, with `_state_rule`'s step rules;
    not for a series all_zero flags as an error (all zero at its last step), which says it
    more precisely."""
    count, low, steps = batch.stats["count"], batch.stats["min"], batch.steps
    zero_at_end = batch.at(batch.stats["all_zero"], batch.end, False).astype(bool)

    def describe(series, first, last, persists):
        what = "biases" if batch.kinds[series] == "bias" else "values"
        tail = ("symmetry was never broken (constant initialisation)" if persists
                else f"differentiated only after step {int(steps[last])}: symmetry broken late")
        return (f"all {count[first]:g} {what} equal {low[first]:.4g} from step {int(steps[first])}: "
                f"every neuron of this layer is identical, {tail}",
                {"count": float(count[first]), "value": float(low[first])})

    holds = batch.stats["identical"] & ~zero_at_end[batch.owner]
    return _state_rule(batch, "identical_values", holds, describe)


def _exploding(batch: _Batch, thresholds: Thresholds) -> list:
    """exploding (error) at the first step with non-finite statistics, or whose std or
    max|value| exceeds explode_factor x the series' reference row's (its first usable
    step), that reference floored by explode_min_scale (kernels) or explode_min_scale_bias
    (other kinds). A weight tensor never changes size, so a histogram that becomes empty
    after holding values is NaN too: TF2's tf.summary.histogram writes zero counts (and
    NaN edges) as soon as one value is NaN."""
    nonempty = batch.stats["count"] > 0
    filled = batch.first(nonempty)[batch.owner]  # the series' first non-empty row, -1 if none
    emptied = ~nonempty & (filled >= 0) & (batch.rows > filled)
    broken = (nonempty & ~batch.finite) | emptied
    broken_at, broken_count = batch.first(broken), batch.count(broken)
    floor = np.where([kind == "kernel" for kind in batch.kinds], thresholds.explode_min_scale,
                     thresholds.explode_min_scale_bias)
    std_growth, abs_growth = (batch.relative(values, np.maximum(batch.at(values, batch.reference), floor))
                              for values in (batch.stats["std"], batch.max_abs))
    growth = np.fmax(std_growth, abs_growth)
    with np.errstate(invalid="ignore"):
        grown_at = batch.first(growth > thresholds.explode_factor)
    flags = []
    for series in np.flatnonzero((grown_at >= 0) | (broken_at >= 0)).tolist():
        at = int(grown_at[series])
        if at >= 0 and (broken_at[series] < 0 or at < broken_at[series]):
            by_std = bool(std_growth[at] >= abs_growth[at])
            flags.append((series, _grown_flag(batch, thresholds, series, at, float(growth[at]), by_std,
                                              float(floor[series]))))
            continue
        at = int(broken_at[series])
        why = ("the histogram became empty (TF2 writes an empty histogram when a value is NaN)"
               if emptied[at] else "NaN/Inf weights, or values so large their statistics overflow")
        flags.append((series, _flag(
            "exploding", FLAG_SEVERITIES["exploding"], batch.steps[at],
            f"non-finite weights from step {int(batch.steps[at])}: {why}; training diverged",
            {"nonfinite_steps": int(broken_count[series]), "emptied": bool(emptied[at])},
        )))
    return flags


def _grown_flag(batch: _Batch, thresholds: Thresholds, series: int, at: int, growth: float, by_std: bool,
                floor: float) -> dict:
    """The exploding flag of a series that grew past explode_factor at row `at`."""
    std, max_abs, steps, ref = batch.stats["std"], batch.max_abs, batch.steps, int(batch.reference[series])
    what, first_value, value = ("std", std[ref], std[at]) if by_std else ("max|value|", max_abs[ref], max_abs[at])
    return _flag(
        "exploding", FLAG_SEVERITIES["exploding"], steps[at],
        f"{what} grew {growth:.1f}x from step {int(steps[ref])} ({_g(first_value)} -> "
        f"{_g(value)}) by step {int(steps[at])}, over the {thresholds.explode_factor:g}x limit: "
        f"weights are exploding",
        {"reference_step": int(steps[ref]), "std_first": float(std[ref]), "std_at": float(std[at]),
         "max_abs_first": float(max_abs[ref]), "max_abs_at": float(max_abs[at]),
         "growth": growth, "reference_floor": floor, "factor": float(thresholds.explode_factor)},
    )


def _collapsing(batch: _Batch, thresholds: Thresholds) -> list:
    """collapsing (warning) at the first step whose std is below collapse_factor x the
    series' reference row's std (its first usable step), when that std is positive."""
    std, steps = batch.stats["std"], batch.steps
    std_ref = batch.at(std, batch.reference)
    std_ref[~(std_ref > 0)] = np.nan
    shrink = batch.relative(std, std_ref)
    with np.errstate(invalid="ignore"):
        collapsed_at = batch.first(shrink < thresholds.collapse_factor)
    flags = []
    for series in np.flatnonzero(collapsed_at >= 0).tolist():
        ref, at = int(batch.reference[series]), int(collapsed_at[series])
        flags.append((series, _flag(
            "collapsing", FLAG_SEVERITIES["collapsing"], steps[at],
            f"std shrank to {shrink[at]:.3g}x its step-{int(steps[ref])} value ({_g(std[ref])} -> "
            f"{_g(std[at])}) by step {int(steps[at])}, below the {thresholds.collapse_factor:g}x limit: "
            f"the weights are collapsing towards a constant",
            {"reference_step": int(steps[ref]), "std_first": float(std[ref]), "std_at": float(std[at]),
             "ratio": float(shrink[at]), "factor": float(thresholds.collapse_factor)},
        )))
    return flags


def _unchanged(batch: _Batch, thresholds: Thresholds) -> list:
    """unchanged (warning, first_step = the second step): `UNCHANGED_MIN_STEPS` or more steps
    and every step-to-step movement finite and below unchanged_tolerance."""
    movement = batch.stats["movement"]
    with np.errstate(invalid="ignore"):
        still = np.isfinite(movement) & (movement < thresholds.unchanged_tolerance)
    still[batch.start[batch.size > 0]] = True  # a series' first row has nothing to compare with
    largest = batch.reduce(np.fmax, movement, np.nan)
    flags = []
    for series in np.flatnonzero((batch.size >= UNCHANGED_MIN_STEPS) & batch.all(still)).tolist():
        steps = int(batch.size[series])
        flags.append((series, _flag(
            "unchanged", FLAG_SEVERITIES["unchanged"], batch.steps[batch.start[series] + 1],
            f"no movement over {steps} steps (largest step-to-step change {largest[series]:.2g} std, below "
            f"{thresholds.unchanged_tolerance:g}): frozen, or not receiving gradients",
            {"steps": steps, "max_movement": float(largest[series]),
             "tolerance": float(thresholds.unchanged_tolerance)},
        )))
    return flags


_RULES = (_all_zero, _identical_values, _exploding, _collapsing, _unchanged)


def _batch_flags(batch: _Batch, thresholds: Thresholds) -> List[list]:
    """Every series' flags (`_RULES`), worst first, then by first_step."""
    flags: List[list] = [[] for _ in batch.kinds]
    for rule in _RULES:
        for series, flag in rule(batch, thresholds):
            flags[series].append(flag)
    for tensor_flags in flags:
        tensor_flags.sort(key=lambda flag: (-SEVERITIES.index(flag["severity"]), flag["first_step"]))
    return flags


# -- trends and per tensor ----------------------------------------------------------

# Series are analysed in batches of about this many buckets: large enough that
# numpy's per-call overhead vanishes, small enough to stay in cache.
_CHUNK_BUCKETS = 30_000
_STAT_NAMES = ("count", "mean", "std", "min", "max", "percentiles", "iqr", "peak_count",
               "peak_density", "near_zero_share")


def _movement(stats: dict, distance: np.ndarray, first_rows: np.ndarray) -> np.ndarray:
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


def _ratio(last: np.ndarray, first: np.ndarray) -> list:
    """last / first per series; None where either is not finite, first is 0 or the ratio overflows."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _floats(np.where(np.isfinite(last) & np.isfinite(first) & (first != 0), last / first, np.nan))


def _trends(batch: _Batch) -> Dict[str, list]:
    """Per series (see `analyze_tensor`): std_ratio, mean_drift, peak_density_ratio, final_movement."""
    std, mean = batch.stats["std"], batch.stats["mean"]
    first, last = np.where(batch.size > 0, batch.start, -1), batch.end
    with np.errstate(invalid="ignore", over="ignore"):
        drift = batch.at(mean, last) - batch.at(mean, first)
    density = batch.stats["peak_density"]
    return {
        "std_ratio": _ratio(batch.at(std, last), batch.at(std, first)),
        "mean_drift": _ratio(drift, batch.at(std, first)),
        "peak_density_ratio": _ratio(batch.at(density, last), batch.at(density, first)),
        "final_movement": _floats(batch.at(batch.stats["movement"], np.where(batch.size > 1, batch.end, -1))),
    }


def _tensor_json(item, columns: dict, series: int, rows: slice) -> dict:
    """One tensor's `analyze_tensor` document from its batch's `columns` (`_documents`)."""
    histograms, run, tag, kind, tensor = item
    stats = {name: columns[name][rows] for name in _STAT_NAMES + ("identical",)}
    movement = columns["movement"][rows]
    steps = columns["steps"][rows]
    return {
        "tensor": tensor,
        "kind": kind,
        "run": run,
        "tag": tag,
        "steps": steps,
        "sampled": looks_downsampled(histograms.steps),
        "stats": stats,
        "trends": {"std_ratio": columns["std_ratio"][series], "mean_drift": columns["mean_drift"][series],
                   "peak_density_ratio": columns["peak_density_ratio"][series], "movement": movement,
                   "final_movement": columns["final_movement"][series]},
        "first_histogram": _histogram_json(histograms.buckets[0]) if steps else [],
        "last_histogram": _histogram_json(histograms.buckets[-1]) if steps else [],
        "flags": columns["flags"][series],
    }


def _batch_of(items, thresholds: Thresholds, shape: bool = True) -> _Batch:
    """One `_Batch` over (series, run, tag, kind, tensor) items: every statistic (only the
    moments unless `shape`, see `_flat_stats`) and the movement, each one numpy pass over
    all their histograms."""
    size = np.array([len(item[0].buckets) for item in items], dtype=np.int64)
    start = np.cumsum(size) - size
    flat = _flatten([buckets for item in items for buckets in item[0].buckets])
    stats = _flat_stats(flat, thresholds.near_zero, shape)
    stats["movement"] = _movement(stats, _wasserstein_consecutive(flat), start[size > 0])
    steps = np.concatenate([np.asarray(item[0].steps, dtype=np.int64) for item in items])
    return _Batch(steps=steps, start=start, size=size, kinds=[item[3] for item in items], stats=stats)


def _documents(items, thresholds: Thresholds) -> List[dict]:
    """`analyze_tensor` documents of a chunk of items (see `_batch_of`)."""
    batch = _batch_of(items, thresholds)
    columns = {name: _floats(batch.stats[name]) for name in _STAT_NAMES + ("movement",)}
    columns.update(_trends(batch), identical=batch.stats["identical"].tolist(), steps=batch.steps.tolist(),
                   flags=_batch_flags(batch, thresholds))
    return [_tensor_json(item, columns, series, slice(r0, r0 + n))
            for series, (item, r0, n) in enumerate(zip(items, batch.start.tolist(), batch.size.tolist()))]


def _verdicts(items, thresholds: Thresholds) -> List[dict]:
    """What `weights_summary` reads of each item's document (tensor, run, sampled, flags), without
    the per-step lists: the same batch and flag rules as `_documents`, a few Python objects per tensor."""
    flags = _batch_flags(_batch_of(items, thresholds, shape=False), thresholds)
    return [{"tensor": item[4], "run": item[1], "sampled": looks_downsampled(item[0].steps), "flags": tensor_flags}
            for item, tensor_flags in zip(items, flags)]


def _analyze_all(items, thresholds: Thresholds, analyze=_documents) -> List[dict]:
    """`analyze(chunk, thresholds)` (`_documents` or `_verdicts`) for every (series, run, tag)
    in `items`, in chunks of about `_CHUNK_BUCKETS` buckets; same order."""
    results, chunk, size = [], [], 0
    for series, run, tag in items:
        _, tensor, kind = parse_weight_tag(tag) if tag is not None else (None, None, "other")
        chunk.append((series, run, tag, kind, tensor))
        size += len(series.buckets) * (len(series.buckets[0]) + 1 if len(series.buckets) else 1)
        if size >= _CHUNK_BUCKETS:
            results.extend(analyze(chunk, thresholds))
            chunk, size = [], 0
    if chunk:
        results.extend(analyze(chunk, thresholds))
    return results


def analyze_tensor(series: HistogramSeries, thresholds: Thresholds = Thresholds(), *,
                   run: Optional[str] = None, tag: Optional[str] = None) -> dict:
    """Statistics, trends and flags of one weight tensor's histogram series (JSON-ready).

    Returns ``{"tensor", "kind", "run", "tag", "steps", "sampled", "stats", "trends",
    "first_histogram", "last_histogram", "flags"}`` where

    - ``stats``: per step (lists aligned with ``steps``) count, mean, std, min, max,
      percentiles (one list of the 9 `PERCENTILES` values per step), iqr, peak_count,
      peak_density, near_zero_share, identical (see `bucket_stats`);
    - ``trends``: ``std_ratio`` = std_last / std_first (null if std_first is 0),
      ``mean_drift`` = (mean_last - mean_first) / std_first, ``peak_density_ratio`` =
      peak_density_last / peak_density_first (below 1: flatter), ``movement`` =
      per step W1(hist_{i-1}, hist_i) / std_{i-1}: the 1-Wasserstein distance between
      consecutive histograms (`_wasserstein_consecutive`) in units of the earlier
      step's spread (|mean_{i-1}| stands in for a zero std; first element null),
      ``final_movement`` = its last element;
    - ``sampled``: the steps are unevenly spaced (`series.looks_downsampled`):
      TensorBoard's reservoir sampling dropped some;
    - ``first_histogram`` / ``last_histogram``: the first and last step's buckets as
      ``[[left, right, count], ...]``;
    - ``flags``: ``[{"flag", "severity", "first_step", "message", "evidence"}]``, worst
      first:
        * ``identical_values`` (error): count > 1 and all values equal at the last step
          (constant initialisation: symmetry never broken). first_step = first step it
          holds. Holding only at the first step is no flag (a histogram written before
          training); holding at later steps but no longer at the last is a warning.
        * ``all_zero`` (error): all values exactly 0, same step rules; it replaces
          identical_values on the same tensor.
        * ``exploding`` (error): non-finite statistics, or std or max|value| more than
          ``explode_factor`` x its first-step value (that reference floored by
          ``explode_min_scale`` for kernels, ``explode_min_scale_bias`` otherwise).
        * ``collapsing`` (warning): std below ``collapse_factor`` x its first-step value.
        * ``unchanged`` (warning): `UNCHANGED_MIN_STEPS`+ steps and every movement below
          ``unchanged_tolerance``.

    `run` and `tag` only label the output (`tag` also gives tensor and kind via
    `parse_weight_tag`; without it tensor is None and kind "other").
    """
    return _analyze_all([(series, run, tag)], thresholds)[0]


# -- per layer --------------------------------------------------------------------


def _natural(text: str) -> tuple:
    """Sort key with digit runs compared as numbers: dense, dense_1, dense_2, dense_10."""
    return tuple(int(part) if i % 2 else part.lower() for i, part in enumerate(re.split(r"(\d+)", text)))


def _worst(severities) -> Optional[str]:
    ranked = [SEVERITIES.index(s) for s in severities]
    return SEVERITIES[max(ranked)] if ranked else None


def analyze_layers(histograms: Mapping[Tuple[str, str], HistogramSeries],
                   thresholds: Thresholds = Thresholds()) -> List[dict]:
    """Per-layer analysis of weight histograms keyed by (TensorBoard run, tag).

    Tags are grouped into layers with `parse_weight_tag` within their run. Layers
    come in order of their run's first appearance in `histograms`, then by layer
    name with numbers compared numerically (dense, dense_1, dense_2, dense_10: Keras
    numbers layers in creation order); tensors within a layer: kernel, bias, other,
    then by name. Each layer is ``{"layer", "run", "worst_severity" (null or one of
    `SEVERITIES`), "flags" (number of flags of its tensors), "tensors": [analyze_tensor
    dicts]}``.
    """
    return _layers(histograms, thresholds, _documents)


def summarize_layers(histograms: Mapping[Tuple[str, str], HistogramSeries],
                     thresholds: Thresholds = Thresholds()) -> dict:
    """``weights_summary(analyze_layers(histograms, thresholds))`` plus ``"sampled"`` (whether
    any tensor's steps look downsampled), without building the per-step documents.

    Same statistics and flag rules; what it saves is the JSON-ready lists (percentiles
    per step, first/last histograms, ...): Python objects that cost more than the numpy
    passes, mostly in garbage collection in a process as large as TensorBoard's.
    """
    layers = _layers(histograms, thresholds, _verdicts)
    return dict(weights_summary(layers), sampled=any(t["sampled"] for layer in layers for t in layer["tensors"]))


def _layers(histograms: Mapping[Tuple[str, str], HistogramSeries], thresholds: Thresholds, analyze) -> List[dict]:
    """`analyze_layers` with each tensor's entry made by `analyze` (see `_analyze_all`)."""
    run_order: Dict[str, int] = {}
    groups: Dict[Tuple[str, str], list] = {}
    for (run, tag), series in histograms.items():
        run_order.setdefault(run, len(run_order))
        layer, tensor, kind = parse_weight_tag(tag)
        groups.setdefault((run, layer), []).append((KINDS.index(kind), _natural(tensor), tag, series))
    order = sorted(groups, key=lambda key: (run_order[key[0]], _natural(key[1])))
    members = {key: sorted(groups[key], key=lambda member: member[:3]) for key in order}
    analysed = iter(_analyze_all(
        [(series, run, tag) for (run, _) in order for _, _, tag, series in members[(run, _)]], thresholds, analyze))
    layers = []
    for run, layer in order:
        tensors = [next(analysed) for _ in members[(run, layer)]]
        flags = [flag for tensor in tensors for flag in tensor["flags"]]
        layers.append({
            "layer": layer,
            "run": run,
            "worst_severity": _worst(flag["severity"] for flag in flags),
            "flags": len(flags),
            "tensors": tensors,
        })
    return layers


def weights_summary(layers: List[dict]) -> dict:
    """``{"layers": n, "flagged_layers": k, "worst_flag": {...} | None}`` for `analyze_layers` output.

    flagged_layers counts layers with a warning-or-worse flag. worst_flag is the
    most severe flag (ties: earliest first_step, then layer order) as ``{"flag",
    "severity", "layer", "tensor", "run", "first_step", "message"}``, None when no
    tensor has any flag.
    """
    worst, worst_key = None, None
    flagged = 0
    for position, layer in enumerate(layers):
        if layer["worst_severity"] is not None and SEVERITIES.index(layer["worst_severity"]) >= 1:
            flagged += 1
        for tensor in layer["tensors"]:
            for flag in tensor["flags"]:
                step = flag["first_step"] if flag["first_step"] is not None else math.inf
                key = (-SEVERITIES.index(flag["severity"]), step, position)
                if worst_key is None or key < worst_key:
                    worst_key = key
                    worst = {
                        "flag": flag["flag"],
                        "severity": flag["severity"],
                        "layer": layer["layer"],
                        "tensor": tensor["tensor"],
                        "run": tensor["run"],
                        "first_step": flag["first_step"],
                        "message": flag["message"],
                    }
    return {"layers": len(layers), "flagged_layers": flagged, "worst_flag": worst}
