"""The sweep documents: `/hparams_effects`, `/groups`, `/stopping`.

Built from what `runs.documents` and `runs.run_series` already give (the `/runs` rows, each
run's monitored series) and the pure analyses of `sweep` and `stopping`.
The server owns the vocabulary: every stopping rule's label and description
is written here, once, and the tab shows them as they come.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from tb_overfit_plugin.analysis import curves, epochs, grouping, stopping, sweep, wording
from tb_overfit_plugin.analysis.series import ScalarSeries
from tb_overfit_plugin.documents import jsonable, user_regex
from tb_overfit_plugin.documents.params import CurveParams
from tb_overfit_plugin.documents.runs.lookup import NotFound
from tb_overfit_plugin.documents.runs.run_series import RunSeries, judged
from tb_overfit_plugin.documents.runs.verdict_json import analysis_json

NO_HPARAMS_NOTE = (
    "No run has hyper-parameters: log them with hp.KerasCallback(logdir/run, {...}) (Keras), "
    "hp.hparams(...) (tf.summary), add_hparams (PyTorch, tensorboardX) or Lightning's log_hyperparams."
)
ONE_RUN_NOTE = "A group of one run: no mean or spread across runs, and no group verdict."
NO_MATCH_NOTE = "No training run name matches the regular expression."

_RULE_TEXT = {
    stopping.PATIENCE_RULE: (
        "EarlyStopping(patience={p:g})",
        "Keras EarlyStopping(patience={p:g}, restore_best_weights=True), replayed exactly",
    ),
    stopping.EMA_RULE: (
        "EMA patience {patience} (smoothing {w:g})",
        "EarlyStopping(patience={patience}) on the curve smoothed as TensorBoard's slider at {w:g}",
    ),
    stopping.GL_RULE: ("GL_{p:g}", "Prechelt: stop once GL(t) = 100 (E(t) / E_opt(t) - 1) > {p:g}"),
    stopping.PQ_RULE: ("PQ_{p:g} (k={k})", "Prechelt: stop at a strip end once GL(t) / P_k(t) > {p:g}"),
    stopping.UP_RULE: (
        "UP_{p:g} (k={k})",
        "Prechelt: stop once validation got worse over {p:g} successive strips of {k} epochs",
    ),
    stopping.OVERFIT_RULE: (
        "OverfitStopping(patience={patience})",
        "this package's Keras callback: stops when this tab's verdict is overfitting or diverged "
        "(after patience {patience}), or a plateau held {patience} more evaluations "
        "without an improving trend; replayed epoch by epoch",
    ),
}


# -- /hparams_effects -----------------------------------------------------------------


def _spread_json(spread: sweep.Spread) -> dict:
    return {"min": spread.low, "median": spread.median, "max": spread.high, "count": spread.count}


def _verdict(row: dict) -> sweep.RunVerdict:
    best, onset, early_stop = row.get("best") or {}, row.get("onset") or {}, row.get("early_stop") or {}
    return sweep.RunVerdict(
        run=row["run"],
        hparams=row["hparams"],
        status=row["status"],
        best_epoch=best.get("epoch"),
        onset_epoch=onset.get("epoch"),
        best_value=best.get("value"),
        epochs_saved=early_stop.get("epochs_saved"),
    )


def effects_document(runs_document: dict) -> dict:
    """`GET /hparams_effects`: per hyper-parameter value, the share overfitting and the verdicts' spread."""
    verdicts = [_verdict(row) for row in runs_document["runs"] if row["hparams"]]
    effects = [
        {
            "hparam": effect.hparam,
            "binned": effect.binned,
            "levels": [
                {
                    "label": level.label,
                    "low": level.low,
                    "high": level.high,
                    "runs": list(level.runs),
                    "count": len(level.runs),
                    "overfitting_share": level.overfitting_share,
                    **{
                        name: _spread_json(getattr(level, name))
                        for name in ("best_epoch", "onset_epoch", "best_value", "epochs_saved")
                    },
                }
                for level in effect.levels
            ],
        }
        for effect in sweep.effects(verdicts)
    ]
    return {
        "hparams": effects,
        "runs_with_hparams": len(verdicts),
        "note": None if verdicts else NO_HPARAMS_NOTE,
        "params": runs_document["params"],
    }


# -- /groups ------------------------------------------------------------------------------


def _aggregate_json(series: Sequence[ScalarSeries], epoch_based: bool) -> Optional[dict]:
    """The mean curve; `epochs` (aligned with `steps`, `epochs.keras_epoch`) null unless epoch-based."""
    if not series:
        return None
    aggregate = sweep.aggregate([(s.steps, s.values) for s in series])
    return {
        "steps": jsonable.int_list(aggregate.steps),
        "epochs": [epochs.keras_epoch(step) for step in aggregate.steps] if epoch_based else None,
        "mean": jsonable.float_list(aggregate.mean),
        "std": jsonable.float_list(aggregate.std),
        "count": jsonable.int_list(aggregate.count),
    }


def _mean_curve(series: Sequence[ScalarSeries]):
    """(steps, mean) where at least `sweep.MIN_GROUP_RUNS` runs have a value, or (None, None)."""
    if not series:
        return None, None
    aggregate = sweep.aggregate([(s.steps, s.values) for s in series])
    enough = aggregate.count >= sweep.MIN_GROUP_RUNS
    return aggregate.steps[enough], aggregate.mean[enough]


def _group_verdict(members: List[RunSeries], params: CurveParams) -> Optional[dict]:
    """The analysis of the group's mean curves (validation and train), as a `/runs` verdict."""
    val_steps, val_mean = _mean_curve([m.validation for m in members if m.validation is not None])
    train_steps, train_mean = _mean_curve([m.train for m in members if m.train is not None])
    if (val_steps is None or not val_steps.size) and (train_steps is None or not train_steps.size):
        return None
    first = members[0]
    analysis = analysis_json(
        curves.analyze_metric(
            train_steps,
            train_mean,
            val_steps,
            val_mean,
            mode=first.mode,
            patience=params.patience,
            min_delta=params.min_delta,
            smoothing=params.smoothing,
            tolerance=params.tolerance,
            epoch_based=first.pair.epoch_based,
            name=f"{first.pair.metric} (mean of {wording.plural(len(members), 'run')})",
        ),
        series=False,
    )
    return {name: analysis[name] for name in ("status", "explanation", "best", "onset", "early_stop")}


def groups_document(
    runs_document: dict, runs: Sequence[grouping.TrainingRun], scalars, regex: str, params: CurveParams
) -> dict:
    """`GET /groups?regex=...`: runs grouped by the regex's first capture, their mean curves and verdict.

    Raises:
      ParamError: `regex` is refused by `user_regex.compile_pattern` or has no capture group.
    """
    by_name = {run.name: run for run in runs}
    rows = {row["run"]: row for row in runs_document["runs"]}
    groups = sweep.group_names(list(by_name), user_regex.compile_pattern("regex", regex, groups=1))
    documents = []
    for key, names in groups.items():
        monitored = [judged(by_name[name], scalars, params) for name in names if rows[name]["monitor"] is not None]
        metric = monitored[0].pair.metric if monitored else None  # the group's curves are of one metric
        members = [m for m in monitored if m.pair.metric == metric]
        verdicts = [_verdict(rows[name]) for name in names]
        epoch_based = bool(members) and all(m.pair.epoch_based for m in members)
        documents.append(
            {
                "group": key,
                "runs": names,
                "metric": members[0].pair.metric if members else None,
                "mode": members[0].mode if members else None,
                "validation": _aggregate_json([m.validation for m in members if m.validation is not None], epoch_based),
                "train": _aggregate_json([m.train for m in members if m.train is not None], epoch_based),
                "best_epoch": _spread_json(sweep.spread([v.best_epoch for v in verdicts])),
                "onset_epoch": _spread_json(sweep.spread([v.onset_epoch for v in verdicts])),
                "best_value": _spread_json(sweep.spread([v.best_value for v in verdicts])),
                "verdict": _group_verdict(members, params) if len(members) >= sweep.MIN_GROUP_RUNS else None,
                "note": ONE_RUN_NOTE if len(names) < sweep.MIN_GROUP_RUNS else None,
            }
        )
    grouped = {name for names in groups.values() for name in names}
    return {
        "regex": regex,
        "groups": documents,
        "ungrouped": [name for name in by_name if name not in grouped],
        "note": None if groups else NO_MATCH_NOTE,
        "params": runs_document["params"],
    }


# -- /stopping ------------------------------------------------------------------------------


def _aligned(train: Optional[ScalarSeries], steps: np.ndarray) -> Optional[np.ndarray]:
    """The training value at or before each step (NaN before its first), or None."""
    if train is None or not len(train):
        return None
    index = np.searchsorted(train.steps, steps, side="right") - 1
    return np.where(index >= 0, train.values[np.maximum(index, 0)], np.nan)


def _rule_json(outcome: stopping.StoppingOutcome, steps: np.ndarray, monitored: RunSeries, params: CurveParams) -> dict:
    label, description = _RULE_TEXT[outcome.rule]
    words = dict(
        p=outcome.parameter,
        k=stopping.STRIP_LENGTH,
        patience=params.patience,
        w=params.smoothing or stopping.EMA_WEIGHT,
    )
    stop = None if outcome.stop_index is None else int(steps[outcome.stop_index])
    restore = None if outcome.restore_index is None else int(steps[outcome.restore_index])
    return {
        "rule": outcome.rule,
        "parameter": outcome.parameter,
        "label": label.format(**words),
        "description": description.format(**words),
        "stop_step": stop,
        "stop_epoch": monitored.epoch(stop),
        "restore_step": restore,
        "restore_epoch": monitored.epoch(restore),
        "restore_value": jsonable.finite_or_none(outcome.restore_value),
        "regret": jsonable.finite_or_none(outcome.regret),
        "epochs_saved": outcome.epochs_saved,
        "applicable": outcome.applicable,
        "reason": outcome.reason,
    }


def stopping_document(monitored: RunSeries, run_name: str, params: CurveParams) -> dict:
    """`GET /stopping?run=...`: every rule of `stopping` on the run's monitored validation curve."""
    curve = monitored.validation or monitored.train
    if curve is None or not len(curve):
        raise NotFound(f"training run {run_name!r} has no series of {monitored.pair.metric!r}")
    train = _aligned(monitored.train, curve.steps) if monitored.validation is not None else None
    outcomes = stopping.compare(
        curve.values, monitored.mode, train, params.patience, params.min_delta, params.smoothing, params.tolerance
    )
    best_index = curves.best_index(curve.values, monitored.mode)  # what regrets compare with
    best_step = None if best_index is None else int(curve.steps[best_index])
    return {
        "run": run_name,
        "metric": monitored.pair.metric,
        "mode": monitored.mode,
        "curve": "validation" if monitored.validation is not None else "train",
        "best": {
            "step": best_step,
            "epoch": monitored.epoch(best_step),
            "value": None if best_index is None else jsonable.finite_or_none(curve.values[best_index]),
        },
        "rules": [_rule_json(o, curve.steps, monitored, params) for o in outcomes],
        "params": params.to_json(),
    }
