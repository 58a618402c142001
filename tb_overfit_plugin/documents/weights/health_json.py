"""Wire JSON of the weight-histogram analysis (NaN/Inf -> null)."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from tb_overfit_plugin.analysis import histograms
from tb_overfit_plugin.analysis.weight_flags import Thresholds
from tb_overfit_plugin.documents import jsonable


def float_rows(values) -> list:
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


def histogram_json(buckets) -> list:
    return float_rows(np.asarray(buckets, dtype=np.float64).reshape(-1, 3))


def flag_json(flag) -> dict:
    """``{"flag", "severity", "first_step", "message", "evidence"}`` of a `weight_flags.Flag`
    (non-finite float evidence -> null)."""
    return {
        "flag": flag.flag,
        "severity": flag.severity,
        "first_step": flag.first_step,
        "message": flag.message,
        "evidence": {
            key: (jsonable.finite_or_none(value) if isinstance(value, float) else value)
            for key, value in flag.evidence.items()
        },
    }


def bucket_stats(buckets: np.ndarray, near_zero: float = Thresholds.near_zero) -> dict:
    """`histograms.bucket_stats` (formulas there) of one histogram as JSON-ready values:
    count a float, percentiles a list (None when empty), identical and all_zero bools,
    every other number a float or None (non-finite)."""
    stats = histograms.bucket_stats(buckets, near_zero)
    result: Dict[str, Any] = {
        name: jsonable.finite_or_none(stats[name][0])
        for name in ("mean", "std", "min", "max", "iqr", "peak_count", "peak_density", "near_zero_share")
    }
    result["count"] = float(stats["count"][0])
    result["percentiles"] = jsonable.float_list(stats["percentiles"][0]) if stats["count"][0] > 0 else None
    result["identical"] = bool(stats["identical"][0])
    result["all_zero"] = bool(stats["all_zero"][0])
    return result
