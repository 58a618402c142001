"""The wire form of a curve verdict: `analysis_json(CurveAnalysis) -> dict`.

`analysis/curves.py` computes the verdict in numpy; this module alone turns
it into the JSON-safe dict the `runs`, `curves` and `sweep` documents and the
CLI carry (no NaN or Infinity anywhere: non-finite floats become null).
"""

from __future__ import annotations

from typing import Optional

from tb_overfit_plugin.analysis.curves import CurveAnalysis
from tb_overfit_plugin.documents.jsonable import finite_or_none, float_list, int_list


def _step(analysis: CurveAnalysis, index: Optional[int]) -> Optional[int]:
    return None if index is None else int(analysis.steps[index])


def _epoch(analysis: CurveAnalysis, step: Optional[int]) -> Optional[int]:
    return analysis.epoch_of(step) if step is not None and analysis.epoch_of is not None else None


def _point(analysis: CurveAnalysis, index: Optional[int], value: Optional[float]) -> Optional[dict]:
    if index is None:
        return None
    step = _step(analysis, index)
    return {"step": step, "epoch": _epoch(analysis, step), "value": finite_or_none(value)}


def _early_stop_json(analysis: CurveAnalysis) -> dict:
    """The EarlyStopping replay: stop and restore steps and epochs, and the epochs it saves."""
    outcome, num_steps = analysis.early_stop, analysis.num_steps
    stop_step = _step(analysis, outcome.stop_index)
    restore_step = _step(analysis, outcome.restore_index)
    epochs_saved = 0 if outcome.stop_index is None else num_steps - 1 - outcome.stop_index
    return {
        "patience": analysis.patience,
        "min_delta": analysis.min_delta,
        "stop_step": stop_step,
        "stop_epoch": _epoch(analysis, stop_step),
        "restore_step": restore_step,
        "restore_epoch": _epoch(analysis, restore_step),
        "epochs_saved": epochs_saved,
        "share_saved": epochs_saved / num_steps if num_steps else 0.0,
    }


def _series_json(analysis: CurveAnalysis) -> dict:
    """The per-step series: gap, generalization loss and the smoothed curves."""
    return {
        "gap": {"steps": int_list(analysis.gap_steps), "values": float_list(analysis.gap_values)},
        "generalization_loss": None
        if analysis.generalization_loss is None
        else {"steps": int_list(analysis.steps), "values": float_list(analysis.generalization_loss)},
        "smoothed_validation": None
        if analysis.smoothed_validation is None
        else float_list(analysis.smoothed_validation),
        "smoothed_train": None if analysis.smoothed_train is None else float_list(analysis.smoothed_train),
    }


def analysis_json(analysis: CurveAnalysis, series: bool = True) -> dict:
    """A JSON-safe dict of `analysis`: no NaN or Infinity anywhere (non-finite floats become null).

    `series=False` leaves out the per-step series (gap, generalization
    loss, smoothed curves): the verdict alone, as a leaderboard row needs.
    """
    best = _point(analysis, analysis.best_index, analysis.best_value)
    if best is not None:
        best["train_value"] = finite_or_none(analysis.best_train_value)
    num_steps = analysis.num_steps
    verdict = {
        "status": analysis.status,
        "explanation": analysis.explanation,
        "best": best,
        "onset": _point(analysis, analysis.onset_index, analysis.onset_value),
        "early_stop": _early_stop_json(analysis),
        "save_best_steps": int_list(analysis.steps[analysis.save_best_indices]),
        "diverged_step": analysis.diverged_step,
        "num_steps": num_steps,
        "last_step": _step(analysis, num_steps - 1 if num_steps else None),
        "tolerance": finite_or_none(analysis.tolerance),
    }
    if not series:
        return verdict
    return {**verdict, **_series_json(analysis)}
