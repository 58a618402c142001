"""Weight-histogram health: per-layer numbers and flags from TensorBoard histograms.

Pure numpy (no TensorBoard import): the reading layer hands over
`HistogramSeries` (see `series.py`), this module turns them into JSON-ready
per-tensor statistics, trends across steps and health flags, grouped by layer.

Reading a histogram
-------------------
A histogram is a set of buckets ``(l, r, c)`` (left edge, right edge, count),
normalised by `series.normalize_buckets` (l <= r, no zero-count rows, sorted).
Each bucket's count is taken to be spread *uniformly* over ``[l, r]``; a
zero-width bucket (``l == r``) is a *point mass* at ``l``. This is exactly what
TF2 ``tf.summary.histogram`` produces: 30 equal-width buckets over
[min, max], or, when every value is equal, 30 zero-width buckets at that value
with all the count in the last one (an empty tensor gives 30 all-zero rows,
i.e. no rows after normalisation). The cumulative distribution F is then
piecewise linear, with jumps at point masses, and every statistic below is
exact for that model (the raw values are gone; the model is off by at most one
bucket width).

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
See `FLAG_SEVERITIES` and `analyze_tensor`. `Thresholds` holds every number a
flag depends on; each field can be overridden from a query parameter of the
same name.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from tb_overfit_plugin import jsonable
from tb_overfit_plugin.series import HistogramSeries, looks_downsampled, normalize_buckets

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

# Percentiles computed in one pass: the public ones, then p25 and p75 for the IQR.
_QUANTILES = np.array(PERCENTILES + (25.0, 75.0)) / 100.0
_N_PUBLIC = len(PERCENTILES)


def _doc(default: float, text: str):
    return dataclasses.field(default=default, metadata={"doc": text})


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """Every number a weight flag depends on (all floats, all overridable by name).

    The defaults give no warning-or-worse flag on healthy Keras training (the
    demo's `overfit` and `regularized` runs) and flag constant initialisation.
    Use `Thresholds.docs()` for the per-field help text.
    """

    explode_factor: float = _doc(
        10.0,
        "exploding: the tensor's std or max|value| grows by more than this factor over its first "
        "step (the reference is floored, see explode_min_scale / explode_min_scale_bias). Healthy "
        "kernels widen by about 1-3x over a whole training run.",
    )
    explode_min_scale: float = _doc(
        0.01,
        "exploding: floor on a kernel's first-step std / max|value| used as the growth reference, "
        "so a kernel that starts (nearly) constant is not called exploding merely for spreading "
        "out to a normal size. Default 0.01: a kernel must reach std > explode_factor x 0.01.",
    )
    explode_min_scale_bias: float = _doc(
        1.0,
        "exploding: the same floor for biases and other tensors (BatchNorm statistics, ...). "
        "Biases start at exactly zero, so their first-step spread is one epoch of movement and "
        "any growth ratio from it is meaningless; with the default a bias must exceed std or "
        "max|value| explode_factor x 1.0 = 10 to be called exploding.",
    )
    collapse_factor: float = _doc(
        0.1,
        "collapsing: std falls below this fraction of its first-step value. Weight decay "
        "shrinks kernels, but by far less than 10x in a healthy run.",
    )
    unchanged_tolerance: float = _doc(
        1e-4,
        "unchanged: a step-to-step movement (1-Wasserstein distance between consecutive "
        "histograms, in units of the earlier step's std) below this counts as no movement; a "
        "tensor with 3+ steps and no movement at all is flagged. A frozen tensor moves exactly 0.",
    )
    near_zero: float = _doc(
        1e-3,
        "near_zero_share: values with |x| below this count as near zero (absolute value).",
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
class _Batch:
    """The histograms of one series as padded (n, K) arrays, plus their statistics.

    Padding rows have count 0 and both edges at the row's last right edge, so they
    add nothing to any sum and sit after every real bucket.
    """

    left: np.ndarray
    right: np.ndarray
    counts: np.ndarray
    cum: np.ndarray  # cumulative counts along each row
    total: np.ndarray  # (n,) = cum[:, -1]


def _pad(bucket_arrays) -> _Batch:
    n = len(bucket_arrays)
    lengths = np.fromiter((len(b) for b in bucket_arrays), dtype=np.int64, count=n)
    width = max(int(lengths.max(initial=0)), 1)
    if n and np.all(lengths == width):
        stacked = np.stack(bucket_arrays).astype(np.float64, copy=False)
        left, right, counts = stacked[:, :, 0], stacked[:, :, 1], stacked[:, :, 2]
    else:
        rows = np.concatenate([np.asarray(b, dtype=np.float64).reshape(-1, 3) for b in bucket_arrays]) \
            if n else np.zeros((0, 3))
        row_of = np.repeat(np.arange(n), lengths)
        starts = np.cumsum(lengths) - lengths
        column = np.arange(len(rows)) - np.repeat(starts, lengths)
        last_right = np.zeros(n)
        has_rows = lengths > 0
        last_right[has_rows] = rows[starts[has_rows] + lengths[has_rows] - 1, 1]
        last_right[~np.isfinite(last_right)] = 0.0
        left = np.repeat(last_right[:, None], width, axis=1)
        right = left.copy()
        counts = np.zeros((n, width))
        left[row_of, column] = rows[:, 0]
        right[row_of, column] = rows[:, 1]
        counts[row_of, column] = rows[:, 2]
    cum = np.cumsum(counts, axis=1)
    total = cum[:, -1] if n else np.zeros(0)
    return _Batch(left=left, right=right, counts=counts, cum=cum, total=total)


def _batch_stats(batch: _Batch, near_zero: float) -> Dict[str, np.ndarray]:
    """Vectorised `bucket_stats` over the rows of `batch` (formulas there). NaN = null."""
    left, right, counts, cum, total = batch.left, batch.right, batch.counts, batch.cum, batch.total
    n = len(total)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        nonempty = total > 0
        occupied = counts > 0
        width = right - left
        mid = 0.5 * (left + right)
        mean = np.where(nonempty, (counts * mid).sum(axis=1) / total, np.nan)
        deviation = np.where(occupied, mid - mean[:, None], 0.0)
        within = np.where(occupied, width * width / 12.0, 0.0)
        var = np.where(nonempty, (counts * (deviation * deviation + within)).sum(axis=1) / total, np.nan)
        std = np.sqrt(np.maximum(var, 0.0)) if n else var
        std = np.where(np.isnan(var), np.nan, std)
        low = np.where(occupied, left, np.inf).min(axis=1, initial=np.inf)
        high = np.where(occupied, right, -np.inf).max(axis=1, initial=-np.inf)
        # NaN edges: min/max propagate them only where they are; make the row NaN.
        bad_edges = (np.isnan(left) | np.isnan(right)) & occupied
        low = np.where(nonempty & ~bad_edges.any(axis=1), low, np.nan)
        high = np.where(nonempty & ~bad_edges.any(axis=1), high, np.nan)

        # Percentiles: target mass t = q * N; bucket j = the first whose cumulative
        # count reaches t (for t = 0: the first non-empty bucket); inside it,
        # x = l_j + (t - cum_{j-1}) / c_j * (r_j - l_j).
        targets = _QUANTILES[None, :] * total[:, None]  # (n, Q)
        below = cum[:, None, :] < targets[:, :, None]
        below |= (cum[:, None, :] <= 0) & (targets[:, :, None] <= 0)
        index = np.minimum(below.sum(axis=2), counts.shape[1] - 1)
        c_j = np.take_along_axis(counts, index, axis=1)
        before = np.take_along_axis(cum, index, axis=1) - c_j
        fraction = np.clip(np.where(c_j > 0, (targets - before) / c_j, 0.0), 0.0, 1.0)
        quantiles = np.take_along_axis(left, index, axis=1) + fraction * np.take_along_axis(width, index, axis=1)
        quantiles = np.where(nonempty[:, None], quantiles, np.nan)
        percentiles = quantiles[:, :_N_PUBLIC]
        iqr = quantiles[:, _N_PUBLIC + 1] - quantiles[:, _N_PUBLIC]

        peak_count = np.where(nonempty, counts.max(axis=1, initial=0.0), np.nan)
        # Density c / (N * w) of each bucket; a point mass (w == 0) is infinite -> null.
        density = np.where(width > 0, counts / (total[:, None] * width), np.where(occupied, np.inf, 0.0))
        peak_density = np.where(nonempty, density.max(axis=1, initial=0.0), np.nan)

        # Mass with |x| < near_zero: overlap of [l, r] with (-z, z) as a share of the
        # bucket (a point mass counts wholly when |l| < z).
        overlap = np.clip(np.minimum(right, near_zero) - np.maximum(left, -near_zero), 0.0, None)
        share = np.where(width > 0, overlap / width, (np.abs(left) < near_zero).astype(np.float64))
        near = np.where(nonempty, (counts * np.where(occupied, share, 0.0)).sum(axis=1) / total, np.nan)

    identical = (total > 1) & (low == high)
    all_zero = nonempty & (low == 0.0) & (high == 0.0)
    return {
        "count": total,
        "mean": mean,
        "std": std,
        "min": low,
        "max": high,
        "percentiles": percentiles,
        "iqr": iqr,
        "peak_count": peak_count,
        "peak_density": peak_density,
        "near_zero_share": near,
        "identical": identical,
        "all_zero": all_zero,
    }


def bucket_stats(buckets: np.ndarray, near_zero: float = 1e-3) -> dict:
    """Scalar statistics of ONE histogram given as (k, 3) rows (left, right, count).

    Rows are normalised first (`series.normalize_buckets`). With N = sum c and
    each bucket's count uniform over [l, r] (a point mass when l == r):

    - ``count`` = N
    - ``mean`` = sum c (l + r) / 2 / N
    - ``std`` = sqrt(sum c [((l + r) / 2 - mean)^2 + (r - l)^2 / 12] / N)
      (between-bucket plus within-bucket variance of the uniform model)
    - ``min`` = smallest left edge of a non-empty bucket, ``max`` = largest right edge
    - ``percentiles`` (at `PERCENTILES`): with target mass t = p/100 N and j the first
      bucket whose cumulative count reaches t, ``l_j + (t - cum_{j-1}) / c_j (r_j - l_j)``
      (linear interpolation of the cumulative distribution inside the bucket, as
      TensorBoard's distributions dashboard does); p0 = min, p100 = max, and every
      percentile falling in a point mass is its value
    - ``iqr`` = p75 - p25, same interpolation
    - ``peak_count`` = max c (what one compares between epochs by eye; bucket widths
      change between steps, hence also:)
    - ``peak_density`` = max c / (N (r - l)), a probability density (1 / value units),
      comparable across steps; ``None`` when the histogram has a point mass (zero-width
      bucket with count > 0), whose density is infinite
    - ``near_zero_share`` = share of N with |x| < `near_zero`, counting the part of each
      bucket's [l, r] inside (-near_zero, near_zero) pro rata
    - ``identical`` = N > 1 and min == max (all values equal)
    - ``all_zero`` = N > 0 and min == max == 0

    An empty histogram (N = 0) gives count 0, every other number None, and
    identical / all_zero False. Non-finite results (NaN/Inf edges) are None.
    """
    batch = _pad((normalize_buckets(buckets),))
    stats = _batch_stats(batch, near_zero)
    return {
        "count": float(stats["count"][0]),
        "mean": jsonable.finite_or_none(stats["mean"][0]),
        "std": jsonable.finite_or_none(stats["std"][0]),
        "min": jsonable.finite_or_none(stats["min"][0]),
        "max": jsonable.finite_or_none(stats["max"][0]),
        "percentiles": None if stats["count"][0] <= 0 else jsonable.float_list(stats["percentiles"][0]),
        "iqr": jsonable.finite_or_none(stats["iqr"][0]),
        "peak_count": jsonable.finite_or_none(stats["peak_count"][0]),
        "peak_density": jsonable.finite_or_none(stats["peak_density"][0]),
        "near_zero_share": jsonable.finite_or_none(stats["near_zero_share"][0]),
        "identical": bool(stats["identical"][0]),
        "all_zero": bool(stats["all_zero"][0]),
    }


# -- movement between consecutive histograms -------------------------------------


def _cdf_at_merged(own_x, own_f, order, offset, size, merged_x):
    """One histogram's CDF at every point of the merged knot list of a pair.

    `own_x`/`own_f` are its knots (nondecreasing x); `order` maps merged
    positions to concatenated knot indices, this histogram's being
    ``offset .. offset + size - 1``. Between two consecutive own knots the CDF is
    linear, so it is interpolated from the previous and next own knot; before the
    first knot it is 0, after the last it is 1.
    """
    local = order - offset
    mine = (local >= 0) & (local < size)
    previous = np.maximum.accumulate(np.where(mine, local, -1), axis=1)
    following = np.minimum.accumulate(np.where(mine, local, size)[:, ::-1], axis=1)[:, ::-1]
    prev_i = np.clip(previous, 0, size - 1)
    next_i = np.clip(following, 0, size - 1)
    x0 = np.take_along_axis(own_x, prev_i, axis=1)
    x1 = np.take_along_axis(own_x, next_i, axis=1)
    f0 = np.take_along_axis(own_f, prev_i, axis=1)
    f1 = np.take_along_axis(own_f, next_i, axis=1)
    span = x1 - x0
    t = np.where(span > 0, (merged_x - x0) / np.where(span > 0, span, 1.0), 0.0)
    value = f0 + t * (f1 - f0)
    value = np.where(previous < 0, 0.0, value)
    return np.where(following >= size, f0, value)


def _wasserstein_consecutive(batch: _Batch) -> np.ndarray:
    """W1(hist_{i-1}, hist_i) for i = 1..n-1, exactly, for the uniform-bucket model.

    W1 = integral over x of |F_{i-1}(x) - F_i(x)|, F the normalised CDFs. Each F is
    piecewise linear with knots at its bucket edges (jumps at point masses), so on
    the merged (sorted union of both histograms') edges the difference is linear
    between consecutive knots and the integral is exact: sum over intervals of
    dx (|g0| + |g1|) / 2 when g0, g1 have the same sign, dx (g0^2 + g1^2) / (2 (|g0| + |g1|))
    when the difference crosses zero. Buckets are assumed not to overlap (TensorBoard's
    never do). NaN where either histogram is empty or has non-finite edges.
    """
    n, k = batch.counts.shape
    if n < 2:
        return np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.where(batch.total > 0, batch.total, 1.0)[:, None]
        knots_x = np.empty((n, 2 * k))
        knots_x[:, 0::2], knots_x[:, 1::2] = batch.left, batch.right
        knots_f = np.empty((n, 2 * k))
        knots_f[:, 0::2], knots_f[:, 1::2] = (batch.cum - batch.counts) / total, batch.cum / total
        ax, af, bx, bf = knots_x[:-1], knots_f[:-1], knots_x[1:], knots_f[1:]
        merged = np.concatenate([ax, bx], axis=1)
        order = np.argsort(merged, axis=1, kind="stable")
        xs = np.take_along_axis(merged, order, axis=1)
        difference = (_cdf_at_merged(ax, af, order, 0, 2 * k, xs)
                      - _cdf_at_merged(bx, bf, order, 2 * k, 2 * k, xs))
        g0, g1, dx = difference[:, :-1], difference[:, 1:], np.diff(xs, axis=1)
        a0, a1 = np.abs(g0), np.abs(g1)
        crossing = g0 * g1 < 0
        area = np.where(crossing, (g0 * g0 + g1 * g1) / np.where(crossing, 2.0 * (a0 + a1), 1.0), 0.5 * (a0 + a1))
        distance = np.sum(np.where(dx > 0, area * dx, 0.0), axis=1)
    finite = np.isfinite(knots_x).all(axis=1) & (batch.total > 0)
    return np.where(finite[:-1] & finite[1:], distance, np.nan)


# -- JSON helpers --------------------------------------------------------------


def _floats(values) -> list:
    """`jsonable.float_list`, with a fast path for the usual all-finite case."""
    array = np.asarray(values, dtype=np.float64)
    if np.isfinite(array).all():
        return array.tolist()
    if array.ndim == 2:
        return [jsonable.float_list(row) for row in array]
    return jsonable.float_list(array)


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


# -- flags -----------------------------------------------------------------------


def _state_flag(name: str, holds: np.ndarray, steps: np.ndarray, message, evidence) -> Optional[dict]:
    """identical_values / all_zero from the per-step condition `holds`.

    - Holds at the last step: the tensor is stuck -> the flag's own severity (error),
      first_step = the first step where it holds.
    - Held only at the first step and never again: a histogram written before training
      (PyTorch loops often log step 0 at initialisation; a zero-initialised bias is all
      zero then) -> no flag.
    - Held at later steps but no longer at the last: symmetry broken late (noise such
      as dropout) -> warning.
    """
    if not holds.any():
        return None
    where = np.flatnonzero(holds)
    if holds[-1]:
        severity = FLAG_SEVERITIES[name]
    elif where[-1] == 0:
        return None
    else:
        severity = "warning"
    first = int(where[0])
    return _flag(name, severity, steps[first], message(first, bool(holds[-1]), where), evidence(first, where))


def _first_over(ratio: np.ndarray, limit: float, above: bool) -> Optional[int]:
    with np.errstate(invalid="ignore"):
        hits = np.flatnonzero(ratio > limit if above else ratio < limit)
    return int(hits[0]) if hits.size else None


def _flags(kind: str, steps: np.ndarray, stats: dict, movement: np.ndarray, thresholds: Thresholds) -> list:
    flags = []
    count, std, low, high = stats["count"], stats["std"], stats["min"], stats["max"]
    nonempty = count > 0

    def all_zero_message(first, persists, where):
        tail = "from then on" if persists else f"until step {int(steps[where[-1]])}"
        return (f"all {count[first]:g} values are exactly 0 from step {int(steps[first])} {tail}: "
                f"this tensor is not training (zero initialisation, dead path or frozen)")

    zero_flag = _state_flag(
        "all_zero", stats["all_zero"], steps, all_zero_message,
        lambda first, where: {"count": float(count[first]), "steps_holding": int(where.size),
                              "last_step_holding": int(steps[where[-1]])},
    )
    if zero_flag is not None:
        flags.append(zero_flag)

    def identical_message(first, persists, where):
        what = "biases" if kind == "bias" else "values"
        tail = ("symmetry was never broken (constant initialisation)" if persists
                else f"differentiated only after step {int(steps[where[-1]])}: symmetry broken late")
        return (f"all {count[first]:g} {what} equal {low[first]:.4g} from step {int(steps[first])}: "
                f"every neuron of this layer is identical, {tail}")

    # An all-zero tensor is also identical; all_zero says it more precisely.
    if zero_flag is None or zero_flag["severity"] != "error":
        identical_flag = _state_flag(
            "identical_values", stats["identical"], steps, identical_message,
            lambda first, where: {"count": float(count[first]), "value": float(low[first]),
                                  "steps_holding": int(where.size),
                                  "last_step_holding": int(steps[where[-1]])},
        )
        if identical_flag is not None:
            flags.append(identical_flag)

    with np.errstate(invalid="ignore", over="ignore"):
        max_abs = np.maximum(np.abs(low), np.abs(high))
    finite = np.isfinite(stats["mean"]) & np.isfinite(std) & np.isfinite(max_abs)
    usable = np.flatnonzero(nonempty & finite)

    # exploding: non-finite statistics, or growth over the (floored) first step.
    nonfinite = np.flatnonzero(nonempty & ~finite)
    explode_at, explode_flag = None, None
    if nonfinite.size:
        explode_at = int(nonfinite[0])
        explode_flag = _flag(
            "exploding", FLAG_SEVERITIES["exploding"], steps[explode_at],
            f"non-finite weights (NaN or Inf) at step {int(steps[explode_at])}: training diverged",
            {"nonfinite_steps": int(nonfinite.size)},
        )
    if usable.size:
        ref = int(usable[0])
        floor = thresholds.explode_min_scale if kind == "kernel" else thresholds.explode_min_scale_bias
        std_ref = max(float(std[ref]), floor)
        abs_ref = max(float(max_abs[ref]), floor)
        with np.errstate(divide="ignore", invalid="ignore"):
            std_growth = np.where(finite, std / std_ref, np.nan) if std_ref > 0 else np.full_like(std, np.nan)
            abs_growth = np.where(finite, max_abs / abs_ref, np.nan) if abs_ref > 0 else np.full_like(std, np.nan)
        growth = np.fmax(std_growth, abs_growth)
        at = _first_over(growth, thresholds.explode_factor, above=True)
        if at is not None and (explode_at is None or at < explode_at):
            by_std = std_growth[at] >= abs_growth[at] or np.isnan(abs_growth[at])
            what, first_value, value = ("std", std[ref], std[at]) if by_std else ("max|value|", max_abs[ref], max_abs[at])
            explode_flag = _flag(
                "exploding", FLAG_SEVERITIES["exploding"], steps[at],
                f"{what} grew {growth[at]:.1f}x from step {int(steps[ref])} ({_g(first_value)} -> {_g(value)}) "
                f"by step {int(steps[at])}, over the {thresholds.explode_factor:g}x limit: weights are exploding",
                {"reference_step": int(steps[ref]), "std_first": float(std[ref]), "std_at": float(std[at]),
                 "max_abs_first": float(max_abs[ref]), "max_abs_at": float(max_abs[at]),
                 "growth": float(growth[at]), "reference_floor": float(floor),
                 "factor": float(thresholds.explode_factor)},
            )
    if explode_flag is not None:
        flags.append(explode_flag)

    # collapsing: std below collapse_factor x the first step's (positive) std.
    if usable.size and std[usable[0]] > 0:
        ref = int(usable[0])
        with np.errstate(invalid="ignore"):
            shrink = np.where(finite, std / std[ref], np.nan)
        at = _first_over(shrink, thresholds.collapse_factor, above=False)
        if at is not None:
            flags.append(_flag(
                "collapsing", FLAG_SEVERITIES["collapsing"], steps[at],
                f"std shrank to {shrink[at]:.3g}x its step-{int(steps[ref])} value ({_g(std[ref])} -> "
                f"{_g(std[at])}) by step {int(steps[at])}, below the {thresholds.collapse_factor:g}x limit: "
                f"the weights are collapsing towards a constant",
                {"reference_step": int(steps[ref]), "std_first": float(std[ref]), "std_at": float(std[at]),
                 "ratio": float(shrink[at]), "factor": float(thresholds.collapse_factor)},
            ))

    # unchanged: 3+ steps and every step-to-step movement below the tolerance.
    moves = movement[1:]
    if len(steps) >= 3 and moves.size and np.isfinite(moves).all() and (moves < thresholds.unchanged_tolerance).all():
        largest = float(moves.max())
        flags.append(_flag(
            "unchanged", FLAG_SEVERITIES["unchanged"], steps[1],
            f"no movement over {len(steps)} steps (largest step-to-step change {largest:.2g} std, below "
            f"{thresholds.unchanged_tolerance:g}): frozen, or not receiving gradients",
            {"steps": int(len(steps)), "max_movement": largest,
             "tolerance": float(thresholds.unchanged_tolerance)},
        ))
    flags.sort(key=lambda flag: (-SEVERITIES.index(flag["severity"]),
                                 flag["first_step"] if flag["first_step"] is not None else 0))
    return flags


# -- per tensor -----------------------------------------------------------------


def _movement(stats: dict, distance: np.ndarray) -> np.ndarray:
    """movement[i] = W1(i-1, i) / scale_{i-1}; scale = std, else |mean| for a point mass.

    A point mass at 0 moving to anything has no scale: NaN (null) unless it did not
    move (0). movement[0] is NaN (null): nothing to compare with.
    """
    std, mean = stats["std"][:-1], stats["mean"][:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(std > 0, std, np.abs(mean))
        moved = np.where(scale > 0, distance / scale, np.where(distance == 0, 0.0, np.nan))
    return np.concatenate([[np.nan], moved]) if len(stats["std"]) else np.zeros(0)


def _ratio(last, first) -> Optional[float]:
    if first is None or last is None or not math.isfinite(first) or first == 0:
        return None
    return jsonable.finite_or_none(last / first)


def analyze_tensor(series: HistogramSeries, thresholds: Thresholds = Thresholds(), *,
                   run: Optional[str] = None, tag: Optional[str] = None) -> dict:
    """Statistics, trends and flags of one weight tensor's histogram series (JSON-ready).

    Returns ``{"tensor", "kind", "run", "tag", "steps", "sampled", "stats", "trends",
    "first_histogram", "last_histogram", "flags"}`` where

    - ``stats``: per step (lists aligned with ``steps``) count, mean, std, min, max,
      percentiles (one list of `PERCENTILES` values per step), iqr, peak_count,
      peak_density, near_zero_share, identical (see `bucket_stats`);
    - ``trends``: ``std_ratio`` = std_last / std_first (null if std_first is 0),
      ``mean_drift`` = (mean_last - mean_first) / std_first, ``peak_density_ratio`` =
      peak_density_last / peak_density_first (below 1: flatter), ``movement`` =
      per step W1(hist_{i-1}, hist_i) / std_{i-1} (1-Wasserstein distance between
      consecutive histograms in units of the earlier spread, see
      `_wasserstein_consecutive`; |mean_{i-1}| replaces a zero std; first element
      null), ``final_movement`` = its last element;
    - ``first_histogram`` / ``last_histogram``: the first and last step's buckets as
      ``[[left, right, count], ...]``;
    - ``flags``: ``[{"flag", "severity", "first_step", "message", "evidence"}]``, worst
      first:
        * ``identical_values`` (error): count > 1 and all values equal at the last step
          (constant initialisation: symmetry never broken). first_step = first step it
          holds. Holding only at the first step is no flag (a histogram written before
          training); holding at later steps but not the last is a warning.
        * ``all_zero`` (error): all values exactly 0, same step rules (replaces
          identical_values on the same tensor).
        * ``exploding`` (error): non-finite statistics, or std or max|value| above
          ``explode_factor`` x its first-step value (floored by ``explode_min_scale`` for
          kernels, ``explode_min_scale_bias`` for the rest).
        * ``collapsing`` (warning): std below ``collapse_factor`` x its first-step value.
        * ``unchanged`` (warning): 3+ steps and every movement below
          ``unchanged_tolerance``.

    `run` and `tag` only label the output (and `tag` gives tensor and kind via
    `parse_weight_tag`).
    """
    if tag is None:
        tensor, kind = None, "other"
    else:
        _, tensor, kind = parse_weight_tag(tag)
    steps = np.asarray(series.steps, dtype=np.int64)
    batch = _pad(series.buckets)
    stats = _batch_stats(batch, thresholds.near_zero)
    movement = _movement(stats, _wasserstein_consecutive(batch))
    n = len(steps)

    std_list = _floats(stats["std"])
    mean_list = _floats(stats["mean"])
    density_list = _floats(stats["peak_density"])
    std_first = std_list[0] if n else None
    movement_list = _floats(movement)
    trends = {
        "std_ratio": _ratio(std_list[-1], std_first) if n else None,
        "mean_drift": (_ratio(mean_list[-1] - mean_list[0], std_first)
                       if n and mean_list[0] is not None and mean_list[-1] is not None else None),
        "peak_density_ratio": _ratio(density_list[-1], density_list[0]) if n else None,
        "movement": movement_list,
        "final_movement": movement_list[-1] if n > 1 else None,
    }
    return {
        "tensor": tensor,
        "kind": kind,
        "run": run,
        "tag": tag,
        "steps": steps.tolist(),
        "sampled": looks_downsampled(steps),
        "stats": {
            "count": _floats(stats["count"]),
            "mean": mean_list,
            "std": std_list,
            "min": _floats(stats["min"]),
            "max": _floats(stats["max"]),
            "percentiles": _floats(stats["percentiles"]) if n else [],
            "iqr": _floats(stats["iqr"]),
            "peak_count": _floats(stats["peak_count"]),
            "peak_density": density_list,
            "near_zero_share": _floats(stats["near_zero_share"]),
            "identical": stats["identical"].tolist(),
        },
        "trends": trends,
        "first_histogram": _histogram_json(series.buckets[0]) if n else [],
        "last_histogram": _histogram_json(series.buckets[-1]) if n else [],
        "flags": _flags(kind, steps, stats, movement, thresholds) if n else [],
    }


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
    run_order: Dict[str, int] = {}
    groups: Dict[Tuple[str, str], list] = {}
    for (run, tag), series in histograms.items():
        run_order.setdefault(run, len(run_order))
        layer, tensor, kind = parse_weight_tag(tag)
        groups.setdefault((run, layer), []).append((KINDS.index(kind), _natural(tensor), tag, series))
    layers = []
    for run, layer in sorted(groups, key=lambda key: (run_order[key[0]], _natural(key[1]))):
        members = sorted(groups[(run, layer)], key=lambda member: member[:3])
        tensors = [analyze_tensor(series, thresholds, run=run, tag=tag) for _, _, tag, series in members]
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
