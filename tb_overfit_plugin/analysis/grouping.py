"""Groups TensorBoard runs and tags into training runs with paired metrics.

TensorBoard sees runs and tags; a practitioner sees "my training run `exp1`
with its loss and accuracy, train and validation". This module maps the
first onto the second from names alone (no data, no TensorBoard import).
The convention table of docs/conventions.md shows what each popular writer produces.

Which training run a TensorBoard run belongs to (`_place_run`), first rule that applies:

1. **add_scalars**: a run holding exactly one scalar tag ``T``, in a folder
   ``<parent>/<T with "/" as "_">_<key>`` (``torch.utils.tensorboard``) or
   ``<parent>/<T>/<key>`` (tensorboardX), was written by
   ``add_scalars(T, {key: ...})``: it belongs to ``<parent>``, metric and
   split read from ``T`` and ``key`` (`_add_scalars_metric`).
2. **Split folders**: a run whose last folder is named like a split
   (``train``, ``validation``, ``val``, ``eval``, ``test``...) is that split
   of its parent when it looks like one (`_looks_like_split_folder`):
   another split-named folder has the same parent (Keras ``NAME/train`` +
   ``NAME/validation``), or the parent holds data itself (TF Estimator's
   ``model_dir/eval``), or it holds Keras ``epoch_*`` tags (Keras without
   validation data); and its own tags do not already name both a training
   and a validation split. A folder named a split with a qualifier beside
   folders of that split and another (fairseq's ``train_inner`` beside
   ``train`` and ``valid``, `_qualified_split`) is that split too; its series
   serve only where the plainly named folder has none of that metric.
3. Otherwise the run is a training run of its own: Ultralytics' first run
   folder ``runs/detect/train`` (holding ``train/box_loss``,
   ``val/box_loss``...) is the training run ``runs/detect/train``.

What a scalar tag is (`_read_tag`):

* Its **split and metric**: from its folder (Keras: ``epoch_loss`` in
  ``NAME/validation`` is validation ``loss``; step = 0-based epoch), else from
  the tag (`split_names`: the writers' forms ``Loss/train``, ``train/loss``,
  ``val_loss``, ``loss_val``, case-insensitive; then a split word anywhere in
  its words, ``Training loss``, ``Test loss (avg on test)``, ``valLoss``; else
  validation for a known evaluation metric or a series logged at evaluation
  time only, train otherwise); a tag naming its split twice (HF's
  ``train/train_loss``) is that metric too, unless the run logs it without the
  repetition (``train/loss``): then it is a one-point summary, a diagnostic.
  Tags under ``metrics/`` without a split of their own are validation
  metrics (Ultralytics ``metrics/mAP50-95(B)``, YOLOv5 ``metrics/precision``).
  Lightning's ``_epoch`` suffix (``on_epoch=True``) names the metric itself;
  its ``_step`` twin is a diagnostic.
* A **learning rate** (`_LEARNING_RATE`): ``lr``, ``learning_rate``,
  ``lr0``..., ``lr/pg0``..., ``lr-Adam``...: the first by (run, tag) is the
  run's learning-rate series, the others are diagnostics.
* An **epoch series** (a metric named ``epoch``: Lightning ``epoch``, HF
  ``train/epoch``): gives epochs to steps (`epochs.EpochSeries`); also a
  diagnostic.
* **Bookkeeping** (`_BOOKKEEPING`): counters, run times, throughput, gradient
  norms, hyperparameter placeholders, per-batch series: diagnostics.
* Anything else is a **metric** (unknown names are metrics of their own).

Diagnostics are listed separately: never the default monitor, never among
`metrics`, but `TrainingRun.metric(name)` finds them when asked by name.
Pairing is `pairing.pair_metrics` (twins, same words), ordered by the headline
rule (`headline`); a reinforcement-learning run's losses are diagnostics.
"""

from __future__ import annotations

import collections
import dataclasses
import re
from typing import AbstractSet, Dict, Iterable, List, Mapping, Optional, Tuple

from tb_overfit_plugin.analysis import headline, pairing, tag_words
from tb_overfit_plugin.analysis.split_names import BUILT_IN, SplitNames, for_run
from tb_overfit_plugin.analysis.training_run import MetricPair, SeriesRef, TrainingRun

TRAIN, VALIDATION, TEST = tag_words.TRAIN, tag_words.VALIDATION, tag_words.TEST

# YOLO logs its validation metrics (mAP, precision, recall) under `metrics/`.
_VALIDATION_PREFIX = re.compile(r"^metrics/(?P<metric>.+)$", re.IGNORECASE)
# Lightning `self.log(name, on_step=True, on_epoch=True)` logs `name_step` and `name_epoch`.
_LIGHTNING_SUFFIX = re.compile(r"^(?P<metric>.+)_(?P<when>epoch|step)$", re.IGNORECASE)
# `lr`, `learning_rate`, `learning rate`, `LearningRate`, YOLOv5 `x/lr0`, Ultralytics
# `lr/pg0`, Lightning LearningRateMonitor `lr-Adam`, `lr-Adam/pg1`, `lr-SGD-1`
# (not `lr-Adam-momentum`): a whole "/"-separated part of the name.
_LEARNING_RATE = re.compile(r"(?:^|/)(?:lr|learning[ _]?rate)(?:\d+|_pg\d+|-[a-z]\w*(?:-\d+)?)?(?:/|$)", re.IGNORECASE)
# Series that describe the run, not the model's quality (matched on the metric name):
_BOOKKEEPING = re.compile(
    r"^(?:steps?|global_?step|iterations?|hp_metric|(?:total_)?flos)$"  # counters, Lightning's hp_metric
    r"|(?:^|[/_-])(?:runtime|time|duration|throughput|memory|momentum|weight_decay|loss_?scale)$"  # HF eval/runtime...
    r"|per_?sec(?:ond)?$|/sec$"  # throughput: HF samples_per_second, Estimator global_step/sec
    r"|grad[\w.]*norm"  # gradient norms: HF grad_norm, Lightning grad_2.0_norm_total
    r"|_vs_iterations$|^batch_",  # Keras per-batch series: evaluation_loss_vs_iterations, batch_loss
    re.IGNORECASE,
)
_EPOCH_SERIES = "epoch"
_KERAS_EPOCH_PREFIX = "epoch_"
ROOT_RUN = "."

# What a scalar tag is.
METRIC, LEARNING_RATE, EPOCH, DIAGNOSTIC = "metric", "learning_rate", "epoch", "diagnostic"


@dataclasses.dataclass(frozen=True)
class _Role:
    """How a TensorBoard run's tags are read: its split, or the add_scalars call that wrote it."""

    split: Optional[str] = None
    add_scalars: Optional[Tuple[str, str]] = None  # (metric, split)


@dataclasses.dataclass(frozen=True)
class _Tag:
    """One scalar tag, read."""

    kind: str  # METRIC, LEARNING_RATE, EPOCH or DIAGNOSTIC
    metric: str
    split: str
    epoch_based: bool
    ref: SeriesRef
    repeated_as: Optional[str] = None  # "train_loss" for HF's `train/train_loss`
    named: bool = True  # a split word or folder named the split (else it was assumed)


def _leaf(run: str) -> Tuple[str, str]:
    """(parent, last folder) of a run; the parent of a top-level run is ROOT_RUN."""
    parent, _, leaf = run.rpartition("/")
    return parent or ROOT_RUN, leaf


# --------------------------------------------------------------- runs -> training runs


def training_run_name(run: str) -> str:
    """The training run a folder TensorBoard could not read would belong to, by its name alone.

    Its parent when its last folder is named like a split (`x/validation` ->
    `x`, `validation` -> `.`), else itself; used to place warnings about
    unreadable directories, which have no tags to apply `_place_run` to.
    """
    parent, leaf = _leaf(run)
    return parent if BUILT_IN.word(leaf) else run


def _add_scalars_call(run: str, tags: Tuple[str, ...]) -> Optional[Tuple[str, str, str]]:
    """(parent, main_tag, key) if `run` looks written by `add_scalars(main_tag, {key: ...})`."""
    if len(tags) != 1:
        return None
    (tag,) = tags
    head, _, key = run.rpartition("/")
    if head == tag or head.endswith("/" + tag):  # tensorboardX: <parent>/<main_tag>/<key>
        return head[: -len(tag)].rstrip("/") or ROOT_RUN, tag, key
    prefix = tag.replace("/", "_") + "_"  # torch: <parent>/<main_tag with / as _>_<key>
    if key.startswith(prefix) and len(key) > len(prefix):
        return head or ROOT_RUN, tag, key[len(prefix) :]
    return None


def _add_scalars_metric(main_tag: str, key: str, names: SplitNames) -> Tuple[str, str]:
    """(metric, split) of `add_scalars(main_tag, {key: ...})`.

    The key is the split (`add_scalars("Loss", {"train": .., "val": ..})`: metric
    `Loss`), or carries one (`{"train_acc": ..}`: metric `acc`); else the main tag
    carries it (`add_scalars("val_performance", {"Accuracy": ..})`: validation
    `Accuracy`); else the series is the training metric `main_tag/key`.
    """
    split = names.word(key)
    if split is not None:
        return main_tag, split
    in_key, in_main_tag = names.split_in_form(key), names.split_in_form(main_tag)
    if in_key is not None:
        return in_key
    if in_main_tag is not None:
        return key, in_main_tag[1]
    return f"{main_tag}/{key}", TRAIN


def _names_both_splits(tags: Iterable[str], names: SplitNames) -> bool:
    """Whether the tags themselves name a training and a validation (or test) split."""
    splits = {found[1] for found in map(names.split_in_form, tags) if found is not None}
    return TRAIN in splits and bool(splits & {VALIDATION, TEST})


def _looks_like_split_folder(
    run: str, tags: Tuple[str, ...], runs: frozenset, split_folders: Mapping[str, List[str]], names: SplitNames
) -> bool:
    """Whether a run whose last folder is named like a split is a split of its parent (rule 2)."""
    parent, _ = _leaf(run)
    looks_like_one = (
        len(split_folders.get(parent, ())) >= 2
        or parent in runs
        or any(tag.startswith(_KERAS_EPOCH_PREFIX) for tag in tags)
    )
    return looks_like_one and not _names_both_splits(tags, names)


def _qualified_split(leaf: str, siblings: List[str], names: SplitNames) -> Optional[str]:
    """The split of a folder named a split with a qualifier (fairseq's `train_inner`) among split folders of
    that split and another (`train`, `valid`: `siblings`, their splits); else None."""
    found = names.split_in_form(leaf)
    return found[1] if found is not None and found[1] in siblings and len(set(siblings)) >= 2 else None


def _place_run(
    run: str, tags: Tuple[str, ...], runs: frozenset, split_folders: Mapping[str, List[str]], names: SplitNames
) -> Tuple[str, _Role]:
    """(training run name, role) of one TensorBoard run; see the module docstring."""
    call = _add_scalars_call(run, tags)
    if call is not None:
        parent, main_tag, key = call
        return parent, _Role(add_scalars=_add_scalars_metric(main_tag, key, names))
    parent, leaf = _leaf(run)
    split = names.word(leaf) or _qualified_split(leaf, split_folders.get(parent, []), names)
    if split is not None and _looks_like_split_folder(run, tags, runs, split_folders, names):
        return parent, _Role(split=split)
    return run, _Role()


# --------------------------------------------------------------- tags -> metrics


def _metric_in_tag(tag: str, names: SplitNames, evaluated: bool = False) -> Tuple[str, str, Optional[str], bool]:
    """(metric, split, repeated_as, named) for a tag of a run that is no split itself.

    A writer's form, then `metrics/` (validation unless it names a split),
    then a split word anywhere; else validation for a known evaluation metric
    (`tag_words.is_evaluation_metric`) or a series logged at evaluation time
    (`evaluated`: fewer points than the run's training loss, at other steps), and
    train for anything else, both assumed.
    """
    found = names.split_in_form(tag)
    if found is not None:
        metric, split = found
        inner = names.split_in_form(metric)  # HF's `train/train_loss`
        return (inner[0], inner[1], metric, True) if inner is not None else (metric, split, None, True)
    prefixed = _VALIDATION_PREFIX.match(tag)
    if prefixed:
        inner = names.split_in_form(prefixed["metric"])
        return (*inner, None, True) if inner else (prefixed["metric"], VALIDATION, None, False)
    described = _LEARNING_RATE.search(tag) or _BOOKKEEPING.search(tag) or tag_words.is_bookkeeping(tag)
    in_words = None if described else names.split_in_words(tag)
    if in_words is not None:
        return (*in_words, None, True)
    return tag, VALIDATION if evaluated or tag_words.is_evaluation_metric(tag) else TRAIN, None, False


def _kind(metric: str) -> Tuple[str, str]:
    """(kind, metric name) of a series called `metric` once its split is read."""
    suffixed = _LIGHTNING_SUFFIX.match(metric)
    if suffixed and suffixed["when"].lower() == "step":
        return DIAGNOSTIC, metric
    if suffixed:
        metric = suffixed["metric"]
    if _LEARNING_RATE.search(metric):
        return LEARNING_RATE, metric
    if metric.lower() == _EPOCH_SERIES:
        return EPOCH, metric
    if _BOOKKEEPING.search(metric) or tag_words.is_bookkeeping(metric):
        return DIAGNOSTIC, metric
    return METRIC, metric


def _read_tag(run: str, tag: str, role: _Role, names: SplitNames, evaluated: AbstractSet[Tuple[str, str]]) -> _Tag:
    """What one scalar tag of a run with `role` is (see the module docstring)."""
    epoch_based, repeated_as, named = False, None, True
    if role.add_scalars is not None:
        metric, split = role.add_scalars
    elif role.split is not None:
        split = role.split
        epoch_based = tag.startswith(_KERAS_EPOCH_PREFIX)
        metric = tag[len(_KERAS_EPOCH_PREFIX) :] if epoch_based else tag
    else:
        metric, split, repeated_as, named = _metric_in_tag(tag, names, (run, tag) in evaluated)
    kind, metric = _kind(metric)
    return _Tag(kind, metric, split, epoch_based, SeriesRef(run, tag), repeated_as, named)


def _sort_tags(
    tags: List[_Tag], summaries: AbstractSet[Tuple[str, str]] = frozenset()
) -> Tuple[List[_Tag], List[_Tag]]:
    """(metric tags, every other tag as a diagnostic).

    A repeated-split tag (HF `train/train_loss`) is a diagnostic, named as
    logged, when its metric and split are also logged plainly (`train/loss`).
    So is a one-point series (`summaries`: (run, tag)) beside a curve of the
    same metric (its words, `tag_words.metric_key`): the final value a sweep
    tool or `add_hparams` writes, never the curve that is judged.
    """
    plain = {(tag.metric.lower(), tag.split) for tag in tags if tag.kind == METRIC and tag.repeated_as is None}
    curves = {
        tag_words.metric_key(tag.metric)
        for tag in tags
        if tag.kind == METRIC and (tag.ref.run, tag.ref.tag) not in summaries
    }
    metrics, diagnostics = [], []
    for tag in tags:
        if tag.kind == METRIC and tag.repeated_as is not None and (tag.metric.lower(), tag.split) in plain:
            diagnostics.append(dataclasses.replace(tag, kind=DIAGNOSTIC, metric=tag.repeated_as))
        elif (
            tag.kind == METRIC
            and (tag.ref.run, tag.ref.tag) in summaries
            and tag_words.metric_key(tag.metric) in curves
        ):
            diagnostics.append(dataclasses.replace(tag, kind=DIAGNOSTIC, metric=tag.ref.tag))
        elif tag.kind == METRIC:
            metrics.append(tag)
        else:
            diagnostics.append(tag)
    return metrics, diagnostics


def _reinforcement_split(metrics: Tuple[MetricPair, ...]) -> Tuple[Tuple[MetricPair, ...], Tuple[MetricPair, ...]]:
    """(metrics, loss diagnostics): a reinforcement-learning run's losses (TD, value, policy) are diagnostics."""
    if not headline.is_reinforcement(metrics):
        return metrics, ()
    losses = tuple(pair for pair in metrics if headline.is_loss(pair.metric))
    return tuple(pair for pair in metrics if pair not in losses), losses


def _run_names(role: _Role, tags: Tuple[str, ...], names: SplitNames) -> SplitNames:
    """The split words a run's tags are read with: `names`, and a mirrored train prefix (OpenNMT's
    `progress/` beside `valid/`: `split_names.for_run`) in a run that is no split itself."""
    if role.split is not None or role.add_scalars is not None:
        return names
    return for_run(names, tags)


def _training_run(
    name: str,
    roles: Mapping[str, _Role],
    scalar_tags: Mapping[str, Iterable[str]],
    histogram_tags: Mapping[str, Iterable[str]],
    names: SplitNames,
    summaries: AbstractSet[Tuple[str, str]],
    evaluated: AbstractSet[Tuple[str, str]],
) -> TrainingRun:
    runs = sorted(roles)
    tags: List[_Tag] = []
    for run in runs:
        run_tags = tuple(sorted(scalar_tags.get(run, ())))
        run_names = _run_names(roles[run], run_tags, names)
        tags += [_read_tag(run, tag, roles[run], run_names, evaluated) for tag in run_tags]
    learning_rate = next((tag.ref for tag in tags if tag.kind == LEARNING_RATE), None)
    metric_tags, diagnostic_tags = _sort_tags(tags, summaries)
    metrics, losses = _reinforcement_split(pairing.pair_metrics(metric_tags, names.extra_table))
    diagnostics = pairing.pair_metrics((tag for tag in diagnostic_tags if tag.ref != learning_rate), names.extra_table)
    return TrainingRun(
        name=name,
        sources=tuple(runs),
        metrics=metrics,
        learning_rate=learning_rate,
        histograms=tuple(SeriesRef(run, tag) for run in runs for tag in sorted(histogram_tags.get(run, ()))),
        scalar_tags={run: tuple(sorted(scalar_tags.get(run, ()))) for run in runs},
        histogram_tags={run: tuple(sorted(histogram_tags.get(run, ()))) for run in runs},
        diagnostics=losses + diagnostics,
        epoch=next((tag.ref for tag in tags if tag.kind == EPOCH), None),
    )


def group_runs(
    scalar_tags: Mapping[str, Iterable[str]],
    histogram_tags: Mapping[str, Iterable[str]] = {},
    names: SplitNames = BUILT_IN,
    summaries: AbstractSet[Tuple[str, str]] = frozenset(),
    evaluated: AbstractSet[Tuple[str, str]] = frozenset(),
) -> List[TrainingRun]:
    """Groups TensorBoard runs into training runs, sorted by name.

    Args:
      scalar_tags: TensorBoard run -> its scalar tags.
      histogram_tags: TensorBoard run -> its histogram tags.
      names: the split words in force (`split_names.with_words` adds the user's).
      summaries: (run, tag) of the series holding one point, when the caller has read them.
      evaluated: (run, tag) of series logged at evaluation time only (fewer points than the
        run's training loss, at other steps), when the caller has read them.
    """
    runs = frozenset(scalar_tags) | frozenset(histogram_tags)
    split_folders: Dict[str, List[str]] = collections.defaultdict(list)  # parent -> the splits its folders name
    for parent, leaf in map(_leaf, runs):
        split = names.word(leaf)
        if split is not None:
            split_folders[parent].append(split)
    members: Dict[str, Dict[str, _Role]] = {}
    for run in sorted(runs):
        name, role = _place_run(run, tuple(scalar_tags.get(run, ())), runs, split_folders, names)
        members.setdefault(name, {})[run] = role
    return [
        _training_run(name, roles, scalar_tags, histogram_tags, names, summaries, evaluated)
        for name, roles in sorted(members.items())
    ]
