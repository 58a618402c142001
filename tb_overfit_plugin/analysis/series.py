"""Plain numpy containers for the time series the analysis works on.

No TensorBoard import here: the reading layer fills these, the analysis
modules consume them, and tests can build them directly. Every series is
built through `scalar_series` / `histogram_series`, which apply
TensorBoard's restart rule (`restart_rule`), so all loaders give the same
points.
"""

from __future__ import annotations

import collections.abc
import dataclasses
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np


@dataclasses.dataclass(frozen=True)
class Orphans:
    """The points of a series that TensorBoard's restart rule discarded (`restart_rule`).

    `count` points, at steps `first_step`..`last_step`, written before a
    later point at the same or a lower step; `restart_steps` are the steps
    at which the series went back (one per restart, in wall-time order).
    """

    count: int = 0
    first_step: Optional[int] = None
    last_step: Optional[int] = None
    restart_steps: Tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return self.count > 0


NO_ORPHANS = Orphans()


@dataclasses.dataclass(frozen=True)
class ScalarSeries:
    """One scalar tag of one TensorBoard run, ordered by step, one point per step."""

    steps: np.ndarray  # int64, shape (n,), strictly increasing
    wall_times: np.ndarray  # float64, shape (n,)
    values: np.ndarray  # float64, shape (n,); may hold NaN / +-Inf
    orphans: Orphans = NO_ORPHANS  # what the restart rule discarded

    def __len__(self) -> int:
        return len(self.steps)


class BucketRows(collections.abc.Sequence):
    """A series' histograms as one float64 (m, 3) array of rows, and where each histogram ends.

    Histogram i is ``rows[ends[i - 1]:ends[i]]`` (``ends[-1]`` taken as 0),
    in `normalize_buckets` form; indexing gives that view, so a `BucketRows`
    reads as a tuple of (k_i, 3) arrays, while the weight analysis takes
    `rows` and `lengths` as they are (`histograms.flatten_series`) instead of
    one small array per histogram.
    """

    __slots__ = ("rows", "ends")

    def __init__(self, rows: np.ndarray, ends: np.ndarray):
        self.rows, self.ends = rows, np.asarray(ends, dtype=np.int64)

    @classmethod
    def of(cls, arrays) -> "BucketRows":
        """The rows of (k_i, 3) `arrays`, one histogram each."""
        arrays = [np.asarray(array, dtype=np.float64).reshape(-1, 3) for array in arrays]
        rows = np.concatenate(arrays) if arrays else np.zeros((0, 3))
        return cls(rows, np.cumsum([len(array) for array in arrays], dtype=np.int64))

    @property
    def lengths(self) -> np.ndarray:
        """Rows of each histogram."""
        return np.diff(self.ends, prepend=0)

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.ends.nbytes

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"histogram {index} of {len(self)}")
        index %= len(self)
        return self.rows[(self.ends[index - 1] if index else 0) : self.ends[index]]


@dataclasses.dataclass(frozen=True)
class HistogramSeries:
    """One histogram tag of one TensorBoard run, ordered by step, one histogram per step.

    `buckets[i]` is a float64 array of shape (k_i, 3) holding (left, right,
    count) rows as returned by `normalize_buckets`; k may differ per step.
    `histogram_series` gives them as `BucketRows`; any sequence of arrays will do.
    """

    steps: np.ndarray  # int64, shape (n,), strictly increasing
    wall_times: np.ndarray  # float64, shape (n,)
    buckets: Sequence[np.ndarray]  # (k_i, 3) each; a BucketRows from histogram_series
    orphans: Orphans = NO_ORPHANS  # what the restart rule discarded

    def __len__(self) -> int:
        return len(self.steps)


def restart_rule(steps, wall_times) -> Tuple[np.ndarray, Orphans]:
    """TensorBoard's restart rule: which points of one series survive a re-fit or a restart.

    A training job that is restarted (``model.fit`` again with the same
    ``log_dir``, or a crashed job resumed from a checkpoint) writes steps
    again from 0 or from the resumed step. TensorBoard's Rust data server
    (``reservoir.rs``, "preemption") lets each new point at step ``s`` discard
    every point written before it whose step is ``>= s``; its Python loader
    does the same (``_Purge``) only on a second ``SessionLog.START`` or for
    pre-TF2 files, so for TF2 files the plugin applies the rule itself.

    The points are put in the order they were written, by wall time (the
    data provider may hand them out sorted by step; ties keep the given
    order). Point ``i`` of that order survives iff its step is lower than
    every later step::

        keep(i)  =  step_i < min{ step_j : j > i }        (the last point always survives)

    and a restart happens at point ``i`` iff ``step_i <= step_{i-1}``: the
    surviving steps up to ``i - 1`` increase and end at ``step_{i-1}``, so
    exactly then does the new point discard something. Repeated steps are
    the special case ``step_i == step_{i-1}``: the later point wins.

    Returns ``(order, orphans)``: the positions of the surviving points in the
    given arrays, ordered by step (hence strictly increasing steps), and
    what was discarded (`Orphans`).
    """
    steps = np.asarray(steps, dtype=np.int64)
    wall_times = np.asarray(wall_times, dtype=np.float64)
    if (steps[1:] > steps[:-1]).all() and (wall_times[1:] >= wall_times[:-1]).all():
        return np.arange(steps.size), NO_ORPHANS  # written in step order, no restart: the usual case
    written = np.lexsort((np.arange(steps.size), wall_times))
    in_time = steps[written]
    later_min = np.empty_like(in_time)
    if in_time.size:
        later_min[-1] = np.iinfo(np.int64).max
        later_min[:-1] = np.minimum.accumulate(in_time[::-1])[::-1][1:]
    keep = in_time < later_min
    if keep.all():
        return written, NO_ORPHANS
    lost = in_time[~keep]
    orphans = Orphans(
        count=int(lost.size),
        first_step=int(lost.min()),
        last_step=int(lost.max()),
        restart_steps=tuple(int(step) for step in in_time[1:][in_time[1:] <= in_time[:-1]]),
    )
    return written[keep], orphans


def scalar_series(steps, wall_times, values) -> ScalarSeries:
    """Builds a `ScalarSeries` from points in any order, after TensorBoard's `restart_rule`.

    A step written more than once keeps its most recently written point, and
    a point written after a later-stepped one discards that one: the
    latest fit is the one to diagnose, as TensorBoard's charts show it.
    """
    order, orphans = restart_rule(steps, wall_times)
    return ScalarSeries(
        steps=np.asarray(steps, dtype=np.int64)[order],
        wall_times=np.asarray(wall_times, dtype=np.float64)[order],
        values=np.asarray(values, dtype=np.float64)[order],
        orphans=orphans,
    )


def histogram_series(steps, wall_times, tensors) -> HistogramSeries:
    """Builds a `HistogramSeries` from histograms in any order, after TensorBoard's `restart_rule`.

    `tensors` are the histograms as the data provider gives them (a list,
    or one (n, k, 3) array); they are normalised with `normalize_bucket_series`.
    """
    return many_histogram_series([(steps, wall_times, tensors)])[0]


def many_histogram_series(inputs: Sequence[Tuple[Any, Any, Any]]) -> List[HistogramSeries]:
    """`histogram_series` of each (steps, wall_times, tensors) of a read: the series given as one stacked
    (n >= 2, k, 3) array (as the Rust data server's are read) are normalised together, one pass per bucket
    count k, instead of a few numpy calls per series.

    Each series is exactly what `histogram_series` gives it alone: every histogram is normalised on its own
    rows (`_stacked_rows`), and when the rows of any histogram of a pass need reordering the pass is
    undone and each of its series normalised alone (`normalize_bucket_series`).
    """
    ordered, passes = [], collections.defaultdict(list)
    buckets: List[Any] = []  # each series' stacked array until its pass, then its BucketRows
    for index, (steps, wall_times, tensors) in enumerate(inputs):
        steps, wall_times = np.asarray(steps, dtype=np.int64), np.asarray(wall_times, dtype=np.float64)
        order, orphans = restart_rule(steps, wall_times)
        kept = tensors
        if order.size != steps.size or not (order[1:] > order[:-1]).all():  # not the identity: reorder
            kept = tensors[order] if isinstance(tensors, np.ndarray) else [tensors[i] for i in order]
            steps, wall_times = steps[order], wall_times[order]
        ordered.append((steps, wall_times, orphans))
        if isinstance(kept, np.ndarray) and kept.ndim == 3 and len(kept) >= 2 and kept.shape[1] and kept.shape[2] == 3:
            passes[kept.shape[1:]].append(index)  # normalised below, with the others of its shape
            buckets.append(kept)
        else:
            buckets.append(normalize_bucket_series(kept))
    for members in passes.values():
        joined = _stacked_rows(np.concatenate([buckets[i] for i in members]).astype(np.float64, copy=False))
        counts = np.cumsum([0] + [len(buckets[i]) for i in members])
        for member, first, last in zip(members, counts[:-1], counts[1:]):
            if joined is None:
                buckets[member] = normalize_bucket_series(buckets[member])
                continue
            base = joined.ends[first - 1] if first else 0
            ends = joined.ends[first:last]
            buckets[member] = BucketRows(joined.rows[base : ends[-1]].copy(), ends - base)
    return [
        HistogramSeries(steps=steps, wall_times=wall_times, buckets=rows, orphans=orphans)
        for (steps, wall_times, orphans), rows in zip(ordered, buckets)
    ]


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


def normalize_bucket_series(tensors) -> BucketRows:
    """`normalize_buckets` for every histogram of a series, vectorised.

    Histograms of one series usually share their shape (TF2 writes 30
    buckets at every step): those are normalised as one stacked array, which
    is many times faster than one call per histogram. Anything else (shapes
    that differ, rows that need reordering, NaN edges) takes the per-histogram
    path, so the result is always exactly `normalize_buckets` of each.
    """
    arrays: Union[np.ndarray, List[np.ndarray]]
    if isinstance(tensors, np.ndarray):  # already stacked: one shape
        arrays = np.asarray(tensors, dtype=np.float64)
    else:
        each = [np.asarray(tensor, dtype=np.float64) for tensor in tensors]
        arrays = np.stack(each) if len(each) >= 2 and len({array.shape for array in each}) == 1 else each
    stacked = None
    if len(arrays) >= 2 and isinstance(arrays, np.ndarray) and arrays[0].size:
        stacked = _stacked_rows(arrays.reshape(len(arrays), -1, 3))
    return BucketRows.of([normalize_buckets(array) for array in arrays]) if stacked is None else stacked


def _stacked_rows(stack: np.ndarray) -> Optional[BucketRows]:
    """`normalize_buckets` of each histogram of a float64 (n, k, 3) stack, as one `BucketRows`; None when some
    histogram's rows are not in (left, right) order (they are, as writers emit them)."""
    left, right = _ordered_clipped_edges(stack)
    counts = stack[..., 2]
    left_step, right_step = left[:, 1:] - left[:, :-1], right[:, 1:] - right[:, :-1]
    if not np.all((left_step > 0) | ((left_step == 0) & (right_step >= 0))):
        return None
    keep = counts > 0
    # The kept rows of every histogram, in order, as one array.
    return BucketRows(np.stack([left[keep], right[keep], counts[keep]], axis=-1), np.cumsum(keep.sum(axis=1)))


def looks_downsampled(steps: np.ndarray) -> bool:
    """Whether a series' steps show signs of TensorBoard's reservoir sampling.

    A logger writes at a fixed stride (every epoch, every N steps); the
    reservoir keeps a random subset, so the gaps between kept steps become
    unequal. True when the gaps between consecutive steps are not all equal.
    Series built here have one point per step (`restart_rule`), so a step
    written twice is never mistaken for sampling.
    """
    steps = np.asarray(steps)
    gaps = steps[1:] - steps[:-1]  # np.diff's numbers, without its dispatch
    return bool(gaps.size > 1 and (gaps != gaps[0]).any())
