"""Groups TensorBoard runs and tags into training runs with paired metrics.

TensorBoard sees runs and tags; a practitioner sees "my training run `exp1`
with its loss and accuracy, train and validation". This module maps the
first onto the second from names alone (no data, no TensorBoard import):

- Keras TensorBoard callback: runs `NAME/train` and `NAME/validation`, tags
  `epoch_loss`, `epoch_accuracy`, ... -> training run `NAME`, metrics `loss`,
  `accuracy` (step = 0-based epoch).
- PyTorch `add_scalars("Loss", {"train": ..., "val": ...})`: runs
  `NAME/Loss_train`, `NAME/Loss_val`, each with tag `Loss` -> training run
  `NAME`, metric `Loss`; tensorboardX's `add_scalars` nests them instead:
  runs `NAME/Loss/train`, `NAME/Loss/val`, tag `Loss`.
- One run holding both splits in its tag names: TF1 Keras `loss` + `val_loss`;
  `Loss/train` + `Loss/val|valid|validation|test`; `train/loss` + `val/loss`;
  `train_loss` + `val_loss`; `loss_train` + `loss_val` (case-insensitive).

A validation series is preferred over a test series for the same metric; a
test series is used only where there is no validation one (the PyTorch
tutorials log `Loss/test`). Learning-rate tags become the run's learning-rate
series, not a metric.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

TRAIN, VALIDATION, TEST = "train", "validation", "test"

_SPLIT_WORDS = {
    "train": TRAIN,
    "training": TRAIN,
    "validation": VALIDATION,
    "val": VALIDATION,
    "valid": VALIDATION,
    "eval": VALIDATION,
    "evaluation": VALIDATION,
    "dev": VALIDATION,
    "test": TEST,
}
_SPLIT_PATTERN = "|".join(sorted(_SPLIT_WORDS, key=len, reverse=True))
# Tag forms that carry their split, tried in order: `Loss/train`, `train/loss`,
# `val_loss` (also TF1 Keras), `loss_val`.
_TAG_SPLIT_FORMS = (
    re.compile(rf"^(?P<metric>.+)/(?P<split>{_SPLIT_PATTERN})$", re.IGNORECASE),
    re.compile(rf"^(?P<split>{_SPLIT_PATTERN})/(?P<metric>.+)$", re.IGNORECASE),
    re.compile(rf"^(?P<split>{_SPLIT_PATTERN})_(?P<metric>.+)$", re.IGNORECASE),
    re.compile(rf"^(?P<metric>.+)_(?P<split>{_SPLIT_PATTERN})$", re.IGNORECASE),
)
_ADD_SCALARS_RUN = re.compile(rf"^(?P<main_tag>.+)_(?P<split>{_SPLIT_PATTERN})$", re.IGNORECASE)
_LEARNING_RATE = re.compile(r"^(lr|learning[ _]?rate)$", re.IGNORECASE)
_KERAS_EPOCH_PREFIX = "epoch_"
ROOT_RUN = "."


@dataclasses.dataclass(frozen=True)
class SeriesRef:
    """Where a series lives in TensorBoard: its run and tag."""

    run: str
    tag: str

    def to_json(self) -> dict:
        return {"run": self.run, "tag": self.tag}


@dataclasses.dataclass(frozen=True)
class MetricPair:
    """One metric of a training run: its train series and its validation series."""

    metric: str
    train: Optional[SeriesRef]
    validation: Optional[SeriesRef]
    epoch_based: bool  # steps are 0-based Keras epochs

    def refs(self) -> Tuple[SeriesRef, ...]:
        return tuple(ref for ref in (self.train, self.validation) if ref is not None)


@dataclasses.dataclass(frozen=True)
class TrainingRun:
    """A training run as the user thinks of it, made of one or more TensorBoard runs."""

    name: str
    sources: Tuple[str, ...]
    metrics: Tuple[MetricPair, ...]
    learning_rate: Optional[SeriesRef]
    histograms: Tuple[SeriesRef, ...]
    scalar_tags: Mapping[str, Tuple[str, ...]]
    histogram_tags: Mapping[str, Tuple[str, ...]]

    def metric(self, name: str) -> Optional[MetricPair]:
        """The metric called `name` (case-insensitive), or None."""
        wanted = name.lower()
        return next((pair for pair in self.metrics if pair.metric.lower() == wanted), None)

    def default_monitor(self) -> Optional[MetricPair]:
        """Validation loss, else the first metric with validation data, else the first metric.

        `metrics` is ordered by preference (see `_pair_metrics`).
        """
        with_validation = [pair for pair in self.metrics if pair.validation is not None]
        return (with_validation or self.metrics or [None])[0]


def _is_loss(metric: str) -> bool:
    return "loss" in metric.lower()


def _split_of_run(run: str, tags: Iterable[str]) -> Tuple[str, Optional[str], Optional[str]]:
    """(training run name, split, add_scalars main tag) for one TensorBoard run."""
    parent, _, leaf = run.rpartition("/")
    parent = parent or ROOT_RUN
    split = _SPLIT_WORDS.get(leaf.lower())
    if split is not None:
        # tensorboardX add_scalars writes run `<run>/<main_tag>/<split>` holding tag `<main_tag>`.
        for tag in tags:
            if parent == tag or parent.endswith("/" + tag):
                return parent[: -len(tag)].rstrip("/") or ROOT_RUN, split, tag
        return parent, split, None
    # add_scalars writes run `<main_tag>_<split>` holding the tag `<main_tag>`
    # (with '/' in the tag turned into '_' in the run name).
    match = _ADD_SCALARS_RUN.match(leaf)
    if match:
        main_tags = [tag for tag in tags if tag.replace("/", "_") == match["main_tag"]]
        if main_tags:
            return parent, _SPLIT_WORDS[match["split"].lower()], main_tags[0]
    return run, None, None


def training_run_name(run: str) -> str:
    """The training run a TensorBoard run of this name belongs to, from its name alone (no tags).

    E.g. `x/validation` -> `x`, `validation` -> `.`; used for directories
    whose runs TensorBoard could not read.
    """
    return _split_of_run(run, ())[0]


def _metric_of_tag(tag: str, run_split: Optional[str]) -> Tuple[str, str, bool]:
    """(metric name, split, epoch_based) for a scalar tag in a run of split `run_split`."""
    if run_split is not None:
        if tag.startswith(_KERAS_EPOCH_PREFIX):
            return tag[len(_KERAS_EPOCH_PREFIX):], run_split, True
        return tag, run_split, False
    for form in _TAG_SPLIT_FORMS:
        match = form.match(tag)
        if match:
            return match["metric"], _SPLIT_WORDS[match["split"].lower()], False
    return tag, TRAIN, False


def _pair_metrics(entries: List[Tuple[str, str, str, bool, SeriesRef]]) -> Tuple[MetricPair, ...]:
    """Pairs (key, display, split, epoch_based, ref) entries into MetricPairs."""
    by_metric: Dict[str, Dict[str, SeriesRef]] = {}
    display: Dict[str, str] = {}
    epoch_based: Dict[str, bool] = {}
    for key, name, split, from_epochs, ref in entries:
        by_metric.setdefault(key, {}).setdefault(split, ref)
        display.setdefault(key, name)
        epoch_based[key] = epoch_based.get(key, False) or from_epochs
    pairs = []
    for key, splits in by_metric.items():
        train, validation = splits.get(TRAIN), splits.get(VALIDATION) or splits.get(TEST)
        # TF1 Keras logs `loss` and `val_loss` in one run, one point per epoch.
        tf1_keras = train is not None and validation is not None and validation.tag == "val_" + train.tag
        pairs.append(MetricPair(display[key], train, validation, epoch_based[key] or tf1_keras))
    # What users monitor first: `loss`, then metrics with both splits, loss-like ones first.
    pairs.sort(
        key=lambda pair: (
            pair.metric.lower() != "loss",
            pair.train is None or pair.validation is None,
            not _is_loss(pair.metric),
            pair.metric.lower(),
        )
    )
    return tuple(pairs)


def group_runs(
    scalar_tags: Mapping[str, Iterable[str]],
    histogram_tags: Mapping[str, Iterable[str]] = {},
) -> List[TrainingRun]:
    """Groups TensorBoard runs into training runs, sorted by name.

    Args:
      scalar_tags: TensorBoard run -> its scalar tags.
      histogram_tags: TensorBoard run -> its histogram tags.
    """
    members: Dict[str, Dict[str, Tuple[Optional[str], Optional[str]]]] = {}
    for run in sorted(set(scalar_tags) | set(histogram_tags)):
        name, split, main_tag = _split_of_run(run, scalar_tags.get(run, ()))
        members.setdefault(name, {})[run] = (split, main_tag)

    training_runs = []
    for name, runs in sorted(members.items()):
        entries = []
        learning_rate = None
        for run, (run_split, main_tag) in sorted(runs.items()):
            for tag in sorted(scalar_tags.get(run, ())):
                ref = SeriesRef(run, tag)
                metric, split, from_epochs = _metric_of_tag(tag, run_split)
                if main_tag is not None and tag == main_tag:
                    metric, from_epochs = main_tag, False
                if _LEARNING_RATE.match(metric):
                    learning_rate = learning_rate or ref
                    continue
                entries.append((metric.lower(), metric, split, from_epochs, ref))
        training_runs.append(
            TrainingRun(
                name=name,
                sources=tuple(sorted(runs)),
                metrics=_pair_metrics(entries),
                learning_rate=learning_rate,
                histograms=tuple(
                    SeriesRef(run, tag) for run in sorted(runs) for tag in sorted(histogram_tags.get(run, ()))
                ),
                scalar_tags={run: tuple(sorted(scalar_tags.get(run, ()))) for run in sorted(runs)},
                histogram_tags={run: tuple(sorted(histogram_tags.get(run, ()))) for run in sorted(runs)},
            )
        )
    return training_runs
