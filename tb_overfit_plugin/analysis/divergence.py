"""Whether a run diverged: a non-finite value, or an exploding loss."""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from tb_overfit_plugin.analysis.failure_modes import (
    CHANCE_LOSS_FACTOR,
    FIRST_EPOCH_FACTOR,
    ChanceDivergence,
    Failures,
)
from tb_overfit_plugin.analysis.sorted_curve import Curve
from tb_overfit_plugin.analysis.wording import fmt

EXPLOSION_FACTOR = 10.0
"""A loss-like training value above this multiple of its first value has exploded."""


@dataclasses.dataclass(frozen=True)
class Divergence:
    step: int
    cause: str  # e.g. "validation loss became NaN"


def _first_nonfinite(curve: Curve, label: str) -> Optional[Divergence]:
    bad = np.flatnonzero(~np.isfinite(curve.values))
    if bad.size == 0:
        return None
    return Divergence(int(curve.steps[bad[0]]), f"{label} became {fmt(curve.values[bad[0]])}")


def _first_explosion(curve: Curve, label: str) -> Optional[Divergence]:
    """First value ``> EXPLOSION_FACTOR * |first finite value|`` (a first value of 0 gives no limit)."""
    finite = curve.finite_values()
    if finite.size == 0 or finite[0] == 0:
        return None
    exploded = np.flatnonzero(curve.values > EXPLOSION_FACTOR * abs(finite[0]))
    if exploded.size == 0:
        return None
    return Divergence(
        int(curve.steps[exploded[0]]),
        f"{label} reached {fmt(curve.values[exploded[0]])}, "
        f"more than {EXPLOSION_FACTOR:g}x its first value {fmt(finite[0])}",
    )


def first_divergence(
    train: Optional[Curve], validation: Optional[Curve], mode: str, name: str, explosions: bool = True
) -> Optional[Divergence]:
    """The earliest sign of divergence: a non-finite value in either curve, or
    (mode "min", `explosions`) an exploding training value; None if there is none."""
    signs = []
    if validation is not None:
        signs.append(_first_nonfinite(validation, f"validation {name}"))
    if train is not None:
        signs.append(_first_nonfinite(train, f"training {name}"))
        if mode == "min" and explosions:
            signs.append(_first_explosion(train, f"training {name}"))
    found = [sign for sign in signs if sign is not None]
    return min(found, key=lambda sign: sign.step) if found else None


def _chance_text(name: str, chance: ChanceDivergence, blown: bool) -> str:
    """The chance-level evidence: the whole cause, or (`blown`: the blow-up said the loss) the accuracy's part."""
    accuracy = (
        f"training accuracy stayed at chance ({fmt(chance.accuracy_low)}–{fmt(chance.accuracy_high)}, "
        f"1/{chance.classes} = {fmt(1 / chance.classes)})"
    )
    if blown:
        return f"; {accuracy}"
    return (
        f"training {name} was {fmt(chance.first)} in the first epoch, more than {CHANCE_LOSS_FACTOR:g}x "
        f"chance (ln {chance.classes} = {fmt(chance.chance_loss)}, the cross-entropy of a uniform guess), "
        f"while {accuracy}: the loss exploded in the first epoch and the model never learned"
    )


def run_divergence(
    train: Optional[Curve],
    validation: Optional[Curve],
    mode: str,
    name: str,
    failures: Failures,
    explosions: bool = True,
) -> Optional[Divergence]:
    """`first_divergence`, else the loss that exploded in the first epoch: 10x the later median
    (`failure_modes.first_epoch_divergence`) or well above chance at chance accuracy
    (`failure_modes.chance_level_divergence`), both when both hold.

    `explosions` False (a reinforcement-learning reward): only non-finite values count, no blow-up.
    """
    found = first_divergence(train, validation, mode, name, explosions=explosions)
    blowup, chance = (failures.first_epoch, failures.chance) if explosions else (None, None)
    step = min((sign.step for sign in (blowup, chance) if sign is not None), default=None)
    if step is None or (found is not None and found.step <= step):
        return found
    if blowup is None:
        assert chance is not None  # one of the two set `step`
        return Divergence(step, _chance_text(name, chance, blown=False))
    since = blowup.since
    return Divergence(
        step,
        (
            f"training {name} was {fmt(blowup.first)} in the first epoch, "
            f"{'' if blowup.epochs == 1 else f'the first {blowup.epochs} epochs were '}more than "
            f"{FIRST_EPOCH_FACTOR:g}x the median of the later values ({fmt(blowup.later_median)}), and has been "
            f"flat within its noise ever since ({fmt(since.reference)} → {fmt(since.end)}): the loss exploded in "
            f"the first epoch and training is stuck{'' if chance is None else _chance_text(name, chance, blown=True)}"
        ),
    )
