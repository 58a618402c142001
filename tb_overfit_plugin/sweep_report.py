"""The sweep documents: `/hparams_effects`, `/groups` and `/stopping`.

Built on `report.Diagnoser`, whose per-run analyses are memoised, from the
pure analyses of `sweep` (effects, seed groups) and `stopping` (rules
compared). Epochs are 1-based as in `/runs` (null where a run has none).

* Effects and group spreads use the `/runs` rows themselves: best epoch,
  onset epoch, best value and `early_stop.epochs_saved`.
* A group's curves are `sweep.aggregate` of its members' raw series of the
  group's metric (`params.metric`, else the first member's monitored one);
  its verdict is `curves.analyze_metric` on the mean curves, at the steps
  where at least `sweep.MIN_GROUP_RUNS` members have a value.
* `/stopping` replays `stopping.compare` on the monitored curve (the
  validation curve; the training curve when none was logged, as the verdict),
  with the training values at or before each of its steps for PQ.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from tb_overfit_plugin import curves, epochs, grouping, jsonable, stopping, sweep
from tb_overfit_plugin.params import CurveParams, quoted
from tb_overfit_plugin.reading import EMPTY, Listing, SeriesSet
from tb_overfit_plugin.report import Diagnoser, NotFound, epoch_of, scalar_of

NO_HPARAMS_NOTE = (
    "No training run has hyper-parameters: log them with hp.KerasCallback(log_dir, hparams) or "
    "hp.hparams (TensorFlow), add_hparams (PyTorch / tensorboardX) or log_hyperparams (Lightning)."
)
ONE_RUN_NOTE = "A group of one run: no mean or spread across runs, and its verdict is the run's own in /runs."


def _spread_json(spread: sweep.Spread) -> dict:
    return {"min": spread.low, "median": spread.median, "max": spread.high, "count": spread.count}


def _point(row: dict, name: str, field: str) -> Optional[float]:
    point = row.get(name) or {}
    return point.get(field)


def _verdict(row: dict) -> sweep.RunVerdict:
    """What `sweep.effects` needs of one `/runs` row."""
    return sweep.RunVerdict(
        run=row["run"],
        hparams=row["hparams"],
        status=row["status"],
        best_epoch=_point(row, "best", "epoch"),
        onset_epoch=_point(row, "onset", "epoch"),
        best_value=_point(row, "best", "value"),
        epochs_saved=_point(row, "early_stop", "epochs_saved"),
    )


def _level_json(level: sweep.Level) -> dict:
    return {
        "label": level.label,
        "low": level.low,
        "high": level.high,
        "runs": list(level.runs),
        "count": len(level.runs),
        "overfitting_share": level.overfitting_share,
        **{name: _spread_json(getattr(level, name)) for name in ("best_epoch", "onset_epoch", "best_value",
                                                                  "epochs_saved")},
    }


def _names(runs: Sequence[str]) -> str:
    return ", ".join(quoted(run) for run in runs)


def effects_document(diagnoser: Diagnoser, scalars: SeriesSet, histograms: Listing,
                     found_sessions: Mapping[str, Mapping[str, object]], params: CurveParams) -> dict:
    """`GET /hparams_effects`: for each hyper-parameter value, its runs' verdicts (`sweep.effects`)."""
    rows = diagnoser.runs_document(scalars, histograms, params, found_sessions)["runs"]
    with_hparams = [row for row in rows if row["hparams"]]
    without = [row["run"] for row in rows if not row["hparams"]]
    note = None
    if not with_hparams:
        note = NO_HPARAMS_NOTE
    elif without:
        note = f"{len(without)} of {len(rows)} training runs have no hyper-parameters and are left out: {_names(without)}."
    return {
        "hparams": [{"hparam": effect.hparam, "binned": effect.binned, "levels": [_level_json(l) for l in effect.levels]}
                    for effect in sweep.effects([_verdict(row) for row in with_hparams])],
        "runs_with_hparams": len(with_hparams),
        "note": note,
        "params": params.to_json(),
    }


# -- seed groups ----------------------------------------------------------------


def _aggregate_json(aggregate: sweep.Aggregate) -> Optional[dict]:
    if aggregate.steps.size == 0:
        return None
    return {
        "steps": jsonable.int_list(aggregate.steps),
        "mean": jsonable.float_list(aggregate.mean),
        "std": jsonable.float_list(aggregate.std),
        "count": jsonable.int_list(aggregate.count),
    }


def _group_metric(members: List[grouping.TrainingRun], params: CurveParams) -> Optional[str]:
    """`params.metric`, else the monitored metric of the first member that has one."""
    if params.metric:
        return params.metric
    pairs = [Diagnoser.monitor(run, params) for run in members]
    return next((pair.metric for pair in pairs if pair is not None), None)


def _curves(pairs: List[grouping.MetricPair], scalars: SeriesSet, split: str) -> sweep.Aggregate:
    found = [scalar_of(scalars, getattr(pair, split)) for pair in pairs]
    return sweep.aggregate([(series.steps, series.values) for series in found if series is not None])


def _kept(aggregate: sweep.Aggregate):
    """(steps, mean) where the mean is defined, or (None, None)."""
    defined = ~np.isnan(aggregate.mean)
    return (aggregate.steps[defined], aggregate.mean[defined]) if defined.any() else (None, None)


def _group_verdict(validation: sweep.Aggregate, train: sweep.Aggregate, mode: str, epoch_based: bool,
                   metric: str, params: CurveParams) -> Optional[dict]:
    """The curve verdict on the group's mean curves (`curves.analyze_metric`), or None without any."""
    val_steps, val_mean = _kept(validation)
    train_steps, train_mean = _kept(train)
    if val_steps is None and train_steps is None:
        return None
    analysis = curves.analyze_metric(
        train_steps, train_mean, val_steps, val_mean, mode=mode, patience=params.patience,
        min_delta=params.min_delta, smoothing=params.smoothing, tolerance=params.tolerance,
        epoch_based=epoch_based, name=f"mean {metric}",
    ).to_json(series=False)
    return {name: analysis[name] for name in ("status", "explanation", "best", "onset")}


def _group_json(group: str, members: List[grouping.TrainingRun], rows: Dict[str, dict], scalars: SeriesSet,
                params: CurveParams) -> dict:
    metric = _group_metric(members, params)
    pairs = [pair for pair in (run.metric(metric) for run in members) if pair is not None] if metric else []
    mode = params.mode or curves.metric_mode(metric or "")
    validation, train = _curves(pairs, scalars, "validation"), _curves(pairs, scalars, "train")
    one = len(members) < sweep.MIN_GROUP_RUNS
    lacking = [run.name for run in members if metric is None or run.metric(metric) is None]
    note = ONE_RUN_NOTE if one else (
        f"{len(lacking)} of {len(members)} runs have no {quoted(metric or 'metric')}: {_names(lacking)}." if lacking else None)
    verdicts = [_verdict(rows[run.name]) for run in members]
    return {
        "group": group,
        "runs": [run.name for run in members],
        "metric": metric,
        "mode": mode,
        "validation": _aggregate_json(validation),
        "train": _aggregate_json(train),
        "best_epoch": _spread_json(sweep.spread([v.best_epoch for v in verdicts])),
        "onset_epoch": _spread_json(sweep.spread([v.onset_epoch for v in verdicts])),
        "best_value": _spread_json(sweep.spread([v.best_value for v in verdicts])),
        "verdict": None if one or not pairs else _group_verdict(
            validation, train, mode, all(pair.epoch_based for pair in pairs), metric, params),
        "note": note,
    }


def groups_document(diagnoser: Diagnoser, scalars: SeriesSet, histograms: Listing, regex: str,
                    params: CurveParams) -> dict:
    """`GET /groups?regex=...`: seed groups (`sweep.group_names`), their mean curves and spreads.

    Raises ValueError for a regex that is invalid or has no capture group.
    """
    runs = {run.name: run for run in diagnoser.training_runs(scalars, histograms)}
    named = sweep.group_names(list(runs), regex)
    rows = {row["run"]: row for row in diagnoser.runs_document(scalars, histograms, params)["runs"]}
    grouped = {name for members in named.values() for name in members}
    return {
        "regex": regex,
        "groups": [_group_json(group, [runs[name] for name in members], rows, scalars, params)
                   for group, members in named.items()],
        "ungrouped": sorted(name for name in runs if name not in grouped),
        "note": None if named else f"No training run name matches {quoted(regex)}.",
        "params": params.to_json(),
    }


# -- stopping rules ---------------------------------------------------------------

_RULE_TEXT = {
    stopping.PATIENCE_RULE: ("EarlyStopping(patience={p:g})",
                             "Keras EarlyStopping(patience={p:g}, restore_best_weights=True): stops after {p:g} "
                             "epochs without an improvement above min_delta, restores the best epoch."),
    stopping.EMA_RULE: ("EMA patience {p:g} (smoothing {w:g})",
                        "The same patience on the curve smoothed as TensorBoard's charts (EMA weight {w:g}): stops "
                        "and restores where the smoothed curve says."),
    stopping.GL_RULE: ("GL_{p:g}",
                       "Prechelt's generalization loss: stops after the first epoch with "
                       "100·(E(t)/E_opt(t) − 1) > {p:g}, keeps the best epoch so far."),
    stopping.PQ_RULE: ("PQ_{p:g} (k={k})",
                       "Prechelt's progress quotient: stops after the first end of a {k}-epoch strip with "
                       "GL(t)/P_{k}(t) > {p:g} (P_{k}: training progress in the strip), keeps the best epoch so far."),
    stopping.UP_RULE: ("UP_{p:g} (k={k})",
                       "Prechelt's UP: stops after validation got worse over {p:g} successive {k}-epoch strips, "
                       "keeps the best epoch so far."),
}


def _aligned(train, steps: np.ndarray) -> Optional[np.ndarray]:
    """The training value at or before each of `steps` (NaN before the first), or None without training."""
    if train is None or train.steps.size == 0:
        return None
    index = np.searchsorted(train.steps, steps, side="right") - 1
    return np.where(index >= 0, train.values[np.clip(index, 0, None)], np.nan)


def _rule_json(outcome: stopping.StoppingOutcome, steps: np.ndarray, to_epoch, smoothing: float) -> dict:
    label, description = _RULE_TEXT[outcome.rule]
    text = {"p": outcome.parameter, "w": smoothing or stopping.EMA_WEIGHT, "k": stopping.STRIP_LENGTH}
    stop = None if outcome.stop_index is None else int(steps[outcome.stop_index])
    restore = None if outcome.restore_index is None else int(steps[outcome.restore_index])
    return {
        "rule": outcome.rule,
        "parameter": outcome.parameter,
        "label": label.format(**text),
        "description": description.format(**text),
        "stop_step": stop,
        "stop_epoch": to_epoch(stop),
        "restore_step": restore,
        "restore_epoch": to_epoch(restore),
        "restore_value": jsonable.finite_or_none(outcome.restore_value),
        "regret": jsonable.finite_or_none(outcome.regret),
        "epochs_saved": outcome.epochs_saved,
        "applicable": outcome.applicable,
        "reason": outcome.reason,
    }


def stopping_document(diagnoser: Diagnoser, scalars: SeriesSet, name: str, params: CurveParams) -> dict:
    """`GET /stopping?run=...`: every rule of `stopping` on the run's monitored curve."""
    run = diagnoser.training_run(scalars, EMPTY, name)
    pair = diagnoser.monitor(run, params)
    train, validation = (None, None) if pair is None else (scalar_of(scalars, pair.train), scalar_of(scalars, pair.validation))
    curve = validation if validation is not None else train
    if curve is None:
        wanted = f"no metric {quoted(params.metric)}" if params.metric else "no scalar metrics"
        raise NotFound(f"training run {quoted(name)} has {wanted}")
    mode = params.mode or curves.metric_mode(pair.metric)
    mapping = epochs.keras_epoch if pair.epoch_based else epoch_of(run, pair, scalars)

    def to_epoch(step: Optional[int]) -> Optional[int]:
        return None if step is None or mapping is None else mapping(step)

    outcomes = stopping.compare(curve.values, mode, _aligned(train, curve.steps) if validation is not None else None,
                                patience=params.patience, min_delta=params.min_delta, smoothing=params.smoothing)
    best = diagnoser.run_summary(run, scalars, params)["best"]
    return {
        "run": run.name,
        "metric": pair.metric,
        "mode": mode,
        "best": None if best is None else {key: best[key] for key in ("step", "epoch", "value")},
        "rules": [_rule_json(outcome, curve.steps, to_epoch, params.smoothing) for outcome in outcomes],
        "params": params.to_json(),
    }
