"""Pairs a training run's read tags into metrics: which series is the train side of which.

`pair_metrics` takes the tags `grouping` has read (each with its metric, its
split, and whether a word or folder *named* that split or it was assumed) and
pairs them, in three steps:

1. Tags of the same metric name (case-insensitive) are one metric. A tag
   whose split was assumed (no split word: ``loss``, ``metrics/loss``)
   whose side is already taken by a twin that names its split
   (``metrics/val_loss``) is the other side.
2. A metric logged on one side only pairs with a metric logged on the other
   side only when their words name the same metric (`tag_words.metric_key`:
   ``Training loss`` and ``Test loss (avg on test)``; ``rollout/ep_rew_mean``
   and ``eval/mean_reward``), and exactly one of each has those words.
3. Metrics are ordered by the headline rule (`headline.rank`).

A validation series is preferred over a test series for the same metric.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Iterable, List, Optional, Tuple

from tb_overfit_plugin.analysis import headline, tag_words
from tb_overfit_plugin.analysis.training_run import MetricPair, SeriesRef

TRAIN, VALIDATION, TEST = tag_words.TRAIN, tag_words.VALIDATION, tag_words.TEST
_OTHER_SIDE = {TRAIN: VALIDATION, VALIDATION: TRAIN, TEST: TRAIN}


@dataclasses.dataclass
class _Metric:
    """One metric being paired: its display name, the first ref of each split, whether epoch-based."""

    name: str
    splits: Dict[str, SeriesRef]
    epoch_based: bool

    def held_out(self) -> Optional[SeriesRef]:
        return self.splits.get(VALIDATION) or self.splits.get(TEST)

    def pair(self) -> MetricPair:
        train, held_out = self.splits.get(TRAIN), self.held_out()
        # TF1 Keras logs `loss` and `val_loss` in one run, one point per epoch.
        tf1_keras = train is not None and held_out is not None and held_out.tag == "val_" + train.tag
        return MetricPair(self.name, train, held_out, self.epoch_based or tf1_keras)


def _side(metric: _Metric, tag) -> str:
    """The split `tag` takes in `metric`: its own, or the other side when assumed and already taken."""
    taken = tag.split in metric.splits or (tag.split == TEST and VALIDATION in metric.splits)
    if not tag.named and taken and _OTHER_SIDE[tag.split] not in metric.splits:
        return _OTHER_SIDE[tag.split]
    return tag.split


def _by_name(tags: Iterable) -> Dict[str, _Metric]:
    """Step 1: the tags of each metric name, named splits placed before assumed ones."""
    metrics: Dict[str, _Metric] = {}
    for tag in sorted(tags, key=lambda tag: not tag.named):  # stable: the given order within each
        key = tag.metric.lower()
        metric = metrics.setdefault(key, _Metric(tag.metric, {}, False))
        metric.splits.setdefault(_side(metric, tag), tag.ref)
        metric.epoch_based = metric.epoch_based or tag.epoch_based
    return metrics


def _merge_one_sided(metrics: Dict[str, _Metric], extra: Optional[dict]) -> List[_Metric]:
    """Step 2: a train-only and a held-out-only metric with the same words, alone with them, are one."""
    train_only: Dict[Tuple[str, ...], List[str]] = {}
    held_only: Dict[Tuple[str, ...], List[str]] = {}
    for key, metric in metrics.items():
        words = tag_words.metric_key(metric.name, extra)
        if set(metric.splits) == {TRAIN}:
            train_only.setdefault(words, []).append(key)
        elif TRAIN not in metric.splits:
            held_only.setdefault(words, []).append(key)
    for words, keys in train_only.items():
        held = held_only.get(words, [])
        if len(keys) == 1 and len(held) == 1:
            trained, kept = metrics.pop(keys[0]), metrics[held[0]]
            kept.splits[TRAIN] = trained.splits[TRAIN]
            kept.epoch_based = kept.epoch_based or trained.epoch_based
    return list(metrics.values())


def pair_metrics(tags: Iterable, extra: Optional[dict] = None) -> Tuple[MetricPair, ...]:
    """The metric pairs of `tags` (objects with metric, split, named, epoch_based, ref), headline first.

    `extra`: split words the user added (word -> split), read as `tag_words.SPLIT_WORDS`.
    """
    pairs = [metric.pair() for metric in _merge_one_sided(_by_name(tags), extra)]
    return tuple(sorted(pairs, key=headline.rank))
