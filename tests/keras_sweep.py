"""A small real Keras sweep logged with `hp.KerasCallback`: 2 settings x 3 seeds.

Each run `units<U>_dropout<D>_seed<S>` is `model.fit` with
`keras.callbacks.TensorBoard(log_dir=LOGDIR/<run>, histogram_freq=1)` (Keras
writes `<run>/train`, `<run>/validation`) and
`hp.KerasCallback(LOGDIR/<run>, {units, dropout})` (the hparams session at
`<run>`). The task is the demo's kind, made with numpy: 3-class
classification of 20 Gaussian features (4 informative, 15% of labels
flipped), 200 training and 1000 validation samples. `units=128, dropout=0`
memorises the noise (validation loss turns up after a few epochs);
`units=8, dropout=0.5` learns slowly. Seconds per run on a CPU.
"""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np

SETTINGS = ({"units": 128, "dropout": 0.0}, {"units": 8, "dropout": 0.5})
SEEDS = (1, 2, 3)
EPOCHS = 20
N_FEATURES, N_INFORMATIVE, N_CLASSES = 20, 4, 3
N_TRAIN, N_VALIDATION, LABEL_NOISE = 200, 1000, 0.15


def run_name(setting: dict, seed: int) -> str:
    return f"units{setting['units']}_dropout{setting['dropout']}_seed{seed}"


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=1.2, size=(N_CLASSES, N_INFORMATIVE))

    def sample(n):
        y = rng.integers(0, N_CLASSES, size=n)
        x = rng.normal(size=(n, N_FEATURES)).astype("float32")
        x[:, :N_INFORMATIVE] += centers[y]
        flip = rng.random(n) < LABEL_NOISE
        y[flip] = (y[flip] + rng.integers(1, N_CLASSES, size=flip.sum())) % N_CLASSES
        return x, y

    return sample(N_TRAIN), sample(N_VALIDATION)


def write_keras_sweep(logdir) -> list:
    """Trains the 6 runs into `logdir`; returns their names."""
    import keras
    from tensorboard.plugins.hparams import api as hp

    logdir = pathlib.Path(logdir)
    (x, y), (x_val, y_val) = _data()
    names = []
    for setting in SETTINGS:
        for seed in SEEDS:
            keras.utils.set_random_seed(seed)
            name = run_name(setting, seed)
            model = keras.Sequential(
                [
                    keras.Input((N_FEATURES,)),
                    keras.layers.Dense(setting["units"], activation="relu", name="hidden"),
                    keras.layers.Dropout(setting["dropout"], name="dropout"),
                    keras.layers.Dense(N_CLASSES, activation="softmax", name="out"),
                ],
                name="mlp",
            )
            model.compile(
                optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
            )
            callbacks = [
                keras.callbacks.TensorBoard(log_dir=str(logdir / name), histogram_freq=1),
                hp.KerasCallback(str(logdir / name), dict(setting)),
            ]
            model.fit(
                x, y, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=20, verbose=0, callbacks=callbacks
            )
            names.append(name)
    return names


if __name__ == "__main__":
    import sys
    import time

    start = time.perf_counter()
    print(write_keras_sweep(sys.argv[1]), f"{time.perf_counter() - start:.1f} s")
