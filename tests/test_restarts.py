"""Re-fits and restarts into the same folder: TensorBoard's restart rule, one verdict on every loader.

Three real writers restart a run: Keras' TensorBoard callback when `model.fit`
is called again with the same `log_dir` (steps start again at 0), a
`tf.summary` job that crashed and resumed from a checkpoint, and a
tensorboardX (PyTorch-style) job that resumed. Every series keeps the latest
fit's points (`series.restart_rule`); the plugin in-process over TensorBoard's
Python multiplexer, a real `tensorboard` with the Rust data server and with
`--load_fast=false`, and the CLI give the same `/runs` document. Only
`discarded_fit` differs: the Rust data server drops the orphaned points
before any plugin sees them, so only the other loaders can say an earlier fit
was discarded.
"""

from __future__ import annotations

import io
import json
import os
import time

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.analysis import curves
from tb_overfit_plugin.cli import command as cli
from tb_overfit_plugin.documents.runs.verdict_json import analysis_json

FIRST_FIT, SECOND_FIT = 12, 5
# tf.summary job: wrote epochs 0..14, crashed, resumed from its checkpoint at epoch 6, now at epoch 11.
CRASHED, RESUMED_FROM, RESUMED_TO = 15, 6, 12
# tensorboardX job: wrote steps 0..9, resumed at step 5, now at step 7.
TORCH_FIRST, TORCH_FROM, TORCH_TO = 10, 5, 8
HISTOGRAM = "model/dense/kernel/histogram"


def _next_second():
    """Waits for the next wall-clock second, as a restarted job starts later than its predecessor.

    TensorBoard orders a run's event files by name, whose timestamp has a
    resolution of one second; a restart within the same second as the
    previous job's last write does not happen in practice.
    """
    time.sleep(1.0 - time.time() % 1.0 + 0.01)


def _keras_refit(logdir):
    """`model.fit` twice into the same `log_dir`; returns both fits' Keras histories."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 20)).astype("float32")
    y = (x[:, :3].sum(axis=1) + rng.normal(0.0, 1.5, 240) > 0).astype("int32")
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def fit(epochs):
        callback = keras.callbacks.TensorBoard(log_dir=str(logdir / "refit"), histogram_freq=1)
        return model.fit(
            x[:160],
            y[:160],
            validation_data=(x[160:], y[160:]),
            epochs=epochs,
            batch_size=32,
            verbose=0,
            callbacks=[callback],
        ).history

    first = fit(FIRST_FIT)
    _next_second()
    return first, fit(SECOND_FIT)


def _tf_summary_resumed(logdir, rng):
    """Keras layout via tf.summary: the crashed attempt, then the resumed one; returns both attempts' data."""
    attempts = []
    for steps, centre in ((range(CRASHED), 0.0), (range(RESUMED_FROM, RESUMED_TO), 5.0)):
        steps = list(steps)
        data = {
            "train": 1.0 / (1.0 + np.array(steps)) + centre,
            "validation": 1.2 / (1.0 + np.array(steps)) + centre,
            "histograms": [rng.normal(centre, 0.1, 200) for _ in steps],
        }
        logwriters.write_keras_layout(
            logdir,
            "resumed",
            train={"epoch_loss": list(data["train"])},
            validation={"epoch_loss": list(data["validation"])},
            histograms={HISTOGRAM: data["histograms"]},
            steps=steps,
        )
        attempts.append(data)
        _next_second()
    return attempts


def _tensorboardx_resumed(logdir, rng):
    """PyTorch-style `Loss/train` + `Loss/val` and a weight histogram via tensorboardX, resumed at a step."""
    for steps, level in ((range(TORCH_FIRST), 1.0), (range(TORCH_FROM, TORCH_TO), 0.5)):
        steps = list(steps)
        logwriters.write_single_run(
            logdir,
            "torch_resumed",
            {"Loss/train": [level] * len(steps), "Loss/val": [level + 0.1] * len(steps)},
            steps=steps,
            simple_value=True,
        )
        logwriters.write_tf1_histograms(
            logdir, "torch_resumed", "fc.weight", [rng.normal(level, 0.1, 500) for _ in steps], steps=steps
        )
        _next_second()


@pytest.fixture(scope="module")
def restarted(tmp_path_factory):
    """(logdir, (first Keras history, second Keras history), tf.summary attempts)."""
    logdir = tmp_path_factory.mktemp("restarts") / "logs"
    rng = np.random.default_rng(8)
    histories = _keras_refit(logdir)
    attempts = _tf_summary_resumed(logdir, rng)
    _tensorboardx_resumed(logdir, rng)
    return logdir, histories, attempts


@pytest.fixture(scope="module")
def python_client(restarted):
    """The plugin in-process over TensorBoard's Python multiplexer (keeps orphaned points)."""
    from conftest import PluginClient

    return PluginClient(restarted[0])


def _rows(document):
    return {row["run"]: row for row in document["runs"]}


def _without_notes(document):
    """The `/runs` document without `discarded_fit`, which only loaders that keep orphans can fill."""
    stripped = json.loads(json.dumps(document))
    for row in stripped["runs"]:
        row.pop("discarded_fit")
    return stripped


def test_keras_refit_is_judged_on_the_second_fit(restarted, python_client):
    _, (first, second), _ = restarted
    status, curves_document = python_client.get("curves", run="refit")
    assert status == 200
    validation, train = curves_document["validation"], curves_document["train"]
    assert validation["steps"] == train["steps"] == list(range(SECOND_FIT))
    np.testing.assert_allclose(validation["values"], second["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(train["values"], second["loss"], rtol=1e-6)
    expected = analysis_json(
        curves.analyze_metric(
            np.arange(SECOND_FIT), second["loss"], np.arange(SECOND_FIT), second["val_loss"], mode="min", name="loss"
        )
    )
    row = _rows(python_client.get("runs")[1])["refit"]
    assert (row["status"], row["best"]["step"], row["onset"] and row["onset"]["step"]) == (
        expected["status"],
        expected["best"]["step"],
        expected["onset"] and expected["onset"]["step"],
    )
    assert row["num_steps"] == SECOND_FIT and row["last_step"] == SECOND_FIT - 1
    # Spliced (second fit's epochs 1-5, then the first fit's 6-12), the first fit's best would win.
    assert min(first["val_loss"][SECOND_FIT:]) < min(second["val_loss"])
    assert row["best"]["value"] == pytest.approx(min(second["val_loss"]), rel=1e-6)


def test_keras_refit_explains_the_discarded_fit(restarted, python_client):
    row = _rows(python_client.get("runs")[1])["refit"]
    note = row["discarded_fit"]
    assert {key: note[key] for key in ("run", "tag", "points", "first_step", "last_step", "restart_steps")} == {
        "run": "refit/validation",
        "tag": "epoch_loss",
        "points": FIRST_FIT,
        "first_step": 0,
        "last_step": FIRST_FIT - 1,
        "restart_steps": [0],
    }
    assert (
        "An earlier fit in the same folder was discarded: 12 points of validation loss at epochs 1–12" in note["note"]
    )
    assert "went back to epoch 1" in note["note"]
    _, curves_document = python_client.get("curves", run="refit")
    assert curves_document["analysis"]["discarded_fit"] == note


def test_refit_histograms_keep_the_second_fit_and_are_not_called_sampled(python_client):
    status, weights = python_client.get("weights", run="refit")
    assert status == 200 and weights["layers"]
    tensors = [tensor for layer in weights["layers"] for tensor in layer["tensors"]]
    assert len(tensors) == 6  # 3 Dense layers x (kernel, bias)
    assert all(tensor["steps"] == list(range(SECOND_FIT)) and not tensor["sampled"] for tensor in tensors)
    assert weights["sampled"] is False and weights["sampling_hint"] is None
    assert python_client.get("weights_summary")[1]["weights"]["refit"]["sampled"] is False


def test_resumed_tf_summary_job_keeps_its_checkpointed_epochs(restarted, python_client):
    _, _, (crashed, resumed) = restarted
    _, curves_document = python_client.get("curves", run="resumed")
    kept = RESUMED_FROM  # epochs of the crashed attempt before the resumed one's first
    assert curves_document["validation"]["steps"] == list(range(RESUMED_TO))
    np.testing.assert_allclose(
        curves_document["validation"]["values"],
        np.concatenate([crashed["validation"][:kept], resumed["validation"]]),
        rtol=1e-6,
    )
    note = _rows(python_client.get("runs")[1])["resumed"]["discarded_fit"]
    assert (note["points"], note["first_step"], note["last_step"]) == (
        CRASHED - RESUMED_FROM,
        RESUMED_FROM,
        CRASHED - 1,
    )
    assert "9 points of validation loss at epochs 7–15" in note["note"]
    _, weights = python_client.get("weights", run="resumed")
    (tensor,) = weights["layers"][0]["tensors"]
    assert tensor["steps"] == list(range(RESUMED_TO)) and tensor["sampled"] is False
    # The last histograms are the resumed attempt's (centred on 5), not the crashed one's (on 0).
    np.testing.assert_allclose(tensor["stats"]["mean"][kept:], [h.mean() for h in resumed["histograms"]], atol=0.05)


def test_resumed_tensorboardx_job_is_not_spliced(python_client):
    _, curves_document = python_client.get("curves", run="torch_resumed", metric="Loss")
    assert curves_document["validation"]["steps"] == list(range(TORCH_TO))
    assert curves_document["validation"]["values"] == pytest.approx(
        [1.1] * TORCH_FROM + [0.6] * (TORCH_TO - TORCH_FROM)
    )
    note = _rows(python_client.get("runs")[1])["torch_resumed"]["discarded_fit"]
    assert (note["points"], note["first_step"], note["last_step"]) == (
        TORCH_FIRST - TORCH_FROM,
        TORCH_FROM,
        TORCH_FIRST - 1,
    )
    assert "at steps 5–9, superseded when the steps went back to step 5" in note["note"]
    _, weights = python_client.get("weights", run="torch_resumed")
    (tensor,) = weights["layers"][0]["tensors"]
    assert tensor["steps"] == list(range(TORCH_TO)) and tensor["sampled"] is False


@pytest.mark.parametrize("load_fast", ["true", "false"])
def test_same_runs_document_from_the_rust_server_the_python_loader_and_in_process(
    restarted, python_client, tensorboard_process, load_fast
):
    logdir = restarted[0]
    _, expected = python_client.get("runs")
    tensorboard = tensorboard_process(logdir, f"--load_fast={load_fast}")

    def shape(document, summary):
        """Runs, epochs and (from /weights_summary) histogram layers."""
        layers = (summary or {}).get("weights", {})
        return [(row["run"], row["num_steps"], layers.get(row["run"], {}).get("layers")) for row in document["runs"]]

    expected_shape = shape(expected, python_client.get("weights_summary")[1])

    def loaded():
        status, body = tensorboard.get_json("/data/plugin/overfit/runs")
        _, summary = tensorboard.get_json("/data/plugin/overfit/weights_summary")
        return status == 200 and shape(body, summary) == expected_shape

    tensorboard.wait_until(loaded, "every fit to be loaded")
    _, served = tensorboard.get_json("/data/plugin/overfit/runs")
    assert _without_notes(served) == _without_notes(expected)
    for run, row in _rows(served).items():
        if load_fast == "true":  # the Rust data server dropped the orphans before the plugin saw them
            assert row["discarded_fit"] is None, run
        else:
            assert row["discarded_fit"] == _rows(expected)[run]["discarded_fit"] is not None, run
    for run in ("refit", "resumed", "torch_resumed"):
        _, served_weights = tensorboard.get_json(f"/data/plugin/overfit/weights?run={run}")
        _, expected_weights = python_client.get("weights", run=run)
        steps = lambda document: [t["steps"] for layer in document["layers"] for t in layer["tensors"]]  # noqa: E731
        assert steps(served_weights) == steps(expected_weights) and served_weights["sampled"] is False


def _cli_json(logdir, *args):
    out = io.StringIO()
    assert cli.run([str(logdir), "--json", *args], out=out) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize("load_fast", ["auto", "true", "false"])
def test_cli_gives_the_same_runs_document(restarted, python_client, load_fast):
    logdir = restarted[0]
    printed = _cli_json(logdir, f"--load-fast={load_fast}")
    _, expected = python_client.get("runs")
    assert _without_notes(printed) == _without_notes(expected)
    for run, row in _rows(printed).items():
        if load_fast == "false":  # TensorBoard's Python loader keeps the orphaned points
            assert row["discarded_fit"] == _rows(expected)[run]["discarded_fit"] is not None, run
        elif load_fast == "true":  # the Rust data server drops them while loading
            assert row["discarded_fit"] is None, run
        else:  # the data server where installed, else the Python loader
            assert row["discarded_fit"] in (None, _rows(expected)[run]["discarded_fit"]), run


def test_cli_table_prints_the_notes_and_fail_on_sees_the_latest_fit(restarted, python_client):
    logdir = restarted[0]
    table = io.StringIO()
    assert cli.run([str(logdir), "--load-fast=false"], out=table) == 0
    notes = [row["discarded_fit"]["note"] for row in python_client.get("runs")[1]["runs"]]
    assert len(notes) == 3 and all(
        f"\n{run}: {note}" in table.getvalue() for run, note in zip(("refit", "resumed", "torch_resumed"), notes)
    )
    _, expected = python_client.get("runs")
    assert _rows(expected)["refit"]["status"] == "overfitting"  # the Keras re-fit keeps overfitting
    assert cli.run([str(logdir), "--fail-on", "overfitting", "--run", "^refit$"], out=io.StringIO()) == 1
