"""A flat curve at chance is not overfitting; without a train series only the worsening is known.

HuggingFace Trainer logs, written as its `SummaryWriter` writes them
(simple_value scalars, global steps): `train/loss`, `train/learning_rate`,
`train/epoch` every 50 steps, `eval/loss`, `eval/accuracy` every 500. Its
accuracy has no train series. Checked through the HTTP API (TensorBoard's
WSGI app, in-process) and the CLI.
"""

from __future__ import annotations

import io
import json

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.analysis import climb, onset
from tb_overfit_plugin.cli import command as cli

EVAL_SAMPLES = 12_000
EVAL_STEPS = list(range(500, 6001, 500))
TRAIN_STEPS = list(range(50, 6001, 50))
# 4 classes: accuracy at chance, 0.2365-0.2368, moving by a sample or two of 12,000.
CHANCE_COUNTS = [2838, 2840, 2842, 2841, 2841, 2840, 2841, 2841, 2840, 2841, 2840, 2841]


def _write_hf_run(logdir, run, train_loss, eval_loss, eval_accuracy):
    logwriters.write_single_run(
        logdir,
        run,
        {
            "train/loss": train_loss,
            "train/learning_rate": list(np.linspace(5e-5, 0.0, len(TRAIN_STEPS))),
            "train/epoch": [step / 500 for step in TRAIN_STEPS],
        },
        steps=TRAIN_STEPS,
        simple_value=True,
    )
    logwriters.write_single_run(
        logdir, run, {"eval/loss": eval_loss, "eval/accuracy": eval_accuracy}, steps=EVAL_STEPS, simple_value=True
    )


@pytest.fixture(scope="module")
def hf_logdir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("hf") / "runs"
    rng = np.random.default_rng(4)
    _write_hf_run(
        logdir,
        "chance",
        train_loss=list(np.log(4) + rng.normal(0, 5e-3, len(TRAIN_STEPS))),
        eval_loss=list(np.log(4) + rng.normal(0, 2e-4, len(EVAL_STEPS))),
        eval_accuracy=[count / EVAL_SAMPLES for count in CHANCE_COUNTS],
    )
    # Learns, peaks at the 5th evaluation (0.80), then loses 6 points while the train loss keeps falling.
    accuracy = [0.55, 0.68, 0.75, 0.78, 0.80, 0.79, 0.78, 0.77, 0.76, 0.755, 0.75, 0.74]
    _write_hf_run(
        logdir,
        "worsening",
        train_loss=list(np.geomspace(1.4, 0.01, len(TRAIN_STEPS))),
        eval_loss=list(1.0 - np.array(accuracy)),
        eval_accuracy=accuracy,
    )
    return logdir


def _rows(document):
    return {row["run"]: row for row in document["runs"]}


def test_accuracy_flat_at_chance_is_not_learning_not_overfitting(hf_logdir, plugin_client, monkeypatch):
    status, document = plugin_client(hf_logdir).get("runs", metric="accuracy")
    assert status == 200
    chance = _rows(document)["chance"]
    assert chance["monitor"]["validation"] == {"run": "chance", "tag": "eval/accuracy"}
    assert chance["monitor"]["train"] is None
    assert (chance["status"], chance["onset"]) == ("not_learning", None)
    assert "went from 0.2365 to at best 0.2368" in chance["explanation"]
    _, curves_document = plugin_client(hf_logdir).get("curves", run="chance", metric="accuracy")
    assert curves_document["analysis"]["tolerance"] == pytest.approx(
        onset.MATERIAL_FRACTION * max(CHANCE_COUNTS) / EVAL_SAMPLES
    )
    # The same files without the materiality rule: the reported false alarm.
    # (and without the trend rule, which also sees no trend in a sample more or fewer).
    monkeypatch.setattr(onset, "MATERIAL_FRACTION", 0.0)
    _, trend_only = plugin_client(hf_logdir).get("runs", metric="accuracy")
    assert _rows(trend_only)["chance"]["status"] == "not_learning"
    monkeypatch.setattr(climb, "MIN_TREND_POINTS", len(CHANCE_COUNTS))
    _, unguarded = plugin_client(hf_logdir).get("runs", metric="accuracy")
    assert (
        _rows(unguarded)["chance"]["status"] == "worsening"
    )  # the false alarm, named as what it is without a train curve


def test_loss_flat_at_chance_is_not_learning(hf_logdir, plugin_client):
    _, document = plugin_client(hf_logdir).get("runs")
    chance = _rows(document)["chance"]
    assert chance["monitor"]["metric"] == "loss" and chance["status"] == "not_learning"


def test_worsening_without_a_train_series_says_what_is_known(hf_logdir, plugin_client):
    _, document = plugin_client(hf_logdir).get("runs", metric="accuracy")
    worsening = _rows(document)["worsening"]
    assert worsening["status"] == "worsening"  # no train accuracy: no evidence of overfitting
    assert (worsening["best"]["step"], worsening["onset"]["step"]) == (2500, 3500)  # 0.79 is within tol, 0.78 not
    assert "Validation accuracy was best at epoch 5, step 2500 (0.8)" in worsening["explanation"]
    assert "no train accuracy was logged, so only the worsening is known" in worsening["explanation"]
    _, by_loss = plugin_client(hf_logdir).get("runs")
    assert "while training loss kept falling" in _rows(by_loss)["worsening"]["explanation"]


def test_cli_gives_the_same_verdicts_and_gates_only_the_real_worsening(hf_logdir, plugin_client):
    out = io.StringIO()
    assert cli.run([str(hf_logdir), "--metric", "accuracy", "--json"], out=out) == 0
    _, served = plugin_client(hf_logdir).get("runs", metric="accuracy")
    assert json.loads(out.getvalue()) == served
    gate = ["--metric", "accuracy", "--fail-on", "overfitting,worsening", "--run"]
    assert cli.run([str(hf_logdir), *gate, "^chance$"], out=io.StringIO()) == 0
    assert cli.run([str(hf_logdir), *gate, "^worsening$"], out=io.StringIO()) == 1
