"""Issue 18: any writer's logs read as an engineer reads them.

Two halves:

* Each new writer's layout (`logwriters.write_detectron2`, `write_sb3`,
  `write_tf_object_detection`, `write_free_text_loop`, YOLOv5's tag asked by
  name) through the CLI in-process and HTTP, so a clone without ``../shared``
  still tests the rules; and the user's overrides (`train_split`,
  `validation_split`, `pair`) with their errors.
* Every expectation of ``../shared/real-logs/expected.json`` (the engineer's
  reading of twelve public projects' logs), checked with this file's own code
  from the CLI (`cli.run --json`) and from `/runs` of a real `tensorboard`
  with each loader; skipped, with the reason, where ``../shared`` is absent.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.cli import command as cli

REAL_LOGS = Path(__file__).resolve().parents[2] / "shared" / "real-logs"
if not REAL_LOGS.is_dir():
    REAL_LOGS = Path("/work/shared/real-logs")
EXPECTED = REAL_LOGS / "expected.json"
NO_SHARED = f"../shared/real-logs is absent here ({REAL_LOGS}): the public projects' logs are not in this clone"
U_SHAPE = [1.0, 0.8, 0.65, 0.55, 0.5, 0.52, 0.58, 0.65, 0.72, 0.8]


def _cli(logdir, *args) -> dict:
    out = io.StringIO()
    assert cli.run([str(logdir), "--json", "--no-weights", *args], out=out) == 0
    return json.loads(out.getvalue())


def _rows(document: dict) -> dict:
    return {row["run"]: row for row in document["runs"]}


def _both(plugin_client, logdir, **query) -> dict:
    """/runs rows over HTTP, checked equal to the CLI's."""
    status, http = plugin_client(logdir).get("runs", **query)
    assert status == 200, http
    args = [f"--{name.replace('_', '-')}={value}" for name, value in query.items()]
    assert _rows(_cli(logdir, *args)) == _rows(http)
    return _rows(http)


def _ref(ref) -> str:
    return ref and f"{ref['run']}:{ref['tag']}"


# ------------------------------------------------------------------ writers' layouts


@pytest.fixture(scope="module")
def writers_logdir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("issue18")
    steps = np.arange(30)
    losses = {
        "loss_box_reg": 0.3 - 0.004 * steps,
        "loss_cls": 0.4 - 0.005 * steps,
        "loss_rpn_cls": 0.1 - 0.001 * steps,
        "loss_rpn_loc": 0.08 + 0.01 * np.sin(steps),
    }
    logwriters.write_detectron2(logdir / "d2", "output", {k: list(v) for k, v in losses.items()})
    rewards = list(np.linspace(-200, 200, 40))
    collapse = [-150.0, -50.0, 50.0, 150.0, 210.0, 220.0, 120.0, 60.0, 20.0, 0.0]
    logwriters.write_sb3(
        logdir / "sb3",
        "PPO_1",
        [2048 * (i + 1) for i in range(40)],
        rewards,
        [8192 * (i + 1) for i in range(10)],
        collapse,
    )
    logwriters.write_tf_object_detection(
        logdir / "tfod",
        "my_ssd",
        {
            "classification_loss": list(np.linspace(0.6, 0.2, 20)),
            "localization_loss": list(np.linspace(0.3, 0.1, 20)),
            "total_loss": list(np.linspace(1.0, 0.4, 20)),
        },
        100,
        {
            "classification_loss": [0.5, 0.45, 0.4, 0.38, 0.42, 0.5],
            "localization_loss": [0.2] * 6,
            "total_loss": [0.9, 0.8, 0.7, 0.65, 0.66, 0.64],
        },
        400,
    )
    logwriters.write_free_text_loop(logdir / "custom", "UNet_Adam", list(np.linspace(1.0, 0.2, 10)), U_SHAPE, 115)
    logwriters.write_yolov5(
        logdir / "yolo",
        "runs/train/exp",
        train={"box_loss": U_SHAPE},
        validation={"box_loss": U_SHAPE},
        metrics={"mAP_0.5:0.95": list(np.linspace(0.1, 0.5, 10))},
        lr=[[0.01] * 10],
    )
    return logdir


def test_detectron2_total_loss_is_the_headline(writers_logdir, plugin_client):
    (row,) = _both(plugin_client, writers_logdir / "d2").values()
    assert (_ref(row["monitor"]["train"]), row["monitor"]["mode"], row["status"]) == (
        "output:total_loss",
        "min",
        "no_validation",
    )
    assert row["monitor"]["reason"].startswith("total of 5 losses")
    assert not {"data_time", "time", "eta_seconds", "roi_head/num_bg_samples"} & set(row["metrics"])


def test_sb3_reward_is_the_objective_and_never_overfitting(writers_logdir, plugin_client):
    (row,) = _both(plugin_client, writers_logdir / "sb3").values()
    monitor = row["monitor"]
    assert (monitor["metric"], monitor["mode"]) == ("mean_reward", "max")
    assert (_ref(monitor["train"]), _ref(monitor["validation"])) == (
        "PPO_1:rollout/ep_rew_mean",
        "PPO_1:eval/mean_reward",
    )
    assert row["metrics"] == ["mean_reward"]  # fps, episode length, KL, entropy... and the losses are diagnostics
    assert {"time/fps", "train/value_loss", "train/approx_kl", "eval/mean_ep_length"} <= {
        d[split]["tag"] for d in row["diagnostics"] for split in ("train", "validation") if d[split]
    }
    # The reward fell from 220 to 0 while the rollouts kept improving: a collapse, not overfitting.
    assert row["status"] == "worsening" and row["explanation"].startswith("Reward collapse")
    assert "reinforcement-learning" in monitor["reason"]


def test_sb3_value_loss_spikes_are_no_divergence(writers_logdir, plugin_client):
    status, curves = plugin_client(writers_logdir / "sb3").get("curves", run="PPO_1", metric="train/value_loss")
    assert status == 200 and curves["analysis"]["status"] != "diverged"


def test_tf_object_detection_total_loss_train_vs_eval(writers_logdir, plugin_client):
    (row,) = _both(plugin_client, writers_logdir / "tfod").values()
    assert (_ref(row["monitor"]["train"]), _ref(row["monitor"]["validation"])) == (
        "my_ssd/train:Loss/total_loss",
        "my_ssd/eval:Loss/total_loss",
    )
    assert (row["best"]["step"], row["monitor"]["reason"]) == (2400, "total of 3 losses; train and validation series")


def test_free_text_tags_pair_train_and_test(writers_logdir, plugin_client):
    (row,) = _both(plugin_client, writers_logdir / "custom").values()
    assert (_ref(row["monitor"]["train"]), _ref(row["monitor"]["validation"])) == (
        "UNet_Adam:Training loss",
        "UNet_Adam:Test loss (avg on test)",
    )
    assert row["status"] == "overfitting" and "Epoch time" not in row["metrics"]


def test_metric_by_its_tag_name(writers_logdir, plugin_client):
    (row,) = _both(plugin_client, writers_logdir / "yolo", metric="metrics/mAP_0.5:0.95").values()
    assert (row["monitor"]["metric"], row["monitor"]["mode"], row["status"]) == ("mAP_0.5:0.95", "max", "improving")
    assert row["monitor"]["reason"] == "asked for: metric=metrics/mAP_0.5:0.95"


def test_user_overrides_pair_and_split_words(tmp_path, plugin_client):
    logwriters.write_single_run(
        tmp_path,
        "r",
        {"fit/loss": list(np.linspace(1, 0.2, 10)), "check/loss": U_SHAPE, "Accuracy": [0.5] * 10},
        simple_value=True,
    )
    assert _both(plugin_client, tmp_path)["r"]["status"] == "no_validation"
    row = _both(plugin_client, tmp_path, train_split="fit", validation_split="check")["r"]
    assert (_ref(row["monitor"]["validation"]), row["status"]) == ("r:check/loss", "overfitting")
    row = _both(plugin_client, tmp_path, pair="fit/loss,check/loss")["r"]
    assert (_ref(row["monitor"]["train"]), row["status"], row["monitor"]["reason"]) == (
        "r:fit/loss",
        "overfitting",
        "asked for: pair=fit/loss,check/loss",
    )


@pytest.mark.parametrize(
    "name, value",
    [
        ("train_split", "le arn"),
        ("validation_split", "x/y"),
        ("pair", "no comma"),
        ("pair", ",check/loss"),
    ],
)
def test_bad_overrides_are_400_and_exit_2(tmp_path, plugin_client, name, value):
    logwriters.write_single_run(tmp_path, "r", {"loss": [1.0, 0.5, 0.4]}, simple_value=True)
    status, body = plugin_client(tmp_path).get("runs", **{name: value})
    assert status == 400 and name in body["error"]
    command = [sys.executable, "-m", "tb_overfit_plugin", str(tmp_path), f"--{name.replace('_', '-')}={value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and name.split("_")[0] in done.stderr


def test_same_word_on_both_sides_and_unknown_pair(tmp_path, plugin_client):
    logwriters.write_single_run(tmp_path, "r", {"loss": [1.0, 0.5, 0.4]}, simple_value=True)
    status, body = plugin_client(tmp_path).get("runs", train_split="a", validation_split="A")
    assert status == 400 and "validation_split" in body["error"]
    status, body = plugin_client(tmp_path).get("runs", pair="x,y")
    assert status == 404 and "pair" in body["error"]


# ------------------------------------------------------------------ ../shared/real-logs


def _expectations():
    if not EXPECTED.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_SHARED), id="no-shared")]
    params = []
    for index, expectation in enumerate(json.loads(EXPECTED.read_text())):
        label = f"{index}-{expectation['folder']}-{expectation.get('run') or '*'}"
        params.append(pytest.param(expectation, id=label))
    return params


def _problems(expectation: dict, row: dict) -> list:
    """What of `expectation` (see ../shared/real-logs/README.md) `row` does not hold."""
    monitor, best, out = row.get("monitor") or {}, row.get("best") or {}, []

    def side(name):
        ref = monitor.get(name) or {}
        return f"{ref.get('run') or ''}|{ref.get('tag') or ''}"

    for key, name in (("train_tag", "train"), ("validation_tag", "validation")):
        if key in expectation and expectation[key] not in side(name):
            out.append(f"{name} {side(name)}")
    if "metric_contains" in expectation and expectation["metric_contains"] not in (monitor.get("metric") or ""):
        out.append(f"metric {monitor.get('metric')}")
    if "mode" in expectation and monitor.get("mode") != expectation["mode"]:
        out.append(f"mode {monitor.get('mode')}")
    if "best_value" in expectation and (
        best.get("value") is None or abs(best["value"] - expectation["best_value"]) > expectation.get("best_tol", 1e-4)
    ):
        out.append(f"best value {best.get('value')}")
    if "best_step" in expectation and best.get("step") != expectation["best_step"]:
        out.append(f"best step {best.get('step')}")
    if "best_epoch" in expectation:
        wanted, epoch = expectation["best_epoch"], best.get("epoch")
        if (wanted == "int" and not isinstance(epoch, int)) or (wanted != "int" and epoch != wanted):
            out.append(f"best epoch {epoch}")
    if row["status"] not in expectation.get("status_in", [row["status"]]) or row["status"] in expectation.get(
        "status_not_in", []
    ):
        out.append(f"status {row['status']}")
    offered = set(expectation.get("metrics_exclude", ())) & set(row.get("metrics") or ())
    if offered:
        out.append(f"bookkeeping offered as metrics {sorted(offered)}")
    return out


def _check(expectation: dict, rows: list, where: str) -> None:
    if "n_runs" in expectation:
        assert len(rows) == expectation["n_runs"], (where, [row["run"] for row in rows])
    chosen = [row for row in rows if expectation.get("run") is None or re.search(expectation["run"], row["run"])]
    assert chosen, (where, "no matching training run")
    failures = {row["run"]: _problems(expectation, row) for row in chosen}
    assert not any(failures.values()), (where, failures)


@pytest.mark.parametrize("expectation", _expectations())
def test_real_logs_from_the_cli(expectation):
    document = _cli(REAL_LOGS / expectation["folder"], *expectation.get("args", []))
    _check(expectation, document["runs"], "cli")
    if expectation.get("no_flagged_layers"):
        out = io.StringIO()
        assert cli.run([str(REAL_LOGS / expectation["folder"]), "--json", "--weights"], out=out) == 0
        weights = json.loads(out.getvalue())["weights"]
        assert all(not document["summary"]["flagged_layers"] for document in weights.values())


@pytest.fixture(scope="module")
def real_tensorboards():
    """{load_fast: a real `tensorboard` on ../shared/real-logs}, started once, stopped after the module."""
    from conftest import TensorBoardProcess

    started = {}

    def start(load_fast):
        if load_fast not in started:
            started[load_fast] = process = TensorBoardProcess(REAL_LOGS, f"--load_fast={load_fast}")
            _wait_until_loaded(process)
        return started[load_fast]

    yield start
    for process in started.values():
        process.stop()


def _wait_until_loaded(tensorboard) -> None:
    """Until every folder has runs and /runs no longer changes (the Python loader reads files progressively)."""
    folders = {expectation["folder"] for expectation in json.loads(EXPECTED.read_text())}
    seen = []

    def stable():
        status, body = tensorboard.get_json("/data/plugin/overfit/runs")
        if status != 200 or not all(any(row["run"].startswith(f + "/") for row in body["runs"]) for f in folders):
            return False
        seen.append(body)
        time.sleep(2)
        return len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]

    tensorboard.wait_until(stable, "the real logs loaded", timeout=300)


def _served_rows(tensorboard, expectation: dict) -> list:
    """The /runs rows of `expectation`'s folder (its runs are `<folder>/...` under the real-logs root)."""
    query = {"patience": "5"}
    args = expectation.get("args", [])
    query.update({name.lstrip("-").replace("-", "_"): value for name, value in zip(args[::2], args[1::2])})
    path = "/data/plugin/overfit/runs?" + urllib.parse.urlencode(query)
    prefix = expectation["folder"] + "/"

    def loaded():
        status, body = tensorboard.get_json(path)
        return status == 200 and sum(row["run"].startswith(prefix) for row in body["runs"]) >= expectation.get(
            "n_runs", 1
        )

    tensorboard.wait_until(loaded, f"the runs of {prefix}", timeout=180)
    _, body = tensorboard.get_json(path)
    return [dict(row, run=row["run"][len(prefix) :]) for row in body["runs"] if row["run"].startswith(prefix)]


@pytest.mark.parametrize("load_fast", ["false", "true"])
@pytest.mark.parametrize("expectation", _expectations())
def test_real_logs_from_a_real_tensorboard(expectation, load_fast, real_tensorboards):
    _check(expectation, _served_rows(real_tensorboards(load_fast), expectation), f"/runs load_fast={load_fast}")


def test_a_metric_logged_at_evaluation_time_only_is_validation(tmp_path, plugin_client):
    """Issue 18 item 2: `accuracy` every 100 steps beside a loss every 10 steps, at other steps, is validation."""
    records = [(step, {"loss": 1.0 / step}) for step in range(10, 1001, 10)]
    records += [(step + 5, {"accuracy": acc}) for step, acc in zip(range(100, 1001, 100), np.linspace(0.5, 0.9, 10))]
    logwriters.write_scalar_records(tmp_path, "r", sorted(records, key=lambda record: record[0]))
    row = _both(plugin_client, tmp_path, metric="accuracy")["r"]
    assert (row["monitor"]["train"], _ref(row["monitor"]["validation"])) == (None, "r:accuracy")
    # At the loss's own steps (a per-epoch train accuracy), it stays a training series.
    other = tmp_path / "same"
    logwriters.write_scalar_records(
        other,
        "r",
        [
            (step, {"loss": 1.0 / step, **({"accuracy": 0.5} if step % 100 == 0 else {})})
            for step in range(10, 1001, 10)
        ],
    )
    row = _both(plugin_client, other, metric="accuracy")["r"]
    assert (_ref(row["monitor"]["train"]), row["monitor"]["validation"]) == ("r:accuracy", None)
