"""Whether a run diverged: a non-finite value, or an exploding loss."""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

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
