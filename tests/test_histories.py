"""CSV/JSON training histories (`histories`): the same verdicts as the equivalent TensorBoard event files.

Keras' `CSVLogger` is the real callback, beside Keras' TensorBoard callback in
the same `fit`; Lightning's `CSVLogger`, Ultralytics' `results.csv` and HF's
`trainer_state.json` (libraries not installed here) are written in their exact
documented layouts, next to `logwriters`' event files of the same logging calls.
"""

import csv
import io
import json

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.cli import command as cli

# The verdict of a row; the names (run, sources, scalar_tags) differ between a file and a logdir.
VERDICT = (
    "status",
    "explanation",
    "best",
    "onset",
    "early_stop",
    "save_best_steps",
    "diverged_step",
    "num_steps",
    "last_step",
    "lr_drop_steps",
    "sampled",
)
# float32 values, as event files hold them: the files' decimals then name the same numbers.
U_SHAPE = [float(v) for v in np.float32([1.0, 0.8, 0.65, 0.55, 0.5, 0.52, 0.56, 0.6, 0.66, 0.72, 0.8, 0.88])]
FALLING = [float(v) for v in np.linspace(1.0, 0.1, len(U_SHAPE), dtype=np.float32)]


def _f32(values):
    return [float(v) for v in np.asarray(values, dtype=np.float32)]


def _runs(path, *args):
    out = io.StringIO()
    assert cli.run([str(path), "--json", *args], out=out) == 0
    return {row["run"]: row for row in json.loads(out.getvalue())["runs"]}


def _same_verdicts(history_row, event_row):
    assert history_row["monitor"]["metric"] == event_row["monitor"]["metric"]
    for field in VERDICT:
        assert history_row[field] == event_row[field], field


def _write_csv(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(name for row in rows for name in row))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)


def test_keras_csvlogger_written_by_keras(tmp_path):
    import keras

    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(120, 10)).astype("float32"), rng.integers(0, 2, 120)
    x_val, y_val = rng.normal(size=(400, 10)).astype("float32"), rng.integers(0, 2, 400)
    model = keras.Sequential(
        [keras.Input((10,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(2, activation="softmax")]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    (tmp_path / "csv").mkdir()
    model.fit(
        x,
        y,
        validation_data=(x_val, y_val),
        epochs=12,
        batch_size=60,
        verbose=0,
        callbacks=[
            keras.callbacks.CSVLogger(str(tmp_path / "csv" / "history.csv")),
            keras.callbacks.TensorBoard(log_dir=str(tmp_path / "logs" / "history")),
        ],
    )
    history, events = _runs(tmp_path / "csv" / "history.csv")["history"], _runs(tmp_path / "logs")["history"]
    _same_verdicts(history, events)
    assert history["best"]["epoch"] == events["best"]["epoch"] is not None  # Keras' epochs: step + 1
    for metric in ("accuracy",):  # the other metric too
        _same_verdicts(
            _runs(tmp_path / "csv", "--metric", metric)["history"],
            _runs(tmp_path / "logs", "--metric", metric)["history"],
        )


def test_lightning_metrics_csv(tmp_path):
    # CSVLogger(save_dir) -> lightning_logs/version_0/metrics.csv: one row per log_metrics call,
    # `epoch` and `step` added.
    records = []
    for epoch, (val, train) in enumerate(zip(U_SHAPE, FALLING)):
        step = 10 * (epoch + 1)
        records.append((step - 5, {"train_loss_step": _f32([train + 0.05])[0], "epoch": epoch}))
        records.append(
            (step, {"val_loss": val, "val_acc": _f32([1 - val / 2])[0], "train_loss_epoch": train, "epoch": epoch})
        )
    _write_csv(
        tmp_path / "csv" / "lightning_logs" / "version_0" / "metrics.csv",
        [{"step": step, **values} for step, values in records],
    )
    logwriters.write_scalar_records(tmp_path / "logs", "lightning_logs/version_0", records)
    history = _runs(tmp_path / "csv")["lightning_logs/version_0"]
    _same_verdicts(history, _runs(tmp_path / "logs")["lightning_logs/version_0"])
    assert history["status"] == "overfitting" and history["best"]["epoch"] == 5


def test_ultralytics_results_csv(tmp_path):
    train = {"box_loss": FALLING, "cls_loss": FALLING}
    validation = {"box_loss": U_SHAPE, "cls_loss": U_SHAPE}
    metrics = {"mAP50-95(B)": _f32([0.8 - v / 2 for v in U_SHAPE])}
    lr = [_f32(np.geomspace(1e-2, 1e-4, len(U_SHAPE)))]
    rows = [
        {
            "epoch": epoch + 1,
            **{f"train/{k}": v[epoch] for k, v in train.items()},
            **{f"metrics/{k}": v[epoch] for k, v in metrics.items()},
            **{f"val/{k}": v[epoch] for k, v in validation.items()},
            "lr/pg0": lr[0][epoch],
        }
        for epoch in range(len(U_SHAPE))
    ]
    _write_csv(tmp_path / "csv" / "runs" / "detect" / "train" / "results.csv", rows)
    logwriters.write_ultralytics(tmp_path / "logs", "runs/detect/train", train, validation, metrics, lr)
    history = _runs(tmp_path / "csv")["runs/detect/train"]
    _same_verdicts(history, _runs(tmp_path / "logs")["runs/detect/train"])
    assert history["lr_drop_steps"]


def test_huggingface_trainer_state(tmp_path):
    steps_per_epoch, logging_steps, epochs = 20, 10, len(U_SHAPE)
    total = steps_per_epoch * epochs
    train_loss = _f32(np.linspace(1.0, 0.1, total // logging_steps))
    history = []  # Trainer.state.log_history, as trainer_state.json saves it
    for step in range(1, total + 1):
        if step % logging_steps == 0:
            history.append(
                {
                    "epoch": step / steps_per_epoch,
                    "grad_norm": _f32([1.5 + 0.5 / step])[0],
                    "learning_rate": _f32([5e-5 * (1 - step / total)])[0],
                    "loss": train_loss[step // logging_steps - 1],
                    "step": step,
                }
            )
        if step % steps_per_epoch == 0:
            history.append(
                {
                    "epoch": step / steps_per_epoch,
                    "eval_loss": U_SHAPE[step // steps_per_epoch - 1],
                    "eval_runtime": 2.5,
                    "eval_samples_per_second": 400.0,
                    "eval_steps_per_second": 50.0,
                    "step": step,
                }
            )
    history.append(
        {
            "epoch": float(epochs),
            "step": total,
            "total_flos": 1.2e12,
            "train_loss": _f32([np.mean(train_loss)])[0],
            "train_runtime": 120.0,
            "train_samples_per_second": 300.0,
            "train_steps_per_second": 37.5,
        }
    )
    state = tmp_path / "csv" / "out" / "checkpoint-240" / "trainer_state.json"
    state.parent.mkdir(parents=True)
    state.write_text(
        json.dumps({"best_metric": None, "epoch": float(epochs), "global_step": total, "log_history": history})
    )
    logwriters.write_hf_trainer(
        tmp_path / "logs", "out/checkpoint-240", steps_per_epoch, logging_steps, train_loss, {"loss": U_SHAPE}
    )
    row = _runs(state)["trainer_state"]
    _same_verdicts(row, _runs(tmp_path / "logs")["out/checkpoint-240"])
    assert row["status"] == "overfitting" and row["best"]["epoch"] == 5


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("history.csv", "epoch,loss\n0,1.0\n1,oops\n", "line 3, column 'loss': 'oops' is not a number"),
        ("history.csv", "epoch,loss\n0,1.0,2\n", "line 2: 3 cells for 2 columns"),
        ("history.csv", "", "empty file"),
        ("results.txt.csv", "time,loss\n0,1\n", "no 'epoch' column"),
        ("trainer_state.json", '{"log_history": [{"loss": 1}]}', "log_history[0] has no whole-number 'step'"),
        ("trainer_state.json", "{not json", "cannot be read as JSON"),
    ],
)
def test_a_malformed_history_is_one_error_line_and_exit_2(tmp_path, capsys, name, text, message):
    (tmp_path / name).write_text(text)
    assert cli.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tb-overfit: error: ") and message in err, err


def test_weights_of_a_history_is_a_usage_error(tmp_path, capsys):
    _write_csv(tmp_path / "history.csv", [{"epoch": e, "loss": v, "val_loss": v} for e, v in enumerate(U_SHAPE)])
    assert cli.main([str(tmp_path), "--weights"]) == 2
    assert "hold no weight histograms" in capsys.readouterr().err
    assert cli.main([str(tmp_path / "history.csv")]) == 0  # the table, without a weights column
