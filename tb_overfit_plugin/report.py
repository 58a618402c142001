"""Builds the JSON documents the plugin serves and the CLI prints.

Joins the pieces: series read from the data provider (`reading`), training
runs found from names (`grouping`), and the pure analyses (`curves`,
`weights`). Analyses are memoised by experiment id and the version of the
series they used (max step and wall time per series), so a request over
hundreds of unchanged runs does no numeric work, a run that gains an epoch
is analysed again, and two experiments never share an analysis.

Curve verdicts (`runs_document`) need scalars only; weight health
(`weights_summary_document`) reads histograms only for runs whose summary is
not memoised yet.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from typing import Callable, Dict, Hashable, Iterable, List, Mapping, Optional

from tb_overfit_plugin.analysis import curves, epochs, grouping
from tb_overfit_plugin import jsonable, schema, weights
from tb_overfit_plugin.curve_json import analysis_json
from tb_overfit_plugin import sessions as sessions_lib
from tb_overfit_plugin.params import CurveParams, quoted
from tb_overfit_plugin.reading import Listing, SeriesSet
from tb_overfit_plugin.analysis.series import HistogramSeries, ScalarSeries, looks_downsampled

NO_METRICS = "no_metrics"  # the run lacks the metric asked for, or any scalar metric
STATUSES = curves.STATUSES + (NO_METRICS,)

NO_HISTOGRAMS_HINT = (
    "No weight histograms for this run: pass histogram_freq=1 to "
    "keras.callbacks.TensorBoard (or call add_histogram in PyTorch) to log them."
)
SCALAR_SAMPLING_HINT = (
    "TensorBoard kept only a sample of this metric's points (1000 per series by default), so the "
    "best step may lie between the points kept; start tensorboard with "
    "--samples_per_plugin=scalars=0 to analyse every point."
)
SAMPLING_HINT = (
    "TensorBoard kept only a sample of the histogram steps of this run "
    "(the Rust data server keeps 100 per series by default, the Python loader 500); "
    "start tensorboard with --samples_per_plugin=histograms=0 to analyse every step."
)


class NotFound(LookupError):
    """An unknown run or metric: HTTP 404, CLI exit code 2."""


_MISSING = object()


class _Memo:
    """A small thread-safe LRU map from hashable keys to computed values."""

    def __init__(self, capacity: int):
        self._capacity = capacity
        self._items: "collections.OrderedDict[Hashable, object]" = collections.OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: Hashable):
        """The value for `key`, or `_MISSING`."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return _MISSING

    def get(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return value


def _scalar(scalars: SeriesSet, ref: Optional[grouping.SeriesRef]) -> Optional[ScalarSeries]:
    if ref is None:
        return None
    return scalars.by_run.get(ref.run, {}).get(ref.tag)


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


def _steps_text(first: int, last: int, epoch_based: bool) -> str:
    """"epochs 1–12" / "epoch 5" / "steps 0–1100" (epoch = step + 1 when epoch-based)."""
    unit, offset = ("epoch", 1) if epoch_based else ("step", 0)
    if first == last:
        return f"{unit} {first + offset}"
    return f"{unit}s {first + offset}–{last + offset}"


def _discarded_fit(pair: grouping.MetricPair, train: Optional[ScalarSeries],
                  validation: Optional[ScalarSeries]) -> Optional[dict]:
    """What TensorBoard's restart rule (`series.restart_rule`) discarded from the monitored metric.

    The validation series is looked at first (the verdict is on it), then
    the training series; None when neither lost points. TensorBoard's Rust
    data server drops these points before any plugin sees them, so this is
    only known where the loader kept them (its Python loader, `--load_fast=false`,
    and TensorBoard's multiplexer in-process): it is reported apart from the
    verdict, which is the same on every loader.
    """
    for role, ref, series in (("validation", pair.validation, validation), ("training", pair.train, train)):
        if series is None or not series.orphans:
            continue
        orphans = series.orphans
        restarts = orphans.restart_steps
        superseded = (f"when the steps went back to {_steps_text(restarts[0], restarts[0], pair.epoch_based)}"
                      if len(restarts) == 1 else f"by {len(restarts)} restarts")
        note = (
            f"An earlier fit in the same folder was discarded: {orphans.count} point"
            f"{'' if orphans.count == 1 else 's'} of {role} {pair.metric} at "
            f"{_steps_text(orphans.first_step, orphans.last_step, pair.epoch_based)}, superseded {superseded}. "
            "As in TensorBoard's charts, the verdict is on the latest fit."
        )
        return {
            "run": ref.run,
            "tag": ref.tag,
            "points": orphans.count,
            "first_step": orphans.first_step,
            "last_step": orphans.last_step,
            "restart_steps": list(restarts),
            "note": note,
        }
    return None


def _ref_json(ref: Optional[grouping.SeriesRef]) -> Optional[dict]:
    return ref.to_json() if ref else None


def _metric_json(pair: grouping.MetricPair) -> dict:
    return {
        "metric": pair.metric,
        "mode": curves.metric_mode(pair.metric),
        "train": _ref_json(pair.train),
        "validation": _ref_json(pair.validation),
    }


def _diagnostic_series_json(pair: grouping.MetricPair, scalars: SeriesSet, smoothing: float) -> dict:
    """A diagnostic of `/curves`: its refs, each with its series so the tab could plot it."""
    document = _metric_json(pair)
    for split in ("train", "validation"):
        ref = getattr(pair, split)
        series = _series_json(_scalar(scalars, ref), smoothing, pair.epoch_based)
        if series is not None:
            document[split] = dict(ref.to_json(), **series)
    return document


def _epoch_of(run: grouping.TrainingRun, pair: grouping.MetricPair, scalars: SeriesSet) -> Optional[curves.EpochOf]:
    """The run's epoch series as a step -> epoch map for `pair`, or None.

    None when the pair's steps are Keras epochs already, and when a series of
    the pair lives in another TensorBoard run than the epoch series: only the
    writer that logged the epoch series is known to share its step axis (a
    Lightning module's own `add_scalars` runs may count epochs instead).
    """
    if pair.epoch_based or run.epoch is None or any(ref.run != run.epoch.run for ref in pair.refs()):
        return None
    series = _scalar(scalars, run.epoch)
    return None if series is None else epochs.epoch_series(series.steps, series.values)


@dataclasses.dataclass(frozen=True)
class Monitored:
    """A training run's monitored metric: its pair, mode, series and step -> epoch map (None: steps only)."""

    pair: grouping.MetricPair
    mode: str
    train: Optional[ScalarSeries]
    validation: Optional[ScalarSeries]
    epoch_of: Optional[Callable[[int], int]]

    def epoch(self, step: Optional[int]) -> Optional[int]:
        return None if step is None or self.epoch_of is None else self.epoch_of(int(step))


def _monitored(run: grouping.TrainingRun, pair: grouping.MetricPair, scalars: SeriesSet,
               params: CurveParams) -> Monitored:
    """`pair` of `run` with its mode (asked for, else from the name), series and epochs."""
    epoch_of = epochs.keras_epoch if pair.epoch_based else _epoch_of(run, pair, scalars)
    return Monitored(pair=pair, mode=params.mode or curves.metric_mode(pair.metric),
                     train=_scalar(scalars, pair.train), validation=_scalar(scalars, pair.validation),
                     epoch_of=epoch_of)


def _is_hparams_record(run: grouping.TrainingRun, runs: List[grouping.TrainingRun], scalars: SeriesSet,
                       sessions: Mapping[str, dict]) -> bool:
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


class Diagnoser:
    """Turns the series of an experiment into the plugin's JSON documents."""

    def __init__(self, weight_analyses_kept: int = 8):
        """`weight_analyses_kept`: how many runs' full weight analyses to keep.

        Sized for a server over sweeps of hundreds of runs: a curve analysis
        holds its series (tens of kB), so a few parameter settings' worth; a
        run's full weight analysis is megabytes, and the tab asks for one run
        at a time (a one-shot caller wanting every run's may keep them all);
        weight summaries are small.
        """
        self._curve_memo = _Memo(capacity=2_000)
        self._weights_memo = _Memo(capacity=weight_analyses_kept)
        self._weights_summary_memo = _Memo(capacity=20_000)

    # -- training runs -------------------------------------------------------

    @staticmethod
    def training_runs(scalars: Listing, histograms: Listing) -> List[grouping.TrainingRun]:
        """The training runs of the experiment (from the listings' names only; cheap)."""
        return grouping.group_runs(scalars.tags, histograms.tags)

    @classmethod
    def training_run(cls, scalars: Listing, histograms: Listing, name: str) -> grouping.TrainingRun:
        """The training run called `name`, or NotFound."""
        for run in cls.training_runs(scalars, histograms):
            if run.name == name:
                return run
        raise NotFound(f"no training run named {quoted(name)}")

    # -- curves -------------------------------------------------------------

    @staticmethod
    def _monitor(run: grouping.TrainingRun, params: CurveParams) -> Optional[grouping.MetricPair]:
        if params.metric is None:
            return run.default_monitor()
        return run.metric(params.metric)

    def _pair(self, run: grouping.TrainingRun, params: CurveParams) -> grouping.MetricPair:
        """The pair `params` asks `run` to be judged on, or NotFound."""
        pair = self._monitor(run, params)
        if pair is None:
            if params.metric:
                raise NotFound(f"training run {quoted(run.name)} has no metric {quoted(params.metric)}")
            raise NotFound(f"training run {quoted(run.name)} has no scalar metrics")
        return pair

    def monitored(self, run: grouping.TrainingRun, scalars: SeriesSet, params: CurveParams) -> Monitored:
        """The series the verdict of `run` is about (NotFound when it lacks the metric)."""
        return _monitored(run, self._pair(run, params), scalars, params)

    def _analysis(self, run: grouping.TrainingRun, pair: grouping.MetricPair, scalars: SeriesSet, params: CurveParams,
                  series: bool = True) -> dict:
        """`analysis_json(curves.analyze_metric(...), series)` plus the monitor, memoised by experiment and data version.

        `series=False`: the verdict without per-step series, as `/runs` rows need.
        """
        refs = pair.refs() + tuple(ref for ref in (run.learning_rate, run.epoch) if ref is not None)
        key = (scalars.experiment_id, run.name, pair, scalars.version_of((ref.run, ref.tag) for ref in refs), params)
        return self._curve_memo.get(key + (series,), lambda: self._compute_analysis(run, pair, scalars, params, series))

    @staticmethod
    def _compute_analysis(run: grouping.TrainingRun, pair: grouping.MetricPair, scalars: SeriesSet, params: CurveParams,
                          series: bool = True) -> dict:
        monitored = _monitored(run, pair, scalars, params)
        train, validation, mode = monitored.train, monitored.validation, monitored.mode
        analysis = analysis_json(curves.analyze_metric(
            train.steps if train else None,
            train.values if train else None,
            validation.steps if validation else None,
            validation.values if validation else None,
            mode=mode,
            patience=params.patience,
            min_delta=params.min_delta,
            smoothing=params.smoothing,
            tolerance=params.tolerance,
            epoch_based=pair.epoch_based,
            epoch_of=monitored.epoch_of,
            name=pair.metric,
        ), series)
        learning_rate = _scalar(scalars, run.learning_rate)
        analysis["lr_drop_steps"] = (
            jsonable.int_list(learning_rate.steps[curves.learning_rate_drops(learning_rate.values)])
            if learning_rate is not None
            else []
        )
        analysis["monitor"] = dict(_metric_json(pair), mode=mode)
        sampled = any(series is not None and looks_downsampled(series.steps) for series in (train, validation))
        analysis["sampled"] = sampled
        analysis["sampling_hint"] = SCALAR_SAMPLING_HINT if sampled else None
        analysis["discarded_fit"] = _discarded_fit(pair, train, validation)
        return analysis

    @staticmethod
    def _no_metric_analysis(run: grouping.TrainingRun, params: CurveParams) -> dict:
        """The verdict fields of a run without the metric asked for (or any metric)."""
        available = ", ".join(pair.metric for pair in run.metrics) or "none"
        wanted = f"no metric {quoted(params.metric)}" if params.metric else "no scalar metrics"
        bookkeeping = ", ".join(pair.metric for pair in run.diagnostics)
        only = f"; only bookkeeping series ({bookkeeping}), nothing to judge" if bookkeeping and not run.metrics else ""
        return schema.build(schema.VERDICT, {
            "status": NO_METRICS,
            "explanation": f"This run has {wanted} (metrics: {available}){only}.",
            "save_best_steps": [],
            "num_steps": 0,
            "lr_drop_steps": [],
            "sampled": False,
        })

    def run_summary(self, run: grouping.TrainingRun, scalars: SeriesSet, params: CurveParams) -> dict:
        """One row of `/runs`: the run's names and its curve verdicts (weights: `weights_summary_document`)."""
        pair = self._monitor(run, params)
        analysis = self._analysis(run, pair, scalars, params, series=False) if pair else self._no_metric_analysis(run, params)
        names = {
            "run": run.name,
            "sources": list(run.sources),
            "scalar_tags": {name: list(tags) for name, tags in run.scalar_tags.items()},
            "histogram_tags": {name: list(tags) for name, tags in run.histogram_tags.items()},
            "metrics": [pair.metric for pair in run.metrics],
            "diagnostics": [_metric_json(pair) for pair in run.diagnostics],
            "learning_rate": _ref_json(run.learning_rate),
        }
        return schema.build(schema.RUN_NAMES + schema.VERDICT, dict(analysis, **names))

    def listed_runs(self, scalars: SeriesSet, histograms: Listing,
                    sessions: Optional[Mapping[str, dict]] = None) -> List[grouping.TrainingRun]:
        """The training runs `/runs` lists: all but the hyper-parameter records (`_is_hparams_record`)."""
        runs = self.training_runs(scalars, histograms)
        return [run for run in runs if not _is_hparams_record(run, runs, scalars, sessions or {})]

    def runs_document(self, scalars: SeriesSet, histograms: Listing, params: CurveParams,
                      sessions: Optional[Mapping[str, dict]] = None) -> dict:
        """`GET /runs`: every training run with its curve verdicts; `histograms` gives names only.

        A `metric` that no training run has is NotFound (as in `/curves`);
        runs lacking a metric that others have are `no_metrics` rows. Each row's
        `hparams` are those of the hyper-parameter session `sessions.attach`
        matches to it ({} when none): `sessions` maps TensorBoard runs to them.
        """
        runs = self.listed_runs(scalars, histograms, sessions)
        if params.metric and runs and not any(run.metric(params.metric) for run in runs):
            known = sorted({pair.metric for run in runs for pair in run.metrics}, key=str.lower)
            raise NotFound(f"no training run has a metric {quoted(params.metric)} "
                           f"(metrics: {', '.join(known) or 'none'})")
        hparams = sessions_lib.attach([run.name for run in runs], sessions or {})
        return {
            "runs": [dict(self.run_summary(run, scalars, params), hparams=hparams[run.name]) for run in runs],
            "params": params.to_json(),
        }

    def curves_document(self, scalars: SeriesSet, histograms: Listing, name: str, params: CurveParams) -> dict:
        """`GET /curves?run=...`: the paired series of one metric and its full analysis."""
        run = self.training_run(scalars, histograms, name)
        pair = self._pair(run, params)
        analysis = self._analysis(run, pair, scalars, params)
        learning_rate = _scalar(scalars, run.learning_rate)
        return {
            "run": run.name,
            "metric": pair.metric,
            "mode": analysis["monitor"]["mode"],
            "epoch_based": pair.epoch_based,
            "metrics": [_metric_json(p) for p in run.metrics],
            "diagnostics": [_diagnostic_series_json(p, scalars, params.smoothing) for p in run.diagnostics],
            "train": _series_json(_scalar(scalars, pair.train), params.smoothing, pair.epoch_based),
            "validation": _series_json(_scalar(scalars, pair.validation), params.smoothing, pair.epoch_based),
            "gap": analysis.get("gap"),
            "generalization_loss": analysis.get("generalization_loss"),
            "learning_rate": None
            if learning_rate is None
            else {
                **run.learning_rate.to_json(),
                "steps": jsonable.int_list(learning_rate.steps),
                "values": jsonable.float_list(learning_rate.values),
                "drop_steps": analysis["lr_drop_steps"],
            },
            "analysis": analysis,
            "params": params.to_json(),
        }

    # -- weights ------------------------------------------------------------

    @staticmethod
    def _histogram_inputs(run: grouping.TrainingRun, histograms: SeriesSet) -> dict:
        inputs = {}
        for ref in run.histograms:
            series: Optional[HistogramSeries] = histograms.by_run.get(ref.run, {}).get(ref.tag)
            if series is not None:
                inputs[(ref.run, ref.tag)] = series
        return inputs

    @staticmethod
    def _weights_key(run: grouping.TrainingRun, histograms: SeriesSet, thresholds: weights.Thresholds) -> tuple:
        """Memo key of a run's weight analysis: experiment, run, its histograms' versions, thresholds."""
        return (histograms.experiment_id, run.name, histograms.version_of((ref.run, ref.tag) for ref in run.histograms),
                thresholds)

    def _layers(self, run: grouping.TrainingRun, histograms: SeriesSet, thresholds: weights.Thresholds) -> list:
        return self._weights_memo.get(
            self._weights_key(run, histograms, thresholds),
            lambda: weights.analyze_layers(self._histogram_inputs(run, histograms), thresholds),
        )

    def weights_summary(self, run: grouping.TrainingRun, histograms: SeriesSet,
                        thresholds: weights.Thresholds = weights.Thresholds()) -> dict:
        """Weight health of one run: layer count, flagged layers, worst flag, whether sampled.

        Computed by `weights.summarize_layers` (the same rules without the
        per-step documents), so a sweep's summaries cost a fraction of its full analyses.
        """
        return self._weights_summary_memo.get(
            self._weights_key(run, histograms, thresholds),
            lambda: weights.summarize_layers(self._histogram_inputs(run, histograms), thresholds),
        )

    def weights_summary_document(self, scalars: Listing, histograms: Listing,
                                 load: Callable[[Iterable[str]], SeriesSet],
                                 thresholds: weights.Thresholds = weights.Thresholds()) -> dict:
        """`GET /weights_summary`: `{"weights": {run: weights_summary}, "thresholds"}` for every training run.

        Summaries are memoised by histogram version; `load(tensorboard_runs)`
        reads histograms, and is called once, for the runs not memoised yet.
        """
        runs = self.training_runs(scalars, histograms)
        summaries: Dict[str, object] = {
            run.name: self._weights_summary_memo.peek(self._weights_key(run, histograms, thresholds)) for run in runs
        }
        missing = [run for run in runs if summaries[run.name] is _MISSING]
        needed = {ref.run for run in missing for ref in run.histograms}
        data = load(needed) if needed else SeriesSet(versions=histograms.versions, experiment_id=histograms.experiment_id)
        for run in missing:
            summaries[run.name] = self.weights_summary(run, data, thresholds)
        return {"weights": summaries, "thresholds": dataclasses.asdict(thresholds)}

    def weights_document(self, scalars: SeriesSet, histograms: SeriesSet, name: str,
                         thresholds: weights.Thresholds) -> dict:
        """`GET /weights?run=...`: per-layer statistics, trends and flags."""
        run = self.training_run(scalars, histograms, name)
        layers = self._layers(run, histograms, thresholds)
        summary = self.weights_summary(run, histograms, thresholds)
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
