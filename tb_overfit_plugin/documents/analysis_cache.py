"""The memos of analyses that the documents share, bounded in bytes and keyed by data version.

One `AnalysisCache` belongs to whoever builds documents (the plugin keeps one
for the life of the server, the CLI one per invocation); the document
builders take it as their first argument. An entry lives in a *slot* (the
experiment id, the run and the parameters) and holds the *version* of the
data it was computed from (the max step and wall time of the series the
analysis read): a request over hundreds of unchanged runs does no numeric
work, a run that gains an epoch is analysed again and its new entry
replaces the superseded one (a polled live run holds one entry, not one per
version), and two experiments never share an analysis.

Each memo holds at most its budget of bytes (`deep_nbytes`, estimated),
the least recently used entries dropped first. The verdicts of the default
view (`params.CurveParams()`, what every tab opens on) have a memo of their
own, so one user moving the patience control over a large sweep evicts
only other parameter sets' verdicts.
"""

from __future__ import annotations

import collections
import sys
import threading
from typing import Callable, Hashable, Sequence

import numpy as np

# A 1,000-point verdict with its series is about 140 kB; one without them (a /runs row) a few kB.
DEFAULT_VERDICT_BYTES = 64 * 2**20  # the default view's verdicts: a few thousand runs' rows and curves
OTHER_VERDICT_BYTES = 32 * 2**20  # every other parameter set's
# A run's full weight analysis is megabytes, and the tab asks for one run at a time.
WEIGHT_ANALYSIS_BYTES = 64 * 2**20
# A run's weight summary is a few hundred bytes: every run of many sweeps.
WEIGHT_SUMMARY_BYTES = 16 * 2**20

MISSING = object()


_LEAVES = frozenset((str, int, float, bool, type(None)))  # never hold anything: `deep_nbytes` does not walk them


def deep_nbytes(value) -> int:
    """Bytes held by a JSON-like value: `sys.getsizeof` of each container and scalar, numpy arrays' `nbytes`.

    Walked with a stack, not by recursion (a /runs row holds about a hundred values; one call per value
    was a sixth of a cold /runs); each container's items are sized in one `map`, and only those that may
    hold more are walked on.
    """
    total, todo, getsizeof = sys.getsizeof(value), [value], sys.getsizeof
    while todo:
        item = todo.pop()
        children: Sequence[object]
        if isinstance(item, dict):
            children = (*item.keys(), *item.values())
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            total += item.nbytes if isinstance(item, np.ndarray) else 0
            continue
        total += sum(map(getsizeof, children))
        todo.extend([child for child in children if type(child) not in _LEAVES])
    return total


class Memo:
    """A thread-safe LRU map slot -> (version, value), one version per slot, at most `capacity_bytes`.

    Args:
      capacity_bytes: the budget; entries beyond it go, least recently used first.
      size_of: the bytes an entry's value holds.
    """

    def __init__(self, capacity_bytes: int, size_of: Callable[[object], int] = deep_nbytes):
        self._capacity, self._size_of = capacity_bytes, size_of
        self._items: "collections.OrderedDict[Hashable, tuple]" = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def peek(self, slot: Hashable, version: Hashable = None):
        """The value of `slot` at `version`, or `MISSING`."""
        with self._lock:
            item = self._items.get(slot)
            if item is None or item[0] != version:
                return MISSING
            self._items.move_to_end(slot)
            return item[1]

    def get(self, slot: Hashable, version: Hashable, compute: Callable[[], object]):
        """The value of `slot` at `version`; else `compute()` (outside the lock), kept in place of older versions."""
        value = self.peek(slot, version)
        return value if value is not MISSING else self.put(slot, version, compute())

    def put(self, slot: Hashable, version: Hashable, value):
        """Keeps `value` as `slot`'s at `version`, in place of older versions; returns it."""
        size = self._size_of(value)
        with self._lock:
            old = self._items.pop(slot, None)
            self._bytes -= old[2] if old is not None else 0
            self._items[slot] = (version, value, size)
            self._bytes += size
            while self._bytes > self._capacity and self._items:
                self._bytes -= self._items.popitem(last=False)[1][2]
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes


class AnalysisCache:
    """The memos: curve verdicts (the default view's and the others'), full weight analyses, weight summaries.

    Args:
      default_verdict_bytes, other_verdict_bytes: budgets of the verdicts
        (`verdict_json.analysis_json` documents) of the default parameters and of any others.
      weight_analysis_bytes: budget of full weight analyses (`weights.analyze_layers`).
      weight_summary_bytes: budget of weight summaries (`weights.summarize_layers`).
    """

    def __init__(
        self,
        default_verdict_bytes: int = DEFAULT_VERDICT_BYTES,
        other_verdict_bytes: int = OTHER_VERDICT_BYTES,
        weight_analysis_bytes: int = WEIGHT_ANALYSIS_BYTES,
        weight_summary_bytes: int = WEIGHT_SUMMARY_BYTES,
    ):
        self.default_curves = Memo(default_verdict_bytes)
        self.curves = Memo(other_verdict_bytes)
        self.weights = Memo(weight_analysis_bytes)
        self.weight_summaries = Memo(weight_summary_bytes)

    def curve_memo(self, default_view: bool) -> Memo:
        """The verdicts' memo: the default view's, or the other parameter sets'."""
        return self.default_curves if default_view else self.curves
