"""The demo's sweep: the runs that give every card of the OVERFIT tab content.

Written by `write_logs.write_demo_logs(logdir, sweep=True)` (and `make run`)
beside the three runs of `write_logs`, from real Keras training on the same
synthetic task (`write_logs.make_dataset`: 300 training and 2000 validation
samples, 15% of the labels flipped). Every run is `model.fit` with
`keras.callbacks.TensorBoard(log_dir=LOGDIR/<run>, histogram_freq=1)`, so
Keras writes `<run>/train` and `<run>/validation`:

- ``grid/units<U>_dropout<D>_<optimizer>_seed<S>``: a grid search logged
  with `hp.KerasCallback(LOGDIR/<run>, {units, dropout, optimizer})`
  (the hparams session at `<run>`): units 16 or 128 x dropout 0.0 or 0.5 x
  optimizer adam or sgd x seeds 1 and 2, `GRID_EPOCHS` epochs each. The
  tab's default seed-group pattern `(.*)_seed\\d+` makes 8 groups of 2.
  Adam(1e-2) with 128 units memorises the flipped labels (overfitting
  after epoch 3); SGD(5e-2) learns slowly (improving).
- ``depth/shallow`` and ``depth/deep``: 1 and 4 hidden ReLU layers of
  `DEPTH_WIDTH` units on the same data, layers named ``dense_1``...; tick
  both in the Compare column to see their ``dense_1`` kernels side by side.
- ``reduce_lr``: 64 units and Dropout(0.5), Adam(`REDUCE_LR_START`) and
  `ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2)`: its
  learning-rate drops are marked on the chart.

Batches of `BATCH_SIZE` keep an epoch at 5 optimizer steps: the whole sweep
trains in well under a minute on 2 cores.
"""

from __future__ import annotations

import itertools
import pathlib
import shutil
import time
from typing import Dict, Optional

import numpy as np

GRID = {"units": (16, 128), "dropout": (0.0, 0.5), "optimizer": ("adam", "sgd")}
GRID_SEEDS = (1, 2)
GRID_EPOCHS = 15
DEPTH_LAYERS = {"shallow": 1, "deep": 4}
DEPTH_WIDTH = 64
DEPTH_EPOCHS = 20
REDUCE_LR_START = 1e-2
REDUCE_LR_WIDTH, REDUCE_LR_DROPOUT = 64, 0.5
REDUCE_LR_EPOCHS = 20
BATCH_SIZE = 60
LEARNING_RATES = {"adam": 1e-2, "sgd": 5e-2}
MODEL_NAME = "mlp"  # one name, so the compared runs' weight tags name the same layers


def grid_run_name(units: int, dropout: float, optimizer: str, seed: int) -> str:
    return f"grid/units{units}_dropout{dropout}_{optimizer}_seed{seed}"


def grid_settings():
    """Every {units, dropout, optimizer} of the grid, in a fixed order."""
    return [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]


def _mlp(widths, dropout: float = 0.0, n_features: int = 20, n_classes: int = 3):
    """ReLU layers `dense_1..` of the given widths (each followed by Dropout when asked), softmax `dense_<n+1>`."""
    import keras

    layers: list = [keras.Input(shape=(n_features,), name="features")]
    for index, width in enumerate(widths, start=1):
        layers.append(keras.layers.Dense(width, activation="relu", name=f"dense_{index}"))
        if dropout:
            layers.append(keras.layers.Dropout(dropout, name=f"dropout_{index}"))
    layers.append(keras.layers.Dense(n_classes, activation="softmax", name=f"dense_{len(widths) + 1}"))
    return keras.Sequential(layers, name=MODEL_NAME)


def _fit(
    logdir: pathlib.Path,
    name: str,
    model,
    optimizer,
    data,
    epochs: int,
    seed: int,
    extra_callbacks=(),
    hparams: Optional[dict] = None,
) -> dict:
    """Trains `model` into `logdir/name` (Keras' TensorBoard callback); returns its facts."""
    import keras

    run_dir = logdir / name
    shutil.rmtree(run_dir, ignore_errors=True)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [keras.callbacks.TensorBoard(log_dir=str(run_dir), histogram_freq=1), *extra_callbacks]
    if hparams is not None:
        from tensorboard.plugins.hparams import api as hp

        callbacks.append(hp.KerasCallback(str(run_dir), hparams))
    train, validation = _datasets(data, seed)
    started = time.perf_counter()
    history = model.fit(train, validation_data=validation, epochs=epochs, shuffle=False, callbacks=callbacks, verbose=0)
    val_loss = [float(v) for v in history.history["val_loss"]]
    return {
        "runs": [f"{name}/train", f"{name}/validation"],
        "max_epochs": epochs,
        "epochs_run": len(val_loss),
        "stopped_early": False,
        "best_epoch": int(np.argmin(val_loss)),
        "train_loss": [float(v) for v in history.history["loss"]],
        "val_loss": val_loss,
        "val_accuracy": [float(v) for v in history.history["val_accuracy"]],
        "learning_rate": [float(v) for v in history.history.get("learning_rate", [])],
        "hparams": dict(hparams or {}),
        "seconds": time.perf_counter() - started,
    }


def _datasets(data, seed: int):
    """tf.data pipelines (faster per epoch than numpy input): shuffled train batches, one cached validation batch."""
    import tensorflow as tf

    x_train, y_train, x_val, y_val = data
    train = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(BATCH_SIZE)
    )
    return train, tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(len(x_val)).cache()


def _optimizer(name: str, learning_rate: Optional[float] = None):
    import keras

    rate = LEARNING_RATES[name] if learning_rate is None else learning_rate
    return keras.optimizers.Adam(rate) if name == "adam" else keras.optimizers.SGD(rate)


def write_grid(logdir: pathlib.Path, data) -> Dict[str, dict]:
    """The units x dropout x optimizer grid, two seeds each, with `hp.KerasCallback`."""
    import keras

    facts = {}
    for setting in grid_settings():
        for seed in GRID_SEEDS:
            keras.utils.set_random_seed(seed)
            name = grid_run_name(seed=seed, **setting)
            model = _mlp((setting["units"],), dropout=setting["dropout"])
            facts[name] = _fit(
                logdir, name, model, _optimizer(setting["optimizer"]), data, GRID_EPOCHS, seed, hparams=setting
            )
    return facts


def write_depths(logdir: pathlib.Path, data) -> Dict[str, dict]:
    """`depth/shallow` and `depth/deep`: the same data, 1 and 4 hidden layers."""
    import keras

    facts = {}
    for label, depth in DEPTH_LAYERS.items():
        keras.utils.set_random_seed(1)
        model = _mlp((DEPTH_WIDTH,) * depth)
        facts[f"depth/{label}"] = _fit(logdir, f"depth/{label}", model, _optimizer("adam"), data, DEPTH_EPOCHS, 1)
    return facts


def write_reduce_lr(logdir: pathlib.Path, data) -> Dict[str, dict]:
    """`reduce_lr`: Adam(1e-2) halved by ReduceLROnPlateau after 2 epochs without a better val_loss.

    One hidden layer of 64 units with Dropout(0.5): validation loss is best
    near epoch 7, then the rate halves every other epoch from about epoch 10.
    """
    import keras

    keras.utils.set_random_seed(1)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5)
    model = _mlp((REDUCE_LR_WIDTH,), dropout=REDUCE_LR_DROPOUT)
    return {
        "reduce_lr": _fit(
            logdir,
            "reduce_lr",
            model,
            _optimizer("adam", REDUCE_LR_START),
            data,
            REDUCE_LR_EPOCHS,
            1,
            extra_callbacks=[plateau],
        )
    }


def write_sweep_logs(logdir, data) -> Dict[str, dict]:
    """Every sweep run of the demo under `logdir`: {run name: facts}, as `write_logs.write_demo_logs`."""
    logdir = pathlib.Path(logdir)
    logdir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(logdir / "grid", ignore_errors=True)
    shutil.rmtree(logdir / "depth", ignore_errors=True)
    return {**write_grid(logdir, data), **write_depths(logdir, data), **write_reduce_lr(logdir, data)}
