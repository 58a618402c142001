"""The fields of every JSON document the plugin serves, declared once.

Each document is a tuple of `Field`s (name, one-line meaning, and the
fields of a nested object or list item where docs/api.md documents them).
`runs.documents` builds the `/runs` row from `RUN_ROW`; the tests check that the
served documents have exactly these fields and that the HTTP API page (docs/api.md)
table lists exactly them (`documented_names`). A new field is one line here.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Dict, Mapping, Tuple


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a document: its name, what it means, and its nested fields (if documented)."""

    name: str
    meaning: str
    fields: Tuple["Field", ...] = ()


def names(fields: Tuple[Field, ...]) -> Tuple[str, ...]:
    """The names of `fields`, in declared order."""
    return tuple(field.name for field in fields)


def nested(fields: Tuple[Field, ...], name: str) -> Tuple[Field, ...]:
    """The nested fields of the field called `name` (KeyError if none is declared)."""
    return {field.name: field for field in fields}[name].fields


def build(fields: Tuple[Field, ...], values: Mapping[str, object]) -> dict:
    """A document holding exactly `fields`, in declared order: `values[name]`, None where absent."""
    return {field.name: values.get(field.name) for field in fields}


REF = (Field("run", "TensorBoard run"), Field("tag", "scalar tag"))
METRIC = (
    Field("metric", "metric name"),
    Field("mode", "min or max"),
    Field("train", "training series ref {run, tag} or null", REF),
    Field("validation", "validation series ref {run, tag} or null", REF),
)
MONITOR = METRIC + (
    Field("reason", "why this metric is judged: the headline rule (headline.reason), or what was asked for"),
)
SERIES = (
    Field("steps", "steps"),
    Field("epochs", "the 1-based epoch of each step, null unless epoch-based"),
    Field("wall_times", "wall times (s)"),
    Field("values", "values, NaN/Inf as null"),
    Field("smoothed", "TensorBoard-style EMA of values"),
    Field("nonfinite", "[{step, value}] of NaN/Inf points"),
)

# The verdict fields of a `/runs` row (from `verdicts.verdict`, or `verdicts.no_metric_verdict`).
VERDICT = (
    Field("status", "the curve verdict (verdicts.STATUSES)"),
    Field("explanation", "the verdict in English"),
    Field("monitor", "the pair judged, with its mode and why it was chosen", MONITOR),
    Field("best", "best validation point {step, epoch, value, train_value}"),
    Field("onset", "where overfitting began {step, epoch, value}"),
    Field("early_stop", "Keras EarlyStopping replay {patience, min_delta, stop_step, ...}"),
    Field("save_best_steps", "steps ModelCheckpoint(save_best_only) would save at"),
    Field("diverged_step", "first non-finite step, or null"),
    Field("num_steps", "points of the monitored series"),
    Field("last_step", "its last step"),
    Field("lr_drop_steps", "steps where the learning rate dropped"),
    Field(
        "reduce_lr",
        "ReduceLROnPlateau what-if {factor, patience, min_delta, cooldown, min_lr, initial_lr, "
        "initial_lr_logged, cuts: [{step, epoch, lr}]} or null",
    ),
    Field("sampled", "the monitored series was sampled by TensorBoard"),
    Field("discarded_fit", "an earlier fit the restart rule discarded, or null"),
    Field(
        "mode_warning", "a sentence when the mode asked for contradicts the metric's name (accuracy with min), or null"
    ),
)
RUN_NAMES = (
    Field("run", "training run name"),
    Field("sources", "its TensorBoard runs"),
    Field("scalar_tags", "TensorBoard run -> scalar tags"),
    Field("histogram_tags", "TensorBoard run -> histogram tags"),
    Field("metrics", "metric names"),
    Field("diagnostics", "bookkeeping series", METRIC),
    Field("learning_rate", "learning-rate series ref {run, tag} or null", REF),
)
# Added by `runs.documents.runs_document` and `integrity.attach` after the row is built.
ROW_ATTACHED = (
    Field("hparams", "hyper-parameters of the session matched to the run"),
    Field("warnings", "data TensorBoard skipped in this run"),
)
RUN_ROW = RUN_NAMES + VERDICT + ROW_ATTACHED

RUNS = (
    Field("runs", "one row per training run", RUN_ROW),
    Field("pending", "rows not analysed yet (status analysing; 0 in a complete answer): ask again"),
    Field("params", "the curve parameters used"),
    Field("warnings", "data TensorBoard skipped that belong to no listed run"),
)
CURVES = (
    Field("run", "training run name"),
    Field("metric", "the metric shown"),
    Field("mode", "min or max"),
    Field("epoch_based", "steps are Keras epochs"),
    Field("metrics", "every metric with its train/validation refs", METRIC),
    Field("diagnostics", "bookkeeping series, each ref with its series", METRIC),
    Field("train", "training series", SERIES),
    Field("validation", "validation series", SERIES),
    Field("gap", "validation minus training, per step"),
    Field("generalization_loss", "Prechelt's GL per step"),
    Field("learning_rate", "{run, tag, steps, values, drop_steps} or null"),
    Field("analysis", "the verdict as in /runs plus per-step series"),
    Field("params", "the curve parameters used"),
    Field("warnings", "data TensorBoard skipped in this run"),
)
WEIGHTS_SUMMARY_ENTRY = (
    Field("layers", "layers with histograms"),
    Field("flagged_layers", "layers with a flag"),
    Field("worst_flag", "the most severe flag, or null"),
    Field("status", "broken_weights when the worst flag is an error (it overrules the curve's status), else null"),
    Field("sampled", "histograms were sampled by TensorBoard"),
)
WEIGHTS = (
    Field("run", "training run name"),
    Field("hint", "how to log histograms, when there are none"),
    Field("sampled", "histograms were sampled by TensorBoard"),
    Field("sampling_hint", "how to read every step, when sampled"),
    Field("percentiles", "the percentiles of each stats row"),
    Field("thresholds", "the flag thresholds used"),
    Field("summary", "as in /weights_summary", WEIGHTS_SUMMARY_ENTRY),
    Field("layers", "per layer: worst severity and tensors"),
    Field("warnings", "data TensorBoard skipped in this run"),
)
WEIGHTS_SUMMARY = (
    Field("weights", "training run -> its weight health", WEIGHTS_SUMMARY_ENTRY),
    Field("thresholds", "the flag thresholds used"),
)
HPARAMS_EFFECTS = (
    Field("hparams", "per hyper-parameter: its levels and their outcomes"),
    Field("runs_with_hparams", "runs that have hyper-parameters"),
    Field("note", "how to log hyper-parameters, when no run has them"),
    Field("params", "the curve parameters used"),
)
GROUP = (
    Field("group", "the regex's capture"),
    Field("runs", "its runs"),
    Field("metric", "the group's metric"),
    Field("mode", "min or max"),
    Field("validation", "mean curve {steps, mean, std, count}"),
    Field("train", "mean curve {steps, mean, std, count}"),
    Field("best_epoch", "spread of the runs' best epochs"),
    Field("onset_epoch", "spread of the runs' onset epochs"),
    Field("best_value", "spread of the runs' best values"),
    Field("verdict", "the verdict of the mean curve, or null"),
    Field("note", "why there is no verdict"),
)
GROUPS = (
    Field("regex", "the regex asked for"),
    Field("groups", "one per capture", GROUP),
    Field("ungrouped", "runs the regex did not match"),
    Field("note", "why there are no groups"),
    Field("params", "the curve parameters used"),
)
RULE = (
    Field("rule", "rule id"),
    Field("parameter", "its parameter"),
    Field("label", "short name"),
    Field("description", "what it does"),
    Field("stop_step", "step it stops at"),
    Field("stop_epoch", "epoch it stops at"),
    Field("restore_step", "step of the weights kept"),
    Field("restore_epoch", "epoch of the weights kept"),
    Field("restore_value", "value at that step"),
    Field("regret", "restore value minus the best"),
    Field("epochs_saved", "epochs not trained"),
    Field("applicable", "whether the rule applies"),
    Field("reason", "why not"),
)
STOPPING = (
    Field("run", "training run name"),
    Field("metric", "the metric judged"),
    Field("mode", "min or max"),
    Field("curve", "validation, or train without one"),
    Field("best", "{step, epoch, value}"),
    Field("rules", "one per early-stopping rule", RULE),
    Field("params", "the curve parameters used"),
)

META = (
    Field("statuses", "[{status, label, hint, rank, remedy}] in urgency order"),
    Field("severities", "[{severity, rank}]"),
    Field("flags", "[{flag, severity, label, hint, remedy}]"),
    Field("params", "the numeric parameters of runs: [{name, default, min, max, ...}]"),
    Field("reading", "how names are read: split words, qualifiers, mode words... and the parameters correcting it"),
    Field("reduce_lr_params", "the ReduceLROnPlateau what-if's parameters of runs and curves, same shape"),
    Field("thresholds", "the weight thresholds of weights, same shape"),
    Field("rule_families", "[{rule, name, plain}]: one plain-language line per stopping-rule family"),
    Field("std_ratio_bands", "[{band, at_least, at_most}]"),
    Field(
        "number_format",
        "{significant_digits, exponent_below, exponent_from, examples: [[value, text]]}: "
        "how the tab and the CLI write numbers",
    ),
    Field("default_sort", "{key, dir}: the leaderboard's first order (status: most urgent first, then name)"),
    Field("snapshot_poll_ms", "how soon to ask for /runs again while its answer has pending rows"),
)

# Route (as in `plugin.get_plugin_apps`, without "/") -> the fields of its document.
DOCUMENTS: Dict[str, Tuple[Field, ...]] = {
    "runs": RUNS,
    "curves": CURVES,
    "weights": WEIGHTS,
    "weights_summary": WEIGHTS_SUMMARY,
    "hparams_effects": HPARAMS_EFFECTS,
    "groups": GROUPS,
    "stopping": STOPPING,
    "meta": META,
}

_NAME = re.compile(r"`([a-z_]+)`")
_OPEN, _CLOSE = "{[(", "}])"


def documented_names(cell: str) -> Tuple[str, ...]:
    """The field names a docs/api.md table cell lists: `name`s outside any {...}, [...] or (...)."""
    depth, outside = 0, []
    for char in cell:
        depth += (char in _OPEN) - (char in _CLOSE)
        outside.append(char if depth == 0 and char not in _CLOSE else " ")
    return tuple(_NAME.findall("".join(outside)))
