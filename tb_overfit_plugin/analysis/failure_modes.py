"""Failed training named as engineers name it: stuck, diverged in the first epoch, underfitting.

Three rules on a run's curves, each returning its evidence (or None); `status`
uses them (`status.failure_status`):

* `stuck`: a curve flat within its noise for the last ``max(patience,
  MIN_STUCK_POINTS)`` points; `stuck_since`: flat from a position on (at least as
  many points). Overfitting needs the train side to keep improving after
  validation's best, so validation worsening over a train curve stuck since that
  best is not overfitting.
* `first_epoch_divergence`: a first training value far above the rest
  (``FIRST_EPOCH_FACTOR`` x the median of the later ones) with the curve flat
  ever since: the loss exploded in the first epoch and training never recovered.
* `chance_level_divergence`: a cross-entropy loss well above chance in the first
  epoch (``CHANCE_LOSS_FACTOR`` x ``ln K``) while the training accuracy sits at
  chance (``1/K``) at every epoch: diverged in the first epoch, never learned.
* `underfitting`: train and validation both stuck and close together at the end
  (within ``UNDERFIT_GAP_FRACTION`` of the training value): the model fits its
  training data no better than held-out data.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from tb_overfit_plugin.analysis.direction import worsening
from tb_overfit_plugin.analysis.onset import MATERIAL_FRACTION, NOISE_TOLERANCE, noise_level
from tb_overfit_plugin.analysis.robust import finite_median
from tb_overfit_plugin.analysis.sorted_curve import Curve

MIN_STUCK_POINTS = 3
"""`stuck` looks at no fewer than this many last points (``max(patience, MIN_STUCK_POINTS)``)."""

FIRST_EPOCH_FACTOR = 10.0
"""A first training value above this multiple of the later values' median exploded in epoch 1."""

MAX_BLOWUP_EPOCHS = 2
"""`first_epoch_divergence` lets the explosion last this many first values (a loss of 2e6, then 1.6e4)."""

CHANCE_LOSS_FACTOR = 2.0
"""A first training cross-entropy above this multiple of chance (``ln K``) is well above chance. Below it,
the spread of a freshly initialised model's outputs alone can put the loss there (a Glorot-initialised
logistic regression on 20 standardised features starts at 1.49x chance), which is no sign of divergence."""

CHANCE_ACCURACY_TOLERANCE = 0.1
"""Accuracy sits at chance when every training value is within this fraction of ``1/K`` from ``1/K``
(binary: 0.45 to 0.55)."""

UNDERFIT_GAP_FRACTION = 0.05
"""`underfitting` needs ``|validation - train|`` at the end within this fraction of the training value."""


@dataclasses.dataclass(frozen=True)
class Stuck:
    """A curve flat over its last `window` points: it improved by `gain` <= `limit` on `reference`."""

    window: int
    reference: float  # the value just before the window
    best: float  # the best value inside the window
    end: float
    gain: float
    limit: float


def flat_gain(values: np.ndarray, mode: str, reference_index: int) -> Optional[Stuck]:
    """Whether the finite `values` after ``reference_index`` stay flat within the noise of that tail.

    ``gain = -worsening(best(values[r+1:]), values[r])`` (how much the best after
    ``r`` improves on the value at ``r``);
    ``limit = max(NOISE_TOLERANCE * sigma, MATERIAL_FRACTION * |values[r]|)``,
    ``sigma = onset.noise_level(values[r:])``. Flat iff ``gain <= limit``;
    None when fewer than 2 points follow ``r`` or the curve is not flat.
    """
    tail = values[reference_index + 1 :]
    if tail.size < 2:
        return None
    reference = float(values[reference_index])
    best = float(tail.min() if mode == "min" else tail.max())
    gain = -float(worsening(best, reference, mode))
    sigma = noise_level(values[reference_index:])
    limit = max(NOISE_TOLERANCE * sigma, MATERIAL_FRACTION * abs(reference))
    if gain > limit:
        return None
    return Stuck(int(tail.size), reference, best, float(tail[-1]), gain, limit)


def stuck(curve: Optional[Curve], mode: str, patience: int) -> Optional[Stuck]:
    """`flat_gain` over the last ``k = max(patience, MIN_STUCK_POINTS)`` finite values, against the one before."""
    if curve is None:
        return None
    finite = curve.finite_values()
    window = max(int(patience), MIN_STUCK_POINTS)
    if finite.size < window + 1:
        return None
    return flat_gain(finite, mode, finite.size - window - 1)


@dataclasses.dataclass(frozen=True)
class FirstEpochBlowup:
    """The exploded first training values, the later values' median, and how flat the curve stayed since."""

    step: int
    first: float
    epochs: int  # how many first values exploded (1: the first epoch only)
    later_median: float
    since: Stuck


def first_epoch_divergence(train: Optional[Curve], mode: str) -> Optional[FirstEpochBlowup]:
    """The loss exploded in the first epoch and training never recovered (mode "min", finite values ``t``):

    ``m = median(t_1..)``, ``high = {i : t_i > FIRST_EPOCH_FACTOR * m}`` must be a prefix
    ``0..j-1`` (``j >= 1``, ``j <= MAX_BLOWUP_EPOCHS``) and ``t_j..`` flat (`flat_gain` against ``t_j``).
    A curve that keeps improving after a large first value (a regression loss falling fast) is not this."""
    if train is None or mode != "min" or not np.isfinite(train.values[0]):
        return None
    finite = train.finite_values()
    if finite.size < MIN_STUCK_POINTS + 2:
        return None
    later = finite_median(finite[1:])
    if not later > 0:
        return None
    high = finite > FIRST_EPOCH_FACTOR * later
    blown = int(np.argmin(high)) if not high.all() else finite.size
    if not 1 <= blown <= MAX_BLOWUP_EPOCHS or high[blown:].any():
        return None
    since = flat_gain(finite[blown:], mode, 0)
    if since is None:
        return None
    return FirstEpochBlowup(int(train.steps[0]), float(finite[0]), blown, later, since)


@dataclasses.dataclass(frozen=True)
class ChanceDivergence:
    """A first cross-entropy well above chance while accuracy sat at chance: the evidence numbers."""

    step: int
    first: float  # the first training loss
    classes: int  # K, from the accuracy at chance (1/K)
    chance_loss: float  # ln K
    accuracy_low: float
    accuracy_high: float


def chance_level_divergence(train: Optional[Curve], mode: str, accuracy: Optional[Curve]) -> Optional[ChanceDivergence]:
    """A cross-entropy loss well above chance while the accuracy sits at chance (mode "min").

    ``a``: the finite training accuracies (fractions; at least ``MIN_STUCK_POINTS + 1``),
    ``K = round(1 / median(a))`` classes (``K >= 2``), chance accuracy ``1/K`` and chance
    cross-entropy ``ln K`` (the loss of guessing uniformly; binary: ``ln 2 = 0.693``). Holds when
    every ``|a_i - 1/K| <= CHANCE_ACCURACY_TOLERANCE / K`` (accuracy never left chance) and the
    first training loss ``t_0 > CHANCE_LOSS_FACTOR * ln K``. The caller passes `accuracy` only
    when the loss is a classifier's (the run logs an accuracy), taken to be a cross-entropy.
    """
    if train is None or accuracy is None or mode != "min" or not np.isfinite(train.values[0]):
        return None
    values = accuracy.finite_values()
    if values.size < MIN_STUCK_POINTS + 1 or values.min() < 0 or values.max() > 1:
        return None
    middle = float(np.median(values))
    classes = int(round(1.0 / middle)) if middle > 0 else 0
    if classes < 2:
        return None
    chance_loss = float(np.log(classes))
    at_chance = np.abs(values - 1.0 / classes) <= CHANCE_ACCURACY_TOLERANCE / classes
    first = float(train.values[0])
    if not at_chance.all() or not first > CHANCE_LOSS_FACTOR * chance_loss:
        return None
    return ChanceDivergence(int(train.steps[0]), first, classes, chance_loss, float(values.min()), float(values.max()))


@dataclasses.dataclass(frozen=True)
class Underfit:
    """Both curves stuck, and their values at the end."""

    train: Stuck
    validation: Stuck
    gap_fraction: float  # |validation_end - train_end| / |train_end|


def underfitting(train: Optional[Curve], validation: Optional[Curve], mode: str, patience: int) -> Optional[Underfit]:
    """Both curves `stuck` and ``|v_end - t_end| <= UNDERFIT_GAP_FRACTION * |t_end|``; else None."""
    train_stuck, validation_stuck = stuck(train, mode, patience), stuck(validation, mode, patience)
    if train_stuck is None or validation_stuck is None or train_stuck.end == 0:
        return None
    gap = abs(validation_stuck.end - train_stuck.end) / abs(train_stuck.end)
    if gap > UNDERFIT_GAP_FRACTION:
        return None
    return Underfit(train_stuck, validation_stuck, gap)


@dataclasses.dataclass(frozen=True)
class Failures:
    """What `failures_of` found on a run's curves (each None when it does not hold)."""

    first_epoch: Optional[FirstEpochBlowup] = None
    chance: Optional[ChanceDivergence] = None
    train_stuck: Optional[Stuck] = None
    underfit: Optional[Underfit] = None


NO_FAILURES = Failures()


def stuck_since(values: Optional[np.ndarray], start: Optional[int], mode: str, patience: int) -> Optional[Stuck]:
    """`flat_gain` of the finite ``values[start:]`` against ``values[start]``, when at least
    ``max(patience, MIN_STUCK_POINTS)`` finite points follow it; else None."""
    if values is None or start is None:
        return None
    since = values[start:]
    since = since[np.isfinite(since)]
    if since.size < 1 + max(int(patience), MIN_STUCK_POINTS) or not np.isfinite(values[start]):
        return None
    return flat_gain(since, mode, 0)


def failures_of(
    train: Optional[Curve],
    validation: Optional[Curve],
    aligned_train: Optional[np.ndarray],
    best: Optional[int],
    mode: str,
    patience: int,
    accuracy: Optional[Curve] = None,
) -> Failures:
    """`first_epoch_divergence` of the train curve; `chance_level_divergence` of it and the training
    `accuracy`; `stuck_since` of the train curve aligned to the validation steps (`aligned_train`)
    from validation's best position `best`; `underfitting`."""
    return Failures(
        first_epoch=first_epoch_divergence(train, mode),
        chance=chance_level_divergence(train, mode, accuracy),
        train_stuck=stuck_since(aligned_train, best, mode, patience),
        underfit=underfitting(train, validation, mode, patience),
    )
