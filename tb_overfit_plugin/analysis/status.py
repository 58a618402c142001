"""The verdict on a metric's curves: its status, and the sentence explaining it.

`status_of` applies the status rule (the first of `STATUSES` that applies, see
`curves.analyze_metric`); `EXPLAIN` maps each status to the function writing
its English explanation from the same `Evidence`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import numpy as np

from tb_overfit_plugin.analysis.climb import Climb
from tb_overfit_plugin.analysis.direction import worsening
from tb_overfit_plugin.analysis.divergence import Divergence
from tb_overfit_plugin.analysis.failure_modes import NO_FAILURES, Failures
from tb_overfit_plugin.analysis.onset import Onset
from tb_overfit_plugin.analysis.sorted_curve import Curve
from tb_overfit_plugin.analysis.wording import fmt, plural

EpochOf = Callable[[int], int]  # step -> 1-based epoch (see `epochs`)

STATUSES = (
    "too_short",
    "diverged",
    "no_validation",
    "overfitting",
    "worsening",
    "not_learning",
    "underfitting",
    "improving",
    "plateau",
)

MIN_POINTS = 3
"""Fewer finite points than this and the curve is `too_short` to judge."""

MIN_IMPROVING_WINDOW = 1
"""A curve is `improving` while its best is among its last ``max(MIN_IMPROVING_WINDOW,
patience)`` points: with patience 0 only a best at the latest point counts."""

LEARNING_FRACTION = 0.01
"""A curve whose best improves on its first value by less than this fraction
of the first value's magnitude has not learnt anything."""


def _net_gain(curve: Curve, mode: str) -> tuple:
    """``(first, best, gain)`` of the finite values; ``gain = -worsening(best, first)`` >= 0."""
    finite = curve.finite_values()
    first = float(finite[0])
    best = float(finite.min() if mode == "min" else finite.max())
    return first, best, -float(worsening(best, first, mode))


def _barely_learnt(curve: Curve, mode: str) -> bool:
    """``gain < LEARNING_FRACTION * |first|`` (or no gain at all), with `_net_gain`'s first and gain."""
    first, _, gain = _net_gain(curve, mode)
    return gain <= 0.0 or gain < LEARNING_FRACTION * abs(first)


@dataclasses.dataclass(frozen=True)
class Evidence:
    """Everything the status and its explanation are decided from."""

    name: str
    mode: str
    patience: int
    smoothing: float
    epoch_based: bool
    epoch_of: Optional[EpochOf]
    train: Optional[Curve]
    validation: Optional[Curve]
    primary: Curve  # validation, else train, else empty
    best_index: Optional[int]  # on primary, raw
    judged_validation: Optional[np.ndarray]  # the validation curve the onset is sought on
    judged_train: Optional[np.ndarray]  # the training curve aligned to validation steps
    tolerance: float
    onset: Optional[Onset]
    divergence: Optional[Divergence]
    failures: Failures = NO_FAILURES  # the named failures (`failure_modes`), see `failure_status`

    def where(self, step: int) -> str:
        """ "epoch 8" (Keras), "epoch 2, step 1500" (an epoch series), else "step 70"."""
        if self.epoch_of is None:
            return f"step {int(step)}"
        epoch = f"epoch {self.epoch_of(int(step))}"
        return epoch if self.epoch_based else f"{epoch}, step {int(step)}"

    def unit(self) -> str:
        """What one point is in the page's words: "epoch" when steps are epochs, else "evaluation"."""
        return "epoch" if self.epoch_based else "evaluation"

    def label(self) -> str:
        return f"{'validation' if self.validation is not None else 'training'} {self.name}"

    def best(self) -> int:
        """`best_index`, which a curve with a finite value has (every status past `too_short`)."""
        assert self.best_index is not None, "no finite value: the curve is too_short"
        return self.best_index

    def points_since_best(self) -> int:
        return self.primary.values.size - 1 - self.best()

    def best_point(self) -> str:
        """E.g. "0.3121 at epoch 8"."""
        return f"{fmt(self.primary.values[self.best()])} at {self.where(self.primary.steps[self.best()])}"


def status_of(evidence: Evidence) -> str:
    """The first status of `analyze_metric`'s list that applies."""
    if evidence.primary.finite_values().size < MIN_POINTS:
        return "too_short"
    if evidence.divergence is not None:
        return "diverged"
    if evidence.validation is None:
        return "no_validation"
    if evidence.onset is not None:
        return "overfitting" if evidence.train is not None and evidence.failures.train_stuck is None else "worsening"
    logged = [curve for curve in (evidence.train, evidence.validation) if curve is not None]
    if all(_barely_learnt(curve, evidence.mode) for curve in logged):
        return "not_learning"
    named = failure_status(evidence)
    if named is not None:
        return named
    if evidence.points_since_best() < max(MIN_IMPROVING_WINDOW, evidence.patience):
        return "improving"
    return "plateau"


def failure_status(evidence: Evidence) -> Optional[str]:
    """The named failure that decides the status once no onset is found and the model learnt
    something: ``underfitting`` (`failure_modes.underfitting`), else None. (Divergence in the
    first epoch is `evidence.divergence`; a stuck train curve turns an onset into ``worsening``.)"""
    return "underfitting" if evidence.failures.underfit is not None else None


def _explain_too_short(e: Evidence) -> str:
    count = e.primary.finite_values().size
    return (
        f"Only {plural(count, 'finite ' + e.label() + ' value')} so far; "
        f"at least {MIN_POINTS} are needed to judge the curve."
    )


def _explain_diverged(e: Evidence) -> str:
    assert e.divergence is not None  # the status says so
    return f"Training diverged at {e.where(e.divergence.step)}: {e.divergence.cause}."


def _explain_no_validation(e: Evidence) -> str:
    return (
        f"No validation {e.name} was logged, so overfitting cannot be judged; "
        f"training {e.name} was best, {e.best_point()}, and ends at {fmt(e.primary.values[-1])}."
    )


def _how_worse(e: Evidence) -> str:
    """ "it is worse than its best by more than the noise tolerance, 0.02", or for a `climb.Climb` (slope and p
    of the raw curve) "it climbs steadily, worse by 0.0075 per epoch (Sen's slope; Mann-Kendall p = 0.0082)"."""
    if isinstance(e.onset, Climb):
        return (
            f"it climbs steadily, worse by {fmt(e.onset.slope)} per {e.unit()} "
            f"(Sen's slope; Mann-Kendall p = {e.onset.p_value:.2g})"
        )
    return f"it is worse than its best by more than the noise tolerance, {fmt(e.tolerance)}"


def _worse_since(e: Evidence) -> str:
    """ "validation loss was best at epoch 8 (0.31); since epoch 10 it is worse by more than 0.02 and ends at 0.4"."""
    onset, curve, validation = e.onset, e.judged_validation, e.validation
    assert onset is not None and curve is not None and validation is not None  # a worse-since status says so
    steps = validation.steps
    smoothed = "smoothed " if e.smoothing > 0 else ""
    return (
        f"{smoothed}validation {e.name} was best at {e.where(steps[onset.best_index])} "
        f"({fmt(curve[onset.best_index])}); since {e.where(steps[onset.index])} {_how_worse(e)}, "
        f"and ends at {fmt(curve[onset.end_index])}"
    )


def _explain_overfitting(e: Evidence) -> str:
    sentence = _worse_since(e)
    if e.judged_train is not None and e.onset is not None:
        at_best, at_end = e.judged_train[e.onset.best_index], e.judged_train[e.onset.end_index]
        if np.isfinite(at_best) and np.isfinite(at_end):
            direction = "falling" if e.mode == "min" else "rising"
            sentence += f" while training {e.name} kept {direction} ({fmt(at_best)} → {fmt(at_end)})"
    return sentence[0].upper() + sentence[1:] + "."


def _explain_worsening(e: Evidence) -> str:
    if e.train is not None:
        return _explain_stuck_worsening(e)
    # Overfitting is validation worsening while the fit to the train data improves;
    # without a train curve only the first half is known.
    sentence = (
        _worse_since(e) + f"; no train {e.name} was logged, so only the worsening is known, "
        f"not whether the train curve kept improving as in overfitting"
    )
    return sentence[0].upper() + sentence[1:] + "."


def _explain_stuck_worsening(e: Evidence) -> str:
    """Validation worse since its best over a train curve flat within its noise: not overfitting."""
    flat = e.failures.train_stuck
    assert flat is not None  # the status says so
    sentence = (
        _worse_since(e) + f"; but training {e.name} has been flat within its noise since then, "
        f"{plural(flat.window, e.unit())} ({fmt(flat.reference)} → {fmt(flat.end)}, improving by "
        f"{fmt(max(flat.gain, 0.0))}, no more than {fmt(flat.limit)}): training is stuck, "
        f"which is not overfitting"
    )
    return sentence[0].upper() + sentence[1:] + "."


def _explain_underfitting(e: Evidence) -> str:
    fit = e.failures.underfit
    assert fit is not None  # the status says so
    return (
        f"Converged and underfitting: training {e.name} ({fmt(fit.train.end)}) and validation {e.name} "
        f"({fmt(fit.validation.end)}) end within {fit.gap_fraction:.1%} of each other and both have been flat "
        f"within their noise for the last {plural(fit.validation.window, e.unit())}: the model fits its "
        f"training data no better than held-out data."
    )


def _explain_not_learning(e: Evidence) -> str:
    parts = []
    for label, curve in (("training", e.train), ("validation", e.validation)):
        if curve is not None:
            first, best, _ = _net_gain(curve, e.mode)
            parts.append(f"{label} {e.name} went from {fmt(first)} to at best {fmt(best)}")
    return (
        f"The model is not learning: {' and '.join(parts)}, less than "
        f"{LEARNING_FRACTION:.0%} of the starting value; check the learning rate, labels and inputs."
    )


def _explain_improving(e: Evidence) -> str:
    since = e.points_since_best()
    if since == 0:
        return f"Validation {e.name} is still improving: the latest value, {e.best_point()}, is the best so far."
    return (
        f"Validation {e.name} is still improving: its best so far, {e.best_point()}, "
        f"was {plural(since, e.unit())} ago, within the patience of {plural(e.patience, e.unit())}."
    )


def _explain_plateau(e: Evidence) -> str:
    return (
        f"Validation {e.name} has plateaued: no improvement in the {plural(e.points_since_best(), e.unit())} "
        f"since its best, {e.best_point()} (patience {plural(e.patience, e.unit())}), and no significant worsening; "
        f"it ends at {fmt(e.primary.values[-1])}."
    )


EXPLAIN = {
    "too_short": _explain_too_short,
    "diverged": _explain_diverged,
    "no_validation": _explain_no_validation,
    "overfitting": _explain_overfitting,
    "worsening": _explain_worsening,
    "not_learning": _explain_not_learning,
    "underfitting": _explain_underfitting,
    "improving": _explain_improving,
    "plateau": _explain_plateau,
}
