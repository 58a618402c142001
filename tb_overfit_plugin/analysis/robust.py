"""The median of finite values, without `np.median`'s general-purpose overhead.

`np.median` copies, checks for NaN and dispatches per call, which made it a
tenth of a cold `/runs` over a sweep of short runs (a few medians per run).
For finite values it gives the same number as `finite_median`: the middle
value, or ``(low + high) / 2`` of the two middle values.
"""

from __future__ import annotations

import numpy as np


def finite_median(values: np.ndarray) -> float:
    """``median(values)`` of a non-empty array of finite values (`np.median`'s number).

    A copy partitioned in place by the array's own method: `np.partition` does the same behind a dispatch
    that cost three times the partition of a 20-point curve.
    """
    middle, ordered = values.size // 2, values.copy()
    if values.size % 2:
        ordered.partition(middle)
        return float(ordered[middle])
    ordered.partition((middle - 1, middle))
    return float((ordered[middle - 1] + ordered[middle]) / 2.0)
