"""The value classes of a grouping (`grouping.group_runs`): training runs, their metric pairs, series refs."""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional, Tuple


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
    diagnostics: Tuple[MetricPair, ...] = ()  # bookkeeping series: never monitored by default
    epoch: Optional[SeriesRef] = None  # an epoch series logged against the step

    def metric(self, name: str) -> Optional[MetricPair]:
        """The metric called `name` (case-insensitive), else the diagnostic, else the pair holding tag `name`,
        else None.

        So `metric=` takes a metric's name (`mAP_0.5:0.95`) or any of its tag
        names as TensorBoard shows them (`metrics/mAP_0.5:0.95`).
        """
        wanted = name.lower()
        pairs = self.metrics + self.diagnostics
        by_name = next((pair for pair in pairs if pair.metric.lower() == wanted), None)
        return by_name or next((pair for pair in pairs if any(ref.tag == name for ref in pair.refs())), None)

    def default_monitor(self) -> Optional[MetricPair]:
        """The first metric with a validation series, else the first metric.

        `metrics` is ordered by the headline rule (`headline.rank`).
        """
        with_validation = [pair for pair in self.metrics if pair.validation is not None]
        return next(iter(with_validation or self.metrics), None)
