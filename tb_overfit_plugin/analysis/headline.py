"""The headline metric of a training run: the one rule that picks it, and why.

A run's metrics are ordered by `rank`; the first one with a validation series
(else the first) is the default monitor, and `reason` says why it won:

1. **Sides**: a metric with both a train and a validation series beats one
   with validation only, which beats one with training only.
2. **Objective**: a reward or return (`is_reward`) is the objective of a
   reinforcement-learning run; then the aggregate loss (`is_aggregate_loss`: the
   bare ``loss``, or a loss named ``total``, ``overall``, ``combined``,
   ``sum``), then its components (``loss_cls``, ``box_loss``...) and metrics
   named by a loss function (`LOSS_FUNCTION_WORDS`: OpenNMT's ``xent``), then
   other metrics.
3. The metric's name, case-insensitive.

Bookkeeping (`tag_words.is_bookkeeping`) is never ranked: it is a diagnostic.
"""

from __future__ import annotations

import functools
from typing import Sequence, Tuple

from tb_overfit_plugin.analysis import tag_words
from tb_overfit_plugin.analysis.training_run import MetricPair

AGGREGATE_WORDS = frozenset(("total", "overall", "combined", "sum", "full", "weighted"))
"""Words that make a loss the sum of the others (detectron2 `total_loss`, TF OD API `Loss/total_loss`)."""
REWARD_WORDS = frozenset(("reward", "return"))
"""Words of a reinforcement-learning objective (`tag_words.ALIASES` reads ``rew`` as reward)."""

LOSS_FUNCTION_WORDS = frozenset(tag_words.LOSS_FUNCTION_WORDS)

_REWARD, _AGGREGATE, _COMPONENT, _OTHER = range(4)


@functools.lru_cache(maxsize=tag_words.WORDS_CACHE_NAMES)
def _words(metric: str) -> Tuple[str, ...]:
    return tag_words.metric_words(tag_words.words(metric))


def is_reward(metric: str) -> bool:
    """Whether `metric` is a reward or return (the objective of a reinforcement-learning run)."""
    return bool(set(_words(metric)) & REWARD_WORDS) and not is_loss(metric)


@functools.lru_cache(maxsize=tag_words.WORDS_CACHE_NAMES)
def is_loss(metric: str) -> bool:
    """Whether a word of `metric` contains "loss"."""
    return any("loss" in word for word in tag_words.words(metric))


ACCURACY_WORDS = frozenset(("accuracy", "acc"))
"""Words of a classifier's accuracy (Keras' `accuracy`, `binary_accuracy`, `sparse_categorical_accuracy`)."""


@functools.lru_cache(maxsize=tag_words.WORDS_CACHE_NAMES)
def is_accuracy(metric: str) -> bool:
    """A plain top-1 accuracy: a word in `ACCURACY_WORDS`, no "top" word (top-5 is not 1/K at chance)."""
    words = set(_words(metric))
    return bool(words & ACCURACY_WORDS) and not any(word.startswith("top") for word in words)


def is_aggregate_loss(metric: str) -> bool:
    """A loss whose other words (qualifiers aside) are none, or an aggregate word (`AGGREGATE_WORDS`)."""
    if not is_loss(metric):
        return False
    others = {word for word in _words(metric) if "loss" not in word}
    return not others or bool(others & AGGREGATE_WORDS)


def objective_rank(metric: str) -> int:
    """0 a reward, 1 an aggregate loss, 2 another loss or a loss function's name, 3 anything else."""
    if is_reward(metric):
        return _REWARD
    if is_aggregate_loss(metric):
        return _AGGREGATE
    return _COMPONENT if is_loss(metric) or set(_words(metric)) & LOSS_FUNCTION_WORDS else _OTHER


def sides_rank(pair: MetricPair) -> int:
    """0 with train and validation series, 1 validation only, 2 training only."""
    if pair.validation is not None:
        return 0 if pair.train is not None else 1
    return 2


def rank(pair: MetricPair) -> tuple:
    """The sort key of the module docstring's rule: (sides, objective, name)."""
    return sides_rank(pair), objective_rank(pair.metric), pair.metric.lower()


def is_reinforcement(metrics: Sequence[MetricPair]) -> bool:
    """Whether a run is reinforcement learning: one of its metrics is a reward or return."""
    return any(is_reward(pair.metric) for pair in metrics)


_SIDES = (
    "train and validation series",
    "validation series only (no metric has both)",
    "training series only (no metric has a validation series)",
)


def reason(pair: MetricPair, metrics: Sequence[MetricPair], diagnostics: Sequence[MetricPair] = ()) -> str:
    """Why `pair` is the headline of a run with `metrics` (and `diagnostics`), in a few words.

    E.g. "total of 5 losses; training series only (no metric has a validation series)",
    "the reward, the objective of a reinforcement-learning run; its losses are diagnostics,
    episode length is bookkeeping; train and validation series".
    """
    rank_ = objective_rank(pair.metric)
    losses = [other for other in metrics if is_loss(other.metric) and other is not pair]
    if rank_ == _REWARD:
        what = "the reward, the objective of a reinforcement-learning run; its losses are diagnostics"
        if any("length" in _words(d.metric) for d in diagnostics):
            what += ", episode length is bookkeeping"
    elif rank_ == _AGGREGATE and losses:
        what = f"total of {len(losses) + 1} losses"
    elif rank_ == _AGGREGATE:
        what = "the loss"
    elif rank_ == _COMPONENT:
        what = "a loss (no total loss logged; the first of its losses by name)"
    else:
        what = "no loss logged; the first metric by name"
    return f"{what}; {_SIDES[sides_rank(pair)]}"
