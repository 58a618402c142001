"""The curve documents: `GET /runs` (every run's verdict) and `GET /curves` (one run's series).

One builder per document, each over an `AnalysisCache` (the verdicts are
memoised there) and the series read from the data provider. `/runs` needs
scalars only: weight health is `weights.documents.weights_summary_document`.
"""

from __future__ import annotations

from typing import List, Mapping, Optional, Sequence, Tuple

from tb_overfit_plugin.analysis import curves, epochs, grouping
from tb_overfit_plugin.analysis.series import ScalarSeries
from tb_overfit_plugin.analysis.wording import quoted
from tb_overfit_plugin.data import sessions as sessions_lib
from tb_overfit_plugin.data.reading import Listing, SeriesSet
from tb_overfit_plugin.documents import jsonable, schema
from tb_overfit_plugin.documents.analysis_cache import AnalysisCache
from tb_overfit_plugin.documents.params import CurveParams
from tb_overfit_plugin.documents.runs.lookup import NotFound, listed_runs, monitor, pair_of, training_run
from tb_overfit_plugin.documents.runs.run_series import RunSeries, gather
from tb_overfit_plugin.documents.runs.verdict import (
    analysing_verdict,
    metric_json,
    no_metric_verdict,
    ref_json,
    verdict,
)


def _row(run: grouping.TrainingRun, analysis: dict) -> dict:
    """A row of `/runs` (`schema.RUN_NAMES` + `schema.VERDICT`): the run's names and `analysis`, its verdict."""
    names = {
        "run": run.name,
        "sources": list(run.sources),
        "scalar_tags": {name: list(tags) for name, tags in run.scalar_tags.items()},
        "histogram_tags": {name: list(tags) for name, tags in run.histogram_tags.items()},
        "metrics": [pair.metric for pair in run.metrics],
        "diagnostics": [metric_json(pair) for pair in run.diagnostics],
        "learning_rate": ref_json(run.learning_rate),
    }
    return schema.build(schema.RUN_NAMES + schema.VERDICT, dict(analysis, **names))


def run_row(cache: AnalysisCache, run: grouping.TrainingRun, scalars: SeriesSet, params: CurveParams) -> dict:
    """One row of `/runs`: the run's names and its curve verdict."""
    pair = monitor(run, params)
    analysis = (
        verdict(cache, gather(run, pair, scalars, params), scalars.experiment_id, params, per_step=False)
        if pair
        else no_metric_verdict(run, params)
    )
    return _row(run, analysis)


class RunsProgress:
    """What a `runs_document` build has done so far, for `runs_snapshot` (read from other threads).

    `runs` is None until the runs are grouped; `rows` then grows one finished
    row at a time (appending is atomic under the GIL; a row never changes).
    """

    def __init__(self) -> None:
        self.runs: Optional[Sequence[grouping.TrainingRun]] = None
        self.hparams: Mapping[str, dict] = {}
        self.rows: List[dict] = []
        self._waiting: Optional[List[dict]] = None  # every run's `analysing` row, made by the first snapshot

    def waiting_rows(self) -> List[dict]:
        """Every run's row as a snapshot shows it before its analysis (made once: snapshots are asked for often)."""
        if self._waiting is None:
            assert self.runs is not None
            analysing = analysing_verdict()  # the same for every run (`_row` copies it)
            self._waiting = [dict(_row(run, analysing), hparams=self.hparams[run.name]) for run in self.runs]
        return self._waiting


def runs_document(
    cache: AnalysisCache,
    scalars: SeriesSet,
    histograms: Listing,
    params: CurveParams,
    sessions: Optional[Mapping[str, dict]] = None,
    progress: Optional[RunsProgress] = None,
) -> dict:
    """`GET /runs`: every training run with its curve verdicts; `histograms` gives names only.

    Each row's `hparams` are those of the hyper-parameter session
    `sessions.attach` matches to it ({} when none): `sessions` maps
    TensorBoard runs to them. `progress` is filled in as the rows are made
    (`runs_snapshot` reads it).

    Raises:
      NotFound: `params.metric` is a metric no training run has (runs lacking
        a metric that others have are `no_metrics` rows).
    """
    runs = listed_runs(scalars, histograms, sessions, params)
    if params.pair and runs and not any(monitor(run, params) for run in runs):
        raise NotFound(f"no training run has the tags {quoted(params.pair)} (pair=TRAIN TAG,VALIDATION TAG)")
    if params.metric and not params.pair and runs and not any(run.metric(params.metric) for run in runs):
        known = sorted({pair.metric for run in runs for pair in run.metrics}, key=str.lower)
        raise NotFound(f"no training run has a metric {quoted(params.metric)} (metrics: {', '.join(known) or 'none'})")
    progress = RunsProgress() if progress is None else progress
    progress.hparams = sessions_lib.attach([run.name for run in runs], sessions or {})
    progress.runs = runs
    for run in runs:
        progress.rows.append(dict(run_row(cache, run, scalars, params), hparams=progress.hparams[run.name]))
    return {"runs": progress.rows, "pending": 0, "params": params.to_json()}


def runs_snapshot(progress: RunsProgress, params: CurveParams) -> Optional[Tuple[int, dict]]:
    """(rows analysed, the `/runs` document so far) of a build under way, or None before it grouped the runs.

    The rows analysed, then every other run with status ``analysing``
    (`verdict.analysing_verdict`); ``pending`` counts those.
    """
    runs = progress.runs
    if runs is None:
        return None
    done = progress.rows[:]
    waiting = progress.waiting_rows()[len(done) :]
    return len(done), {"runs": done + waiting, "pending": len(waiting), "params": params.to_json()}


def _series_json(series: Optional[ScalarSeries], smoothing: float, epoch_based: bool = False) -> Optional[dict]:
    """A series of `/curves`; `epochs` (aligned with `steps`, `epochs.keras_epoch`) null unless epoch-based."""
    if series is None:
        return None
    return {
        "steps": jsonable.int_list(series.steps),
        "epochs": [epochs.keras_epoch(step) for step in series.steps] if epoch_based else None,
        "wall_times": jsonable.float_list(series.wall_times),
        "values": jsonable.float_list(series.values),
        "smoothed": jsonable.float_list(curves.smooth_ema(series.values, smoothing)),
        "nonfinite": jsonable.nonfinite_markers(series.steps, series.values),
    }


def _diagnostic_series_json(pair: grouping.MetricPair, gathered: RunSeries, smoothing: float) -> dict:
    """A diagnostic of `/curves`: its refs, each with its series so the tab could plot it."""
    document = metric_json(pair)
    for split in ("train", "validation"):
        ref = getattr(pair, split)
        series = _series_json(gathered.of(ref), smoothing, pair.epoch_based)
        if series is not None:
            document[split] = dict(ref.to_json(), **series)
    return document


def _learning_rate_json(gathered: RunSeries, drop_steps: list) -> Optional[dict]:
    """The run's learning-rate series with the steps where it dropped, or None."""
    ref, learning_rate = gathered.run.learning_rate, gathered.learning_rate
    if ref is None or learning_rate is None:
        return None
    return {
        **ref.to_json(),
        "steps": jsonable.int_list(learning_rate.steps),
        "values": jsonable.float_list(learning_rate.values),
        "drop_steps": drop_steps,
    }


def curves_document(
    cache: AnalysisCache, scalars: SeriesSet, histograms: Listing, name: str, params: CurveParams
) -> dict:
    """`GET /curves?run=...`: the paired series of one metric and its full analysis.

    Raises:
      NotFound: no training run `name`, or it lacks the metric asked for.
    """
    run = training_run(scalars, histograms, name, params)
    gathered = gather(run, pair_of(run, params), scalars, params)
    pair, smoothing = gathered.pair, params.smoothing
    analysis = verdict(cache, gathered, scalars.experiment_id, params)
    return {
        "run": run.name,
        "metric": pair.metric,
        "mode": analysis["monitor"]["mode"],
        "epoch_based": pair.epoch_based,
        "metrics": [metric_json(p) for p in run.metrics],
        "diagnostics": [_diagnostic_series_json(p, gathered, smoothing) for p in run.diagnostics],
        "train": _series_json(gathered.train, smoothing, pair.epoch_based),
        "validation": _series_json(gathered.validation, smoothing, pair.epoch_based),
        "gap": analysis.get("gap"),
        "generalization_loss": analysis.get("generalization_loss"),
        "learning_rate": _learning_rate_json(gathered, analysis["lr_drop_steps"]),
        "analysis": analysis,
        "params": params.to_json(),
    }
