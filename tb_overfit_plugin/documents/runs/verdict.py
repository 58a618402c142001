"""A run's curve verdict as JSON: the analysis of its monitored pair, memoised by data version.

The verdict is `verdict_json.analysis_json(curves.analyze_metric(...))` plus
what the run's other series and the loader add: the learning-rate drops, the
monitor, whether TensorBoard kept only a sample of the points, and the points
of an earlier fit that TensorBoard's restart rule discarded. `/runs` rows and
`/curves` share it (`/runs` without the per-step series).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from tb_overfit_plugin.analysis import curves, direction, grouping, headline
from tb_overfit_plugin.analysis.series import ScalarSeries, looks_downsampled
from tb_overfit_plugin.analysis.wording import quoted
from tb_overfit_plugin.documents import jsonable, schema
from tb_overfit_plugin.documents.analysis_cache import AnalysisCache
from tb_overfit_plugin.documents.params import CurveParams
from tb_overfit_plugin.documents.runs.lookup import monitor_reason
from tb_overfit_plugin.documents.runs.run_series import RunSeries
from tb_overfit_plugin.documents.runs.verdict_json import analysis_json

NO_METRICS = "no_metrics"  # the run lacks the metric asked for, or any scalar metric
STATUSES = curves.STATUSES + (NO_METRICS,)  # the statuses a verdict can have
ANALYSING = "analysing"  # a row of a `/runs` snapshot (never a verdict): the build had not reached this run yet

SCALAR_SAMPLING_HINT = (
    "TensorBoard kept only a sample of this metric's points (1000 per series by default), so the "
    "best step may lie between the points kept; start tensorboard with "
    "--samples_per_plugin=scalars=0 to analyse every point."
)


def ref_json(ref: Optional[grouping.SeriesRef]) -> Optional[dict]:
    return ref.to_json() if ref else None


def metric_json(pair: grouping.MetricPair) -> dict:
    """A metric pair's name, mode (from the name) and the refs of its two series."""
    return {
        "metric": pair.metric,
        "mode": curves.metric_mode(pair.metric),
        "train": ref_json(pair.train),
        "validation": ref_json(pair.validation),
    }


def _steps_text(first: int, last: int, epoch_based: bool) -> str:
    """ "epochs 1–12" / "epoch 5" / "steps 0–1100" (epoch = step + 1 when epoch-based)."""
    unit, offset = ("epoch", 1) if epoch_based else ("step", 0)
    if first == last:
        return f"{unit} {first + offset}"
    return f"{unit}s {first + offset}–{last + offset}"


def _discarded_fit(
    pair: grouping.MetricPair, train: Optional[ScalarSeries], validation: Optional[ScalarSeries]
) -> Optional[dict]:
    """What TensorBoard's restart rule (`series.restart_rule`) discarded from the monitored metric.

    The validation series is looked at first (the verdict is on it), then
    the training series; None when neither lost points. TensorBoard's Rust
    data server drops these points before any plugin sees them, so this is
    only known where the loader kept them (its Python loader, `--load_fast=false`,
    and TensorBoard's multiplexer in-process): it is reported apart from the
    verdict, which is the same on every loader.
    """
    for role, ref, series in (("validation", pair.validation, validation), ("training", pair.train, train)):
        if ref is None or series is None or not series.orphans:
            continue
        orphans = series.orphans
        assert orphans.first_step is not None and orphans.last_step is not None  # set whenever points were orphaned
        restarts = orphans.restart_steps
        superseded = (
            f"when the steps went back to {_steps_text(restarts[0], restarts[0], pair.epoch_based)}"
            if len(restarts) == 1
            else f"by {len(restarts)} restarts"
        )
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


def _compute(gathered: RunSeries, params: CurveParams, per_step: bool) -> dict:
    run, pair, mode = gathered.run, gathered.pair, gathered.mode
    train, validation, accuracy = gathered.train, gathered.validation, gathered.train_accuracy
    analysis = analysis_json(
        curves.analyze_metric(
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
            epoch_of=gathered.epoch_of,
            name=pair.metric,
            reinforcement=headline.is_reinforcement(run.metrics),
            train_accuracy=None if accuracy is None else (accuracy.steps, accuracy.values),
        ),
        per_step,
    )
    learning_rate = gathered.learning_rate
    analysis["lr_drop_steps"] = (
        jsonable.int_list(learning_rate.steps[curves.learning_rate_drops(learning_rate.values)])
        if learning_rate is not None
        else []
    )
    analysis["reduce_lr"] = reduce_lr_json(
        validation if validation is not None else train, mode, learning_rate, params, gathered.epoch_of
    )
    analysis["monitor"] = dict(metric_json(pair), mode=mode, reason=monitor_reason(run, pair, params))
    sampled = any(s is not None and looks_downsampled(s.steps) for s in (train, validation))
    analysis["sampled"] = sampled
    analysis["sampling_hint"] = SCALAR_SAMPLING_HINT if sampled else None
    analysis["discarded_fit"] = _discarded_fit(pair, train, validation)
    analysis["mode_warning"] = direction.mode_warning(pair.metric, mode)
    return analysis


def reduce_lr_json(
    monitored: Optional[ScalarSeries],
    mode: str,
    learning_rate: Optional[ScalarSeries],
    params: CurveParams,
    epoch_of=None,
) -> Optional[dict]:
    """The ReduceLROnPlateau what-if on the monitored series (`keras_replay.reduce_lr_on_plateau`, position =
    Keras epoch): ``{factor, patience, min_delta, cooldown, min_lr, initial_lr, initial_lr_logged,
    cuts: [{step, epoch, lr}]}``; the rate starts at the first logged learning rate, else 1 (cuts are then
    relative). None without a monitored series."""
    if monitored is None or not monitored.values.size:
        return None
    finite = np.empty(0) if learning_rate is None else learning_rate.values[np.isfinite(learning_rate.values)]
    logged = bool(finite.size)
    initial = float(finite[0]) if logged else 1.0
    outcome = curves.reduce_lr_on_plateau(
        monitored.values,
        mode,
        initial,
        params.lr_factor,
        params.lr_patience,
        params.lr_min_delta,
        params.lr_cooldown,
        params.min_lr,
    )
    steps = [int(monitored.steps[i]) for i in outcome.cut_indices]
    return {
        "factor": params.lr_factor,
        "patience": params.lr_patience,
        "min_delta": params.lr_min_delta,
        "cooldown": params.lr_cooldown,
        "min_lr": params.min_lr,
        "initial_lr": initial,
        "initial_lr_logged": logged,
        "cuts": [
            {"step": step, "epoch": None if epoch_of is None else epoch_of(step), "lr": lr}
            for step, lr in zip(steps, outcome.learning_rates)
        ],
    }


def verdict(
    cache: AnalysisCache, gathered: RunSeries, experiment_id: str, params: CurveParams, per_step: bool = True
) -> dict:
    """The verdict of `gathered.run` on `gathered.pair`, memoised in slot (experiment, run, pair, params,
    per_step) by `gathered.version`; the default parameters' verdicts have a memo of their own
    (`AnalysisCache.curve_memo`). `per_step=False`: without per-step series, as `/runs` rows need.
    """
    slot = (experiment_id, gathered.run.name, gathered.pair, params, per_step)
    return cache.curve_memo(params == CurveParams()).get(
        slot, gathered.version, lambda: _compute(gathered, params, per_step)
    )


def _empty_verdict(status: str, explanation: str) -> dict:
    """The verdict fields of a row with nothing judged: `status` and why."""
    return schema.build(
        schema.VERDICT,
        {
            "status": status,
            "explanation": explanation,
            "save_best_steps": [],
            "num_steps": 0,
            "lr_drop_steps": [],
            "reduce_lr": None,
            "sampled": False,
        },
    )


def analysing_verdict() -> dict:
    """The verdict fields of a run a `/runs` snapshot shows before its analysis."""
    return _empty_verdict(
        ANALYSING,
        "Not analysed yet: TensorBoard's plugin is still analysing this experiment's runs; "
        "this row fills in within seconds.",
    )


def no_metric_verdict(run: grouping.TrainingRun, params: CurveParams) -> dict:
    """The verdict fields of a run without the metric asked for (or any metric)."""
    available = ", ".join(pair.metric for pair in run.metrics) or "none"
    wanted = f"no metric {quoted(params.metric)}" if params.metric else "no scalar metrics"
    if params.pair:
        wanted = f"no tags {quoted(params.pair)} to pair"
    bookkeeping = ", ".join(pair.metric for pair in run.diagnostics)
    only = f"; only bookkeeping series ({bookkeeping}), nothing to judge" if bookkeeping and not run.metrics else ""
    return _empty_verdict(NO_METRICS, f"This run has {wanted} (metrics: {available}){only}.")
