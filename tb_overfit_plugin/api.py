"""`diagnose(logdir)`: the plugin's verdicts as Python objects, for notebooks and scripts.

    import tb_overfit_plugin as tbo
    diagnosis = tbo.diagnose("demo_logs", patience=5, weights=True)
    diagnosis["overfit"].best.epoch      # 5
    diagnosis.to_dataframe()             # pandas, one row per run
    diagnosis                            # in Jupyter: an HTML table

Reads the logdir exactly as the `tb-overfit` command does (`cli.documents`:
TensorBoard's Rust data server, or its Python loader; or a folder of CSV/JSON
histories, `histories`), so the objects hold the numbers of the `/runs`
document, and with `weights=True` those of `/weights_summary` and `/weights`.
"""

from __future__ import annotations

from typing import Optional

from tb_overfit_plugin.cli import command as cli
from tb_overfit_plugin.cli.args import UsageError
from tb_overfit_plugin.documents import params
from tb_overfit_plugin.documents.verdict_types import Diagnosis, RunVerdict, WeightHealth


class DiagnoseError(ValueError):
    """Bad input for `diagnose`: the message is the CLI's one line (a missing logdir, a bad parameter...)."""


def _curve_params(metric, mode, patience, min_delta, smoothing) -> params.CurveParams:
    values = {
        "metric": metric or "",
        "mode": mode or "",
        "patience": f"{patience}",
        "min_delta": f"{min_delta}",
        "smoothing": f"{smoothing}",
    }
    try:
        return params.parse_curve_params(values)
    except params.ParamError as error:
        raise DiagnoseError(f"{error.name}: {error.detail}") from None


def diagnose(
    logdir,
    metric: Optional[str] = None,
    mode: Optional[str] = None,
    patience: int = int(params.PATIENCE.default),
    min_delta: float = params.MIN_DELTA.default,
    smoothing: float = params.SMOOTHING.default,
    run: Optional[str] = None,
    weights: bool = False,
    load_fast: str = "auto",
) -> Diagnosis:
    """Every training run's verdict in `logdir`, as `GET /runs` gives it with the same parameters.

    Args:
      logdir: a TensorBoard logdir (local path or URL), or a history file
        (Keras/Lightning CSVLogger, Ultralytics results.csv, HF
        trainer_state.json) or a folder of them.
      metric: the metric to monitor (default: validation loss), as `/runs?metric=`.
      mode: "min" or "max" (default: from the metric's name).
      patience, min_delta: Keras EarlyStopping's, for the what-if.
      smoothing: EMA smoothing in [0, 1) for the onset.
      run: a regular expression (RE2); only the runs it matches are kept.
      weights: also each run's weight health (`RunVerdict.weights`, with its
        per-layer `/weights` document), which reads every histogram.
      load_fast: "auto", "true" or "false", as `tb-overfit --load-fast`.

    Returns:
      A `Diagnosis`: `RunVerdict`s in `/runs` order, indexable by run name.

    Raises:
      DiagnoseError: the logdir cannot be read or holds no series, a
        parameter is out of range, or no run has `metric`.
    """
    curve_params = _curve_params(metric, mode, patience, min_delta, smoothing)
    try:
        run_filter = cli._run_filter(run)
        document, summaries, layer_documents, loader_warnings = cli.documents(
            str(logdir), curve_params, run_filter, load_fast, summaries_wanted=weights, documents_wanted=weights
        )
    except UsageError as error:
        raise DiagnoseError(str(error)) from None
    verdicts = []
    for row in document["runs"]:
        health = None
        if summaries is not None:
            health = WeightHealth.from_summary(summaries.get(row["run"]) or {}, layer_documents.get(row["run"]))
        verdicts.append(RunVerdict.from_row(row, health))
    warnings = tuple(warning["message"] for warning in document.get("warnings", [])) + tuple(loader_warnings)
    return Diagnosis(runs=tuple(verdicts), params=dict(document.get("params", {})), warnings=warnings)
