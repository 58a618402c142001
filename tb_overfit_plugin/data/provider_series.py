"""From the data provider's datums to the numpy series the analysis takes, and their size in bytes."""

from __future__ import annotations

from typing import List, Tuple, Union

import numpy as np

from tb_overfit_plugin.analysis import series as series_lib
from tb_overfit_plugin.data import fast_provider
from tb_overfit_plugin.data.series_set import Version

_ARRAY_OVERHEAD = 112  # bytes of a numpy array object besides its data


def _steps_and_times(datums) -> Tuple[np.ndarray, np.ndarray]:
    count = len(datums)
    return (
        np.fromiter((d.step for d in datums), np.int64, count),
        np.fromiter((d.wall_time for d in datums), np.float64, count),
    )


def _version(steps: np.ndarray, wall_times: np.ndarray) -> Version:
    """The version the provider lists for these points: (max step, max wall time)."""
    return int(steps.max()), float(wall_times.max())


def scalar_series(datums) -> Tuple[Version, series_lib.ScalarSeries]:
    """(version of the points, their `ScalarSeries`)."""
    if isinstance(datums, fast_provider.ScalarColumns):  # already numpy columns
        steps, wall_times, values = datums.steps, datums.wall_times, datums.values
    else:
        steps, wall_times = _steps_and_times(datums)
        values = np.fromiter((d.value for d in datums), np.float64, len(datums))
    return _version(steps, wall_times), series_lib.scalar_series(steps, wall_times, values)


def scalars_of(datums_list) -> List[Tuple[Version, series_lib.ScalarSeries]]:
    """`scalar_series` of each series of a read."""
    return [scalar_series(datums) for datums in datums_list]


def _histogram_columns(datums) -> Tuple[np.ndarray, np.ndarray, Union[np.ndarray, List[np.ndarray]]]:
    """(steps, wall times, tensors) of a histogram series: tensors stacked as one array when the read gave them so."""
    if isinstance(datums, fast_provider.TensorColumns):  # already numpy columns, tensors stacked
        return datums.steps, datums.wall_times, datums.values
    steps, wall_times = _steps_and_times(datums)
    return steps, wall_times, [d.numpy for d in datums]


def histograms_of(datums_list) -> List[Tuple[Version, series_lib.HistogramSeries]]:
    """(version of the points, their `HistogramSeries`) of each series of a read, normalised together
    (`series_lib.many_histogram_series`)."""
    columns = [_histogram_columns(datums) for datums in datums_list]
    built = series_lib.many_histogram_series(columns)
    return [(_version(steps, wall_times), series) for (steps, wall_times, _), series in zip(columns, built)]


def series_nbytes(series) -> int:
    """Bytes held by a series' numpy arrays (scalar or histogram), with array overheads."""
    total = 0
    for value in vars(series).values():  # the dataclass' fields (no slots)
        if isinstance(value, series_lib.BucketRows):
            total += value.nbytes + 2 * _ARRAY_OVERHEAD
            continue
        arrays = value if isinstance(value, tuple) else (value,)
        total += sum(array.nbytes + _ARRAY_OVERHEAD for array in arrays if isinstance(array, np.ndarray))
    return total
