"""Run names as TensorBoard's Python loader gives them on Windows (`exp\\train`) group like `exp/train`.

Windows has no data-server binary, so TensorBoard names runs there with
`os.path.relpath`: backslashes. The same names come from POSIX folders whose
names hold a backslash, which is how these tests make them: a Keras run
`sweep1` written into the folders `sweep1\\train` and `sweep1\\validation`.
"""

import io
import json

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.cli import command as cli
from tb_overfit_plugin.data import run_names

EPOCHS = 12
TRAIN = list(np.exp(-np.arange(EPOCHS) / 4) + 0.05)
VALIDATION = list(0.5 + 0.01 * (np.arange(EPOCHS) - 6) ** 2)
KERNEL = "model/dense/kernel/histogram"


@pytest.fixture(scope="module")
def windows_logdir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("windows")
    rng = np.random.default_rng(0)
    logwriters.write_single_run(logdir, "sweep1\\train", {"epoch_loss": TRAIN})
    logwriters.write_tf2_histograms(logdir, "sweep1\\train", KERNEL, [rng.normal(size=64) for _ in range(4)])
    logwriters.write_single_run(logdir, "sweep1\\validation", {"epoch_loss": VALIDATION})
    return logdir


def _assert_one_keras_run(rows):
    (row,) = rows
    assert row["run"] == "sweep1"
    assert row["sources"] == ["sweep1/train", "sweep1/validation"]
    assert row["status"] != "no_validation" and row["best"]["epoch"] == 7


def test_backslash_runs_group_over_http(windows_logdir, plugin_client):
    """The Python loader (TensorBoard's on Windows) names the runs `sweep1\\train`: one training run."""
    client = plugin_client(windows_logdir)
    status, document = client.get("runs")
    assert status == 200
    _assert_one_keras_run(document["runs"])
    assert client.get("curves", run="sweep1")[0] == 200
    assert client.get("stopping", run="sweep1")[0] == 200
    # Histograms are asked for by the provider's own run name (the backslash one).
    status, weights = client.get("weights", run="sweep1")
    assert status == 200 and [(layer["layer"], layer["run"]) for layer in weights["layers"]] == [
        ("dense", "sweep1/train")
    ]


@pytest.mark.parametrize("load_fast", ["true", "false"])
def test_backslash_runs_group_in_the_cli(windows_logdir, load_fast):
    out = io.StringIO()
    assert cli.run([str(windows_logdir), "--json", "--load-fast", load_fast], out=out) == 0
    _assert_one_keras_run(json.loads(out.getvalue())["runs"])


def test_integrity_warning_of_a_backslash_run_is_on_its_training_run(tmp_path, plugin_client):
    logwriters.write_single_run(tmp_path, "sweep1\\train", {"epoch_loss": TRAIN})
    logwriters.write_single_run(tmp_path, "sweep1\\validation", {"epoch_loss": VALIDATION})
    logwriters.damage_record(logwriters.event_file(tmp_path, "sweep1\\validation"), 9)
    status, document = plugin_client(tmp_path).wait_for_integrity_scan().get("runs")
    assert status == 200
    (row,) = document["runs"]
    assert row["run"] == "sweep1" and [w["kind"] for w in row["warnings"]] == ["corrupt_record"]
    assert document["warnings"] == []


def test_a_slashed_name_another_run_has_keeps_its_backslash():
    class Listing:
        def list_scalars(self, ctx, **request):
            return {"a/b": {"loss": 1}, "a\\b": {"loss": 2}, "c\\d": {"loss": 3}}

    renamed = run_names.SlashedRuns(Listing())
    assert renamed.list_scalars(None, experiment_id="") == {"a/b": {"loss": 1}, "a\\b": {"loss": 2}, "c/d": {"loss": 3}}
    assert renamed.provider_runs({"a/b", "a\\b", "c/d"}) == {"a/b", "a\\b", "c\\d"}
