"""Plain numpy containers for the time series the analysis works on.

No TensorBoard import here: the reading layer fills these, the analysis
modules consume them, and tests can build them directly.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class ScalarSeries:
    """One scalar tag of one TensorBoard run, ordered by step."""

    steps: np.ndarray  # int64, shape (n,)
    wall_times: np.ndarray  # float64, shape (n,)
    values: np.ndarray  # float64, shape (n,); may hold NaN / +-Inf

    def __len__(self) -> int:
        return len(self.steps)


@dataclasses.dataclass(frozen=True)
class HistogramSeries:
    """One histogram tag of one TensorBoard run, ordered by step.

    `buckets[i]` is a float64 array of shape (k_i, 3) holding (left, right,
    count) rows as returned by `normalize_buckets`; k may differ per step.
    """

    steps: np.ndarray  # int64, shape (n,)
    wall_times: np.ndarray  # float64, shape (n,)
    buckets: tuple  # of np.ndarray (k_i, 3)

    def __len__(self) -> int:
        return len(self.steps)


def scalar_series(steps, wall_times, values) -> ScalarSeries:
    """Builds a `ScalarSeries` ordered by step, one point per step.

    A step written more than once (training re-run into the same log
    directory, or resumed from an earlier epoch) keeps its most recently
    written point, by wall time: the latest run is the one to diagnose.
    """
    steps = np.asarray(steps, dtype=np.int64)
    wall_times = np.asarray(wall_times, dtype=np.float64)
    order = np.lexsort((wall_times, steps))  # by step, then by wall time
    steps, wall_times = steps[order], wall_times[order]
    last_of_step = np.ones(steps.size, dtype=bool)
    last_of_step[:-1] = steps[1:] != steps[:-1]
    return ScalarSeries(
        steps=steps[last_of_step],
        wall_times=wall_times[last_of_step],
        values=np.asarray(values, dtype=np.float64)[order][last_of_step],
    )


def _ordered_clipped_edges(stack: np.ndarray):
    """(left, right) of (n, k, 3) stacked histograms, each row ordered and clipped to its support.

    Every loader writes the data's minimum as the first row's left edge and
    its maximum as the last row's right edge (TF2 summaries; TensorBoard's
    Python `data_compat` for HistogramProto; the Rust data server, which
    keeps the outer empty rows and writes them inverted). Clipping to that
    support is what `data_compat` does, so both loaders give the same
    buckets, and no bucket reaches past the real min or max.
    """
    low, high = stack[:, :1, 0], stack[:, -1:, 1]
    sane = low <= high  # False for NaN edges: leave those rows alone
    low, high = np.where(sane, low, -np.inf), np.where(sane, high, np.inf)
    left = np.clip(np.minimum(stack[..., 0], stack[..., 1]), low, high)
    right = np.clip(np.maximum(stack[..., 0], stack[..., 1]), low, high)
    return left, right


def normalize_buckets(tensor) -> np.ndarray:
    """Returns histogram buckets as float64 (k, 3) rows (left, right, count).

    TensorBoard's two loaders disagree on the details (the Rust data server
    keeps float64 and the empty end buckets, may hand out left > right for
    HistogramProto data, and leaves the outer buckets' natural edges where
    the Python loader clips them to the data's min and max), so: cast to
    float64, order each row's edges so left <= right, clip them to the
    histogram's support (`_ordered_clipped_edges`), drop rows whose count is
    zero, and sort rows by left edge. An empty histogram becomes (0, 3).
    """
    array = np.asarray(tensor, dtype=np.float64)
    if array.size == 0:
        return np.zeros((0, 3))
    array = array.reshape(-1, 3)
    left, right = _ordered_clipped_edges(array[None])
    rows = np.column_stack([left[0], right[0], array[:, 2]])
    rows = rows[rows[:, 2] > 0]
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


def normalize_bucket_series(tensors) -> tuple:
    """`normalize_buckets` for every histogram of a series, vectorised.

    Histograms of one series usually share their shape (TF2 writes 30
    buckets at every step): those are normalised as one stacked array, which
    is many times faster than one call per histogram. Anything else (shapes
    that differ, rows that need reordering, NaN edges) takes the per-histogram
    path, so the result is always exactly `normalize_buckets` of each.
    """
    arrays = [np.asarray(tensor, dtype=np.float64) for tensor in tensors]
    if len(arrays) < 2 or len({array.shape for array in arrays}) != 1 or arrays[0].size == 0:
        return tuple(normalize_buckets(array) for array in arrays)
    stack = np.stack(arrays).reshape(len(arrays), -1, 3)
    left, right = _ordered_clipped_edges(stack)
    counts = stack[..., 2]
    # Rows must already be in (left, right) order (they are, as writers emit them).
    left_step, right_step = np.diff(left, axis=1), np.diff(right, axis=1)
    if not np.all((left_step > 0) | ((left_step == 0) & (right_step >= 0))):
        return tuple(normalize_buckets(array) for array in arrays)
    rows = np.stack([left, right, counts], axis=-1)
    keep = counts > 0
    return tuple(histogram[kept] for histogram, kept in zip(rows, keep))


def looks_downsampled(steps: np.ndarray) -> bool:
    """Whether a series' steps show signs of TensorBoard's reservoir sampling.

    A logger writes at a fixed stride (every epoch, every N steps); the
    reservoir keeps a random subset, so the gaps between kept steps become
    unequal. True when the gaps between consecutive steps are not all equal.
    """
    gaps = np.diff(np.asarray(steps))
    return bool(gaps.size > 1 and np.any(gaps != gaps[0]))
