"""Issue 11 over HTTP and the CLI: hparams on /runs, /hparams_effects, /groups, /stopping.

On a real Keras sweep logged with `hp.KerasCallback` (tests/keras_sweep.py: 2 settings x 3 seeds)
and hand-made curves written with `tf.summary`.
"""

import io
import json

import numpy as np
import pytest

import keras_sweep
import logwriters
from tb_overfit_plugin import cli, stopping, sweep

GROUPS = r"(.*)_seed\d+"


@pytest.fixture(scope="module")
def sweep_logdir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("sweep") / "logs"
    keras_sweep.write_keras_sweep(logdir)
    return logdir


@pytest.fixture(scope="module")
def sweep_client(sweep_logdir):
    from conftest import PluginClient

    return PluginClient(sweep_logdir)


def _rows(document):
    return {row["run"]: row for row in document["runs"]}


def test_runs_carry_each_sessions_hparams_and_the_cli_agrees(sweep_logdir, sweep_client):
    status, document = sweep_client.get("runs")
    assert status == 200
    rows = _rows(document)
    expected = {keras_sweep.run_name(s, seed): s for s in keras_sweep.SETTINGS for seed in keras_sweep.SEEDS}
    assert rows.keys() == expected.keys()
    for name, setting in expected.items():
        assert rows[name]["hparams"] == {key: float(value) for key, value in setting.items()}
    out = io.StringIO()
    assert cli.run([str(sweep_logdir), "--json"], out=out) == 0
    assert json.loads(out.getvalue()) == document


def test_effects_match_numpy_on_the_per_run_verdicts(sweep_client):
    _, runs = sweep_client.get("runs", patience="3")
    status, document = sweep_client.get("hparams_effects", patience="3")
    assert status == 200 and document["runs_with_hparams"] == 6 and document["note"] is None
    assert [effect["hparam"] for effect in document["hparams"]] == ["dropout", "units"]
    for effect in document["hparams"]:
        assert not effect["binned"] and sum(level["count"] for level in effect["levels"]) == 6
        for level in effect["levels"]:
            members = [row for row in runs["runs"] if f"{row['hparams'][effect['hparam']]:g}" == level["label"]]
            assert sorted(level["runs"]) == sorted(row["run"] for row in members) and level["count"] == 3
            assert level["overfitting_share"] == np.mean([row["status"] == "overfitting" for row in members])
            best = [row["best"]["epoch"] for row in members]
            assert level["best_epoch"] == {"min": min(best), "median": float(np.median(best)), "max": max(best), "count": 3}
            saved = [row["early_stop"]["epochs_saved"] for row in members]
            assert level["epochs_saved"]["median"] == float(np.median(saved))
            values = [row["best"]["value"] for row in members]
            assert level["best_value"]["median"] == pytest.approx(float(np.median(values)))
    wide = {level["label"]: level for level in document["hparams"][1]["levels"]}
    assert wide["128"]["overfitting_share"] == 1.0 and wide["8"]["overfitting_share"] == 0.0


def test_groups_means_match_numpy_on_the_raw_values(sweep_client):
    status, document = sweep_client.get("groups", regex=GROUPS)
    assert status == 200 and document["ungrouped"] == [] and document["note"] is None
    assert [group["group"] for group in document["groups"]] == ["units128_dropout0.0", "units8_dropout0.5"]
    for group in document["groups"]:
        assert len(group["runs"]) == 3 and group["metric"] == "loss"
        curves = [sweep_client.get("curves", run=name)[1] for name in group["runs"]]
        for split in ("validation", "train"):
            table = np.array([c[split]["values"] for c in curves])
            assert group[split]["steps"] == curves[0][split]["steps"]
            np.testing.assert_allclose(group[split]["mean"], table.mean(axis=0), rtol=1e-12)
            np.testing.assert_allclose(group[split]["std"], table.std(axis=0, ddof=1), rtol=1e-9)
            assert group[split]["count"] == [3] * table.shape[1]
    overfit, slow = document["groups"]
    assert overfit["verdict"]["status"] == "overfitting" and slow["verdict"]["status"] != "overfitting"
    assert "mean of 3 runs" in overfit["verdict"]["explanation"]


def test_stopping_patience_rule_is_the_runs_what_if(sweep_client):
    name = keras_sweep.run_name(keras_sweep.SETTINGS[0], keras_sweep.SEEDS[0])
    for patience in ("2", "5"):
        _, runs = sweep_client.get("runs", patience=patience)
        early_stop = _rows(runs)[name]["early_stop"]
        status, document = sweep_client.get("stopping", run=name, patience=patience)
        assert status == 200 and document["curve"] == "validation"
        (rule,) = [r for r in document["rules"] if r["rule"] == "patience" and r["parameter"] == float(patience)]
        assert (rule["stop_step"], rule["restore_step"], rule["epochs_saved"]) == (
            early_stop["stop_step"], early_stop["restore_step"], early_stop["epochs_saved"])
        assert rule["stop_epoch"] == early_stop["stop_epoch"] and rule["label"] == f"EarlyStopping(patience={patience})"
    assert {r["rule"] for r in document["rules"]} == set(stopping.RULES)
    assert document["best"]["epoch"] == _rows(runs)[name]["best"]["epoch"]


def test_stopping_criteria_on_hand_made_curves(tmp_path, plugin_client):
    validation = [1.0, 0.8, 0.6, 0.5, 0.52, 0.53, 0.56, 0.6, 0.65, 0.7]  # GL = 0 0 0 0 4 6 12 20 30 40
    train = list(np.linspace(1.0, 0.1, len(validation)))
    logwriters.write_keras_layout(tmp_path, "hand", train={"epoch_loss": train}, validation={"epoch_loss": validation})
    status, document = plugin_client(tmp_path).get("stopping", run="hand")
    assert status == 200
    rules = {(r["rule"], r["parameter"]): r for r in document["rules"]}
    for alpha, stop in [(1.0, 4), (2.0, 4), (5.0, 5)]:
        rule = rules[("GL", alpha)]
        assert (rule["stop_step"], rule["stop_epoch"], rule["restore_step"]) == (stop, stop + 1, 3)
        assert rule["regret"] == 0.0 and rule["epochs_saved"] == len(validation) - 1 - stop
        assert rule["restore_value"] == pytest.approx(0.5)
    # Strip ends 4 and 9 (k = 5): only one strip (0.52 -> 0.7) got worse, UP_2 needs two in a row.
    assert rules[("UP", 2.0)]["stop_step"] is None and rules[("UP", 2.0)]["restore_step"] == 3
    assert document["best"] == {"step": 3, "epoch": 4, "value": pytest.approx(0.5)}


@pytest.mark.parametrize("query, status, words", [
    ({}, 400, "regex"),
    ({"regex": "("}, 400, "regular expression"),
    ({"regex": "units"}, 400, "capture group"),
])
def test_group_errors(sweep_client, query, status, words):
    code, body = sweep_client.get("groups", **query)
    assert code == status and words in body["error"]


def test_unmatched_regex_and_single_run_groups_are_stated(sweep_client):
    _, none = sweep_client.get("groups", regex=r"^nothing(\d+)$")
    assert none["groups"] == [] and none["note"] and len(none["ungrouped"]) == 6
    _, singles = sweep_client.get("groups", regex=r"(.*)")
    assert len(singles["groups"]) == 6
    for group in singles["groups"]:
        assert group["verdict"] is None and group["note"] and group["validation"]["count"][0] == 1
        assert group["validation"]["mean"][0] is None  # fewer than MIN_GROUP_RUNS values: no mean
    assert sweep.MIN_GROUP_RUNS == 2


def test_runs_without_hparams(demo_logdir, plugin_client):
    client = plugin_client(demo_logdir)
    _, runs = client.get("runs")
    assert all(row["hparams"] == {} for row in runs["runs"])
    _, effects = client.get("hparams_effects")
    assert effects["hparams"] == [] and effects["runs_with_hparams"] == 0 and "hp.KerasCallback" in effects["note"]
    code, body = client.get("stopping", run="no such run")
    assert code == 404 and "no such run" in body["error"]
    code, body = client.get("stopping", run="overfit", metric="nosuch")
    assert code == 404 and "nosuch" in body["error"]


def test_sweep_routes_through_a_real_tensorboard(sweep_logdir, tensorboard_process):
    tensorboard = tensorboard_process(sweep_logdir)  # the default loader: TensorBoard's Rust data server
    prefix = "/data/plugin/overfit"
    tensorboard.wait_until(lambda: len((tensorboard.get_json(f"{prefix}/runs")[1] or {}).get("runs", [])) == 6,
                           "the sweep's runs")
    _, runs = tensorboard.get_json(f"{prefix}/runs")
    assert all(row["hparams"].keys() == {"units", "dropout"} for row in runs["runs"])
    status, groups = tensorboard.get_json(f"{prefix}/groups?regex=(.*)_seed%5Cd%2B")
    assert status == 200 and len(groups["groups"]) == 2
