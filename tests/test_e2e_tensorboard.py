"""A real `tensorboard` process with the installed plugin, Python loader and Rust data server."""

import json
import urllib.error
import urllib.request

import logwriters
import numpy as np
import pytest

LOAD_FAST = ["false", "true"]  # the Python multiplexer, and the Rust data server


def _verdicts(runs_document, weights_summary):
    """What must not depend on the loader: statuses, best/onset, what-if (/runs), weight health (/weights_summary)."""
    summaries = weights_summary["weights"]
    return {
        row["run"]: (
            row["status"],
            row["best"] and (row["best"]["step"], round(row["best"]["value"], 5)),
            row["onset"] and row["onset"]["step"],
            row["early_stop"] and (row["early_stop"]["stop_step"], row["early_stop"]["restore_step"]),
            summaries[row["run"]]["layers"],
            summaries[row["run"]]["flagged_layers"],
            summaries[row["run"]]["worst_flag"] and summaries[row["run"]]["worst_flag"]["flag"],
        )
        for row in runs_document["runs"]
    }


@pytest.mark.parametrize("load_fast", LOAD_FAST)
def test_plugin_listed_served_and_same_verdicts_as_in_process(
    demo_logdir, tensorboard_process, plugin_client, load_fast
):
    tensorboard = tensorboard_process(demo_logdir, f"--load_fast={load_fast}")

    status, listing = tensorboard.get_json("/data/plugins_listing")
    assert status == 200
    assert listing["overfit"]["enabled"] is True
    assert listing["overfit"]["tab_name"] == "OVERFIT"
    mechanism = listing["overfit"]["loading_mechanism"]
    assert mechanism["type"] == "IFRAME" and mechanism["module_path"].endswith("/data/plugin/overfit/index.js")

    status, module = tensorboard.get("/data/plugin/overfit/index.js")
    assert status == 200 and b"export function render" in module

    # TensorBoard loads the logdir in the background: wait for all three runs.
    def all_runs_loaded():
        status, body = tensorboard.get_json("/data/plugin/overfit/runs")
        _, summary = tensorboard.get_json("/data/plugin/overfit/weights_summary")
        return (
            status == 200
            and sorted(r["run"] for r in body["runs"]) == ["broken", "overfit", "regularized"]
            and all(summary["weights"][r["run"]]["layers"] for r in body["runs"])
        )

    tensorboard.wait_until(all_runs_loaded, "the demo runs")
    _, served = tensorboard.get_json("/data/plugin/overfit/runs")
    _, served_weights = tensorboard.get_json("/data/plugin/overfit/weights_summary")
    client = plugin_client(demo_logdir)
    _, in_process = client.get("runs")
    _, in_process_weights = client.get("weights_summary")
    assert _verdicts(served, served_weights) == _verdicts(in_process, in_process_weights)
    statuses = {row["run"]: row["status"] for row in served["runs"]}
    assert statuses["overfit"] == "overfitting"

    status, weights = tensorboard.get_json("/data/plugin/overfit/weights?run=broken")
    assert status == 200
    flags = {flag["flag"] for layer in weights["layers"] for t in layer["tensors"] for flag in t["flags"]}
    assert "identical_values" in flags

    status, error = tensorboard.get_json("/data/plugin/overfit/curves?run=overfit&patience=x")
    assert status == 400 and "patience" in error["error"]


@pytest.mark.parametrize("load_fast", LOAD_FAST)
def test_live_run_gains_epochs(tmp_path, tensorboard_process, load_fast):
    logdir = tmp_path / "logs"

    loss = np.linspace(1.0, 0.2, 9)

    def write(first, stop):
        """Epochs first..stop-1, appended in a new event file as a resumed fit() would."""
        part = list(loss[first:stop])
        logwriters.write_keras_layout(
            logdir, "live", train={"epoch_loss": part}, validation={"epoch_loss": part}, steps=list(range(first, stop))
        )

    write(0, 4)
    tensorboard = tensorboard_process(logdir, f"--load_fast={load_fast}", "--reload_interval=1")

    def num_steps():
        status, body = tensorboard.get_json("/data/plugin/overfit/runs")
        rows = body["runs"] if status == 200 else []
        return rows[0]["num_steps"] if rows else None

    tensorboard.wait_until(lambda: num_steps() == 4, "4 epochs")
    write(4, 9)
    tensorboard.wait_until(lambda: num_steps() == 9, "the new epochs")
    status, curves = tensorboard.get_json("/data/plugin/overfit/curves?run=live")
    assert curves["validation"]["steps"] == list(range(9))
    json.dumps(curves, allow_nan=False)


@pytest.mark.parametrize("flags, sampled", [((), True), (("--samples_per_plugin=histograms=0",), False)])
def test_rust_server_histogram_sampling_is_reported(tmp_path, tensorboard_process, flags, sampled):
    logdir = tmp_path / "logs"
    epochs = 150  # more than the 100 histogram steps the Rust data server keeps by default
    rng = np.random.default_rng(3)
    logwriters.write_keras_layout(
        logdir,
        "long",
        train={"epoch_loss": list(np.linspace(1, 0.1, epochs))},
        validation={"epoch_loss": list(np.linspace(1.1, 0.3, epochs))},
        histograms={"model/dense_1/kernel/histogram": [rng.normal(0, 0.1, 100) for _ in range(epochs)]},
    )
    tensorboard = tensorboard_process(logdir, "--load_fast=true", *flags)

    def weights():
        status, body = tensorboard.get_json("/data/plugin/overfit/weights?run=long")
        return body if status == 200 and body["layers"] else None

    tensorboard.wait_until(
        lambda: weights() is not None and weights()["layers"][0]["tensors"][0]["steps"][-1] == epochs - 1,
        "the histograms",
    )
    body = weights()
    steps = body["layers"][0]["tensors"][0]["steps"]
    assert body["sampled"] is sampled
    if sampled:
        assert len(steps) < epochs and "--samples_per_plugin=histograms=0" in body["sampling_hint"]
        _, runs = tensorboard.get_json("/data/plugin/overfit/runs")
        _, summary = tensorboard.get_json("/data/plugin/overfit/weights_summary")
        assert summary["weights"]["long"]["sampled"] is True
        assert runs["runs"][0]["num_steps"] == epochs  # scalars are not sampled at this size
        assert runs["runs"][0]["sampled"] is False
    else:
        assert steps == list(range(epochs)) and body["sampling_hint"] is None


def test_scalar_sampling_is_reported(tmp_path, tensorboard_process):
    logdir = tmp_path / "logs"
    steps = 1500  # per-iteration logging: more than the 1000 scalar points TensorBoard keeps
    loss = list(np.linspace(1, 0.1, steps))
    logwriters.write_single_run(logdir, "iterations", {"Loss/train": loss, "Loss/val": loss})
    tensorboard = tensorboard_process(logdir, "--load_fast=true")

    def row():
        status, body = tensorboard.get_json("/data/plugin/overfit/runs")
        rows = body["runs"] if status == 200 else []
        return rows[0] if rows and rows[0]["last_step"] == steps - 1 else None

    tensorboard.wait_until(lambda: row() is not None, "the run")
    assert row()["sampled"] is True and row()["num_steps"] < steps
    status, curves = tensorboard.get_json("/data/plugin/overfit/curves?run=iterations")
    assert "--samples_per_plugin=scalars=0" in curves["analysis"]["sampling_hint"]


def test_histogram_proto_same_statistics_from_rust_server_and_python_loader(
    tmp_path, tensorboard_process, plugin_client
):
    """TF1/PyTorch HistogramProto data: the Rust server converts it differently (float64, empty
    end buckets, edges in the other order); after normalisation the statistics must agree."""
    logdir = tmp_path / "logs"
    rng = np.random.default_rng(11)
    samples = [rng.normal(0.1 * step, 1 + 0.2 * step, 2000) for step in range(6)]
    logwriters.write_tf1_histograms(logdir, "torch_run", "layer1.0.conv1.weight", samples)
    logwriters.write_tf1_histograms(logdir, "torch_run", "layer1.0.conv1.bias", [np.full(64, 0.25)] * 6)
    logwriters.write_tf1_histograms_compat(logdir, "tf1_run", "dense/kernel_0", samples)
    tensorboard = tensorboard_process(logdir, "--load_fast=true")

    def served():
        status, body = tensorboard.get_json("/data/plugin/overfit/weights?run=torch_run")
        ready = status == 200 and body["layers"] and all(len(t["steps"]) == 6 for t in body["layers"][0]["tensors"])
        return body if ready else None

    tensorboard.wait_until(lambda: served() is not None, "the histograms")
    for run in ("torch_run", "tf1_run"):
        _, rust = tensorboard.get_json(f"/data/plugin/overfit/weights?run={run}")
        _, python = plugin_client(logdir).get("weights", run=run)
        tensors = [
            (r, p) for rl, pl in zip(rust["layers"], python["layers"]) for r, p in zip(rl["tensors"], pl["tensors"])
        ]
        assert len(tensors) == len([t for layer in python["layers"] for t in layer["tensors"]]) > 0
        for rust_tensor, python_tensor in tensors:
            assert rust_tensor["tag"] == python_tensor["tag"] and len(rust_tensor["steps"]) == 6
            for name in ("count", "mean", "std", "min", "max", "iqr", "percentiles"):
                np.testing.assert_allclose(
                    np.array(rust_tensor["stats"][name], dtype=float),
                    np.array(python_tensor["stats"][name], dtype=float),
                    rtol=1e-5,
                    atol=1e-6,
                    err_msg=f"{run} {rust_tensor['tag']} {name}",
                )
            assert [f["flag"] for f in rust_tensor["flags"]] == [f["flag"] for f in python_tensor["flags"]]
    _, python = plugin_client(logdir).get("weights", run="torch_run")
    assert [layer["layer"] for layer in python["layers"]] == ["layer1.0.conv1"]
    weight = python["layers"][0]["tensors"][0]
    np.testing.assert_allclose(weight["stats"]["mean"], [s.mean() for s in samples], atol=0.05)
    np.testing.assert_allclose(weight["stats"]["max"], [s.max() for s in samples], rtol=1e-6)  # the real max
    bias = python["layers"][0]["tensors"][1]
    assert bias["kind"] == "bias" and "identical_values" in {f["flag"] for f in bias["flags"]}


def test_conditional_requests_answer_304_not_modified(demo_logdir, tensorboard_process):
    tensorboard = tensorboard_process(demo_logdir, "--load_fast=true")
    tensorboard.wait_until(
        lambda: (
            tensorboard.get_json("/data/plugin/overfit/weights_summary")[0] == 200
            and all(
                summary["layers"]
                for summary in tensorboard.get_json("/data/plugin/overfit/weights_summary")[1]["weights"].values()
            )
            and len(tensorboard.get_json("/data/plugin/overfit/runs")[1]["runs"]) == 3
        ),
        "the demo runs",
    )
    for route in ("runs?patience=3", "weights_summary", "curves?run=overfit", "weights?run=broken"):
        url = f"{tensorboard.url}/data/plugin/overfit/{route}"
        with urllib.request.urlopen(url, timeout=30) as response:
            tag, body = response.headers["ETag"], json.loads(response.read())
        assert tag and body
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(urllib.request.Request(url, headers={"If-None-Match": tag}), timeout=30)
        assert not_modified.value.code == 304 and not_modified.value.read() == b""
        request = urllib.request.Request(url, headers={"If-None-Match": '"stale"', "Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200 and response.headers["Content-Encoding"] == "gzip"
