"""A sweep as a whole: which settings overfit, and seed groups' mean curves.

Pure numpy over per-run verdicts and curves (no TensorBoard import):

* `effects`: for each hyper-parameter and each of its values, how many runs,
  the share of them `overfitting`, and the spread (min, median, max) of the
  best epoch, onset epoch, best value and epochs EarlyStopping saves. A
  numeric hyper-parameter with more than `MAX_LEVELS` distinct values is cut
  into `QUANTILE_BINS` quantile bins (edges ``np.quantile(values, i / B)``;
  a value on an inner edge goes to the upper bin).
* `group_names`: runs grouped by the first capture of a regular expression
  (``(.*)_seed\\d+`` groups seeds of one setting).
* `aggregate`: the mean and sample standard deviation (ddof 1) of several
  runs' curves at each step, over the runs holding a finite value there;
  only where at least `MIN_GROUP_RUNS` do (NaN elsewhere, with the count).
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

MAX_LEVELS = 6
"""A numeric hyper-parameter with more distinct values than this is binned."""
QUANTILE_BINS = 4
MIN_GROUP_RUNS = 2
"""A step of a group curve is aggregated only where this many runs have a value."""
OVERFITTING = "overfitting"


@dataclasses.dataclass(frozen=True)
class Spread:
    """min, median and max of the known values (None when there are none), and how many there were."""

    low: Optional[float]
    median: Optional[float]
    high: Optional[float]
    count: int


def spread(values: Sequence[Optional[float]]) -> Spread:
    known = np.array([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if known.size == 0:
        return Spread(None, None, None, 0)
    return Spread(float(known.min()), float(np.median(known)), float(known.max()), int(known.size))


@dataclasses.dataclass(frozen=True)
class RunVerdict:
    """What `effects` needs of one run's analysis."""

    run: str
    hparams: Mapping[str, object]
    status: str
    best_epoch: Optional[float]
    onset_epoch: Optional[float]
    best_value: Optional[float]
    epochs_saved: Optional[float]


@dataclasses.dataclass(frozen=True)
class Level:
    """One value (or quantile bin) of a hyper-parameter and the runs that had it."""

    label: str
    low: Optional[float]  # bin edges of a binned numeric value, else None
    high: Optional[float]
    runs: Tuple[str, ...]
    overfitting_share: float
    best_epoch: Spread
    onset_epoch: Spread
    best_value: Spread
    epochs_saved: Spread


@dataclasses.dataclass(frozen=True)
class Effect:
    hparam: str
    binned: bool
    levels: Tuple[Level, ...]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _level(label: str, members: List[RunVerdict], low=None, high=None) -> Level:
    return Level(
        label=label,
        low=low,
        high=high,
        runs=tuple(m.run for m in members),
        overfitting_share=sum(m.status == OVERFITTING for m in members) / len(members),
        best_epoch=spread([m.best_epoch for m in members]),
        onset_epoch=spread([m.onset_epoch for m in members]),
        best_value=spread([m.best_value for m in members]),
        epochs_saved=spread([m.epochs_saved for m in members]),
    )


def _fmt(value) -> str:
    return f"{value:g}" if _is_number(value) else str(value)


def _levels(name: str, runs: List[RunVerdict]) -> Tuple[bool, List[Level]]:
    with_value = [r for r in runs if name in r.hparams]
    values = [r.hparams[name] for r in with_value]
    distinct = sorted(set(values), key=lambda v: (not _is_number(v), _fmt(v) if not _is_number(v) else v))
    if all(_is_number(v) for v in values) and len(distinct) > MAX_LEVELS:
        numbers = np.array(values, dtype=np.float64)
        edges = np.quantile(numbers, np.linspace(0, 1, QUANTILE_BINS + 1))
        bins = np.clip(np.searchsorted(edges, numbers, side="right") - 1, 0, QUANTILE_BINS - 1)
        levels = []
        for b in range(QUANTILE_BINS):
            members = [r for r, rb in zip(with_value, bins) if rb == b]
            if members:
                low, high = float(edges[b]), float(edges[b + 1])
                levels.append(_level(f"[{low:g}, {high:g}]", members, low, high))
        return True, levels
    return False, [_level(_fmt(v), [r for r in with_value if r.hparams[name] == v]) for v in distinct]


def effects(runs: Sequence[RunVerdict]) -> List[Effect]:
    """One `Effect` per hyper-parameter name (sorted), over the runs that set it."""
    names = sorted({name for run in runs for name in run.hparams})
    result = []
    for name in names:
        binned, levels = _levels(name, list(runs))
        result.append(Effect(name, binned, tuple(levels)))
    return result


def group_names(names: Sequence[str], pattern) -> Dict[str, List[str]]:
    """Group key (the first capture of `pattern`) -> the names that match, sorted.

    Args:
      pattern: a compiled pattern with at least one group (`re.Pattern`, or the
        linear-time RE2 pattern the routes compile user input into), whose
        `search(name)` finds a match anywhere in the name.
    """
    groups: Dict[str, List[str]] = {}
    for name in sorted(names):
        match = pattern.search(name)
        if match and match.group(1) is not None:
            groups.setdefault(match.group(1), []).append(name)
    return groups


@dataclasses.dataclass(frozen=True)
class Aggregate:
    """Several runs' curves on the union of their steps."""

    steps: np.ndarray  # int64 (m,)
    mean: np.ndarray  # float64 (m,), NaN where fewer than MIN_GROUP_RUNS values
    std: np.ndarray  # float64 (m,), sample std (ddof 1), NaN likewise
    count: np.ndarray  # int64 (m,), runs with a finite value at the step


def aggregate(curves: Sequence[Tuple[np.ndarray, np.ndarray]]) -> Aggregate:
    """Mean and spread across runs at each step (module doc)."""
    steps = (
        np.unique(np.concatenate([np.asarray(s, dtype=np.int64) for s, _ in curves]))
        if curves
        else np.zeros(0, dtype=np.int64)
    )
    table = np.full((len(curves), steps.size), np.nan)
    for row, (run_steps, values) in enumerate(curves):
        table[row, np.searchsorted(steps, np.asarray(run_steps, dtype=np.int64))] = values
    finite = np.isfinite(table)
    count = finite.sum(axis=0)
    enough = count >= MIN_GROUP_RUNS
    safe = np.where(finite, table, 0.0)
    total = safe.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(enough, total / count, np.nan)
        squares = np.where(finite, (safe - mean) ** 2, 0.0).sum(axis=0)
        std = np.where(enough, np.sqrt(squares / (count - 1)), np.nan)
    return Aggregate(steps=steps, mean=mean, std=std, count=count.astype(np.int64))
