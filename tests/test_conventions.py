"""Every popular writer's real layout: grouping, pairing, mode, learning rate, bookkeeping, epochs.

One real-format fixture per writer (tests/logwriters.py: the library's exact
run folders, tags, steps and call order), and per convention-table row (docs/conventions.md)
a test through the HTTP API (TensorBoard's WSGI app) and the CLI in-process
(`cli.run([... "--json"])`), which must agree.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.cli import command as cli

EPOCHS = 10
# Validation loss best at position 4 (epoch 5), then worse for good; training keeps falling.
VAL_LOSS = [1.0, 0.8, 0.65, 0.55, 0.5, 0.52, 0.58, 0.65, 0.72, 0.8]
TRAIN_LOSS = list(np.linspace(1.0, 0.2, EPOCHS))
VAL_ACC = [0.5, 0.6, 0.68, 0.72, 0.75, 0.74, 0.73, 0.72, 0.71, 0.70]
TRAIN_ACC = list(np.linspace(0.5, 0.95, EPOCHS))
MAP = [0.1, 0.2, 0.3, 0.35, 0.4, 0.42, 0.43, 0.43, 0.44, 0.44]  # best at position 8
LR = list(np.linspace(0.01, 0.001, EPOCHS))
HF_STEPS_PER_EPOCH, HF_LOGGING_STEPS = 50, 10
LIGHTNING_STEPS_PER_EPOCH, LIGHTNING_LOG_EVERY = 20, 5


def _yolo_losses(names, scale):
    return {name: [scale * value for value in VAL_LOSS] for name in names}


def write_every_writer(logdir):
    """One logdir holding each writer's layout (Keras 3 is the demo's real logs)."""
    losses = ("box_loss", "cls_loss", "dfl_loss")
    logwriters.write_ultralytics(
        logdir,
        "runs/detect/train",
        train={name: TRAIN_LOSS for name in losses},
        validation=_yolo_losses(losses, 1.0),
        metrics={"precision(B)": MAP, "recall(B)": MAP, "mAP50(B)": MAP, "mAP50-95(B)": MAP},
        lr=[LR, LR, LR],
    )
    logwriters.write_ultralytics(
        logdir,
        "runs/detect/train2",
        train={name: TRAIN_LOSS for name in losses},
        validation=_yolo_losses(losses, 0.9),
        metrics={"mAP50-95(B)": MAP},
        lr=[LR],
    )
    v5_losses = ("box_loss", "obj_loss", "cls_loss")
    logwriters.write_yolov5(
        logdir,
        "runs/train/exp",
        train={name: TRAIN_LOSS for name in v5_losses},
        validation=_yolo_losses(v5_losses, 1.0),
        metrics={"precision": MAP, "recall": MAP, "mAP_0.5": MAP, "mAP_0.5:0.95": MAP},
        lr=[LR, LR, LR],
    )
    hf_train_loss = list(np.linspace(1.0, 0.2, EPOCHS * HF_STEPS_PER_EPOCH // HF_LOGGING_STEPS))
    logwriters.write_hf_trainer(
        logdir,
        "hf_output/runs/Jan01_00-00-00_host",
        HF_STEPS_PER_EPOCH,
        HF_LOGGING_STEPS,
        hf_train_loss,
        {"loss": VAL_LOSS, "accuracy": VAL_ACC},
    )
    step_logs = EPOCHS * LIGHTNING_STEPS_PER_EPOCH // LIGHTNING_LOG_EVERY
    lightning_step_logs = {
        "train_loss_step": list(np.linspace(1.0, 0.2, step_logs)),
        "lr-Adam": list(np.repeat(LR, LIGHTNING_STEPS_PER_EPOCH // LIGHTNING_LOG_EVERY)),
        "lr-Adam-momentum": [0.9] * step_logs,
    }
    logwriters.write_lightning(
        logdir,
        "lightning_logs/version_0",
        EPOCHS,
        LIGHTNING_STEPS_PER_EPOCH,
        LIGHTNING_LOG_EVERY,
        lightning_step_logs,
        {"val_loss": VAL_LOSS, "val_acc": VAL_ACC, "train_loss_epoch": TRAIN_LOSS},
    )
    logwriters.write_lightning(
        logdir, "lightning_logs/version_1", 0, LIGHTNING_STEPS_PER_EPOCH, LIGHTNING_LOG_EVERY, {}, {}
    )
    # A LightningModule that logs its step loss with self.log, and per epoch calls
    # self.logger.experiment.add_scalars(main_tag, {...}, self.current_epoch) with the split first.
    logwriters.write_lightning(
        logdir,
        "lightning_logs/version_2",
        EPOCHS,
        LIGHTNING_STEPS_PER_EPOCH,
        LIGHTNING_LOG_EVERY,
        {"train_loss_step": lightning_step_logs["train_loss_step"]},
        {},
    )
    for main_tag, accuracy, loss in (
        ("train_performance", TRAIN_ACC, TRAIN_LOSS),
        ("val_performance", VAL_ACC, VAL_LOSS),
    ):
        logwriters.write_pytorch_add_scalars(
            logdir, "lightning_logs/version_2", main_tag, {"Accuracy": accuracy, "loss": loss}
        )
        logwriters.write_tensorboardx_add_scalars(
            logdir, "tbx_split_first", main_tag, {"Accuracy": accuracy, "loss": loss}
        )
    logwriters.write_pytorch_add_scalars(logdir, "pytorch_add_scalars", "Loss", {"train": TRAIN_LOSS, "val": VAL_LOSS})
    logwriters.write_tensorboardx_add_scalars(logdir, "tbx_add_scalars", "Loss", {"train": TRAIN_LOSS, "val": VAL_LOSS})
    logwriters.write_single_run(
        logdir,
        "pytorch",
        {"Loss/train": TRAIN_LOSS, "Loss/test": VAL_LOSS, "Accuracy/train": TRAIN_ACC, "Accuracy/test": VAL_ACC},
        simple_value=True,
    )
    logwriters.write_tf1_keras(
        logdir, "tf1_keras", {"loss": TRAIN_LOSS, "val_loss": VAL_LOSS, "acc": TRAIN_ACC, "val_acc": VAL_ACC, "lr": LR}
    )
    rng = np.random.default_rng(0)
    logwriters.write_tf_keras(
        logdir,
        "tf_keras",
        train={"epoch_loss": TRAIN_LOSS, "epoch_accuracy": TRAIN_ACC, "epoch_learning_rate": LR},
        validation={"epoch_loss": VAL_LOSS, "epoch_accuracy": VAL_ACC},
        steps_per_epoch=30,
        histograms={"dense/kernel_0": [rng.normal(size=64) for _ in range(EPOCHS)]},
    )
    logwriters.write_estimator(
        logdir, "estimator", 100, TRAIN_LOSS, {"loss": VAL_LOSS, "accuracy": VAL_ACC, "average_loss": VAL_LOSS}, 100
    )
    write_opennmt(logdir)
    write_fairseq(logdir)
    return logdir


OPENNMT = "opennmt/Dec06_10-00-00"
NMT_STEPS = [100 * (i + 1) for i in range(EPOCHS)]  # report_every = valid_steps = 100


def write_opennmt(logdir):
    """OpenNMT-py's `ReportMgr`: `progress/<stat>` while training, `valid/<stat>` at validation, one run."""
    for prefix, loss, accuracy in (("progress", TRAIN_LOSS, TRAIN_ACC), ("valid", VAL_LOSS, VAL_ACC)):
        stats = {"xent": loss, "ppl": list(np.exp(loss)), "accuracy": [100 * a for a in accuracy]}
        stats.update(tgtper=[3000.0] * EPOCHS, lr=LR)
        logwriters.write_single_run(
            logdir, OPENNMT, {f"{prefix}/{key}": values for key, values in stats.items()}, NMT_STEPS, simple_value=True
        )


def write_fairseq(logdir):
    """fairseq's progress bar: runs `train`, `valid` per epoch and `train_inner` per `log_interval`, at the update."""
    common = {"wps": [5000.0] * EPOCHS, "ups": [3.0] * EPOCHS, "bsz": [64.0] * EPOCHS}
    train = {"loss": TRAIN_LOSS, "nll_loss": TRAIN_LOSS, "ppl": list(np.exp2(TRAIN_LOSS)), **common}
    train.update(lr=LR, gnorm=[1.0] * EPOCHS, loss_scale=[8.0] * EPOCHS, train_wall=[30.0] * EPOCHS)
    train.update(wall=[30.0 * i for i in range(EPOCHS)], gb_free=[10.0] * EPOCHS)
    logwriters.write_single_run(logdir, "fairseq/train", train, NMT_STEPS, simple_value=True)
    valid = {"loss": VAL_LOSS, "nll_loss": VAL_LOSS, "ppl": list(np.exp2(VAL_LOSS)), **common}
    logwriters.write_single_run(logdir, "fairseq/valid", valid, NMT_STEPS, simple_value=True)
    inner = {"loss": [v + 0.1 for v in TRAIN_LOSS], "lr": LR, "gnorm": [1.0] * EPOCHS}
    logwriters.write_single_run(logdir, "fairseq/train_inner", inner, [s - 50 for s in NMT_STEPS], simple_value=True)


@pytest.fixture(scope="module")
def conventions_logdir(tmp_path_factory):
    return write_every_writer(tmp_path_factory.mktemp("writers"))


PATIENCE = "2"  # EarlyStopping(patience=2) stops 2 evaluations after the best (position 6)


def _cli_json(logdir, *args) -> dict:
    out = io.StringIO()
    assert cli.run([str(logdir), "--json", "--patience", PATIENCE, *args], out=out) == 0
    return json.loads(out.getvalue())


def _by_run(document: dict) -> dict:
    return {row["run"]: row for row in document["runs"]}


@pytest.fixture(scope="module")
def served(conventions_logdir, demo_logdir):
    """{logdir key: (/runs over HTTP, the CLI's --json document, client)} with patience 2."""
    from conftest import PluginClient

    documents = {}
    for key, logdir in (("writers", conventions_logdir), ("demo", demo_logdir)):
        client = PluginClient(logdir)
        status, http = client.get("runs", patience=PATIENCE)
        assert status == 200, http
        documents[key] = (http, _cli_json(logdir), client)
    return documents


def _ref(ref) -> object:
    return ref and f"{ref['run']}:{ref['tag']}"


def _refs(run: str, *tags: str) -> set:
    return {f"{run}:{tag}" for tag in tags}


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of the convention table in docs/conventions.md, as the plugin must read it."""

    logdir: str  # "writers" (write_every_writer) or "demo" (real Keras 3 logs)
    run: str
    sources: list
    metrics: list
    monitor: tuple  # (metric, mode, train run:tag, validation run:tag)
    modes: dict  # metric -> (mode, whether it has a train series)
    learning_rate: object  # run:tag or None
    diagnostics: set  # run:tag of every bookkeeping series
    best: tuple  # (step, epoch)
    onset: tuple  # (step, epoch)
    stop: object = None  # (stop_step, stop_epoch, restore_step, restore_epoch) with patience 2


HF = "hf_output/runs/Jan01_00-00-00_host"
LIGHTNING = "lightning_logs/version_0"
ULTRALYTICS = "runs/detect/train"
YOLOV5 = "runs/train/exp"
TORCH_SPLIT_FIRST = "lightning_logs/version_2"
TBX_SPLIT_FIRST = "tbx_split_first"

ROWS = {
    "keras3": Row(
        "demo",
        "overfit",
        ["overfit/train", "overfit/validation"],
        ["loss", "accuracy"],
        ("loss", "min", "overfit/train:epoch_loss", "overfit/validation:epoch_loss"),
        {"accuracy": ("max", True)},
        "overfit/train:epoch_learning_rate",
        _refs("overfit/validation", "evaluation_loss_vs_iterations", "evaluation_accuracy_vs_iterations"),
        best=(4, 5),
        onset=(7, 8),
    ),
    "tf_keras": Row(
        "writers",
        "tf_keras",
        ["tf_keras/train", "tf_keras/validation"],
        ["loss", "accuracy"],
        ("loss", "min", "tf_keras/train:epoch_loss", "tf_keras/validation:epoch_loss"),
        {"accuracy": ("max", True)},
        "tf_keras/train:epoch_learning_rate",
        _refs("tf_keras/validation", "evaluation_loss_vs_iterations", "evaluation_accuracy_vs_iterations"),
        best=(4, 5),
        onset=(6, 7),
        stop=(6, 7, 4, 5),
    ),
    "tf1_keras": Row(
        "writers",
        "tf1_keras",
        ["tf1_keras"],
        ["loss", "acc"],
        ("loss", "min", "tf1_keras:loss", "tf1_keras:val_loss"),
        {"acc": ("max", True)},
        "tf1_keras:lr",
        set(),
        best=(4, 5),
        onset=(6, 7),
        stop=(6, 7, 4, 5),
    ),
    "pytorch_add_scalar": Row(
        "writers",
        "pytorch",
        ["pytorch"],
        ["Loss", "Accuracy"],
        ("Loss", "min", "pytorch:Loss/train", "pytorch:Loss/test"),
        {"Accuracy": ("max", True)},
        None,
        set(),
        best=(4, None),
        onset=(6, None),
        stop=(6, None, 4, None),
    ),
    "pytorch_add_scalars": Row(
        "writers",
        "pytorch_add_scalars",
        ["pytorch_add_scalars/Loss_train", "pytorch_add_scalars/Loss_val"],
        ["Loss"],
        ("Loss", "min", "pytorch_add_scalars/Loss_train:Loss", "pytorch_add_scalars/Loss_val:Loss"),
        {},
        None,
        set(),
        best=(4, None),
        onset=(6, None),
        stop=(6, None, 4, None),
    ),
    "pytorch_add_scalars_split_first": Row(
        "writers",
        TORCH_SPLIT_FIRST,
        [TORCH_SPLIT_FIRST]
        + [
            f"{TORCH_SPLIT_FIRST}/{split}_performance_{key}"
            for split in ("train", "val")
            for key in ("Accuracy", "loss")
        ],
        ["loss", "Accuracy"],
        (
            "loss",
            "min",
            f"{TORCH_SPLIT_FIRST}/train_performance_loss:train_performance",
            f"{TORCH_SPLIT_FIRST}/val_performance_loss:val_performance",
        ),
        {"Accuracy": ("max", True)},
        # Its add_scalars steps are epochs of the user's choosing: the epoch series (global steps) is not applied.
        None,
        _refs(TORCH_SPLIT_FIRST, "hp_metric", "epoch", "train_loss_step"),
        best=(4, None),
        onset=(6, None),
        stop=(6, None, 4, None),
    ),
    "tensorboardx_add_scalars": Row(
        "writers",
        "tbx_add_scalars",
        ["tbx_add_scalars/Loss/train", "tbx_add_scalars/Loss/val"],
        ["Loss"],
        ("Loss", "min", "tbx_add_scalars/Loss/train:Loss", "tbx_add_scalars/Loss/val:Loss"),
        {},
        None,
        set(),
        best=(4, None),
        onset=(6, None),
        stop=(6, None, 4, None),
    ),
    "tensorboardx_add_scalars_split_first": Row(
        "writers",
        TBX_SPLIT_FIRST,
        [f"{TBX_SPLIT_FIRST}/{split}_performance/{key}" for split in ("train", "val") for key in ("Accuracy", "loss")],
        ["loss", "Accuracy"],
        (
            "loss",
            "min",
            f"{TBX_SPLIT_FIRST}/train_performance/loss:train_performance",
            f"{TBX_SPLIT_FIRST}/val_performance/loss:val_performance",
        ),
        {"Accuracy": ("max", True)},
        None,
        set(),
        best=(4, None),
        onset=(6, None),
        stop=(6, None, 4, None),
    ),
    "lightning": Row(
        "writers",
        LIGHTNING,
        [LIGHTNING],
        ["loss", "acc"],
        ("loss", "min", f"{LIGHTNING}:train_loss_epoch", f"{LIGHTNING}:val_loss"),
        {"acc": ("max", False)},
        f"{LIGHTNING}:lr-Adam",
        _refs(LIGHTNING, "epoch", "hp_metric", "train_loss_step", "lr-Adam-momentum"),
        # Epoch ends at global steps 20, 40, ...: the best (position 4) is epoch 5 at step 100.
        best=(100, 5),
        onset=(140, 7),
        stop=(140, 7, 100, 5),
    ),
    "hf_trainer": Row(
        "writers",
        HF,
        [HF],
        ["loss", "accuracy"],
        ("loss", "min", f"{HF}:train/loss", f"{HF}:eval/loss"),
        {"accuracy": ("max", False)},
        f"{HF}:train/learning_rate",
        _refs(
            HF,
            "train/epoch",
            "train/grad_norm",
            "eval/runtime",
            "eval/samples_per_second",
            "eval/steps_per_second",
            "train/train_runtime",
            "train/train_samples_per_second",
            "train/train_steps_per_second",
            "train/total_flos",
            "train/train_loss",
        ),
        # Evaluations at the end of each epoch of 50 steps: train/epoch 5.0 at step 250.
        best=(250, 5),
        onset=(350, 7),
        stop=(350, 7, 250, 5),
    ),
    "ultralytics": Row(
        "writers",
        ULTRALYTICS,
        [ULTRALYTICS],
        ["box_loss", "cls_loss", "dfl_loss", "mAP50(B)", "mAP50-95(B)", "precision(B)", "recall(B)"],
        ("box_loss", "min", f"{ULTRALYTICS}:train/box_loss", f"{ULTRALYTICS}:val/box_loss"),
        {name: ("max", False) for name in ("mAP50(B)", "mAP50-95(B)", "precision(B)", "recall(B)")},
        f"{ULTRALYTICS}:lr/pg0",
        _refs(ULTRALYTICS, "lr/pg1", "lr/pg2"),
        # Step = epoch as Ultralytics prints it (1-based); no epoch series, so reported as steps.
        best=(5, None),
        onset=(7, None),
        stop=(7, None, 5, None),
    ),
    "yolov5": Row(
        "writers",
        YOLOV5,
        [YOLOV5],
        ["box_loss", "cls_loss", "obj_loss", "mAP_0.5", "mAP_0.5:0.95", "precision", "recall"],
        ("box_loss", "min", f"{YOLOV5}:train/box_loss", f"{YOLOV5}:val/box_loss"),
        {name: ("max", False) for name in ("mAP_0.5", "mAP_0.5:0.95", "precision", "recall")},
        f"{YOLOV5}:x/lr0",
        _refs(YOLOV5, "x/lr1", "x/lr2"),
        best=(4, None),
        onset=(6, None),
        stop=(6, None, 4, None),
    ),
    "tf_estimator": Row(
        "writers",
        "estimator",
        ["estimator", "estimator/eval"],
        ["loss", "average_loss", "accuracy"],
        ("loss", "min", "estimator:loss", "estimator/eval:loss"),
        {"accuracy": ("max", False), "average_loss": ("min", False)},
        None,
        _refs("estimator", "global_step/sec"),
        best=(500, None),
        onset=(700, None),
        stop=(700, None, 500, None),
    ),
    "opennmt": Row(
        "writers",
        OPENNMT,
        [OPENNMT],
        ["xent", "accuracy", "ppl", "tgtper"],
        ("xent", "min", f"{OPENNMT}:progress/xent", f"{OPENNMT}:valid/xent"),
        {"accuracy": ("max", True), "ppl": ("min", True)},
        f"{OPENNMT}:progress/lr",
        _refs(OPENNMT, "valid/lr"),
        best=(500, None),
        onset=(700, None),
        stop=(700, None, 500, None),
    ),
    "fairseq": Row(
        "writers",
        "fairseq",
        ["fairseq/train", "fairseq/train_inner", "fairseq/valid"],
        ["loss", "nll_loss", "ppl"],
        ("loss", "min", "fairseq/train:loss", "fairseq/valid:loss"),
        {"nll_loss": ("min", True), "ppl": ("min", True)},
        "fairseq/train:lr",
        _refs("fairseq/train", "wps", "ups", "bsz", "gnorm", "loss_scale", "train_wall", "wall", "gb_free")
        | _refs("fairseq/valid", "wps", "ups", "bsz")
        | _refs("fairseq/train_inner", "lr"),
        best=(500, None),
        onset=(700, None),
        stop=(700, None, 500, None),
    ),
}


def _point(point) -> tuple:
    return (point["step"], point["epoch"])


def _diagnostic_refs(diagnostics) -> set:
    return {
        _ref(diagnostic[split]) for diagnostic in diagnostics for split in ("train", "validation") if diagnostic[split]
    }


@pytest.mark.parametrize("name", sorted(ROWS))
def test_convention_row(served, name):
    """Grouping, pairing, mode, learning rate, bookkeeping and epochs of one writer, HTTP and CLI alike."""
    expected = ROWS[name]
    http, cli_document, client = served[expected.logdir]
    row = _by_run(http)[expected.run]
    assert _by_run(cli_document)[expected.run] == row
    assert row["sources"] == expected.sources
    assert row["metrics"] == expected.metrics
    monitor = row["monitor"]
    assert (monitor["metric"], monitor["mode"], _ref(monitor["train"]), _ref(monitor["validation"])) == expected.monitor
    assert _ref(row["learning_rate"]) == expected.learning_rate
    assert _diagnostic_refs(row["diagnostics"]) == expected.diagnostics
    assert not {d["metric"] for d in row["diagnostics"]} & set(row["metrics"])  # never in the metric picker
    assert (_point(row["best"]), _point(row["onset"])) == (expected.best, expected.onset)
    early_stop = row["early_stop"]
    if expected.stop is not None:
        stop = (
            early_stop["stop_step"],
            early_stop["stop_epoch"],
            early_stop["restore_step"],
            early_stop["restore_epoch"],
        )
        assert stop == expected.stop

    status, curves = client.get("curves", run=expected.run, patience=PATIENCE)
    assert status == 200, curves
    by_metric = {metric["metric"]: metric for metric in curves["metrics"]}
    for metric, (mode, has_train) in expected.modes.items():
        assert by_metric[metric]["mode"] == mode, metric
        assert (by_metric[metric]["train"] is not None, by_metric[metric]["validation"] is not None) == (
            has_train,
            True,
        )
    assert _diagnostic_refs(curves["diagnostics"]) == expected.diagnostics
    for diagnostic in curves["diagnostics"]:
        for series in filter(None, (diagnostic["train"], diagnostic["validation"])):
            assert len(series["steps"]) == len(series["values"]) > 0
    assert _ref(curves["learning_rate"]) == expected.learning_rate


# ------------------------------------------------------------------ issue 8, cases 1-5


def _cli_table(logdir, *args) -> str:
    out = io.StringIO()
    assert cli.run([str(logdir), *args], out=out) == 0
    return out.getvalue()


def test_ultralytics_first_run_folder_named_train_is_a_training_run(conventions_logdir, plugin_client):
    """Case 1: `tensorboard --logdir runs/detect` lists runs `train` and `train2`, two training runs."""
    logdir = conventions_logdir / "runs" / "detect"
    status, http = plugin_client(logdir).get("runs")
    assert status == 200
    assert _cli_json(logdir, "--patience", "5") == http
    rows = _by_run(http)
    assert sorted(rows) == ["train", "train2"]
    for name, row in rows.items():
        assert row["sources"] == [name]
        assert row["status"] == "overfitting"  # not `no_validation`: val/box_loss is validation
        assert _ref(row["monitor"]["validation"]) == f"{name}:val/box_loss"


@pytest.mark.parametrize(
    "run, metric, tag, best_step",
    [
        (ULTRALYTICS, "mAP50-95(B)", "metrics/mAP50-95(B)", 9),  # Ultralytics steps are 1-based epochs
        (YOLOV5, "mAP_0.5:0.95", "metrics/mAP_0.5:0.95", 8),  # YOLOv5 steps are 0-based epochs
    ],
)
def test_yolo_validation_metric_monitored_on_request(conventions_logdir, served, run, metric, tag, best_step):
    """Case 2: YOLO's mAP under `metrics/` is a validation series without train twin, higher is better."""
    status, http = served["writers"][2].get("runs", metric=metric, patience=PATIENCE)
    assert status == 200
    assert _cli_json(conventions_logdir, "--metric", metric) == http
    row = _by_run(http)[run]
    monitor = row["monitor"]
    assert (monitor["mode"], monitor["train"], _ref(monitor["validation"])) == ("max", None, f"{run}:{tag}")
    assert row["best"]["step"] == best_step and row["best"]["value"] == pytest.approx(0.44, abs=1e-6)


def test_bookkeeping_is_reachable_when_asked_by_name(served):
    """Case 3: diagnostics are never the default monitor, but `metric=grad_norm` analyses one."""
    client = served["writers"][2]
    status, curves = client.get("curves", run=HF, metric="grad_norm")
    assert status == 200
    assert curves["metric"] == "grad_norm" and curves["analysis"]["status"] == "no_validation"
    assert curves["train"]["steps"][:2] == [10, 20]
    assert "grad_norm" not in [metric["metric"] for metric in curves["metrics"]]
    (grad_norm,) = [d for d in curves["diagnostics"] if d["metric"] == "grad_norm"]
    assert grad_norm["train"]["tag"] == "train/grad_norm" and grad_norm["train"]["values"] == curves["train"]["values"]


def test_run_holding_only_hp_metric_has_no_verdict(served, conventions_logdir):
    """Case 3: a Lightning version with only `hp_metric = -1` is listed as `no_metrics`, HTTP and CLI alike."""
    http, cli_document, _ = served["writers"]
    row = _by_run(http)["lightning_logs/version_1"]
    assert _by_run(cli_document)["lightning_logs/version_1"] == row
    assert (row["status"], row["metrics"], row["monitor"], row["best"]) == ("no_metrics", [], None, None)
    assert "only bookkeeping series (hp_metric)" in row["explanation"]
    assert [_ref(d["train"]) for d in row["diagnostics"]] == ["lightning_logs/version_1:hp_metric"]
    (line,) = [
        line for line in _cli_table(conventions_logdir).splitlines() if line.startswith("lightning_logs/version_1 ")
    ]
    assert re.split(r"\s{2,}", line)[1] == "no metrics"  # names as words in the text table


def test_epochs_from_the_epoch_series_in_explanations_and_the_table(served, conventions_logdir):
    """Case 4: HF and Lightning verdicts speak in the epochs their progress bars showed."""
    http, _, _ = served["writers"]
    rows = _by_run(http)
    assert rows[HF]["explanation"].startswith(
        "Validation loss was best at epoch 5, step 250 (0.5); since epoch 7, step 350"
    )
    table = _cli_table(conventions_logdir, "--patience", PATIENCE, "--run", "^lightning_logs/version_0$").splitlines()
    assert table[1].split()[:7] == [LIGHTNING, "overfitting", "loss↓", "epoch", "5", "0.5", "epoch"]
    assert "epoch 7, saves 3" in table[1]


def test_add_scalars_with_the_split_first_is_one_training_run(served):
    """Case 5: runs `<run>/train_performance_Accuracy`, `<run>/val_performance_loss`... are one training run."""
    rows = _by_run(served["writers"][0])
    assert not [name for name in rows if "_performance" in name]
    for run in (TORCH_SPLIT_FIRST, TBX_SPLIT_FIRST):
        assert rows[run]["metrics"] == ["loss", "Accuracy"] and rows[run]["status"] == "overfitting"


@pytest.mark.parametrize(
    "name, mode",
    [
        *[
            (name, "max")
            for name in (
                "mAP50-95(B)",
                "mAP50(B)",
                "precision(B)",
                "recall(B)",
                "mAP50-95(M)",
                "accuracy_top1",
                "accuracy_top5",  # Ultralytics
                "mAP_0.5:0.95",
                "mAP_0.5",
                "fitness",  # YOLOv5
                "accuracy",
                "f1",
                "exact_match",
                "matthews_correlation",
                "spearmanr",
                "pearson",
                "sacrebleu",
                "rouge1",  # HF evaluate
                "mAR",
                "miou",
                "val_acc_epoch",
                "episode_reward",
            )
        ],
        *[
            (name, "min")
            for name in ("box_loss", "dfl_loss", "wer", "perplexity", "average_loss", "emd", "temperature")
        ],
    ],
)
def test_metric_mode_of_the_writers_metric_names(name, mode):
    from tb_overfit_plugin.analysis.direction import metric_mode

    assert metric_mode(name) == mode
