"""Simulated validation-loss curves, seeded: docs/method.md's calls-per-kind table and stopping benchmark.

Every kind is a function ``(seed) -> (validation, train)`` of numpy arrays of the
same length (one value per epoch), the training loss always falling. Noise is
normal, its standard deviation a fraction of the curve's level (0.5).
"""

from __future__ import annotations

import numpy as np

LEVEL = 0.5
PLATEAU_NOISE = 0.04  # of the level: docs/method.md's noisy plateaus (sigma 0.02)
SLOW_RISE = (0.05, 0.15)  # total rise, fraction of the level
SLOW_RISE_EPOCHS = (8, 30)
SLOW_RISE_NOISE = (0.01, 0.04)  # fraction of the level
FALL_EPOCHS = 10  # slow rises start after this many epochs of falling


def falling_train(epochs: int) -> np.ndarray:
    return 2.0 * np.exp(-np.arange(epochs) / 8.0) + 0.1


def noisy_plateau(seed: int, epochs: int = 30) -> tuple:
    """Falls quickly to the level, then stays there: ``0.5 + 0.5 exp(-t/2) + N(0, 0.02)``."""
    t = np.arange(epochs)
    noise = np.random.default_rng(seed).normal(0.0, PLATEAU_NOISE * LEVEL, epochs)
    return LEVEL + 0.5 * np.exp(-t / 2.0) + noise, falling_train(epochs)


def noisy_u_shape(seed: int, epochs: int = 30) -> tuple:
    """Falls until epoch 12, then rises again: ``0.5 + 0.002 (t - 12)^2 + N(0, 0.02)``."""
    t = np.arange(epochs)
    noise = np.random.default_rng(seed).normal(0.0, PLATEAU_NOISE * LEVEL, epochs)
    return LEVEL + 0.002 * (t - 12.0) ** 2 + noise, falling_train(epochs)


def slow_rise_parameters(seed: int) -> tuple:
    """``(rise, epochs, noise)`` drawn uniformly from the slow-rise ranges (fractions of the level)."""
    rng = np.random.default_rng([seed, 1])
    rise = rng.uniform(*SLOW_RISE)
    epochs = int(rng.integers(SLOW_RISE_EPOCHS[0], SLOW_RISE_EPOCHS[1] + 1))
    return rise, epochs, rng.uniform(*SLOW_RISE_NOISE)


def slow_rise(seed: int) -> tuple:
    """Falls for FALL_EPOCHS epochs to the level, then climbs linearly by `rise` over `epochs` epochs."""
    rise, climb, noise = slow_rise_parameters(seed)
    t = np.arange(FALL_EPOCHS + climb)
    clean = (
        LEVEL + 0.5 * np.exp(-t / 2.0) * (t < FALL_EPOCHS) + rise * LEVEL * np.maximum(0, t - FALL_EPOCHS + 1) / climb
    )
    clean[FALL_EPOCHS - 1] = LEVEL  # the turn
    values = clean + np.random.default_rng(seed).normal(0.0, noise * LEVEL, t.size)
    return values, falling_train(t.size)


def still_improving(seed: int, epochs: int = 30, noise: float = 0.01) -> tuple:
    """Still falling at the end: ``0.5 + 0.5 exp(-t/15) + N(0, noise * 0.5)``."""
    t = np.arange(epochs)
    return LEVEL + 0.5 * np.exp(-t / 15.0) + _noise(seed, noise, epochs), falling_train(epochs)


def _noise(seed: int, noise: float, epochs: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, noise * LEVEL, epochs)


def plateau_at(seed: int, epochs: int, noise: float) -> tuple:
    """`noisy_plateau` with another length and noise (a fraction of the level)."""
    t = np.arange(epochs)
    return LEVEL + 0.5 * np.exp(-t / 2.0) + _noise(seed, noise, epochs), falling_train(epochs)


def u_shape_at(seed: int, epochs: int, noise: float) -> tuple:
    """`noisy_u_shape` with another length and noise (a fraction of the level)."""
    t = np.arange(epochs)
    return LEVEL + 0.002 * (t - 12.0) ** 2 + _noise(seed, noise, epochs), falling_train(epochs)


KINDS = {
    "noisy plateau": noisy_plateau,
    "noisy U-shape": noisy_u_shape,
    "slow rise": slow_rise,
}
