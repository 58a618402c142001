"""The weight documents: `GET /weights_summary` (every run's health) and `GET /weights` (one run's layers).

One builder per document, each over an `AnalysisCache`: full analyses and
summaries are memoised by (experiment, run, its histograms' versions,
thresholds), so a sweep's summaries are read and computed once per data version.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, Iterable, Iterator, List, Sequence, Tuple

from tb_overfit_plugin.analysis import grouping
from tb_overfit_plugin.data.reading import Listing, SeriesSet
from tb_overfit_plugin.documents.analysis_cache import MISSING, AnalysisCache
from tb_overfit_plugin.documents.runs.lookup import training_runs
from tb_overfit_plugin.documents.weights import health as weight_health

NO_HISTOGRAMS_HINT = (
    "No weight histograms for this run: pass histogram_freq=1 to "
    "keras.callbacks.TensorBoard (or call add_histogram in PyTorch) to log them."
)
SAMPLING_HINT = (
    "TensorBoard kept only a sample of the histogram steps of this run "
    "(the Rust data server keeps 100 per series by default, the Python loader 500); "
    "start tensorboard with --samples_per_plugin=histograms=0 to analyse every step."
)


def _histogram_inputs(run: grouping.TrainingRun, histograms: SeriesSet) -> dict:
    """{(TensorBoard run, tag): HistogramSeries} of the run's histograms that were read."""
    inputs = {}
    for ref in run.histograms:
        series = histograms.by_run.get(ref.run, {}).get(ref.tag)
        if series is not None:
            inputs[(ref.run, ref.tag)] = series
    return inputs


def _key(run: grouping.TrainingRun, histograms: Listing, thresholds: weight_health.Thresholds) -> Tuple[tuple, tuple]:
    """Memo (slot, version) of a run's weight analysis: (experiment, run, thresholds), its histograms' versions."""
    return (
        (histograms.experiment_id, run.name, thresholds),
        histograms.version_of((ref.run, ref.tag) for ref in run.histograms),
    )


def weights_summary(
    cache: AnalysisCache,
    run: grouping.TrainingRun,
    histograms: SeriesSet,
    thresholds: weight_health.Thresholds = weight_health.Thresholds(),
) -> dict:
    """Weight health of one run: layer count, flagged layers, worst flag, whether sampled.

    Computed by `weight_health.summarize_layers` (the same rules without the
    per-step documents), so a sweep's summaries cost a fraction of its full analyses.
    """
    return batch_summaries(cache, [run], histograms, thresholds)[run.name]


# load_batches(groups): for each batch, (indices of its groups, SeriesSet of their histograms), where
# groups[i] are TensorBoard runs (`reading.SeriesReader.histogram_batches`).
LoadBatches = Callable[[Sequence[Sequence[str]]], Iterable[Tuple[List[int], SeriesSet]]]


def run_batches(
    runs: Sequence[grouping.TrainingRun], load_batches: LoadBatches
) -> Iterator[Tuple[List[grouping.TrainingRun], SeriesSet]]:
    """`runs` in batches, each with a SeriesSet holding its runs' histograms, read a batch at a time.

    A batch's series are let go once its runs are done, so a sweep is never
    held in memory at once.
    """
    if not runs:
        return
    groups = [sorted({ref.run for ref in run.histograms}) for run in runs]
    for indices, data in load_batches(groups):
        yield [runs[index] for index in indices], data


def batch_summaries(
    cache: AnalysisCache,
    runs: Sequence[grouping.TrainingRun],
    histograms: SeriesSet,
    thresholds: weight_health.Thresholds = weight_health.Thresholds(),
) -> Dict[str, dict]:
    """`weights_summary` of each of `runs` (whose histograms `histograms` holds), those not memoised computed
    together (`weight_health.summarize_runs`) and memoised."""
    keys = {run.name: _key(run, histograms, thresholds) for run in runs}
    summaries = {name: cache.weight_summaries.peek(*key) for name, key in keys.items()}
    missing = {run.name: _histogram_inputs(run, histograms) for run in runs if summaries[run.name] is MISSING}
    for name, summary in (weight_health.summarize_runs(missing, thresholds) if missing else {}).items():
        summaries[name] = cache.weight_summaries.put(*keys[name], summary)
    return summaries


def weights_summary_document(
    cache: AnalysisCache,
    scalars: Listing,
    histograms: Listing,
    load_batches: LoadBatches,
    thresholds: weight_health.Thresholds = weight_health.Thresholds(),
) -> dict:
    """`GET /weights_summary`: `{"weights": {run: weights_summary}, "thresholds"}` for every training run.

    Histograms are read (`load_batches`) only for the runs whose summary is
    not in `cache` yet, and each batch read is analysed together (`batch_summaries`).
    """
    runs = training_runs(scalars, histograms)
    summaries: Dict[str, object] = {
        run.name: cache.weight_summaries.peek(*_key(run, histograms, thresholds)) for run in runs
    }
    missing = [run for run in runs if summaries[run.name] is MISSING]
    for batch, data in run_batches(missing, load_batches):
        summaries.update(batch_summaries(cache, batch, data, thresholds))
    return {"weights": summaries, "thresholds": dataclasses.asdict(thresholds)}


def weights_document(
    cache: AnalysisCache, run: grouping.TrainingRun, histograms: SeriesSet, thresholds: weight_health.Thresholds
) -> dict:
    """`GET /weights?run=...`: per-layer statistics, trends and flags of `run`, whose histograms `histograms` holds."""
    layers = cache.weights.get(
        *_key(run, histograms, thresholds),
        lambda: weight_health.analyze_layers(_histogram_inputs(run, histograms), thresholds),
    )
    summary = weights_summary(cache, run, histograms, thresholds)
    return {
        "run": run.name,
        "hint": None if layers else NO_HISTOGRAMS_HINT,
        "sampled": summary["sampled"],
        "sampling_hint": SAMPLING_HINT if summary["sampled"] else None,
        "percentiles": list(weight_health.PERCENTILES),
        "thresholds": dataclasses.asdict(thresholds),
        "summary": summary,
        "layers": layers,
    }
