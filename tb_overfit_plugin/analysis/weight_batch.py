"""A batch of histogram series analysed together (`Batch`, built by `batch_of`)."""

from __future__ import annotations

import dataclasses
from typing import Dict, List

import numpy as np

from tb_overfit_plugin.analysis.histograms import flat_stats, flatten_series
from tb_overfit_plugin.analysis.movement import step_movement, wasserstein_consecutive


@dataclasses.dataclass
class Batch:
    """Consecutive series analysed together: row r is one step's histogram.

    Series s owns rows ``start[s]`` to ``end[s]`` (inclusive; ``size[s]`` rows, end -1
    when there are none) and ``owner[r]`` is the series of row r. ``stats`` holds
    `flat_stats`' per-row arrays and ``movement``; per row also ``max_abs`` =
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


def batch_of(items, thresholds, shape: bool = True) -> Batch:
    """One `Batch` over (series, run, tag, kind, tensor) items: every statistic (only the
    moments unless `shape`, see `flat_stats`) and the movement, each one numpy pass over
    all their histograms."""
    size = np.array([len(item[0].buckets) for item in items], dtype=np.int64)
    start = np.cumsum(size) - size
    flat = flatten_series([item[0].buckets for item in items])
    stats = flat_stats(flat, thresholds.near_zero, shape)
    distance = wasserstein_consecutive(flat)
    stats["movement"] = step_movement(stats, distance, start[size > 0])
    stats["distance"] = np.full(flat.rows, np.nan)  # W1 to the previous row of the same series, weight units
    stats["distance"][1:] = distance[: max(flat.rows - 1, 0)]
    stats["distance"][start[size > 0]] = np.nan
    steps = np.concatenate([np.asarray(item[0].steps, dtype=np.int64) for item in items])
    return Batch(steps=steps, start=start, size=size, kinds=[item[3] for item in items], stats=stats)
