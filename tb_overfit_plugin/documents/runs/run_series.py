"""Every scalar series a run's curve documents read, gathered once per request: `RunSeries`.

`gather(run, pair, scalars, params)` looks each series up by name once:
the judged pair's two sides, the learning rate, the run's epoch series (as a
step -> epoch map), the training accuracy that the chance-level rule reads,
and the diagnostics' series. The verdict, `/curves` and `/stopping` read its
fields; nothing downstream looks a series up by name.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Dict, List, Optional, Tuple

from tb_overfit_plugin.analysis import curves, epochs, grouping, headline
from tb_overfit_plugin.analysis.series import ScalarSeries
from tb_overfit_plugin.data.series_set import SeriesSet
from tb_overfit_plugin.documents.params import CurveParams
from tb_overfit_plugin.documents.runs import lookup


@dataclasses.dataclass(frozen=True)
class RunSeries:
    """A training run judged on `pair` (mode: asked for, else from the name), with its series.

    `version` is the data version of every series gathered (`SeriesSet.version_of`): equal versions,
    equal documents. `epoch_of` maps a step to its epoch (None: steps only, `_epoch_series`).
    """

    run: grouping.TrainingRun
    pair: grouping.MetricPair
    mode: str
    series: Dict[grouping.SeriesRef, ScalarSeries]
    epoch_ref: Optional[grouping.SeriesRef]
    accuracy_ref: Optional[grouping.SeriesRef]
    version: tuple

    def of(self, ref: Optional[grouping.SeriesRef]) -> Optional[ScalarSeries]:
        """The gathered series `ref` names, or None (no ref, or not logged)."""
        return None if ref is None else self.series.get(ref)

    @property
    def train(self) -> Optional[ScalarSeries]:
        return self.of(self.pair.train)

    @property
    def validation(self) -> Optional[ScalarSeries]:
        return self.of(self.pair.validation)

    @property
    def learning_rate(self) -> Optional[ScalarSeries]:
        return self.of(self.run.learning_rate)

    @property
    def train_accuracy(self) -> Optional[ScalarSeries]:
        return self.of(self.accuracy_ref)

    @functools.cached_property
    def epoch_of(self) -> Optional[Callable[[int], int]]:
        """Step -> epoch: Keras' own (`epochs.keras_epoch`) when the pair is epoch-based, else the epoch
        series' map (`epochs.epoch_series`), else None."""
        if self.pair.epoch_based:
            return epochs.keras_epoch
        series = self.of(self.epoch_ref)
        return None if series is None else epochs.epoch_series(series.steps, series.values)

    def epoch(self, step: Optional[int]) -> Optional[int]:
        return None if step is None or self.epoch_of is None else self.epoch_of(int(step))


def _epoch_ref(run: grouping.TrainingRun, pair: grouping.MetricPair) -> Optional[grouping.SeriesRef]:
    """The run's epoch series when it maps `pair`'s steps, else None.

    None when the pair's steps are Keras epochs already, and when a series of
    the pair lives in another TensorBoard run than the epoch series: only the
    writer that logged the epoch series is known to share its step axis (a
    Lightning module's own `add_scalars` runs may count epochs instead).
    """
    if pair.epoch_based or run.epoch is None or any(ref.run != run.epoch.run for ref in pair.refs()):
        return None
    return run.epoch


def _accuracy_ref(run: grouping.TrainingRun, pair: grouping.MetricPair) -> Optional[grouping.SeriesRef]:
    """The run's training accuracy series when `pair` is a loss (the chance-level rule of
    `failure_modes.chance_level_divergence`), else None."""
    if not headline.is_loss(pair.metric):
        return None
    accuracies = (other.train for other in run.metrics if headline.is_accuracy(other.metric))
    return next((ref for ref in accuracies if ref is not None), None)


def _refs(
    run: grouping.TrainingRun, pair: grouping.MetricPair, extra: Tuple[Optional[grouping.SeriesRef], ...]
) -> Tuple[grouping.SeriesRef, ...]:
    """Every ref a curve document of `run` on `pair` reads, once each."""
    refs: List[Optional[grouping.SeriesRef]] = [*pair.refs(), *(ref for d in run.diagnostics for ref in d.refs())]
    refs += [run.learning_rate, *extra]
    return tuple(dict.fromkeys(ref for ref in refs if ref is not None))


def gather(run: grouping.TrainingRun, pair: grouping.MetricPair, scalars: SeriesSet, params: CurveParams) -> RunSeries:
    """`run` judged on `pair`, with every series its documents read, each looked up once."""
    epoch_ref, accuracy_ref = _epoch_ref(run, pair), _accuracy_ref(run, pair)
    series = {}
    for ref in _refs(run, pair, (epoch_ref, accuracy_ref)):
        found = scalars.by_run.get(ref.run, {}).get(ref.tag)
        if found is not None:
            series[ref] = found
    judged = pair.refs() + tuple(ref for ref in (run.learning_rate, epoch_ref, accuracy_ref) if ref is not None)
    return RunSeries(
        run=run,
        pair=pair,
        mode=params.mode or curves.metric_mode(pair.metric),
        series=series,
        epoch_ref=epoch_ref,
        accuracy_ref=accuracy_ref,
        version=scalars.version_of((ref.run, ref.tag) for ref in judged),
    )


def judged(run: grouping.TrainingRun, scalars: SeriesSet, params: CurveParams) -> RunSeries:
    """`gather` on the pair `params` asks `run` to be judged on (`lookup.pair_of`: NotFound when it lacks it)."""
    return gather(run, lookup.pair_of(run, params), scalars, params)
