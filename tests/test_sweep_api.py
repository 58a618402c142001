"""Issue 11 over HTTP and the CLI: hparams on /runs, /hparams_effects, /groups, /stopping.

On a real Keras sweep logged with `hp.KerasCallback` (tests/keras_sweep.py: 2 settings x 3 seeds)
and hand-made curves written with `tf.summary`.
"""

import io
import json

import keras_sweep
import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.analysis import curves, stopping, sweep
from tb_overfit_plugin.cli import command as cli
from tb_overfit_plugin.documents.runs.verdict_json import analysis_json

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
            assert level["best_epoch"] == {
                "min": min(best),
                "median": float(np.median(best)),
                "max": max(best),
                "count": 3,
            }
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
            early_stop["stop_step"],
            early_stop["restore_step"],
            early_stop["epochs_saved"],
        )
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


@pytest.mark.parametrize(
    "query, status, words",
    [
        ({}, 400, "regex"),
        ({"regex": "("}, 400, "regular expression"),
        ({"regex": "units"}, 400, "capture group"),
    ],
)
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
    tensorboard.wait_until(
        lambda: len((tensorboard.get_json(f"{prefix}/runs")[1] or {}).get("runs", [])) == 6, "the sweep's runs"
    )
    _, runs = tensorboard.get_json(f"{prefix}/runs")
    assert all(row["hparams"].keys() == {"units", "dropout"} for row in runs["runs"])
    status, groups = tensorboard.get_json(f"{prefix}/groups?regex=(.*)_seed%5Cd%2B")
    assert status == 200 and len(groups["groups"]) == 2


# -- more checks: raw event files, the Python loader, every stopping rule, add_hparams --------


def _raw_values(logdir, run, split, tag="epoch_loss"):
    """(steps, values) of one tag as the run's event files hold them, read with TensorFlow itself."""
    import tensorflow as tf

    points = {}
    for path in sorted((logdir / run / split).glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == tag:
                    points[event.step] = float(tf.make_ndarray(value.tensor))
    return np.array(sorted(points)), np.array([points[step] for step in sorted(points)])


def test_group_means_and_verdict_from_the_event_files(sweep_logdir, sweep_client):
    _, document = sweep_client.get("groups", regex=GROUPS)
    for group in document["groups"]:
        means = {}
        for split in ("validation", "train"):
            raw = [_raw_values(sweep_logdir, run, split) for run in group["runs"]]
            steps = list(range(keras_sweep.EPOCHS))
            assert all(s.tolist() == steps for s, _ in raw) and group[split]["steps"] == steps
            table = np.array([values for _, values in raw])
            np.testing.assert_allclose(group[split]["mean"], table.mean(axis=0), rtol=1e-12)
            np.testing.assert_allclose(group[split]["std"], table.std(axis=0, ddof=1), rtol=1e-9)
            means[split] = table.mean(axis=0)
        # The group's verdict is the curve analysis of the two mean curves (default parameters).
        expected = analysis_json(
            curves.analyze_metric(
                np.arange(len(means["train"])),
                means["train"],
                np.arange(len(means["validation"])),
                means["validation"],
                mode="min",
                name=f"loss (mean of {len(group['runs'])} runs)",
            ),
            series=False,
        )
        assert group["verdict"] == {key: pytest.approx(expected[key]) for key in group["verdict"]}
        assert group["verdict"]["best"]["epoch"] == int(np.argmin(means["validation"])) + 1


def test_python_loader_cli_carries_the_same_hparams(sweep_logdir, sweep_client):
    out = io.StringIO()
    assert cli.run([str(sweep_logdir), "--json", "--load-fast", "false"], out=out) == 0
    assert json.loads(out.getvalue()) == sweep_client.get("runs")[1]


# Strip ends (k = 5) at epochs 5 and 10: GL = 10 and 160, P_5 = 1000 (4.0 / (5 * 0.6) - 1) = 333.3
# and 1000 (2.25 / (5 * 0.35) - 1) = 285.7, so GL / P = 0.03 and 0.56: PQ_0.5 stops at epoch 10 only.
PQ_TRAIN = [1.0, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35]
PQ_CURVE = [1.0, 0.8, 0.6, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.3]
# Strip-end values 0.5, 0.6, 0.7, 0.65 (epochs 5, 10, 15, 20): worse twice in a row at epoch 15.
UP_CURVE = np.linspace(1.0, 0.3, 20)
UP_CURVE[[4, 9, 14, 19]] = [0.5, 0.6, 0.7, 0.65]
# Raw patience 2 stops at epoch 4 (best 0.6 at epoch 2). The EMA (w = 0.6, debiased) is
# 1, 0.75, 0.7245, 0.7592, 0.5167, 0.3628, 0.2547: one worse point, never two in a row: it never stops.
EMA_CURVE = [1.0, 0.6, 0.7, 0.8, 0.2, 0.15, 0.1]


@pytest.fixture(scope="module")
def stopping_logdir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("stopping") / "logs"
    falling = list(np.linspace(1.0, 0.1, 20))
    for name, train, validation in (("pq", PQ_TRAIN, PQ_CURVE), ("up", falling, UP_CURVE), ("ema", falling, EMA_CURVE)):
        logwriters.write_keras_layout(
            logdir, name, {"epoch_loss": train[: len(validation)]}, {"epoch_loss": validation}
        )
    return logdir


def _rule(document, rule, parameter):
    (found,) = [r for r in document["rules"] if r["rule"] == rule and r["parameter"] == parameter]
    return found


def _epochs(document, rule, parameter):
    found = _rule(document, rule, parameter)
    return found["stop_epoch"], found["restore_epoch"]


def test_pq_up_and_ema_rules_on_hand_made_curves(stopping_logdir, plugin_client):
    client = plugin_client(stopping_logdir)
    pq = client.get("stopping", run="pq")[1]
    assert _epochs(pq, "PQ", 0.5) == (10, 4) and _epochs(pq, "PQ", 1.0) == (None, 4)
    assert _rule(pq, "PQ", 1.0)["epochs_saved"] == 0 and _rule(pq, "PQ", 0.5)["label"] == "PQ_0.5 (k=5)"
    up = client.get("stopping", run="up")[1]
    assert _epochs(up, "UP", 2) == (15, 5)  # the best up to epoch 15 is 0.5, at epoch 5
    assert _rule(up, "UP", 2)["regret"] == pytest.approx(0.5 - UP_CURVE.min(), rel=1e-6)
    assert _rule(up, "UP", 2)["epochs_saved"] == 5
    assert _epochs(up, "UP", 3) == (None, int(np.argmin(UP_CURVE)) + 1)
    ema = client.get("stopping", run="ema", patience="2")[1]
    assert _epochs(ema, "patience", 2) == (4, 2) and _rule(ema, "patience", 2)["regret"] == pytest.approx(0.5)
    assert _epochs(ema, "ema_patience", 2) == (None, 7) and _rule(ema, "ema_patience", 2)["regret"] == 0.0


@pytest.mark.parametrize("patience", sorted(set(stopping.PATIENCES) | {1}))
def test_every_patience_rule_is_the_runs_what_if(sweep_client, stopping_logdir, plugin_client, patience):
    for client in (sweep_client, plugin_client(stopping_logdir)):
        for row in client.get("runs", patience=str(patience))[1]["runs"]:
            rule = _rule(client.get("stopping", run=row["run"], patience=str(patience))[1], "patience", patience)
            early_stop = row["early_stop"]
            fields = ("stop_step", "stop_epoch", "restore_step", "restore_epoch", "epochs_saved")
            assert [rule[f] for f in fields] == [early_stop[f] for f in fields], row["run"]


def test_add_hparams_session_in_a_child_folder_is_attached(tmp_path, plugin_client):
    """tensorboardX's (and torch's) `add_hparams` writes its session into a new time-named sub-folder."""
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "exp1"))
    for step in range(6):
        writer.add_scalar("Loss/train", 1.0 / (step + 1), step)
        writer.add_scalar("Loss/val", 1.0 / (step + 1) + 0.01 * step * step, step)
    writer.add_hparams({"lr": 0.1, "bsize": 32, "opt": "adam"}, {"hparam/accuracy": 0.9})
    writer.close()
    rows = _rows(plugin_client(tmp_path).get("runs")[1])
    assert rows["exp1"]["hparams"] == {"lr": 0.1, "bsize": 32.0, "opt": "adam"}
    assert rows["exp1"]["metrics"] == ["Loss"]
