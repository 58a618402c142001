"""Conversion of numpy results to JSON-safe Python values.

JSON has no NaN or Infinity. Every float the plugin emits goes through
here: non-finite values become None (null), and callers that need to say
*which* value it was report it separately (see `nonfinite_markers`).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np


def finite_or_none(value) -> Optional[float]:
    """A Python float, or None when `value` is None, NaN or +-Inf."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def float_list(values) -> list:
    """A list of Python floats with NaN/+-Inf replaced by None."""
    array = np.asarray(values, dtype=np.float64)
    return [float(v) if math.isfinite(v) else None for v in array.tolist()]


def int_list(values) -> list:
    """A list of Python ints."""
    return [int(v) for v in np.asarray(values).tolist()]


def nonfinite_markers(steps, values) -> list:
    """`[{"step": s, "value": "NaN" | "Infinity" | "-Infinity"}]` for each non-finite value."""
    markers = []
    for step, value in zip(np.asarray(steps).tolist(), np.asarray(values, dtype=np.float64).tolist()):
        if not math.isfinite(value):
            text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
            markers.append({"step": int(step), "value": text})
    return markers
