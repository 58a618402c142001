"""Issue 24: classic failed trainings, trained with real Keras, get the verdict an engineer gives.

The runs of `failed_fits` (binary task, 20 features, TensorBoard(histogram_freq=1)) are
trained once per session (conftest's `failed_logdir`) and read through TensorBoard's real WSGI app and the
plugin's routes.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("keras")

from conftest import PluginClient  # noqa: E402


@pytest.fixture(scope="module")
def client(failed_logdir):
    return PluginClient(failed_logdir)


@pytest.fixture(scope="module")
def rows(client):
    status, document = client.get("runs")
    assert status == 200
    return {row["run"]: row for row in document["runs"]}


def _flags(client, run):
    status, document = client.get("weights", run=run)
    assert status == 200
    return {
        (layer["layer"], tensor["tensor"]): [flag["flag"] for flag in tensor["flags"]]
        for layer in document["layers"]
        for tensor in layer["tensors"]
    }, document["summary"]


def test_diverged_in_the_first_epoch_and_stuck_is_not_overfitting(rows):
    """Both first-epoch rules hold on the issue's fit: 10x the later median, and well above chance
    (ln 2) while accuracy sits at chance; the explanation gives each rule's numbers."""
    row = rows["diverged"]
    assert row["status"] == "diverged"
    assert row["diverged_step"] == 0
    explanation = row["explanation"]
    assert "more than 10x the median of the later values" in explanation
    assert "flat within its noise ever since" in explanation
    assert "training accuracy stayed at chance" in explanation and "1/2 = 0.5" in explanation


def test_a_first_loss_well_above_chance_at_chance_accuracy_is_divergence(rows):
    """The chance-level rule alone: the first loss is above 2 x ln 2 but under 10x the later values."""
    row = rows["diverged_at_chance"]
    assert row["status"] == "diverged" and row["diverged_step"] == 0
    assert "more than 2x chance (ln 2 = 0.6931" in row["explanation"]
    assert "10x the median" not in row["explanation"]


@pytest.mark.parametrize("run", ["diverged", "diverged_at_chance"])
def test_weights_that_exploded_before_the_first_histogram_are_exploding(client, run):
    flags, summary = _flags(client, run)
    assert "exploding" in flags[("dense_1", "kernel")]
    assert summary["worst_flag"]["flag"] == "exploding" and summary["worst_flag"]["first_step"] == 0
    status, document = client.get("weights", run=run)
    kernel = next(
        tensor
        for layer in document["layers"]
        if layer["layer"] == "dense_1"
        for tensor in layer["tensors"]
        if tensor["tensor"] == "kernel"
    )
    exploding = next(flag for flag in kernel["flags"] if flag["flag"] == "exploding")
    assert "the largest standard initial scale for its shape" in json.dumps(exploding)


def test_a_frozen_layer_is_one_warning_not_an_all_zero_error(client):
    flags, summary = _flags(client, "frozen")
    assert flags[("dense_1", "kernel")] == ["frozen"]
    assert flags[("dense_1", "bias")] == []
    all_flags = [flag for names in flags.values() for flag in names]
    assert all_flags == ["frozen"]
    assert summary["flagged_layers"] == 1 and summary["worst_flag"]["severity"] == "warning"


def test_logistic_regression_on_a_non_linear_task_is_underfitting(rows, client):
    row = rows["logistic"]
    assert row["status"] == "underfitting"
    assert "Converged and underfitting" in row["explanation"]
    assert _flags(client, "logistic")[1]["worst_flag"] is None


def test_twelve_sigmoid_layers_name_vanishing_gradients(rows, client):
    assert rows["deep_sigmoid"]["status"] == "not_learning"
    flags, summary = _flags(client, "deep_sigmoid")
    vanishing = [layer for (layer, _), names in flags.items() if "vanishing_gradients" in names]
    assert len(vanishing) >= 3
    assert "dense_13" not in vanishing  # the output layer moves: the chain ends below it
    assert summary["worst_flag"]["flag"] == "vanishing_gradients"


def test_every_verdict_has_its_remedy_in_meta(client, rows):
    status, meta = client.get("meta")
    remedies = {entry["status"]: entry["remedy"] for entry in meta["statuses"]}
    remedies.update({entry["flag"]: entry["remedy"] for entry in meta["flags"]})
    assert "learning rate" in remedies["diverged"].lower()
    assert "capacity" in remedies["underfitting"]
    assert "ReduceLROnPlateau" in remedies["plateau"]
    for row in rows.values():
        assert remedies[row["status"]]


def test_the_cli_prints_each_remedy_once(failed_logdir, capsys):
    from tb_overfit_plugin.cli import command as cli
    from tb_overfit_plugin.documents import vocabulary

    assert cli.main([str(failed_logdir)]) == 0
    out = capsys.readouterr().out
    assert "remedies:" in out
    for name in ("diverged", "underfitting", "not_learning", "frozen", "vanishing_gradients", "exploding"):
        assert out.count(f"  {name.replace('_', ' ')}: {vocabulary.REMEDIES[name]}") == 1  # names as words


def test_reduce_lr_what_if_in_runs_and_curves(client):
    status, document = client.get("curves", run="logistic", lr_patience="3", lr_factor="0.5")
    assert status == 200
    what_if = document["analysis"]["reduce_lr"]
    assert what_if["patience"] == 3 and what_if["factor"] == 0.5 and what_if["initial_lr_logged"]
    assert what_if["cuts"] and what_if["cuts"][0]["lr"] == pytest.approx(what_if["initial_lr"] * 0.5, rel=1e-6)
    status, runs = client.get("runs", lr_patience="3", lr_factor="0.5")
    assert {row["run"]: row for row in runs["runs"]}["logistic"]["reduce_lr"] == what_if
    assert client.get("runs", lr_factor="1")[0] == 400
