"""The words and numbers the tab shows, from their single sources: `GET /meta`.

Statuses (`verdict.STATUSES`, `verdict.ANALYSING` of a snapshot's rows) with a label, an urgency rank and a hint that
states the rule deciding them (formatted from the analysis constants), weight
flags with their severity (`weight_health.FLAG_SEVERITIES`) and the rule's
`weight_health.Thresholds` field, severities ranked as `weight_health.SEVERITIES`, the
numeric parameters of the routes (`params.CURVE_SPECS` and the thresholds'
specs) and the colour bands of a tensor's std ratio. The tab renders these
instead of carrying its own copy; the document is constant for a process.
"""

from __future__ import annotations

import functools

from tb_overfit_plugin.analysis import (
    direction,
    divergence,
    failure_modes,
    headline,
    layer_flags,
    onset,
    stopping,
    tag_words,
    wording,
)
from tb_overfit_plugin.analysis import status as status_rule
from tb_overfit_plugin.documents import params
from tb_overfit_plugin.documents.runs import verdict
from tb_overfit_plugin.documents.weights import health as weight_health

STATUS_RANKS = (
    "diverged",
    weight_health.BROKEN_WEIGHTS,
    "overfitting",
    "worsening",
    "not_learning",
    "underfitting",
    "plateau",
    "improving",
    "no_validation",
    "too_short",
    verdict.NO_METRICS,
    verdict.ANALYSING,
)
"""Statuses by urgency, most urgent first: the tab's sort order (rank = position)."""

SNAPSHOT_POLL_MS = 2000
"""How soon the tab asks for `/runs` again when its answer still has rows ``analysing`` (``pending`` > 0).

Each such request makes a snapshot of the build under way (about 0.13 s of the process' one interpreter lock at
10,000 runs, time the build does not get): every 2 s costs the build about 6 %."""

DEFAULT_SORT = {"key": "status", "dir": "asc"}
"""The leaderboard's order in the tab and the CLI: most urgent status first (`STATUS_RANKS`), then by name."""


def run_status(curve_status: str, weights_status=None) -> str:
    """A run's one status: the more urgent (`STATUS_RANKS`) of its curve verdict's and its weights'
    (`weight_health.weights_status`: ``broken_weights`` on an error-level flag, else None)."""
    if weights_status is None:
        return curve_status
    return min(curve_status, weights_status, key=STATUS_RANKS.index)


def status_words(status: str) -> str:
    """A status as the tab and the CLI's text show it: its label ("Broken weights")."""
    return _label(status)


STD_RATIO_WARN_HIGH = 3.0
"""A std ratio (std_last / std_first) at or above this is coloured as a warning."""
STD_RATIO_WARN_LOW = 0.33
"""A std ratio at or below this is coloured as a warning."""


def _status_hints() -> dict:
    """Each status's rule in one sentence, citing the analysis constants."""
    tolerance = (
        f"the onset tolerance (tolerance x the validation range, tightened to {onset.NOISE_TOLERANCE:g} "
        f"noise levels, never below {onset.MATERIAL_FRACTION:.1%} of the metric's best)"
    )
    return {
        weight_health.BROKEN_WEIGHTS: (
            f"A weight flag of severity {weight_health.BROKEN_FROM} (identical values, all zero, "
            f"exploding) in some layer: the network is broken whatever its curves say "
            f"(their verdict is shown beside it)."
        ),
        "diverged": (
            f"A value became NaN/Inf, or a loss-like training value rose above "
            f"{divergence.EXPLOSION_FACTOR:g}x its first value, or the first training value was above "
            f"{failure_modes.FIRST_EPOCH_FACTOR:g}x the later values' median and the curve stayed flat since, "
            f"or a first cross-entropy above {failure_modes.CHANCE_LOSS_FACTOR:g}x chance (ln K) while "
            f"accuracy sat at chance (1/K)."
        ),
        "overfitting": (
            f"Validation got worse than its best by more than {tolerance} for at least "
            f"{onset.MIN_LASTING_POINTS} points, while training kept improving."
        ),
        "worsening": (
            f"Validation got worse than its best by more than {tolerance} for at least "
            f"{onset.MIN_LASTING_POINTS} points; no train curve to tell whether it overfits, or the train "
            f"curve was flat within its noise since that best (stuck, not overfitting), or the metric is a "
            f"reinforcement-learning reward (a reward collapse, never overfitting)."
        ),
        "underfitting": (
            f"Train and validation both flat within their noise for the last `patience` evaluations "
            f"(at least {failure_modes.MIN_STUCK_POINTS}) and within "
            f"{failure_modes.UNDERFIT_GAP_FRACTION:.0%} of each other at the end."
        ),
        "not_learning": (
            f"Both curves improved on their first value by less than "
            f"{status_rule.LEARNING_FRACTION:.0%} of its magnitude."
        ),
        "plateau": (
            "Validation has not improved for `patience` evaluations since its best, and did not worsen significantly."
        ),
        "improving": "Validation's best is within the last `patience` evaluations.",
        "no_validation": "Only training curves were logged: overfitting cannot be judged.",
        "too_short": f"Fewer than {status_rule.MIN_POINTS} finite values: too few to judge.",
        verdict.NO_METRICS: "No train/validation metric pair (or not the metric asked for) was found.",
        verdict.ANALYSING: (
            "Not analysed yet: on a large sweep the leaderboard's answer does not wait for every run's analysis; "
            "the runs it has not reached yet fill in as the tab asks again."
        ),
    }


def _flag_hints() -> dict:
    """Each weight flag's rule in one sentence, with the `Thresholds` field (and default) it uses."""
    t = weight_health.Thresholds()
    return {
        "identical_values": (
            "Every value of the tensor is the same number (e.g. a constant initialiser that never trained)."
        ),
        "all_zero": "Every value of the tensor is 0.",
        "exploding": (
            f"std or max|value| grew by more than explode_factor ({t.explode_factor:g}) x "
            f"its first step's, or became non-finite."
        ),
        "collapsing": f"std fell below collapse_factor ({t.collapse_factor:g}) x its first step's.",
        "unchanged": (
            f"{weight_health.UNCHANGED_MIN_STEPS}+ steps and no step-to-step movement above "
            f"unchanged_tolerance ({t.unchanged_tolerance:g})."
        ),
        "frozen": "Every tensor of the layer is unchanged: the layer did not train (one warning for the layer).",
        "vanishing_gradients": (
            f"Movement shrinks layer by layer toward the input, each layer below "
            f"1/{layer_flags.VANISH_STEP:g} of the next, over at least "
            f"{layer_flags.VANISH_MIN_LAYERS} layers."
        ),
    }


def reading_document() -> dict:
    """How names are read (`tag_words`, `direction.MODE_WORDS`, `headline`) and the parameters correcting it."""
    return {
        "split_words": dict(tag_words.SPLIT_WORDS),
        "qualifiers": sorted(tag_words.QUALIFIERS),
        "aliases": dict(tag_words.ALIASES),
        "evaluation_metrics": sorted(tag_words.EVALUATION_WORDS),
        "aggregate_words": sorted(headline.AGGREGATE_WORDS),
        "reward_words": sorted(headline.REWARD_WORDS),
        "mode_words": {mode: list(words) for mode, words in direction.MODE_WORDS.items()},
        "params": [dict(spec) for spec in params.READING_PARAMS],
    }


REMEDIES = {
    weight_health.BROKEN_WEIGHTS: "Fix the flagged layer first (its flag's remedy below), then judge the curves again.",
    "diverged": "Lower the learning rate (10x), standardise the inputs, or clip gradients (clipnorm=1.0).",
    "overfitting": (
        "Restore the best epoch (EarlyStopping(restore_best_weights=True) stops where the what-if "
        "says), then regularise: dropout, L2, data augmentation or more data."
    ),
    "worsening": "Log the training metric too; if training is stuck, lower the learning rate or use ReduceLROnPlateau.",
    "not_learning": (
        "Check the learning rate (try 10x up and down), the labels and their encoding, and the initialisation."
    ),
    "underfitting": (
        "The model is too small or too constrained: add capacity (units, layers), remove regularisation, train longer."
    ),
    "plateau": "Cut the learning rate on the plateau: ReduceLROnPlateau (its replay marks where), or stop here.",
    "improving": "Keep training: validation is still improving.",
    "no_validation": "Pass validation_data (or validation_split) to fit() so overfitting can be judged.",
    "too_short": "Train longer: at least 3 evaluations are needed.",
    verdict.NO_METRICS: "Log train and validation metrics, e.g. keras.callbacks.TensorBoard(log_dir=...).",
    verdict.ANALYSING: "Wait a few seconds: the tab asks again until every run is analysed.",
    "identical_values": (
        "Use a random initialiser (Keras' default glorot_uniform): constant weights never break symmetry."
    ),
    "all_zero": "Initialise the kernel randomly, or check that the layer is connected and trainable.",
    "exploding": (
        "Lower the learning rate, standardise the inputs, add gradient clipping (clipnorm) or BatchNormalization."
    ),
    "collapsing": "Weaken the weight decay / L2 factor, or raise the learning rate.",
    "unchanged": (
        "Check trainable=True and that the loss depends on this tensor; for a deep net see vanishing gradients."
    ),
    "frozen": "Intended when fine-tuning (trainable=False); otherwise set trainable=True and recompile.",
    "vanishing_gradients": (
        "Use ReLU (or GELU) instead of sigmoid/tanh, He initialisation, BatchNormalization or "
        "residual connections, or Adam."
    ),
}
"""One line per status and weight flag: what to do about it (served as each entry's `remedy`)."""


RULE_FAMILIES = (
    ("patience", "EarlyStopping", "Keras' EarlyStopping: stops after `patience` epochs without a new best."),
    (
        "ema_patience",
        "EMA patience",
        "The same patience on the curve smoothed as TensorBoard's slider: one noisy epoch does not reset the count.",
    ),
    (
        "GL",
        "GL (generalization loss)",
        "Stops once validation is worse than its best so far by more than the given percent.",
    ),
    (
        "PQ",
        "PQ (progress quotient)",
        "Stops once that loss in percent, divided by how much training still "
        "improves over the last strip of epochs, exceeds the given value.",
    ),
    (
        "UP",
        "UP (successive rises)",
        "Stops once validation rose at the end of the given number of strips of epochs in a row.",
    ),
    (
        "overfit_stopping",
        "OverfitStopping",
        "This package's Keras callback: stops on this tab's verdict (overfitting, "
        "or a best that is old and no longer improving), never before "
        "EarlyStopping with the same patience could.",
    ),
)
"""Each stopping-rule family of /stopping (`stopping.*_RULE`): its name and one plain-language line."""


def _label(name: str) -> str:
    """ "not_learning" -> "Not learning"."""
    return name.replace("_", " ").capitalize()


@functools.lru_cache(maxsize=1)
def meta_document() -> dict:
    """`GET /meta`: ``{"statuses", "severities", "flags", "params", "reading", "thresholds", "rule_families",
    "std_ratio_bands", "number_format", "default_sort", "snapshot_poll_ms"}``.

    Bands: ``bad`` when ratio >= explode_factor or <= collapse_factor (the
    `Thresholds` defaults), ``warn`` when >= `STD_RATIO_WARN_HIGH` or <= `STD_RATIO_WARN_LOW`.
    """
    hints, flag_hints, t = _status_hints(), _flag_hints(), weight_health.Thresholds()
    assert (
        set(STATUS_RANKS) == set(verdict.STATUSES) | {weight_health.BROKEN_WEIGHTS, verdict.ANALYSING} == set(hints)
    ), "every status needs a rank and a hint"
    assert set(flag_hints) == set(weight_health.FLAG_SEVERITIES), "every weight flag needs a hint"
    assert set(REMEDIES) == set(hints) | set(flag_hints), "every status and flag needs a remedy"
    assert {family[0] for family in RULE_FAMILIES} == set(stopping.RULES), "every stopping rule needs a family line"
    return {
        "statuses": [
            {"status": status, "label": _label(status), "hint": hints[status], "rank": rank, "remedy": REMEDIES[status]}
            for rank, status in enumerate(STATUS_RANKS)
        ],
        "severities": [
            {"severity": severity, "rank": rank + 1} for rank, severity in enumerate(weight_health.SEVERITIES)
        ],
        "flags": [
            {
                "flag": flag,
                "severity": severity,
                "label": flag.replace("_", " "),
                "hint": flag_hints[flag],
                "remedy": REMEDIES[flag],
            }
            for flag, severity in weight_health.FLAG_SEVERITIES.items()
        ],
        "params": [spec.to_json() for spec in params.CURVE_SPECS],
        "reading": reading_document(),
        "reduce_lr_params": [spec.to_json() for spec in params.REDUCE_LR_SPECS],
        "thresholds": [spec.to_json() for spec in params.dataclass_specs(weight_health.Thresholds)],
        "rule_families": [{"rule": rule, "name": name, "plain": plain} for rule, name, plain in RULE_FAMILIES],
        "std_ratio_bands": [
            {"band": "bad", "at_least": t.explode_factor, "at_most": t.collapse_factor},
            {"band": "warn", "at_least": STD_RATIO_WARN_HIGH, "at_most": STD_RATIO_WARN_LOW},
        ],
        "number_format": wording.number_format(),
        "default_sort": dict(DEFAULT_SORT),
        "snapshot_poll_ms": SNAPSHOT_POLL_MS,
    }
