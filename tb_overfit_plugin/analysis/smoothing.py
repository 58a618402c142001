"""TensorBoard's scalar-chart smoothing."""

from __future__ import annotations

import numpy as np

from tb_overfit_plugin.analysis.direction import ArrayLike


def check_smoothing(weight: float) -> None:
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight!r}")


def smooth_ema(values: ArrayLike, weight: float) -> np.ndarray:
    """TensorBoard's scalar-chart smoothing: a debiased exponential moving average.

    With ``w = weight`` and the finite values ``x_1, x_2, ...`` in order::

        m_0 = 0,    m_k = w * m_{k-1} + (1 - w) * x_k,    s_k = m_k / (1 - w**k)

    so ``s_k`` is the average of ``x_1..x_k`` with weights proportional to
    ``w**(k - j)``. Non-finite values are passed through unchanged and do
    not update the average. As in TensorBoard, a series whose values are all
    equal is returned unchanged (the division above could otherwise move it
    by a rounding error), and ``weight == 0`` returns a copy.

    Parameters
    ----------
    values : array_like of float, shape (n,)
    weight : float in [0, 1)
        TensorBoard's "Smoothing" slider.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
    """
    check_smoothing(weight)
    values = np.asarray(values, dtype=np.float64)
    smoothed = values.copy()
    if weight == 0.0 or np.all(values == values[:1]):
        return smoothed
    # A recurrence over at most a few thousand points: a plain loop is the
    # clearest statement of it and fast enough.
    average = 0.0
    for count, index in enumerate(np.flatnonzero(np.isfinite(values)), start=1):
        average = weight * average + (1.0 - weight) * values[index]
        smoothed[index] = average / (1.0 - weight**count)
    return smoothed
