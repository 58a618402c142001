"""The weight documents: `GET /weights_summary` (every run's health) and `GET /weights` (one run's layers).

One builder per document, each over an `AnalysisCache`: full analyses and
summaries are memoised by (experiment, run, its histograms' versions,
thresholds), so a sweep's summaries are read and computed once per data version.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, Iterable

from tb_overfit_plugin import weights
from tb_overfit_plugin.analysis import grouping
from tb_overfit_plugin.analysis_cache import MISSING, AnalysisCache
from tb_overfit_plugin.reading import Listing, SeriesSet
from tb_overfit_plugin.run_lookup import training_run, training_runs

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


def _key(run: grouping.TrainingRun, histograms: Listing, thresholds: weights.Thresholds) -> tuple:
    """Memo key of a run's weight analysis: experiment, run, its histograms' versions, thresholds."""
    return (histograms.experiment_id, run.name, histograms.version_of((ref.run, ref.tag) for ref in run.histograms),
            thresholds)


def weights_summary(cache: AnalysisCache, run: grouping.TrainingRun, histograms: SeriesSet,
                    thresholds: weights.Thresholds = weights.Thresholds()) -> dict:
    """Weight health of one run: layer count, flagged layers, worst flag, whether sampled.

    Computed by `weights.summarize_layers` (the same rules without the
    per-step documents), so a sweep's summaries cost a fraction of its full analyses.
    """
    return cache.weight_summaries.get(
        _key(run, histograms, thresholds),
        lambda: weights.summarize_layers(_histogram_inputs(run, histograms), thresholds),
    )


def weights_summary_document(cache: AnalysisCache, scalars: Listing, histograms: Listing,
                             load: Callable[[Iterable[str]], SeriesSet],
                             thresholds: weights.Thresholds = weights.Thresholds()) -> dict:
    """`GET /weights_summary`: `{"weights": {run: weights_summary}, "thresholds"}` for every training run.

    `load(tensorboard_runs)` reads histograms, and is called once, for the
    runs whose summary is not in `cache` yet.
    """
    runs = training_runs(scalars, histograms)
    summaries: Dict[str, object] = {
        run.name: cache.weight_summaries.peek(_key(run, histograms, thresholds)) for run in runs
    }
    missing = [run for run in runs if summaries[run.name] is MISSING]
    needed = {ref.run for run in missing for ref in run.histograms}
    data = load(needed) if needed else SeriesSet(versions=histograms.versions, experiment_id=histograms.experiment_id)
    for run in missing:
        summaries[run.name] = weights_summary(cache, run, data, thresholds)
    return {"weights": summaries, "thresholds": dataclasses.asdict(thresholds)}


def weights_document(cache: AnalysisCache, scalars: Listing, histograms: SeriesSet, name: str,
                     thresholds: weights.Thresholds) -> dict:
    """`GET /weights?run=...`: per-layer statistics, trends and flags.

    Raises:
      NotFound: no training run `name`.
    """
    run = training_run(scalars, histograms, name)
    layers = cache.weights.get(_key(run, histograms, thresholds),
                               lambda: weights.analyze_layers(_histogram_inputs(run, histograms), thresholds))
    summary = weights_summary(cache, run, histograms, thresholds)
    return {
        "run": run.name,
        "hint": None if layers else NO_HISTOGRAMS_HINT,
        "sampled": summary["sampled"],
        "sampling_hint": SAMPLING_HINT if summary["sampled"] else None,
        "percentiles": list(weights.PERCENTILES),
        "thresholds": dataclasses.asdict(thresholds),
        "summary": summary,
        "layers": layers,
    }
