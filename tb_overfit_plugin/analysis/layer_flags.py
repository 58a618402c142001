"""Weight flags that need a whole layer or a whole run: what one tensor cannot tell.

* `frozen` (warning): every tensor (two or more) of a layer is `unchanged`: the layer did not
  train (``trainable=False``, as transfer learning does on purpose, or no
  gradient). One flag for the layer; it replaces the tensors' ``unchanged`` flags
  and its zero bias' ``all_zero``, which are part of the same fact.
* ``exploding`` at the first histogram: a kernel's std far above every standard
  initial scale for its shape (`initial_scales`) exploded before anything was
  logged, so growth over the first step cannot show it.
* `vanishing_gradients` (warning): the layers' movement shrinks layer by layer
  toward the input over at least `VANISH_MIN_LAYERS` layers.

Each rule reads `TensorFacts` (per tensor, from its batch: `facts_of`) of the layers
in order (input first, as `weights._layers` sorts them) and returns the flags to add
and the flags they replace, by ``(layer, tensor)`` position.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from tb_overfit_plugin.analysis.weight_batch import Batch
from tb_overfit_plugin.analysis.weight_flags import FLAG_SEVERITIES, Flag, Thresholds

VANISH_MIN_LAYERS = 3
"""`vanishing_gradients` needs a chain of at least this many layers, each moving less than the next."""

VANISH_STEP = 2.0
"""In that chain, each layer's movement is below ``1 / VANISH_STEP`` times the movement of the layer after it."""

LAYER_FLAG_SEVERITIES = {name: FLAG_SEVERITIES[name] for name in ("frozen", "vanishing_gradients")}


@dataclasses.dataclass(frozen=True)
class TensorFacts:
    """What the layer rules read of one tensor: kind, size, first spread, movement, its own flags."""

    name: str
    kind: str
    count: float  # values in its first usable histogram
    std_first: float
    first_step: Optional[int]
    steps: int
    distance: float  # mean 1-Wasserstein distance between consecutive histograms (weight units)
    flags: Tuple[str, ...]


def facts_of(batch: Batch, names: Sequence[str], flags: List[list]) -> List[TensorFacts]:
    """`TensorFacts` of every series of `batch` (`flags`: its `batch_flags`)."""
    distance = batch.stats["distance"]
    moved = np.where(np.isfinite(distance), distance, 0.0)
    counted = batch.count(np.isfinite(distance))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_distance = np.where(counted > 0, batch.reduce(np.add, moved, 0.0) / counted, np.nan)
    count, std = (batch.at(batch.stats[name], batch.reference) for name in ("count", "std"))
    first_step = batch.at(batch.steps, batch.reference, -1)
    return [
        TensorFacts(
            names[s],
            batch.kinds[s],
            float(count[s]),
            float(std[s]),
            None if first_step[s] < 0 else int(first_step[s]),
            int(batch.size[s]),
            float(mean_distance[s]),
            tuple(flag.flag for flag in flags[s]),
        )
        for s in range(len(names))
    ]


Position = Tuple[int, int]  # (layer, tensor) in the run's layer list


@dataclasses.dataclass
class LayerFlags:
    """The rules' answer: flags to add and flag names each of them replaces, by position."""

    added: Dict[Position, List[Flag]] = dataclasses.field(default_factory=dict)
    dropped: Dict[Position, Set[str]] = dataclasses.field(default_factory=dict)

    def add(self, position: Position, flag: Flag) -> None:
        self.added.setdefault(position, []).append(flag)


def _frozen(layers: Sequence[Tuple[str, List[TensorFacts]]], out: LayerFlags) -> None:
    """`frozen` on the first tensor of each layer whose tensors are all ``unchanged``."""
    for li, (layer, tensors) in enumerate(layers):
        if len(tensors) < 2 or not all("unchanged" in t.flags for t in tensors):
            continue
        for ti, tensor in enumerate(tensors):
            out.dropped.setdefault((li, ti), set()).update(
                {"unchanged"} | ({"all_zero"} if tensor.kind == "bias" else set())
            )
        steps = max(t.steps for t in tensors)
        names = ", ".join(t.name for t in tensors)
        out.add(
            (li, 0),
            Flag(
                "frozen",
                LAYER_FLAG_SEVERITIES["frozen"],
                tensors[0].first_step,
                f"layer {layer} did not train: none of its tensors ({names}) changed over {steps} steps "
                f"(frozen with trainable=False, as transfer learning does on purpose, or no gradient "
                f"reaches it); a zero bias here is part of that, not a separate fault",
                {"tensors": len(tensors), "steps": steps},
            ),
        )


def initial_scales(kernel_count: float, bias_count: float) -> Dict[str, float]:
    """The standard initial std of a kernel with ``fan_in = kernel_count / bias_count`` inputs per unit and
    ``fan_out = bias_count`` units (a Dense layer; for a convolution fan_in includes the receptive field):
    Glorot ``sqrt(2 / (fan_in + fan_out))``, He ``sqrt(2 / fan_in)``, LeCun ``sqrt(1 / fan_in)``."""
    fan_in, fan_out = kernel_count / bias_count, bias_count
    return {
        "glorot": math.sqrt(2.0 / (fan_in + fan_out)),
        "he": math.sqrt(2.0 / fan_in),
        "lecun": math.sqrt(1.0 / fan_in),
        "fan_in": fan_in,
        "fan_out": fan_out,
    }


def _exploded_at_start(layers, thresholds: Thresholds, out: LayerFlags) -> None:
    """``exploding`` at the first histogram: a kernel (with a bias in its layer) whose first std is above
    ``init_explode_factor x max(glorot, he, lecun)``, unless it is flagged exploding already."""
    for li, (_layer, tensors) in enumerate(layers):
        biases = [t for t in tensors if t.kind == "bias" and t.count > 0]
        for ti, kernel in enumerate(tensors):
            if kernel.kind != "kernel" or len(biases) != 1 or "exploding" in kernel.flags or not kernel.count > 0:
                continue
            scales = initial_scales(kernel.count, biases[0].count)
            largest = max(scales["glorot"], scales["he"], scales["lecun"])
            if not kernel.std_first > thresholds.init_explode_factor * largest:
                continue
            out.add(
                (li, ti),
                Flag(
                    "exploding",
                    FLAG_SEVERITIES["exploding"],
                    kernel.first_step,
                    f"std {kernel.std_first:.3g} at the first histogram (step {kernel.first_step}) is "
                    f"{kernel.std_first / largest:.0f}x the largest standard initial scale for its shape "
                    f"(He sqrt(2/fan_in) = {scales['he']:.3g}, Glorot {scales['glorot']:.3g}, fan_in "
                    f"{scales['fan_in']:g}), over the {thresholds.init_explode_factor:g}x limit: the weights exploded "
                    f"before the first histogram",
                    dict(
                        scales,
                        std_first=kernel.std_first,
                        ratio=kernel.std_first / largest,
                        factor=float(thresholds.init_explode_factor),
                        reference_step=kernel.first_step,
                    ),
                ),
            )


def _layer_movement(tensors: List[TensorFacts]) -> float:
    """A layer's movement: the largest mean step distance of its kernel and bias; NaN when none is known,
    the layer has no kernel (normalisation layers do not pass gradients on as weights do) or it is frozen
    (`_frozen`: it did not train at all, which is not a gradient that vanished)."""
    known = [t.distance for t in tensors if t.kind in ("kernel", "bias") and math.isfinite(t.distance)]
    if not known or all("unchanged" in t.flags for t in tensors) or not any(t.kind == "kernel" for t in tensors):
        return math.nan
    return max(known)


def vanishing_chain(movement: Sequence[float]) -> Optional[Tuple[int, int]]:
    """The longest run ``[a, b]`` of consecutive layers (input first) with
    ``VANISH_STEP * movement[i] < movement[i + 1]`` for every ``a <= i < b``, if it spans at
    least `VANISH_MIN_LAYERS` layers (the earliest such run on ties); else None."""
    best, start = None, 0
    for i in range(1, len(movement) + 1):
        shrinking = i < len(movement) and VANISH_STEP * movement[i - 1] < movement[i]
        if shrinking:
            continue
        if i - start >= VANISH_MIN_LAYERS and (best is None or i - 1 - start > best[1] - best[0]):
            best = (start, i - 1)
        start = i
    return best


def _vanishing(layers, out: LayerFlags) -> None:
    """`vanishing_gradients` on the first tensor of every layer of the `vanishing_chain` but its last."""
    movement = [_layer_movement(tensors) for _, tensors in layers]
    chain = vanishing_chain(movement)
    if chain is None:
        return
    low, high = chain
    names = [layers[i][0] for i in range(low, high + 1)]
    shrink = movement[high] / movement[low] if movement[low] > 0 else math.inf
    for li in range(low, high):
        layer, tensors = layers[li]
        ratio = movement[li + 1] / movement[li] if movement[li] > 0 else math.inf
        out.add(
            (li, 0),
            Flag(
                "vanishing_gradients",
                LAYER_FLAG_SEVERITIES["vanishing_gradients"],
                tensors[0].first_step,
                f"layer {layer} moves {ratio:.3g}x less per step than {layers[li + 1][0]} after it "
                f"({movement[li]:.3g} vs {movement[li + 1]:.3g}, mean 1-Wasserstein distance between consecutive "
                f"histograms); movement shrinks layer by layer toward the input over the {len(names)} layers "
                f"{names[0]} .. {names[-1]} ({shrink:.3g}x in all): vanishing gradients",
                {
                    "movement": movement[li],
                    "next_movement": movement[li + 1],
                    "ratio": ratio,
                    "chain_layers": len(names),
                    "chain_shrink": shrink,
                    "step": VANISH_STEP,
                },
            ),
        )


def layer_flags(layers: Sequence[Tuple[str, List[TensorFacts]]], thresholds: Thresholds) -> LayerFlags:
    """Every layer rule (`_frozen`, `_exploded_at_start`, `_vanishing`) over one run's layers, input first."""
    out = LayerFlags()
    _frozen(layers, out)
    _exploded_at_start(layers, thresholds, out)
    _vanishing(layers, out)
    return out
