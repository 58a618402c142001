"""`tb_overfit_plugin.diagnose`: the `/runs` verdicts as typed objects, equal to the served documents."""

import dataclasses
import html
import sys

import pytest

import tb_overfit_plugin as tbo
from tb_overfit_plugin.documents.verdict_types import COLUMNS, Diagnosis, RunVerdict


def _same_as_row(verdict: RunVerdict, row: dict):
    """Every typed field of `verdict` is the served row's value."""
    assert verdict.row == row
    assert (verdict.run, verdict.status, verdict.explanation) == (row["run"], row["status"], row["explanation"])
    assert (verdict.metric, verdict.mode) == (row["monitor"]["metric"], row["monitor"]["mode"])
    best, onset, stop = row["best"], row["onset"], row["early_stop"]
    assert (verdict.best.step, verdict.best.epoch, verdict.best.value) == (best["step"], best["epoch"], best["value"])
    assert verdict.train_value_at_best == best["train_value"]
    assert (verdict.onset and (verdict.onset.step, verdict.onset.epoch)) == (onset and (onset["step"], onset["epoch"]))
    assert (verdict.early_stop.stop and verdict.early_stop.stop.step) == stop["stop_step"]
    assert verdict.early_stop.epochs_saved == stop["epochs_saved"] and verdict.early_stop.patience == stop["patience"]
    assert (
        list(verdict.save_best_steps) == row["save_best_steps"] and list(verdict.lr_drop_steps) == row["lr_drop_steps"]
    )
    assert verdict.hparams == row["hparams"] and verdict.diverged_step == row["diverged_step"]


@pytest.mark.parametrize("query", [{}, {"patience": "3", "smoothing": "0.2"}, {"metric": "accuracy"}])
def test_diagnose_equals_the_runs_endpoint(demo_full_logdir, plugin_client, query):
    _, served = plugin_client(demo_full_logdir).get("runs", **query)
    kwargs = {name: {"metric": str, "patience": int}.get(name, float)(value) for name, value in query.items()}
    diagnosis = tbo.diagnose(demo_full_logdir, **kwargs)
    assert isinstance(diagnosis, Diagnosis) and diagnosis.params == served["params"]
    assert [v.run for v in diagnosis] == [row["run"] for row in served["runs"]]
    for verdict, row in zip(diagnosis, served["runs"]):
        _same_as_row(verdict, row)
    assert diagnosis["overfit"].status == "overfitting" and diagnosis["reduce_lr"].lr_drop_steps
    with pytest.raises(dataclasses.FrozenInstanceError):
        diagnosis["overfit"].status = "plateau"


def test_weights_on_request_equal_the_weight_documents(demo_logdir, plugin_client):
    client = plugin_client(demo_logdir)
    summaries = client.get("weights_summary")[1]["weights"]
    diagnosis = tbo.diagnose(demo_logdir, weights=True, run="^(broken|overfit)$")
    assert sorted(v.run for v in diagnosis) == ["broken", "overfit"]
    broken = diagnosis["broken"].weights
    assert broken.worst_flag == summaries["broken"]["worst_flag"]["flag"] == "identical_values"
    assert (broken.layers, broken.flagged_layers) == (
        summaries["broken"]["layers"],
        summaries["broken"]["flagged_layers"],
    )
    served = client.get("weights", run="broken")[1]
    served.pop("warnings")  # attached by the HTTP route (integrity), as in the CLI's --json --weights
    assert broken.layers_document == served
    assert str(diagnosis["overfit"].weights) == "ok (3 layers)"
    assert tbo.diagnose(demo_logdir)["broken"].weights is None  # not asked: no histogram read


def test_dataframe_and_html_table(demo_full_logdir):
    pandas = pytest.importorskip("pandas")
    diagnosis = tbo.diagnose(demo_full_logdir)
    frame = diagnosis.to_dataframe()
    assert isinstance(frame, pandas.DataFrame) and list(frame.index) == [v.run for v in diagnosis]
    assert list(frame.columns)[: len(COLUMNS) - 1] == list(COLUMNS[1:])
    assert {"hp.units", "hp.dropout", "hp.optimizer"} <= set(frame.columns)
    assert frame.loc["overfit", "best_epoch"] == diagnosis["overfit"].best.epoch == 5
    assert frame.loc["grid/units16_dropout0.0_sgd_seed1", "hp.optimizer"] == "sgd"
    table = diagnosis._repr_html_()
    assert table.count("<tr>") == len(diagnosis) + 1 and "<td>grid/units128_dropout0.0_adam_seed1</td>" in table


def test_names_are_escaped_in_the_html_table(tmp_path):
    import logwriters

    logwriters.write_keras_layout(
        tmp_path / "logs",
        "<b>bold</b>",
        train={"epoch_loss": [1.0, 0.8, 0.6]},
        validation={"epoch_loss": [1.0, 0.9, 0.8]},
    )
    table = tbo.diagnose(tmp_path / "logs")._repr_html_()
    assert "<b>" not in table and html.escape("<b>bold</b>") in table


def test_without_pandas_a_clear_import_error(demo_logdir, monkeypatch):
    diagnosis = tbo.diagnose(demo_logdir)
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` raises ImportError
    with pytest.raises(ImportError, match="pip install pandas"):
        diagnosis.to_dataframe()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"patience": -1}, "patience"),
        ({"mode": "up"}, "mode"),
        ({"metric": "nope"}, "--metric"),
        ({"run": "(?=x)"}, "--run"),
    ],
)
def test_bad_input_raises_one_clear_error(demo_logdir, kwargs, message):
    with pytest.raises(tbo.DiagnoseError, match=message):
        tbo.diagnose(demo_logdir, **kwargs)


def test_missing_logdir(tmp_path):
    with pytest.raises(tbo.DiagnoseError, match="does not exist"):
        tbo.diagnose(tmp_path / "missing")
