"""Weight-health flags: `Thresholds`, severities and one function per flag rule.

Each rule sees every series of a `Batch` at once (see `weights`' docstring, "Speed")."""

from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Optional

import numpy as np

from tb_overfit_plugin.analysis.weight_batch import Batch
from tb_overfit_plugin.analysis.wording import fmt

SEVERITIES = ("info", "warning", "error")

FLAG_SEVERITIES = {
    "identical_values": "error",
    "all_zero": "error",
    "exploding": "error",
    "collapsing": "warning",
    "unchanged": "warning",
    "frozen": "warning",  # the layer rules (`layer_flags`) from here on
    "vanishing_gradients": "warning",
}

# unchanged needs this many steps: two histograms can be equal by chance of logging
# (e.g. one written before training), three in a row are a tensor that does not train.
UNCHANGED_MIN_STEPS = 3


# A layer counts as flagged (`weights_summary`'s flagged_layers) from this severity up.
FLAGGED_FROM = "warning"


# A run with a flag of this severity has the status `BROKEN_WEIGHTS` (`weights_status`), whatever its curves say.
BROKEN_FROM = "error"
BROKEN_WEIGHTS = "broken_weights"


def weights_status(worst_severity: Optional[str]) -> Optional[str]:
    """`BROKEN_WEIGHTS` when a run's worst flag is `BROKEN_FROM` or worse, else None (the curves decide)."""
    broken = worst_severity is not None and SEVERITIES.index(worst_severity) >= SEVERITIES.index(BROKEN_FROM)
    return BROKEN_WEIGHTS if broken else None


def is_flagged(severity: Optional[str]) -> bool:
    """Whether `severity` (one of `SEVERITIES`, or None) is `FLAGGED_FROM` or worse."""
    return severity is not None and SEVERITIES.index(severity) >= SEVERITIES.index(FLAGGED_FROM)


@dataclasses.dataclass(frozen=True)
class Flag:
    """One raised flag: its name (a `FLAG_SEVERITIES` key), severity, first step, the
    English message and the numbers behind it (`evidence`, floats may be non-finite)."""

    flag: str
    severity: str
    first_step: Optional[int]
    message: str
    evidence: dict


def _flag(name: str, severity: str, step, message: str, evidence: dict) -> Flag:
    return Flag(name, severity, None if step is None else int(step), message, evidence)


def _g(value) -> str:
    return "null" if value is None or not math.isfinite(value) else f"{value:.3g}"


# The exploding rule's defaults, named so the help texts can quote their products.
EXPLODE_FACTOR = 10.0
EXPLODE_MIN_SCALE = 0.01
EXPLODE_MIN_SCALE_BIAS = 1.0


def _doc(default: float, text: str):
    return dataclasses.field(default=default, metadata={"doc": text})


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """Every number a weight flag depends on: all floats, each overridable by field name.

    The defaults were checked on the demo's real Keras runs (demo/write_logs.py):
    no warning-or-worse flag on the healthy `overfit` and `regularized` runs,
    identical_values on the constant-initialised layers of `broken`. Numbers quoted
    below are from those runs. `Thresholds.docs()` gives each field's help text.
    """

    explode_factor: float = _doc(
        EXPLODE_FACTOR,
        "exploding: std or max|value| grows by more than this factor over the tensor's first "
        "step (reference floored by explode_min_scale / explode_min_scale_bias). Healthy "
        "kernels widen 1.0-1.6x over 40-50 epochs in the demo; real explosions run to 1e3+ and NaN.",
    )
    explode_min_scale: float = _doc(
        EXPLODE_MIN_SCALE,
        "exploding: floor on a kernel's first-step std and max|value| used as the growth "
        "reference, so a kernel that starts (almost) constant is not called exploding just for "
        "spreading out to a normal size (the demo's constant-initialised first kernel goes from "
        "std 0.002-0.004 to 0.03-0.04, 10-16x). A kernel must then exceed std or max|value| "
        f"{EXPLODE_FACTOR:g} x {EXPLODE_MIN_SCALE:g} = {EXPLODE_FACTOR * EXPLODE_MIN_SCALE:g} and "
        f"{EXPLODE_FACTOR:g}x its first step.",
    )
    explode_min_scale_bias: float = _doc(
        EXPLODE_MIN_SCALE_BIAS,
        "exploding: the same floor for biases and other tensors (BatchNorm statistics, ...). "
        "Biases start at exactly 0, so the first histogram (after one epoch) holds only one "
        "epoch of movement: healthy demo biases then grow 1.2-9x in std and up to 16x in "
        "max|value| (constant-initialised output biases 55-100x). With the floor a bias must "
        f"exceed {EXPLODE_FACTOR:g} x {EXPLODE_MIN_SCALE_BIAS:g} = {EXPLODE_FACTOR * EXPLODE_MIN_SCALE_BIAS:g}.",
    )
    init_explode_factor: float = _doc(
        10.0,
        "exploding at the first histogram: a kernel whose first std exceeds this factor x the largest "
        "standard initial scale for its shape (Glorot sqrt(2/(fan_in+fan_out)), He sqrt(2/fan_in), LeCun "
        "sqrt(1/fan_in); fan_in = kernel count / bias count) exploded before anything was logged. Keras' "
        "default Glorot kernels start at 0.3-1x the He scale; SGD at learning rate 3 left a 20-input kernel "
        "at 100x+ after one epoch.",
    )
    collapse_factor: float = _doc(
        0.1,
        "collapsing: std falls below this fraction of its first-step value. Healthy demo "
        "kernels keep 1.0-1.6x their first std, with L2(1e-4) 1.0-1.05x; weight decay strong "
        "enough to shrink a layer 10x leaves it near-constant.",
    )
    unchanged_tolerance: float = _doc(
        1e-6,
        "unchanged: a step-to-step movement (1-Wasserstein distance between consecutive "
        "histograms, in units of the earlier step's std) below this counts as none; a tensor with "
        f"{UNCHANGED_MIN_STEPS}+ steps that never moves after its first step is flagged. A frozen tensor moves "
        "exactly 0; the slowest healthy kernels in the demo move about 1e-3 per epoch.",
    )
    near_zero: float = _doc(
        1e-3,
        "near_zero_share: values with |x| below this (absolute) count as near zero.",
    )

    @classmethod
    def docs(cls) -> Dict[str, dict]:
        """``{field: {"default": float, "doc": str}}`` for help texts."""
        return {
            field.name: {"default": field.default, "doc": field.metadata["doc"]} for field in dataclasses.fields(cls)
        }


# -- flags: one rule per function, every series of a batch at once ----------------
#
# A rule returns ``[(series, flag)]`` for the series it flags; numpy finds them, Python
# only words the (few) flags raised.


def _state_rule(batch: Batch, name: str, holds: np.ndarray, describe) -> list:
    """identical_values / all_zero from the per-row condition `holds`.

    - Holds at the last step: the tensor is stuck -> the flag's own severity (error),
      first_step = the first step where it holds.
    - Held only at the first step and never again: a histogram written before training
      (PyTorch loops often log step 0 at initialisation; a zero-initialised bias is all
      zero then) -> no flag.
    - Held at later steps but no longer at the last: symmetry broken late (noise such
      as dropout) -> warning.

    ``describe(series, first_row, last_row, persists)`` gives (message, evidence).
    """
    first, last, held = batch.first(holds), batch.last(holds), batch.count(holds)
    persists = batch.at(holds, batch.end, False).astype(bool)
    flags = []
    for series in np.flatnonzero(persists | (last > batch.start)).tolist():
        severity = FLAG_SEVERITIES[name] if persists[series] else "warning"
        message, evidence = describe(series, int(first[series]), int(last[series]), bool(persists[series]))
        evidence.update(steps_holding=int(held[series]), last_step_holding=int(batch.steps[last[series]]))
        flags.append((series, _flag(name, severity, batch.steps[first[series]], message, evidence)))
    return flags


def _holding(batch: Batch, holds: np.ndarray, series: int, persists: bool) -> str:
    """Where a state holds, in histograms (the page's epochs when the writer logs one per epoch):
    "in every one of the 20 histograms", "in the last 18 of the 20 histograms", "in 3 of the 20 histograms,
    then no more"."""
    total, start = int(batch.size[series]), int(batch.start[series])
    held = int(np.count_nonzero(holds[start : start + total]))
    if held == total:
        return f"in every one of the {total} histograms"
    return f"in {'the last ' if persists else ''}{held} of the {total} histograms{'' if persists else ', then no more'}"


def _all_zero(batch: Batch, thresholds: Thresholds) -> list:
    """all_zero (error): count > 0 and min == max == 0, with `_state_rule`'s step rules."""
    count, holds = batch.stats["count"], batch.stats["all_zero"]

    def describe(series, first, last, persists):
        return (
            f"all {count[first]:g} values are exactly 0 {_holding(batch, holds, series, persists)}: "
            f"this tensor is not training (zero initialisation, dead path or frozen)",
            {"count": float(count[first])},
        )

    return _state_rule(batch, "all_zero", holds, describe)


def _identical_values(batch: Batch, thresholds: Thresholds) -> list:
    """identical_values (error): count > 1 and min == max, with `_state_rule`'s step rules;
    not for a series all_zero flags as an error (all zero at its last step), which says it
    more precisely."""
    count, low = batch.stats["count"], batch.stats["min"]
    zero_at_end = batch.at(batch.stats["all_zero"], batch.end, False).astype(bool)

    def describe(series, first, last, persists):
        what = "biases" if batch.kinds[series] == "bias" else "values"
        tail = "symmetry was never broken (constant initialisation)" if persists else "symmetry broken late"
        moved = (
            "" if low[first] == low[last] else f", the shared value moving from {fmt(low[first])} to {fmt(low[last])}"
        )
        same = f"the same value, {fmt(low[first])}," if low[first] == low[last] else "equal to each other"
        return (
            f"all {count[first]:g} {what} are {same} {_holding(batch, holds, series, persists)}"
            f"{moved}: every neuron of this layer is identical, {tail}",
            {"count": float(count[first]), "value": float(low[first])},
        )

    holds = batch.stats["identical"] & ~zero_at_end[batch.owner]
    return _state_rule(batch, "identical_values", holds, describe)


def _exploding(batch: Batch, thresholds: Thresholds) -> list:
    """exploding (error) at the first step with non-finite statistics, or whose std or
    max|value| exceeds explode_factor x the series' reference row's (its first usable
    step), that reference floored by explode_min_scale (kernels) or explode_min_scale_bias
    (other kinds). A weight tensor never changes size, so a histogram that becomes empty
    after holding values is NaN too: TF2's tf.summary.histogram writes zero counts (and
    NaN edges) as soon as one value is NaN."""
    nonempty = batch.stats["count"] > 0
    filled = batch.first(nonempty)[batch.owner]  # the series' first non-empty row, -1 if none
    emptied = ~nonempty & (filled >= 0) & (batch.rows > filled)
    broken = (nonempty & ~batch.finite) | emptied
    broken_at, broken_count = batch.first(broken), batch.count(broken)
    floor = np.where(
        [kind == "kernel" for kind in batch.kinds], thresholds.explode_min_scale, thresholds.explode_min_scale_bias
    )
    std_growth, abs_growth = (
        batch.relative(values, np.maximum(batch.at(values, batch.reference), floor))
        for values in (batch.stats["std"], batch.max_abs)
    )
    growth = np.fmax(std_growth, abs_growth)
    with np.errstate(invalid="ignore"):
        grown_at = batch.first(growth > thresholds.explode_factor)
    flags = []
    for series in np.flatnonzero((grown_at >= 0) | (broken_at >= 0)).tolist():
        at = int(grown_at[series])
        if at >= 0 and (broken_at[series] < 0 or at < broken_at[series]):
            by_std = bool(std_growth[at] >= abs_growth[at])
            flags.append(
                (series, _grown_flag(batch, thresholds, series, at, float(growth[at]), by_std, float(floor[series])))
            )
            continue
        at = int(broken_at[series])
        why = (
            "the histogram became empty (TF2 writes an empty histogram when a value is NaN)"
            if emptied[at]
            else "NaN/Inf weights, or values so large their statistics overflow"
        )
        flags.append(
            (
                series,
                _flag(
                    "exploding",
                    FLAG_SEVERITIES["exploding"],
                    batch.steps[at],
                    f"non-finite weights from step {int(batch.steps[at])}: {why}; training diverged",
                    {"nonfinite_steps": int(broken_count[series]), "emptied": bool(emptied[at])},
                ),
            )
        )
    return flags


def _grown_flag(
    batch: Batch, thresholds: Thresholds, series: int, at: int, growth: float, by_std: bool, floor: float
) -> Flag:
    """The exploding flag of a series that grew past explode_factor at row `at`."""
    std, max_abs, steps, ref = batch.stats["std"], batch.max_abs, batch.steps, int(batch.reference[series])
    what, first_value, value = ("std", std[ref], std[at]) if by_std else ("max|value|", max_abs[ref], max_abs[at])
    return _flag(
        "exploding",
        FLAG_SEVERITIES["exploding"],
        steps[at],
        f"{what} grew {growth:.1f}x from step {int(steps[ref])} ({_g(first_value)} -> "
        f"{_g(value)}) by step {int(steps[at])}, over the {thresholds.explode_factor:g}x limit: "
        f"weights are exploding",
        {
            "reference_step": int(steps[ref]),
            "std_first": float(std[ref]),
            "std_at": float(std[at]),
            "max_abs_first": float(max_abs[ref]),
            "max_abs_at": float(max_abs[at]),
            "growth": growth,
            "reference_floor": floor,
            "factor": float(thresholds.explode_factor),
        },
    )


def _collapsing(batch: Batch, thresholds: Thresholds) -> list:
    """collapsing (warning) at the first step whose std is below collapse_factor x the
    series' reference row's std (its first usable step), when that std is positive."""
    std, steps = batch.stats["std"], batch.steps
    std_ref = batch.at(std, batch.reference)
    std_ref[~(std_ref > 0)] = np.nan
    shrink = batch.relative(std, std_ref)
    with np.errstate(invalid="ignore"):
        collapsed_at = batch.first(shrink < thresholds.collapse_factor)
    flags = []
    for series in np.flatnonzero(collapsed_at >= 0).tolist():
        ref, at = int(batch.reference[series]), int(collapsed_at[series])
        flags.append(
            (
                series,
                _flag(
                    "collapsing",
                    FLAG_SEVERITIES["collapsing"],
                    steps[at],
                    f"std shrank to {shrink[at]:.3g}x its step-{int(steps[ref])} value ({_g(std[ref])} -> "
                    f"{_g(std[at])}) by step {int(steps[at])}, below the {thresholds.collapse_factor:g}x limit: "
                    f"the weights are collapsing towards a constant",
                    {
                        "reference_step": int(steps[ref]),
                        "std_first": float(std[ref]),
                        "std_at": float(std[at]),
                        "ratio": float(shrink[at]),
                        "factor": float(thresholds.collapse_factor),
                    },
                ),
            )
        )
    return flags


def _unchanged(batch: Batch, thresholds: Thresholds) -> list:
    """unchanged (warning, first_step = the second step): `UNCHANGED_MIN_STEPS` or more steps
    and every step-to-step movement finite and below unchanged_tolerance."""
    movement = batch.stats["movement"]
    with np.errstate(invalid="ignore"):
        still = np.isfinite(movement) & (movement < thresholds.unchanged_tolerance)
    still[batch.start[batch.size > 0]] = True  # a series' first row has nothing to compare with
    largest = batch.reduce(np.fmax, movement, np.nan)
    flags = []
    for series in np.flatnonzero((batch.size >= UNCHANGED_MIN_STEPS) & batch.all(still)).tolist():
        steps = int(batch.size[series])
        flags.append(
            (
                series,
                _flag(
                    "unchanged",
                    FLAG_SEVERITIES["unchanged"],
                    batch.steps[batch.start[series] + 1],
                    f"no movement over {steps} steps (largest step-to-step change {largest[series]:.2g} std, below "
                    f"{thresholds.unchanged_tolerance:g}): frozen, or not receiving gradients",
                    {
                        "steps": steps,
                        "max_movement": float(largest[series]),
                        "tolerance": float(thresholds.unchanged_tolerance),
                    },
                ),
            )
        )
    return flags


_RULES = (_all_zero, _identical_values, _exploding, _collapsing, _unchanged)


def batch_flags(batch: Batch, thresholds: Thresholds) -> List[list]:
    """Every series' flags (`_RULES`), worst first, then by first_step."""
    flags: List[list] = [[] for _ in batch.kinds]
    for rule in _RULES:
        for series, flag in rule(batch, thresholds):
            flags[series].append(flag)
    for tensor_flags in flags:
        tensor_flags.sort(key=lambda flag: (-SEVERITIES.index(flag.severity), flag.first_step))
    return flags
