"""The memos of analyses that the documents share, bounded and keyed by data version.

One `AnalysisCache` belongs to whoever builds documents (the plugin keeps one
for the life of the server, the CLI one per invocation); the document
builders take it as their first argument. Every key starts with the
experiment id and holds the versions (max step and wall time) of the series
the analysis read, so a request over hundreds of unchanged runs does no
numeric work, a run that gains an epoch is analysed again, and two
experiments never share an analysis. Each memo drops its least recently used
entry beyond its size.
"""

from __future__ import annotations

import collections
import threading
from typing import Callable, Hashable

# A curve verdict holds its series (tens of kB): a few parameter settings' worth of a sweep of hundreds of runs.
CURVE_ANALYSES_KEPT = 2_000
# A run's full weight analysis is megabytes, and the tab asks for one run at a time.
WEIGHT_ANALYSES_KEPT = 8
# A run's weight summary is a few hundred bytes: every run of many sweeps.
WEIGHT_SUMMARIES_KEPT = 20_000

MISSING = object()


class Memo:
    """A small thread-safe LRU map from hashable keys to computed values."""

    def __init__(self, capacity: int):
        self._capacity = capacity
        self._items: "collections.OrderedDict[Hashable, object]" = collections.OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: Hashable):
        """The value for `key`, or `MISSING`."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return MISSING

    def get(self, key: Hashable, compute: Callable[[], object]):
        """The value for `key`, computed by `compute()` (outside the lock) and kept when missing."""
        value = self.peek(key)
        if value is not MISSING:
            return value
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return value


class AnalysisCache:
    """The three memos: curve verdicts, full weight analyses, weight summaries.

    Args:
      curve_analyses: verdicts kept (`curve_json.analysis_json` documents).
      weight_analyses: full weight analyses kept (`weights.analyze_layers`).
      weight_summaries: weight summaries kept (`weights.summarize_layers`).
    """

    def __init__(self, curve_analyses: int = CURVE_ANALYSES_KEPT, weight_analyses: int = WEIGHT_ANALYSES_KEPT,
                 weight_summaries: int = WEIGHT_SUMMARIES_KEPT):
        self.curves = Memo(curve_analyses)
        self.weights = Memo(weight_analyses)
        self.weight_summaries = Memo(weight_summaries)
