"""Training runs of an experiment, found by name, and the pair each is judged on.

Shared by every document builder: the training runs come from the listings'
names alone (`grouping.group_runs`, about 0.15 ms a run, so the last few
groupings are kept: `GROUPINGS_KEPT`), and the pair a run is judged on
from the parameters (`monitor`, `pair_of`); `run_series.gather` then reads
its series.
"""

from __future__ import annotations

import collections
import threading
from typing import List, Mapping, Optional

from tb_overfit_plugin.analysis import grouping, headline, split_names, tag_words
from tb_overfit_plugin.analysis.wording import quoted
from tb_overfit_plugin.data.reading import Listing, SeriesSet
from tb_overfit_plugin.documents.params import CurveParams

# The groupings of the last few listings' names (about 1.4 kB per run): the routes of one page load, and a
# request after the listing was renewed with the same names, group the runs once. Keyed by everything
# `group_runs` reads (names, split words, the read series' shapes), so experiments with equal names share one.
GROUPINGS_KEPT = 4
_GROUPINGS: "collections.OrderedDict[tuple, List[grouping.TrainingRun]]" = collections.OrderedDict()
_GROUPINGS_LOCK = threading.Lock()


class NotFound(LookupError):
    """An unknown run or metric: HTTP 404, CLI exit code 2."""


def training_runs(
    scalars: Listing, histograms: Listing, params: Optional[CurveParams] = None
) -> List[grouping.TrainingRun]:
    """The training runs of the experiment (from the listings' names only; the last `GROUPINGS_KEPT` kept),
    read with the split words `params` adds (`train_split`, `validation_split`)."""
    names = split_names.BUILT_IN
    if params is not None:
        names = split_names.with_words(params.train_split, params.validation_split)
    summaries, evaluated = _summaries(scalars), _evaluated(scalars)
    key = (scalars.tags_digest, histograms.tags_digest, names, summaries, evaluated)
    with _GROUPINGS_LOCK:
        runs = _GROUPINGS.get(key)
        if runs is not None:
            _GROUPINGS.move_to_end(key)
            return list(runs)
    runs = grouping.group_runs(scalars.tags, histograms.tags, names, summaries, evaluated)
    with _GROUPINGS_LOCK:
        _GROUPINGS[key] = runs
        while len(_GROUPINGS) > GROUPINGS_KEPT:
            _GROUPINGS.popitem(last=False)
    return list(runs)


def _summaries(scalars: Listing) -> frozenset:
    """(run, tag) of the scalar series holding a single point, when `scalars` holds the series read."""
    by_run = getattr(scalars, "by_run", {})
    return frozenset(
        (run, tag)
        for run, series in by_run.items()
        for tag, one in series.items()
        if one is not None and len(one.steps) == 1
    )


def _evaluated(scalars: Listing) -> frozenset:
    """(run, tag) of the series logged at evaluation time only, when `scalars` holds the series read.

    In each TensorBoard run, a series that is not a loss, with fewer points
    than the run's most frequent loss and some step the loss was not logged
    at: the run logs its training loss at other, more frequent steps.
    """
    found = []
    for run, series in getattr(scalars, "by_run", {}).items():
        losses = [one for tag, one in series.items() if one is not None and headline.is_loss(tag)]
        if not losses:
            continue
        loss = max(losses, key=lambda one: len(one.steps))
        loss_steps = set(loss.steps.tolist())
        found += [
            (run, tag)
            for tag, one in series.items()
            if one is not None
            and not headline.is_loss(tag)
            and 1 < len(one.steps) < len(loss.steps)
            and not set(one.steps.tolist()) <= loss_steps
        ]
    return frozenset(found)


def training_run(
    scalars: Listing, histograms: Listing, name: str, params: Optional[CurveParams] = None
) -> grouping.TrainingRun:
    """The training run called `name`, or NotFound."""
    for run in training_runs(scalars, histograms, params):
        if run.name == name:
            return run
    raise NotFound(f"no training run named {quoted(name)}")


def _is_hparams_record(
    run: grouping.TrainingRun, runs: List[grouping.TrainingRun], scalars: SeriesSet, sessions: Mapping[str, dict]
) -> bool:
    """Whether `run` is what PyTorch's / tensorboardX's `add_hparams` writes, not a training run.

    `add_hparams(hparams, metrics)` writes a new sub-folder (named by the time)
    below the training run, holding the session and one point per metric. So:
    every TensorBoard run of it holds a session, each of its scalar series has
    at most one point, and another training run is its parent folder. Its
    session then belongs to that parent (`sessions.attach`, "only child").
    """
    if not all(source in sessions for source in run.sources):
        return False
    if not any(run.name.startswith(other.name + "/") for other in runs if other is not run):
        return False
    return all(len(series) <= 1 for source in run.sources for series in scalars.by_run.get(source, {}).values())


def listed_runs(
    scalars: SeriesSet,
    histograms: Listing,
    sessions: Optional[Mapping[str, dict]] = None,
    params: Optional[CurveParams] = None,
) -> List[grouping.TrainingRun]:
    """The training runs `/runs` lists: all but the hyper-parameter records (`_is_hparams_record`)."""
    runs = training_runs(scalars, histograms, params)
    return [run for run in runs if not _is_hparams_record(run, runs, scalars, sessions or {})]


def _source_of(run: grouping.TrainingRun, tag: str) -> Optional[grouping.SeriesRef]:
    """The first TensorBoard run of `run` holding scalar tag `tag` (exactly, else stripped of spaces)."""
    for wanted in (tag, tag.strip()):
        for source in run.sources:
            if wanted in run.scalar_tags.get(source, ()):
                return grouping.SeriesRef(source, wanted)
    return None


def explicit_pair(run: grouping.TrainingRun, text: str) -> Optional[grouping.MetricPair]:
    """The pair `pair=TRAIN,VALIDATION` names in `run`, or None when `run` lacks those tags.

    The text splits at the first comma where both sides are tags of the run
    (tags may hold commas). A pair the grouping already made with these two
    tags is used as it is (its name, its epochs); else the metric is named
    by the validation tag's words (`tag_words.metric_words`).
    """
    for at in (index for index, char in enumerate(text) if char == ","):
        train, validation = _source_of(run, text[:at]), _source_of(run, text[at + 1 :])
        if train is None or validation is None:
            continue
        for pair in run.metrics + run.diagnostics:
            if (pair.train, pair.validation) == (train, validation):
                return pair
        name = " ".join(tag_words.metric_words(tag_words.words(validation.tag))) or validation.tag
        return grouping.MetricPair(name, train, validation, epoch_based=False)
    return None


def monitor(run: grouping.TrainingRun, params: CurveParams) -> Optional[grouping.MetricPair]:
    """The pair `params` asks `run` to be judged on (`pair`, else `metric`, else its default monitor), or None."""
    if params.pair is not None:
        return explicit_pair(run, params.pair)
    if params.metric is None:
        return run.default_monitor()
    return run.metric(params.metric)


def monitor_reason(run: grouping.TrainingRun, pair: grouping.MetricPair, params: CurveParams) -> str:
    """Why `pair` is judged: what `params` asked for, else the headline rule (`headline.reason`)."""
    if params.pair is not None:
        return f"asked for: pair={params.pair}"
    if params.metric is not None:
        return f"asked for: metric={params.metric}"
    return headline.reason(pair, run.metrics, run.diagnostics)


def pair_of(run: grouping.TrainingRun, params: CurveParams) -> grouping.MetricPair:
    """`monitor(run, params)`, or NotFound."""
    pair = monitor(run, params)
    if pair is None:
        if params.pair:
            raise NotFound(f"training run {quoted(run.name)} has no tags {quoted(params.pair)} (pair=TRAIN,VALIDATION)")
        if params.metric:
            raise NotFound(f"training run {quoted(run.name)} has no metric {quoted(params.metric)}")
        raise NotFound(f"training run {quoted(run.name)} has no scalar metrics")
    return pair
