"""The plugin's HTTP API through TensorBoard's WSGI app, on real event files."""

import json
import os
import pathlib
import posixpath
import re
import signal
import time

import logwriters
import numpy as np
import pytest

# Acceptance case 1: a user's Keras history (validation accuracy only, 12 epochs).
CASE1_VAL_ACCURACY = [0.472, 0.568, 0.600, 0.590, 0.612, 0.602, 0.610, 0.638, 0.610, 0.570, 0.562, 0.596]
CASE1_TRAIN_ACCURACY = list(np.linspace(0.50, 0.95, 12))


@pytest.fixture(scope="module")
def conventions_logdir(tmp_path_factory):
    """One logdir holding every supported logging convention."""
    logdir = tmp_path_factory.mktemp("conventions")
    epochs = 8
    falling, u_shape = list(np.linspace(1.0, 0.2, epochs)), [0.9, 0.7, 0.6, 0.55, 0.6, 0.7, 0.8, 0.9]
    rng = np.random.default_rng(1)
    logwriters.write_keras_layout(
        logdir,
        "keras",
        train={
            "epoch_loss": falling,
            "epoch_accuracy": list(np.linspace(0.5, 0.9, epochs)),
            "epoch_learning_rate": [0.01] * 4 + [0.001] * 4,
        },
        validation={"epoch_loss": u_shape, "epoch_accuracy": list(np.linspace(0.5, 0.7, epochs))},
        histograms={"keras_model/dense_1/kernel/histogram": [rng.normal(size=64) for _ in range(epochs)]},
    )
    logwriters.write_single_run(logdir, "tf1_keras", {"loss": falling, "val_loss": u_shape})
    logwriters.write_single_run(logdir, "pytorch", {"Loss/train": falling, "Loss/test": u_shape})
    logwriters.write_pytorch_add_scalars(logdir, "pytorch_add_scalars", "Loss", {"train": falling, "val": u_shape})
    logwriters.write_tensorboardx_add_scalars(logdir, "tbx_add_scalars", "Loss", {"train": falling, "val": u_shape})
    logwriters.write_keras_layout(
        logdir,
        "case1",
        train={"epoch_accuracy": CASE1_TRAIN_ACCURACY},
        validation={"epoch_accuracy": CASE1_VAL_ACCURACY},
    )
    return logdir


@pytest.fixture(scope="module")
def client(conventions_logdir):
    from conftest import PluginClient

    return PluginClient(conventions_logdir)


def _runs(client, **query):
    status, body = client.get("runs", **query)
    assert status == 200, body
    return {row["run"]: row for row in body["runs"]}


def test_runs_groups_every_convention(client):
    runs = _runs(client)
    assert sorted(runs) == ["case1", "keras", "pytorch", "pytorch_add_scalars", "tbx_add_scalars", "tf1_keras"]
    assert runs["keras"]["sources"] == ["keras/train", "keras/validation"]
    assert runs["keras"]["scalar_tags"]["keras/validation"] == ["epoch_accuracy", "epoch_loss"]
    assert runs["keras"]["histogram_tags"]["keras/train"] == ["keras_model/dense_1/kernel/histogram"]
    assert runs["keras"]["metrics"] == ["loss", "accuracy"]
    add_scalars_sources = runs["pytorch_add_scalars"]["sources"]
    assert len(add_scalars_sources) == 2 and all(s.startswith("pytorch_add_scalars/") for s in add_scalars_sources)
    assert runs["tbx_add_scalars"]["sources"] == ["tbx_add_scalars/Loss/train", "tbx_add_scalars/Loss/val"]
    for name, validation_tag in [
        ("keras", "epoch_loss"),
        ("tf1_keras", "val_loss"),
        ("pytorch", "Loss/test"),
        ("pytorch_add_scalars", "Loss"),
        ("tbx_add_scalars", "Loss"),
    ]:
        monitor = runs[name]["monitor"]
        assert monitor["mode"] == "min" and monitor["validation"]["tag"] == validation_tag, name
        # Every convention holds the same U-shaped validation loss: best at step 3.
        assert runs[name]["best"]["step"] == 3, name
        assert runs[name]["best"]["value"] == pytest.approx(0.55, abs=1e-6)
    assert runs["keras"]["best"]["epoch"] == 4 and runs["tf1_keras"]["best"]["epoch"] == 4
    assert runs["pytorch"]["best"]["epoch"] is None  # PyTorch steps are not Keras epochs
    assert runs["keras"]["lr_drop_steps"] == [4]


def test_acceptance_case1_best_checkpoints_onset_and_early_stopping(client):
    row = _runs(client, patience=2)["case1"]
    assert row["monitor"]["metric"] == "accuracy" and row["monitor"]["mode"] == "max"
    assert row["best"]["step"] == 7 and row["best"]["epoch"] == 8
    assert row["best"]["value"] == pytest.approx(0.638, abs=1e-6)
    assert row["save_best_steps"] == [0, 1, 2, 4, 7]
    assert row["onset"]["step"] == 8 and row["onset"]["epoch"] == 9
    assert row["status"] == "overfitting"
    assert "8" in row["explanation"] and "0.638" in row["explanation"]
    assert (row["early_stop"]["stop_step"], row["early_stop"]["restore_step"]) == (6, 4)
    assert row["early_stop"]["epochs_saved"] == 5

    row = _runs(client, patience=4)["case1"]
    assert (row["early_stop"]["stop_step"], row["early_stop"]["restore_step"]) == (11, 7)
    assert row["early_stop"]["patience"] == 4


def test_curves_document(client):
    status, body = client.get("curves", run="keras", smoothing="0.5")
    assert status == 200, body
    assert body["metric"] == "loss" and body["mode"] == "min" and body["epoch_based"]
    assert [m["metric"] for m in body["metrics"]] == ["loss", "accuracy"]
    assert body["train"]["steps"] == list(range(8)) and len(body["validation"]["values"]) == 8
    assert body["validation"]["smoothed"][0] == pytest.approx(0.9, abs=1e-6)
    assert body["validation"]["smoothed"][3] != pytest.approx(body["validation"]["values"][3])
    assert body["learning_rate"]["drop_steps"] == [4]
    assert body["gap"]["values"][-1] == pytest.approx(0.9 - 0.2, abs=1e-5)
    assert body["analysis"]["status"] == "overfitting"
    assert body["params"]["smoothing"] == 0.5

    status, body = client.get("curves", run="keras", metric="Accuracy")
    assert status == 200 and body["metric"] == "accuracy" and body["mode"] == "max"
    status, body = client.get("curves", run="keras", metric="accuracy", mode="min")
    assert body["mode"] == "min" and body["analysis"]["best"]["step"] == 0


@pytest.mark.parametrize(
    "route, query, code, parameter",
    [
        ("curves", {}, 400, "run"),
        ("curves", {"run": "nope"}, 404, "nope"),
        ("curves", {"run": "keras", "metric": "f1"}, 404, "f1"),
        ("curves", {"run": "keras", "patience": "-1"}, 400, "patience"),
        ("curves", {"run": "keras", "patience": "two"}, 400, "patience"),
        ("runs", {"smoothing": "1"}, 400, "smoothing"),
        ("runs", {"min_delta": "nan"}, 400, "min_delta"),
        ("runs", {"mode": "up"}, 400, "mode"),
        ("weights", {}, 400, "run"),
        ("weights", {"run": "nope"}, 404, "nope"),
    ],
)
def test_bad_requests_get_json_errors_naming_the_problem(client, route, query, code, parameter):
    status, body = client.get(route, **query)
    assert status == code
    assert parameter in body["error"]


def test_runs_with_unknown_metric_says_so_instead_of_guessing(client):
    rows = _runs(client, metric="accuracy")
    assert rows["keras"]["monitor"]["metric"] == "accuracy"
    assert rows["pytorch"]["status"] == "no_metrics" and "accuracy" in rows["pytorch"]["explanation"]


def test_weights_without_histograms_gives_hint(client):
    status, body = client.get("weights", run="tf1_keras")
    assert status == 200 and body["layers"] == [] and "histogram_freq=1" in body["hint"]
    status, body = client.get("weights", run="keras")
    assert status == 200 and body["hint"] is None
    assert [layer["layer"] for layer in body["layers"]] == ["dense_1"]


def test_static_module_served_with_content_type(client):
    response = client.raw("/data/plugin/overfit/index.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert b"export function render" in response.data
    response = client.raw("/data/plugin/overfit/style.css")
    assert response.status_code == 200 and response.mimetype == "text/css"


def _imports(module: bytes):
    """The relative module URLs a served ES module imports (`import ... from "./x.js"`)."""
    return re.findall(r'^\s*import\s[^;]*?from\s+"(\.\.?/[^"]+)"', module.decode("utf-8"), flags=re.M)


def test_every_module_the_tab_imports_is_served_from_its_folder(client):
    """From index.js, each import's relative URL is a route of the plugin: the folders (core/, charts/, views/)
    ship and are served."""
    seen, todo = set(), ["index.js"]
    while todo:
        path = todo.pop()
        response = client.raw(f"/data/plugin/overfit/{path}")
        assert response.status_code == 200 and response.mimetype == "text/javascript", path
        seen.add(path)
        todo += [
            name
            for spec in _imports(response.data)
            if (name := posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))) not in seen
        ]
    assert {"core", "charts", "views"} <= {path.split("/")[0] for path in seen if "/" in path}
    source = pathlib.Path(__file__).resolve().parents[1] / "frontend"
    assert seen == {
        p.relative_to(source).as_posix() for p in source.rglob("*.js") if "tests" not in p.relative_to(source).parts
    } - {"standalone.js"}
    response = client.raw("/data/plugin/overfit/core/state.js")
    assert b"export function createStore" in response.data


@pytest.mark.parametrize(
    "path",
    [
        "/data/plugin/overfit/../setup.py",
        "/data/plugin/overfit/core/../../setup.py",
        "/data/plugin/overfit/core/../../../tb_overfit_plugin/plugin.py",
        "/data/plugin/overfit/core/%2e%2e/%2e%2e/setup.py",
        "/data/plugin/overfit/core/..%2f..%2fsetup.py",
        "/data/plugin/overfit/core",
        "/data/plugin/overfit/core/",
        "/data/plugin/overfit/__init__.py",
        "/data/plugin/overfit/tests/shipping.test.mjs",
        "/data/plugin/overfit/core/nothing.js",
    ],
)
def test_only_the_packaged_files_are_served(client, path):
    """A path that is not one of the tab's files (traversal, a folder, the package's Python) is 404, nothing read."""
    response = client.raw(path)
    assert response.status_code == 404, (path, response.data[:200])
    assert b"import" not in response.data and b"setup(" not in response.data


def test_verdicts_for_curve_shapes(tmp_path, plugin_client):
    rng = np.random.default_rng(7)
    epochs = np.arange(40)
    train = 1.0 * np.exp(-epochs / 10) + 0.05
    cases = {
        # 2. U-shaped validation loss with noise: overfitting after the best.
        "u_shape": 0.5 + 0.002 * (epochs - 12) ** 2 + rng.normal(0, 0.01, 40),
        # 3. Steadily improving validation loss.
        "improving": 1.2 * np.exp(-epochs / 15) + 0.1,
        # 4. One-epoch spike that recovers to a new best.
        "spike": np.where(epochs == 20, 2.0, 1.2 * np.exp(-epochs / 15) + 0.1),
        # 5. NaN from step 25 on.
        "nan": np.where(epochs >= 25, np.nan, 1.2 * np.exp(-epochs / 15) + 0.1),
    }
    for name, validation in cases.items():
        logwriters.write_keras_layout(
            tmp_path, name, train={"epoch_loss": list(train)}, validation={"epoch_loss": list(validation)}
        )
    client = plugin_client(tmp_path)
    status, body = client.get("runs")
    rows = {row["run"]: row for row in body["runs"]}
    assert rows["u_shape"]["status"] == "overfitting"
    assert rows["u_shape"]["onset"]["step"] > rows["u_shape"]["best"]["step"]
    assert rows["improving"]["status"] == "improving" and rows["improving"]["onset"] is None
    assert rows["spike"]["onset"] is None and rows["spike"]["status"] == "improving"
    assert rows["nan"]["status"] == "diverged" and rows["nan"]["diverged_step"] == 25
    status, body = client.get("curves", run="nan")
    assert status == 200
    assert body["validation"]["values"][25] is None
    assert body["validation"]["nonfinite"][0] == {"step": 25, "value": "NaN"}


def test_demo_verdicts(demo_logdir, plugin_client):
    """Acceptance: the demo's real Keras runs get the verdicts they were built for."""
    client = plugin_client(demo_logdir)
    _, body = client.get("runs")
    rows = {row["run"]: row for row in body["runs"]}
    _, summary = client.get("weights_summary")
    for name, row in rows.items():
        row["weights"] = summary["weights"][name]  # the leaderboard's weight column
    overfit = rows["overfit"]
    assert overfit["status"] == "overfitting"
    assert overfit["best"]["step"] < overfit["onset"]["step"] <= overfit["best"]["step"] + 5
    assert overfit["early_stop"]["epochs_saved"] >= 20 and overfit["weights"]["worst_flag"] is None
    # The regularized run was stopped by its own EarlyStopping(patience=5): our what-if with the same
    # patience stops at its last epoch, and its validation loss never turned upward for good.
    regularized = rows["regularized"]
    assert regularized["status"] != "overfitting" and regularized["onset"] is None
    assert regularized["early_stop"]["stop_step"] == regularized["last_step"]
    assert regularized["weights"]["worst_flag"] is None
    broken = rows["broken"]
    assert broken["weights"]["worst_flag"]["flag"] == "identical_values"
    assert broken["weights"]["flagged_layers"] == 2


def test_weight_thresholds_are_query_parameters(demo_logdir, plugin_client):
    client = plugin_client(demo_logdir)
    status, body = client.get("weights", run="overfit", explode_factor="-1")
    assert status == 400 and "explode_factor" in body["error"]
    status, body = client.get("weights", run="overfit")
    assert body["summary"]["worst_flag"] is None and body["thresholds"]["explode_factor"] == 10.0
    # dense_3's kernel widens 1.58x over the run: an explode factor of 1.2 calls that exploding.
    status, body = client.get("weights", run="overfit", explode_factor="1.2", explode_min_scale="0")
    assert status == 200 and body["thresholds"]["explode_factor"] == 1.2
    flagged = {
        (layer["layer"], t["tensor"])
        for layer in body["layers"]
        for t in layer["tensors"]
        if any(f["flag"] == "exploding" for f in t["flags"])
    }
    assert ("dense_3", "kernel") in flagged


# -- exact run names, number syntax, short quotes, generic 500 ----------------------------------


def test_run_names_are_exact_strings(tmp_path, plugin_client):
    """` spaced ` and `spaced` are two runs; only an empty name is an error."""
    rng = np.random.default_rng(3)
    logwriters.write_keras_layout(
        tmp_path,
        " spaced ",
        train={"epoch_loss": [1.0, 0.8, 0.6, 0.5]},
        validation={"epoch_loss": [1.1, 0.9, 0.8, 0.85]},
        histograms={"m/dense/kernel/histogram": [rng.normal(size=32) for _ in range(4)]},
    )
    logwriters.write_keras_layout(
        tmp_path, "spaced", train={"epoch_loss": [1.0, 0.8, 0.6]}, validation={"epoch_loss": [1.1, 0.9, 0.8]}
    )
    client = plugin_client(tmp_path)
    assert sorted(_runs(client)) == [" spaced ", "spaced"]
    for name, epochs, layers in ((" spaced ", 4, ["dense"]), ("spaced", 3, [])):
        status, curves = client.get("curves", run=name)
        assert status == 200 and curves["run"] == name and len(curves["validation"]["steps"]) == epochs
        assert curves["metrics"][0]["validation"]["run"] == f"{name}/validation"
        status, body = client.get("weights", run=name)
        assert status == 200 and body["run"] == name and [layer["layer"] for layer in body["layers"]] == layers
    status, body = client.get("curves", run=" spaced")
    assert status == 404 and "' spaced'" in body["error"]
    for route in ("curves", "weights"):
        status, body = client.get(route, run="")
        assert status == 400 and "run" in body["error"]


@pytest.mark.parametrize(
    "query, accepted",
    [
        ({"patience": "1_0"}, False),
        ({"patience": "٣"}, False),
        ({"patience": "5.0"}, False),
        ({"patience": " 7 "}, True),
        ({"patience": "+7"}, True),
        ({"min_delta": "1_0.5"}, False),
        ({"min_delta": "٣"}, False),
        ({"min_delta": "inf"}, False),
        ({"min_delta": "Infinity"}, False),
        ({"min_delta": "nan"}, False),
        ({"min_delta": "1e999"}, False),
        ({"min_delta": ".5"}, True),
        ({"min_delta": "1e-3"}, True),
        ({"min_delta": "2."}, True),
        ({"smoothing": "0x0"}, False),
        ({"tolerance": "0.2"}, True),
    ],
)
def test_numbers_are_plain_ascii_decimals(client, query, accepted):
    status, body = client.get("runs", **query)
    if accepted:
        ((name, text),) = query.items()
        assert status == 200 and body["params"][name] == float(text)
    else:
        assert status == 400 and list(query)[0] in body["error"] and repr(list(query.values())[0]) in body["error"]


def test_weight_thresholds_reject_non_ascii_numbers(demo_logdir, plugin_client):
    status, body = plugin_client(demo_logdir).get("weights", run="overfit", explode_factor="１０")
    assert status == 400 and "explode_factor" in body["error"]


def test_errors_quote_at_most_a_few_hundred_characters_of_input(client):
    from tb_overfit_plugin.analysis import wording

    long_value = "x" * 50_000
    for route, query in (
        ("runs", {"min_delta": long_value}),
        ("curves", {"run": long_value}),
        ("curves", {"run": "keras", "metric": long_value}),
        ("runs", {"mode": long_value}),
        ("weights", {"run": long_value}),
        ("runs", {"metric": long_value}),
    ):
        status, body = client.get(route, **query)
        assert status in (400, 404) and "50000 characters" in body["error"], (route, body)
        assert len(body["error"]) < 2 * wording.MAX_QUOTED_CHARS + 200, (route, len(body["error"]))


def _children(pid: int):
    """Process ids whose parent is `pid` (from /proc)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry))
    return children


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds TensorBoard's data server through /proc")
def test_a_lost_data_server_answers_a_generic_500(demo_logdir, tensorboard_process):
    """TensorBoard whose Rust data server died: every route answers 500 without gRPC details; the log has them."""
    from tb_overfit_plugin import plugin

    tensorboard = tensorboard_process(demo_logdir, "--load_fast=true")
    tensorboard.wait_until(lambda: tensorboard.get("/data/plugin/overfit/runs")[0] == 200, "the plugin's runs")
    (server,) = [
        pid
        for pid in _children(tensorboard.process.pid)
        if "tensorboard_data_server" in open(f"/proc/{pid}/cmdline").read()
    ]
    os.kill(server, signal.SIGKILL)
    # Listings are reused for LISTING_MAX_AGE_S: after that, every route must ask the dead server.
    time.sleep(plugin.LISTING_MAX_AGE_S + 0.5)
    for route in ("runs", "curves?run=overfit", "weights?run=overfit"):
        status, body = tensorboard.get(f"/data/plugin/overfit/{route}")
        assert status == 500 and json.loads(body) == {"error": plugin.INTERNAL_ERROR}, body
    log = tensorboard.output()
    assert "overfit plugin: /data/plugin/overfit/weights failed" in log and "StatusCode.UNAVAILABLE" in log
