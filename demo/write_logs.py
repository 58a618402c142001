"""Writes small, real Keras training runs for trying out tb-overfit.

    python demo/write_logs.py --logdir demo_logs   # 3 runs below + the 19 of sweep_logs.py
    tensorboard --logdir demo_logs

`--no-sweep` writes only the three runs below; `sweep_logs.py` adds a grid
search logged with `hp.KerasCallback` (seed groups, hyper-parameter
columns and effects), a shallow and a deep network (compared side by side)
and a run with `ReduceLROnPlateau` (learning-rate drops).

All three models solve the same synthetic task, made with numpy (no
download): 3-class classification of 20 Gaussian features, where only the
first 4 features carry signal and 15% of the labels (train and validation
alike) are flipped to a random other class. The training set is small (300
samples) and the validation set large (2000), so memorising the noise is
easy and clearly visible.

Runs (``keras.callbacks.TensorBoard(log_dir=LOGDIR/<name>, histogram_freq=1)``):

- ``overfit``: 20-128-128-3 ReLU MLP (19k weights for 300 samples),
  Adam(1e-3), batch 30, no regularisation, 40 epochs. Validation loss bottoms
  out early (epoch 5 with seed 7, as Keras counts) and then climbs steadily to ~1.8x its minimum while
  training loss keeps falling to ~0.03.
- ``regularized``: same network plus L2(1e-4) on the hidden kernels, Dropout
  (0.5) after each hidden layer and
  ``EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)``;
  stops after ~20-30 of at most 40 epochs with no real overfitting.
- ``broken``: same network, every Dense kernel and bias initialised with
  ``Constant(0.05)`` (20 epochs). Symmetry is never broken: all hidden neurons
  of a layer stay identical for the whole run (see `weight_pattern`).
  Bit-exact identity is a property of the CPU kernels' rounding, not of the
  maths: with batch 32 (width 128) the units drifted apart by ~1e-8 from
  epoch 3 on; batch 30 stayed bit-exact for every seed tried (x86 AVX2,
  TF 2.21). Consumers should compare with a small relative tolerance.

Each run ``<name>`` yields two TensorBoard runs, ``<name>/train`` and
``<name>/validation`` (Keras' own layout). Tags, all TF2 summaries (scalars and
histograms stored as tensors, plugin "scalars" / "histograms"), with step =
0-based epoch unless noted:

- ``<name>/train``: scalars ``epoch_loss``, ``epoch_accuracy``,
  ``epoch_learning_rate``; histograms
  ``<name>_model/dense_{1,2,3}/{kernel,bias}/histogram`` (TF2 format, 30
  buckets; Keras names each weight by its variable path, which starts with
  the model's name); the model config as tag ``keras`` (plugin
  ``graph_keras_model``, step 0). No graph event: Keras 3's callback only
  writes one for a train function with ``function_spec``, which it lacks.
- ``<name>/validation``: scalars ``epoch_loss``, ``epoch_accuracy``, and
  ``evaluation_loss_vs_iterations`` / ``evaluation_accuracy_vs_iterations``
  whose step is the optimizer's iteration count (10 batches of 30 per epoch,
  so steps 10, 20, ...), not the epoch.

The Dropout layers of ``regularized`` (``dropout_1``, ``dropout_2``) have no
weights, so no histograms. Rerunning deletes and rewrites only the demo's
run directories inside ``--logdir``.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
import time
from typing import Callable, Optional, Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # tf.data input and tf.summary

_SCRIPT_START = time.perf_counter()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep_logs  # noqa: E402

SEED = 7
N_FEATURES = 20
N_INFORMATIVE = 4
N_CLASSES = 3
N_TRAIN = 300
N_VALIDATION = 2000
LABEL_NOISE = 0.15
HIDDEN_WIDTH = 128
BATCH_SIZE = 30  # see the note on `broken` in the module docstring
LEARNING_RATE = 1e-3
MAX_EPOCHS = {"overfit": 40, "regularized": 40, "broken": 20}
EARLY_STOPPING_PATIENCE = 5
BROKEN_INIT_VALUE = 0.05
RUN_NAMES = tuple(MAX_EPOCHS)

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x_train, y_train, x_val, y_val


# --------------------------------------------------------------------------- data


def make_dataset(seed: int = SEED) -> Arrays:
    """Returns (x_train, y_train, x_val, y_val) for the noisy 3-class task.

    Labels are the argmax of a random linear map of the first
    `N_INFORMATIVE` features; a fraction `LABEL_NOISE` of them is then moved
    to a random other class, in both splits.
    """
    rng = np.random.default_rng(seed)
    teacher = rng.normal(size=(N_INFORMATIVE, N_CLASSES))

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(n, N_FEATURES)).astype("float32")
        y = np.argmax(x[:, :N_INFORMATIVE] @ teacher, axis=1)
        flipped = rng.random(n) < LABEL_NOISE
        y[flipped] = (y[flipped] + rng.integers(1, N_CLASSES, flipped.sum())) % N_CLASSES
        return x, y.astype("int32")

    return (*sample(N_TRAIN), *sample(N_VALIDATION))


def _datasets(data: Arrays, seed: int) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """tf.data pipelines: 2-3x faster per epoch than numpy input on 2 cores."""
    x_train, y_train, x_val, y_val = data
    train = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(BATCH_SIZE)
    )
    validation = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(len(x_val)).cache()
    return train, validation


# -------------------------------------------------------------------------- models


def build_mlp(
    model_name: str,
    *,
    l2: float = 0.0,
    dropout: float = 0.0,
    initializer: Optional[keras.initializers.Initializer] = None,
) -> keras.Sequential:
    """20-128-128-3 ReLU MLP with layers named dense_1..dense_3 (and dropout_i)."""
    init_kwargs = {}
    if initializer is not None:
        init_kwargs = {"kernel_initializer": initializer, "bias_initializer": initializer}
    regularizer = keras.regularizers.L2(l2) if l2 else None
    layers: list = [keras.Input(shape=(N_FEATURES,), name="features")]
    for index in (1, 2):
        layers.append(
            keras.layers.Dense(
                HIDDEN_WIDTH,
                activation="relu",
                kernel_regularizer=regularizer,
                name=f"dense_{index}",
                **init_kwargs,
            )
        )
        if dropout:
            layers.append(keras.layers.Dropout(dropout, name=f"dropout_{index}"))
    layers.append(keras.layers.Dense(N_CLASSES, activation="softmax", name="dense_3", **init_kwargs))
    return keras.Sequential(layers, name=model_name)


def _model_for(run_name: str) -> keras.Sequential:
    model_name = f"{run_name}_model"
    if run_name == "overfit":
        return build_mlp(model_name)
    if run_name == "regularized":
        return build_mlp(model_name, l2=1e-4, dropout=0.5)
    if run_name == "broken":
        return build_mlp(model_name, initializer=keras.initializers.Constant(BROKEN_INIT_VALUE))
    raise ValueError(f"unknown demo run {run_name!r}")


# ------------------------------------------------------------------ weight symmetry


def weight_pattern(values: np.ndarray) -> str:
    """Classifies a weight tensor by exact (bitwise float) equality.

    "all identical": every entry equal. For 2-D kernels (rows = inputs,
    columns = units): "identical columns" means every unit's incoming weight
    vector is the same (rows still differ); "identical rows" means every
    input row is the same vector (columns differ). Otherwise "distinct".
    """
    values = np.asarray(values)
    if values.size == 0 or np.all(values == values.flat[0]):
        return "all identical"
    if values.ndim == 2:
        if np.all(values == values[:, :1]):
            return "identical columns"
        if np.all(values == values[:1, :]):
            return "identical rows"
    return "distinct"


class WeightPatternRecorder(keras.callbacks.Callback):
    """Records `weight_pattern` of every weight at every epoch end.

    `patterns[path]` is a list with one entry per epoch, in step order, so it
    lines up with the histograms the TensorBoard callback writes.
    """

    def __init__(self) -> None:
        super().__init__()
        self.patterns: dict[str, list[str]] = {}
        self.final_spread: dict[str, float] = {}

    def on_epoch_end(self, epoch, logs=None):
        for weight in self.model.weights:
            values = np.asarray(weight.numpy())
            self.patterns.setdefault(weight.path, []).append(weight_pattern(values))
            self.final_spread[weight.path] = float(values.max() - values.min())


def summarize_patterns(per_epoch: Sequence[str]) -> str:
    """'identical columns @ epochs 1-20' style summary of a per-epoch list (epochs as Keras prints them)."""
    parts = []
    start = 0
    for index in range(1, len(per_epoch) + 1):
        if index == len(per_epoch) or per_epoch[index] != per_epoch[start]:
            span = f"{start + 1}" if index - 1 == start else f"{start + 1}-{index}"
            parts.append(f"{per_epoch[start]} @ epochs {span}")
            start = index
    return "; ".join(parts)


# ------------------------------------------------------------------------ training


def _train_run(logdir: pathlib.Path, run_name: str, data: Arrays) -> dict:
    """Trains one demo model with the TensorBoard callback and returns its facts."""
    run_dir = logdir / run_name
    shutil.rmtree(run_dir, ignore_errors=True)
    keras.utils.set_random_seed(SEED)
    model = _model_for(run_name)
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callbacks: list = [keras.callbacks.TensorBoard(log_dir=str(run_dir), histogram_freq=1)]
    if run_name == "regularized":
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=EARLY_STOPPING_PATIENCE, restore_best_weights=True
            )
        )
    recorder = WeightPatternRecorder() if run_name == "broken" else None
    if recorder is not None:
        callbacks.append(recorder)

    train, validation = _datasets(data, SEED)
    started = time.perf_counter()
    history = model.fit(
        train,
        validation_data=validation,
        epochs=MAX_EPOCHS[run_name],
        shuffle=False,  # the dataset shuffles itself; avoids a Keras warning
        callbacks=callbacks,
        verbose=0,
    )
    val_loss = [float(v) for v in history.history["val_loss"]]
    facts = {
        "model_name": model.name,
        "runs": [f"{run_name}/train", f"{run_name}/validation"],
        "max_epochs": MAX_EPOCHS[run_name],
        "epochs_run": len(val_loss),
        "stopped_early": len(val_loss) < MAX_EPOCHS[run_name],
        "best_epoch": int(np.argmin(val_loss)),
        "train_loss": [float(v) for v in history.history["loss"]],
        "val_loss": val_loss,
        "val_accuracy": [float(v) for v in history.history["val_accuracy"]],
        "histogram_tags": [
            f"{weight.path.replace(':', '_')}/histogram" for layer in model.layers for weight in layer.weights
        ],
        "seconds": time.perf_counter() - started,
    }
    if recorder is not None:
        facts["weight_patterns"] = recorder.patterns
        facts["final_weight_spread"] = recorder.final_spread
    return facts


def write_demo_logs(logdir, sweep: bool = False) -> dict:
    """Trains the three demo models, writing their logs under `logdir`; `sweep`: also `sweep_logs`' runs.

    Returns {run_name: facts}; facts hold "runs" (TensorBoard run names),
    "max_epochs", "epochs_run", "stopped_early", "best_epoch" (0-based, equal
    to the TensorBoard step), per-epoch "train_loss", "val_loss",
    "val_accuracy", "histogram_tags", "seconds", and for "broken" also
    "weight_patterns" ({variable path: [weight_pattern per epoch]}) and
    "final_weight_spread" ({variable path: max - min after training}).
    """
    logdir = pathlib.Path(logdir)
    logdir.mkdir(parents=True, exist_ok=True)
    data = make_dataset(SEED)
    facts = {name: _train_run(logdir, name, data) for name in RUN_NAMES}
    if sweep:
        facts.update(sweep_logs.write_sweep_logs(logdir, data))
    return facts


def _print_summary(facts: dict, out: Callable[[str], None] = print) -> None:
    for name, run_facts in facts.items():
        if name not in RUN_NAMES:
            out(
                f"{name:40s} {run_facts['hparams'] or ''} best val_loss {min(run_facts['val_loss']):.3f} @ epoch "
                f"{run_facts['best_epoch'] + 1}/{run_facts['epochs_run']} [{run_facts['seconds']:.1f}s]"
            )
            continue
        val_loss = run_facts["val_loss"]
        best = run_facts["best_epoch"]
        out(
            f"{name:12s} epochs run {run_facts['epochs_run']:2d}/{run_facts['max_epochs']}"
            f"{' (early stop)' if run_facts['stopped_early'] else ''}, "
            f"best val_loss {val_loss[best]:.3f} @ epoch {best + 1}, final val_loss "
            f"{val_loss[-1]:.3f} ({val_loss[-1] / val_loss[best]:.2f}x min), final train_loss "
            f"{run_facts['train_loss'][-1]:.3f}, val_acc @ best {run_facts['val_accuracy'][best]:.3f} "
            f"[{run_facts['seconds']:.1f}s]"
        )
    if "broken" in facts:
        out("broken weights (exact equality, checked with numpy after every epoch):")
        for path, per_epoch in facts["broken"]["weight_patterns"].items():
            spread = facts["broken"]["final_weight_spread"][path]
            out(f"  {path:28s} {summarize_patterns(per_epoch)}; final max-min {spread:.3g}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="demo_logs", help="output directory (default: demo_logs)")
    parser.add_argument("--no-sweep", action="store_true", help="only the three runs, not sweep_logs' 19")
    args = parser.parse_args(argv)

    facts = write_demo_logs(args.logdir, sweep=not args.no_sweep)
    _print_summary(facts)
    print(f"wrote {args.logdir} in {time.perf_counter() - _SCRIPT_START:.1f}s (including TensorFlow import)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
