"""Small real Keras fits that fail in the classic ways (issue 24), logged as users log them.

Every run is `model.fit` with `keras.callbacks.TensorBoard(log_dir=LOGDIR/<run>,
histogram_freq=1)` on one binary task made with numpy: 20 Gaussian features, the
label a non-linear function of the first 4 (an XOR of two signs, and a ring), so a
logistic regression cannot fit it. Seconds per run on a CPU.

- ``diverged``: 20-32-32-1 ReLU MLP, SGD(learning_rate=3.0, momentum=0.9), on the
  features unscaled (std `RAW_SCALE`): the loss explodes in the first epoch and the
  network then sits at chance.
- ``frozen``: the same MLP with Adam, its first Dense layer ``trainable=False``.
- ``logistic``: one Dense(1, sigmoid) unit (a logistic regression), Adam, 25 epochs:
  converged and underfitting.
- ``deep_sigmoid``: 12 Dense(16, sigmoid) layers and the output, SGD(0.05): the
  gradients vanish toward the input.
"""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np

N_FEATURES = 20
N_TRAIN, N_VALIDATION = 2000, 1000
RAW_SCALE = 4.0  # `diverged` is fed features of std 4 (not standardised), as new users often do
BATCH_SIZE = 32
RUNS = ("diverged", "frozen", "logistic", "deep_sigmoid")


def binary_task(seed: int = 0, scale: float = 1.0):
    """``((x, y), (x_val, y_val))``: ``y = [x0 + 2 x1 x2 > 0]``, a linear part and an interaction."""
    rng = np.random.default_rng(seed)

    def sample(n):
        x = rng.normal(size=(n, N_FEATURES)).astype("float32")
        return scale * x, (x[:, 0] + 2.0 * x[:, 1] * x[:, 2] > 0).astype("float32")

    return sample(N_TRAIN), sample(N_VALIDATION)


def _mlp(keras, name: str, frozen_first: bool = False):
    first = keras.layers.Dense(32, activation="relu", name="dense_1")
    first.trainable = not frozen_first
    return keras.Sequential([keras.Input((N_FEATURES,)), first,
                             keras.layers.Dense(32, activation="relu", name="dense_2"),
                             keras.layers.Dense(1, activation="sigmoid", name="dense_3")], name=name)


def _models(keras):
    """``{run: (model, optimizer, epochs)}``."""
    deep = [keras.Input((N_FEATURES,))]
    deep += [keras.layers.Dense(16, activation="sigmoid", name=f"dense_{i + 1}") for i in range(12)]
    deep.append(keras.layers.Dense(1, activation="sigmoid", name="dense_13"))
    return {
        "diverged": (_mlp(keras, "diverged"), keras.optimizers.SGD(3.0, momentum=0.9), 15),
        "frozen": (_mlp(keras, "frozen", frozen_first=True), keras.optimizers.Adam(3e-3), 12),
        "logistic": (keras.Sequential([keras.Input((N_FEATURES,)),
                                       keras.layers.Dense(1, activation="sigmoid", name="dense_1")],
                                      name="logistic"), keras.optimizers.Adam(1e-2), 25),
        "deep_sigmoid": (keras.Sequential(deep, name="deep_sigmoid"), keras.optimizers.SGD(0.05), 12),
    }


def write_failed_fits(logdir, runs=RUNS, seed: int = 3) -> list:
    """Trains `runs` into `logdir` (one folder each); returns their names."""
    import keras

    logdir = pathlib.Path(logdir)
    keras.utils.set_random_seed(seed)
    models = _models(keras)
    for name in runs:
        (x, y), (x_val, y_val) = binary_task(scale=RAW_SCALE if name == "diverged" else 1.0)
        model, optimizer, epochs = models[name]
        model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
        model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=BATCH_SIZE, verbose=0,
                  callbacks=[keras.callbacks.TensorBoard(log_dir=str(logdir / name), histogram_freq=1)])
    return list(runs)


if __name__ == "__main__":
    import sys

    print(write_failed_fits(sys.argv[1]))
