"""Issue 11 over HTTP on real event files: hparams on /runs, /hparams_effects, /groups, /stopping.

The sweep is a real Keras one (`logwriters.write_keras_hparams_sweep`: units 4 vs 64 x seeds
0-2, `hp.KerasCallback`), plus one Keras-layout run without a session. Expected values come
from numpy on the `/runs` rows and on the raw event files, or from the formulas of `stopping`.
"""

import io
import json
import re
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

import logwriters
from tb_overfit_plugin import cli, curves, stopping, sweep

UNITS, SEEDS, EPOCHS = (4, 64), (0, 1, 2), 8
SEED_GROUPS = r"(.*)_seed\d+"
BASELINE = "baseline"  # a run logged without hp.KerasCallback


@pytest.fixture(scope="session")
def keras_sweep(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("sweep") / "logs"
    logwriters.write_keras_hparams_sweep(logdir, UNITS, SEEDS, EPOCHS)
    logwriters.write_keras_layout(logdir, BASELINE, {"epoch_loss": np.linspace(1.0, 0.5, EPOCHS)},
                                  {"epoch_loss": np.linspace(1.1, 0.7, EPOCHS)})
    return logdir


@pytest.fixture(scope="session")
def sweep_client(keras_sweep):
    from conftest import PluginClient

    return PluginClient(keras_sweep)


def _ok(client, route, **query):
    status, document = client.get(route, **query)
    assert status == 200, document
    return document


def _expected_hparams(run):
    match = re.fullmatch(r"units(\d+)_seed(\d+)", run)
    return {"units": float(match[1]), "seed": float(match[2])} if match else {}


def _raw_values(logdir, run, split, tag="epoch_loss"):
    """(steps, values) of one tag as the event files hold them, read with TensorFlow itself."""
    import tensorflow as tf

    points = {}
    for path in sorted(Path(logdir, run, split).glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == tag:
                    points[event.step] = float(tf.make_ndarray(value.tensor))
    steps = sorted(points)
    return np.array(steps), np.array([points[s] for s in steps])


# -- /runs and the CLI ---------------------------------------------------------------


def test_runs_carry_each_runs_hparams(sweep_client):
    rows = _ok(sweep_client, "runs")["runs"]
    assert sorted(row["run"] for row in rows) == sorted(
        [f"units{u}_seed{s}" for u in UNITS for s in SEEDS] + [BASELINE])
    for row in rows:
        assert row["hparams"] == _expected_hparams(row["run"]), row["run"]


@pytest.mark.parametrize("load_fast", ["true", "false"])
def test_cli_json_carries_the_same_hparams(keras_sweep, sweep_client, load_fast):
    out = io.StringIO()
    assert cli.run([str(keras_sweep), "--json", "--load-fast", load_fast], out=out) == 0
    assert json.loads(out.getvalue()) == _ok(sweep_client, "runs")


# -- /hparams_effects ------------------------------------------------------------------


def _numpy_spread(values):
    known = np.array([v for v in values if v is not None], dtype=float)
    if known.size == 0:
        return {"min": None, "median": None, "max": None, "count": 0}
    return {"min": known.min(), "median": np.median(known), "max": known.max(), "count": known.size}


def test_effects_counts_and_medians_match_numpy_on_the_runs_verdicts(sweep_client):
    rows = _ok(sweep_client, "runs", patience="2")["runs"]
    document = _ok(sweep_client, "hparams_effects", patience="2")
    assert document["runs_with_hparams"] == len(UNITS) * len(SEEDS)
    assert BASELINE in document["note"]
    effects = {effect["hparam"]: effect for effect in document["hparams"]}
    assert sorted(effects) == ["seed", "units"]
    for name, values in (("units", UNITS), ("seed", SEEDS)):
        assert not effects[name]["binned"]
        assert [level["label"] for level in effects[name]["levels"]] == [str(v) for v in values]
        for value, level in zip(values, effects[name]["levels"]):
            members = [row for row in rows if row["hparams"].get(name) == value]
            assert sorted(level["runs"]) == sorted(row["run"] for row in members)
            assert level["count"] == len(members) == len(level["runs"])
            assert level["overfitting_share"] == pytest.approx(np.mean([r["status"] == "overfitting" for r in members]))
            for field, point, key in (("best_epoch", "best", "epoch"), ("onset_epoch", "onset", "epoch"),
                                      ("best_value", "best", "value"), ("epochs_saved", "early_stop", "epochs_saved")):
                expected = _numpy_spread([(row[point] or {}).get(key) for row in members])
                assert level[field] == pytest.approx(expected), (name, value, field)


def test_effects_without_any_session_say_so(stopping_logdir, plugin_client):
    document = _ok(plugin_client(stopping_logdir), "hparams_effects")
    assert document["hparams"] == [] and document["runs_with_hparams"] == 0
    assert "hp.KerasCallback" in document["note"]
    assert all(row["hparams"] == {} for row in _ok(plugin_client(stopping_logdir), "runs")["runs"])


# -- /groups ------------------------------------------------------------------------------


def test_seed_groups_mean_and_spread_match_numpy_on_the_raw_values(keras_sweep, sweep_client):
    document = _ok(sweep_client, "groups", regex=SEED_GROUPS)
    assert document["regex"] == SEED_GROUPS and document["note"] is None
    assert document["ungrouped"] == [BASELINE]
    assert [group["group"] for group in document["groups"]] == sorted(f"units{u}" for u in UNITS)
    rows = {row["run"]: row for row in _ok(sweep_client, "runs")["runs"]}
    for group in document["groups"]:
        assert group["runs"] == sorted(f"{group['group']}_seed{s}" for s in SEEDS)
        assert (group["metric"], group["mode"], group["note"]) == ("loss", "min", None)
        for split, folder in (("validation", "validation"), ("train", "train")):
            raw = [_raw_values(keras_sweep, run, folder) for run in group["runs"]]
            assert all(steps.tolist() == list(range(EPOCHS)) for steps, _ in raw)
            table = np.array([values for _, values in raw])
            assert group[split]["steps"] == list(range(EPOCHS))
            assert group[split]["count"] == [len(SEEDS)] * EPOCHS
            np.testing.assert_allclose(group[split]["mean"], table.mean(axis=0), rtol=1e-12)
            np.testing.assert_allclose(group[split]["std"], table.std(axis=0, ddof=1), rtol=1e-9)
        best_epochs = [rows[run]["best"]["epoch"] for run in group["runs"]]
        assert group["best_epoch"] == _numpy_spread(best_epochs)
        means = {split: np.array(group[split]["mean"], dtype=float) for split in ("train", "validation")}
        assert group["verdict"]["best"]["epoch"] == int(np.argmin(means["validation"])) + 1
        # The group's verdict is the curve analysis of the two mean curves.
        expected = curves.analyze_metric(np.arange(EPOCHS), means["train"], np.arange(EPOCHS), means["validation"],
                                         mode="min", name="mean loss").to_json(series=False)
        assert group["verdict"] == {key: expected[key] for key in ("status", "explanation", "best", "onset")}


def test_a_group_of_one_run_is_stated(sweep_client):
    (group,) = _ok(sweep_client, "groups", regex=r"^(units4_seed0)$")["groups"]
    assert group["runs"] == ["units4_seed0"] and group["verdict"] is None
    assert "one run" in group["note"]
    assert group["validation"]["count"] == [1] * EPOCHS
    assert group["validation"]["mean"] == [None] * EPOCHS  # fewer than MIN_GROUP_RUNS values
    assert sweep.MIN_GROUP_RUNS == 2


@pytest.mark.parametrize("query, status, words", [
    ({}, 400, "required"),
    ({"regex": "(unclosed"}, 400, "invalid regular expression"),
    ({"regex": r"units\d+"}, 400, "capture group"),
    ({"regex": SEED_GROUPS, "patience": "-1"}, 400, "patience"),
])
def test_bad_group_requests(sweep_client, query, status, words):
    code, document = sweep_client.get("groups", **query)
    assert code == status and words in document["error"]


def test_a_regex_matching_no_run_is_an_empty_answer_with_a_note(sweep_client):
    document = _ok(sweep_client, "groups", regex=r"(.*)_fold\d+")
    assert document["groups"] == [] and "No training run name matches" in document["note"]
    assert len(document["ungrouped"]) == len(UNITS) * len(SEEDS) + 1


# -- /stopping on hand-made curves ----------------------------------------------------------

TRAIN = list(np.linspace(1.0, 0.1, 20))
# GL(t) = 100 (E/E_opt - 1): 0, 0, 0, 0, 4, 6, 12, 20.
GL_CURVE = [1.0, 0.8, 0.6, 0.5, 0.52, 0.53, 0.56, 0.6]
# Strip ends (k = 5) at epochs 5 and 10: GL = 10 and 160, P_5 = 1000 (4.0 / (5 * 0.6) - 1) = 333.3
# and 1000 (2.25 / (5 * 0.35) - 1) = 285.7, so GL / P = 0.03 and 0.56: PQ_0.5 stops at epoch 10 only.
PQ_TRAIN = [1.0, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35]
PQ_CURVE = [1.0, 0.8, 0.6, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.3]
# Strip-end values 0.5, 0.6, 0.7, 0.65 (epochs 5, 10, 15, 20): worse twice in a row at epoch 15.
UP_CURVE = np.linspace(1.0, 0.3, 20)
UP_CURVE[[4, 9, 14, 19]] = [0.5, 0.6, 0.7, 0.65]
# Raw patience 2 stops at epoch 4 (best 0.6 at epoch 2). The EMA (w = 0.6) is
# 1, 0.75, 0.7245, 0.7592, 0.5167, 0.3628, 0.2547: one worse point, never two: it never stops.
EMA_CURVE = [1.0, 0.6, 0.7, 0.8, 0.2, 0.15, 0.1]


@pytest.fixture(scope="session")
def stopping_logdir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("stopping") / "logs"
    for name, train, validation in (("gl", TRAIN, GL_CURVE), ("pq", PQ_TRAIN, PQ_CURVE), ("up", TRAIN, UP_CURVE),
                                    ("ema", TRAIN, EMA_CURVE)):
        logwriters.write_keras_layout(logdir, name, {"epoch_loss": train[:len(validation)]},
                                      {"epoch_loss": validation})
    return logdir


def _rule(document, rule, parameter):
    (found,) = [r for r in document["rules"] if r["rule"] == rule and r["parameter"] == parameter]
    return found


def _stops(document, rule, parameter):
    found = _rule(document, rule, parameter)
    return found["stop_epoch"], found["restore_epoch"]


def test_gl_stops_after_the_first_epoch_past_alpha(stopping_logdir, plugin_client):
    document = _ok(plugin_client(stopping_logdir), "stopping", run="gl")
    assert (document["metric"], document["mode"]) == ("loss", "min")
    assert document["best"] == {"step": 3, "epoch": 4, "value": 0.5}
    for alpha, stop_epoch in ((1.0, 5), (2.0, 5), (5.0, 6)):
        rule = _rule(document, "GL", alpha)
        assert (rule["stop_epoch"], rule["restore_epoch"], rule["restore_value"]) == (stop_epoch, 4, 0.5)
        assert rule["regret"] == 0.0 and rule["epochs_saved"] == len(GL_CURVE) - stop_epoch
        assert rule["label"] == f"GL_{alpha:g}" and rule["applicable"]


def test_pq_compares_at_strip_ends(stopping_logdir, plugin_client):
    document = _ok(plugin_client(stopping_logdir), "stopping", run="pq")
    assert _stops(document, "PQ", 0.5) == (10, 4)
    assert _stops(document, "PQ", 1.0) == (None, 4) and _rule(document, "PQ", 1.0)["epochs_saved"] == 0
    assert _rule(document, "PQ", 0.5)["label"] == f"PQ_0.5 (k={stopping.STRIP_LENGTH})"


def test_up_needs_successive_worse_strips(stopping_logdir, plugin_client):
    document = _ok(plugin_client(stopping_logdir), "stopping", run="up")
    assert _stops(document, "UP", 2) == (15, 5)  # the best up to epoch 15 is 0.5, at epoch 5
    rule = _rule(document, "UP", 2)
    assert rule["regret"] == pytest.approx(0.5 - UP_CURVE.min(), rel=1e-6)
    assert rule["epochs_saved"] == 5
    assert _stops(document, "UP", 3) == (None, int(np.argmin(UP_CURVE)) + 1)


def test_ema_patience_rides_out_one_worse_point(stopping_logdir, plugin_client):
    document = _ok(plugin_client(stopping_logdir), "stopping", run="ema", patience="2")
    assert _stops(document, "patience", 2) == (4, 2)
    assert _rule(document, "patience", 2)["regret"] == pytest.approx(0.5, rel=1e-6)
    assert _stops(document, "ema_patience", 2) == (None, 7)
    assert _rule(document, "ema_patience", 2)["label"] == "EMA patience 2 (smoothing 0.6)"


@pytest.mark.parametrize("patience", sorted(set(stopping.PATIENCES) | {1, 3}))
def test_patience_rule_is_the_runs_early_stop(keras_sweep, sweep_client, stopping_logdir, plugin_client, patience):
    for client in (sweep_client, plugin_client(stopping_logdir)):
        for row in _ok(client, "runs", patience=str(patience))["runs"]:
            rule = _rule(_ok(client, "stopping", run=row["run"], patience=str(patience)), "patience", patience)
            early_stop = row["early_stop"]
            assert (rule["stop_step"], rule["stop_epoch"], rule["restore_step"], rule["restore_epoch"],
                    rule["epochs_saved"]) == (early_stop["stop_step"], early_stop["stop_epoch"],
                                              early_stop["restore_step"], early_stop["restore_epoch"],
                                              early_stop["epochs_saved"]), row["run"]


def test_stopping_errors(sweep_client):
    assert sweep_client.get("stopping")[0] == 400
    status, document = sweep_client.get("stopping", run="units4_seed9")
    assert status == 404 and "units4_seed9" in document["error"]
    status, document = sweep_client.get("stopping", run="units4_seed0", metric="auc")
    assert status == 404 and "auc" in document["error"]


# -- a real tensorboard process (Rust data server) ------------------------------------------


def test_hparams_and_groups_through_tensorboards_rust_data_server(keras_sweep, sweep_client, tensorboard_process):
    tensorboard = tensorboard_process(keras_sweep, "--load_fast=true")
    route = "/data/plugin/overfit/"

    def loaded():
        status, document = tensorboard.get_json(route + "runs")
        return status == 200 and len(document["runs"]) == len(UNITS) * len(SEEDS) + 1 and all(
            row["num_steps"] == EPOCHS for row in document["runs"]) and all(
            row["hparams"] for row in document["runs"] if row["run"] != BASELINE)

    tensorboard.wait_until(loaded, "the sweep and its sessions to load")
    _, served = tensorboard.get_json(route + "runs")
    assert {row["run"]: row["hparams"] for row in served["runs"]} == {
        row["run"]: _expected_hparams(row["run"]) for row in served["runs"]}
    _, groups = tensorboard.get_json(route + "groups?regex=" + urllib.parse.quote(SEED_GROUPS))
    in_process = _ok(sweep_client, "groups", regex=SEED_GROUPS)
    assert [g["runs"] for g in groups["groups"]] == [g["runs"] for g in in_process["groups"]]
    for served_group, group in zip(groups["groups"], in_process["groups"]):
        np.testing.assert_allclose(served_group["validation"]["mean"], group["validation"]["mean"], rtol=1e-12)
        assert served_group["verdict"] == group["verdict"]


def test_pytorch_add_hparams_session_in_a_child_folder_is_attached(tmp_path, plugin_client):
    """tensorboardX's (and torch's) `add_hparams` writes its session into a new time-named sub-folder."""
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "exp1"))
    for step in range(6):
        writer.add_scalar("Loss/train", 1.0 / (step + 1), step)
        writer.add_scalar("Loss/val", 1.0 / (step + 1) + 0.01 * step * step, step)
    writer.add_hparams({"lr": 0.1, "bsize": 32, "opt": "adam"}, {"hparam/accuracy": 0.9})
    writer.close()
    rows = {row["run"]: row for row in _ok(plugin_client(tmp_path), "runs")["runs"]}
    assert rows["exp1"]["hparams"] == {"lr": 0.1, "bsize": 32.0, "opt": "adam"}
    assert rows["exp1"]["metrics"] == ["Loss"]
