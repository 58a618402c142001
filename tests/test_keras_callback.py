"""OverfitStopping on real Keras fits: it stops an overfitting model near the onset the tab reports,
restores the best weights, lets a model that keeps learning run to the end, and agrees with the tab
reading the same fit's TensorBoard logs (both the verdict and the stop_rule replay of the logged curve).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demo"))
import keras  # noqa: E402
import write_logs  # noqa: E402

from tb_overfit_plugin.analysis.stop_rule import PLATEAU_HOLD, StopRule, improving_trend, replay  # noqa: E402
from tb_overfit_plugin.keras_callback import OverfitStopping  # noqa: E402

MAX_EPOCHS = 40


def _fit(model, data, logdir, epochs, batch_size, stopper):
    x_train, y_train, x_val, y_val = data
    keras.utils.set_random_seed(write_logs.SEED)
    return model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=batch_size,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(log_dir=str(logdir)), stopper],
    )


@pytest.fixture(scope="module")
def overfit(tmp_path_factory):
    """The demo's `overfit` MLP (19k weights, 300 noisy samples) with OverfitStopping and TensorBoard."""
    logdir = tmp_path_factory.mktemp("stop") / "overfit"
    keras.utils.set_random_seed(write_logs.SEED)
    model = write_logs.build_mlp("overfit_model")
    model.compile(
        optimizer=keras.optimizers.Adam(write_logs.LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    stopper = OverfitStopping(monitor="val_loss")
    data = write_logs.make_dataset()
    history = _fit(model, data, logdir, MAX_EPOCHS, write_logs.BATCH_SIZE, stopper)
    return logdir, model, stopper, history, data


def test_an_overfitting_model_stops_near_the_onset_and_keeps_its_best_weights(overfit, capsys):
    _, model, stopper, history, data = overfit
    val_loss = history.history["val_loss"]
    assert stopper.stopped_epoch is not None and len(val_loss) == stopper.stopped_epoch + 1 < MAX_EPOCHS
    assert stopper.analysis.status == "overfitting"
    onset = stopper.analysis.onset_index
    assert stopper.best_epoch == int(np.argmin(val_loss)) < onset <= stopper.stopped_epoch
    assert stopper.stopped_epoch - onset <= stopper.rule.patience  # within a few epochs of the onset
    restored = model.evaluate(data[2], data[3], verbose=0, return_dict=True)["loss"]
    assert restored == pytest.approx(val_loss[stopper.best_epoch], rel=1e-4)


def test_the_stop_line_says_why_with_the_numbers(overfit):
    _, _, stopper, history, _ = overfit
    line = stopper.stop_message()
    assert line.startswith(
        f"Epoch {stopper.stopped_epoch + 1}: OverfitStopping: overfitting. Validation loss was best at "
        f"epoch {stopper.best_epoch + 1} "
    )
    assert line.endswith(f"Restoring the weights of epoch {stopper.best_epoch + 1}.")


def test_the_tab_reading_the_same_fit_agrees(overfit, plugin_client):
    logdir, _, stopper, history, _ = overfit
    status, document = plugin_client(logdir.parent).get("runs")
    assert status == 200
    row = next(row for row in document["runs"] if row["run"] == "overfit")
    assert row["status"] == "overfitting"
    assert row["last_step"] == stopper.stopped_epoch  # the run's own stop is its last epoch
    assert (row["best"]["step"], row["onset"]["step"]) == (stopper.best_epoch, stopper.analysis.onset_index)
    assert row["explanation"] == stopper.analysis.explanation
    _, curves = plugin_client(logdir.parent).get("curves", run="overfit")
    train, validation = (np.array(curves[side]["values"], dtype=np.float64) for side in ("train", "validation"))
    replayed = replay(StopRule(), train, validation)  # the callback's rule replayed on what the tab read
    assert (replayed.stop_index, replayed.restore_index) == (stopper.stopped_epoch, stopper.best_epoch)


def test_a_model_that_keeps_learning_runs_to_the_end(tmp_path):
    """A linear softmax model on clean, plentiful data: validation loss keeps falling."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 20)).astype("float32")
    y = np.argmax(x[:, :4] @ rng.normal(size=(4, 3)), axis=1).astype("int32")
    data = (x[:2000], y[:2000], x[2000:], y[2000:])
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    stopper = OverfitStopping(monitor="val_loss")
    history = _fit(model, data, tmp_path, 15, 100, stopper)
    assert stopper.stopped_epoch is None and len(history.history["val_loss"]) == 15
    assert stopper.analysis.status == "improving"


def test_a_noisy_plateau_stops_once_held_for_patience_more_without_an_improving_trend():
    """Flat noise after a fall: the tab says plateau 5 evaluations after the best; the rule stops at 10."""
    rng = np.random.default_rng(3)
    validation = np.concatenate([[1.0, 0.8, 0.6], 0.5 + rng.normal(0.0, 0.01, 37)])
    validation[10] = 0.45  # the best, clearly below the plateau's noise
    train = np.linspace(1.0, 0.1, validation.size)
    replayed = replay(StopRule(), train, validation)
    assert replayed.analysis.status == "plateau"
    assert (replayed.stop_index, replayed.restore_index) == (10 + PLATEAU_HOLD * 5, 10)
    assert improving_trend(replayed.analysis).z <= 0.0


def test_a_plateau_whose_later_values_keep_improving_is_not_stopped():
    """A lucky early best, then values falling back towards it: no stop while they lean towards improving."""
    validation = np.concatenate([[1.0, 0.8, 0.6, 0.40], np.linspace(0.5, 0.41, 16)])
    train = np.linspace(1.0, 0.1, validation.size)
    rule = StopRule()
    analysis = rule.judge((np.arange(20), train), (np.arange(20), validation))
    assert analysis.status == "plateau" and analysis.num_steps - 1 - analysis.best_index >= PLATEAU_HOLD * 5
    assert improving_trend(analysis).z > 0 and not rule.stops(analysis)


def test_the_tabs_what_if_for_the_callbacks_rule_is_where_it_stopped(overfit, plugin_client):
    """/stopping lists OverfitStopping's rule (same patience) replayed on the logged curve: its stop is the fit's."""
    logdir, _, stopper, _, _ = overfit
    status, document = plugin_client(logdir.parent).get("stopping", run="overfit")
    assert status == 200
    rule = next(rule for rule in document["rules"] if rule["rule"] == "overfit_stopping")
    assert rule["label"] == f"OverfitStopping(patience={stopper.rule.patience})" and rule["applicable"]
    assert (rule["stop_step"], rule["restore_step"]) == (stopper.stopped_epoch, stopper.best_epoch)
    assert rule["stop_epoch"] == stopper.stopped_epoch + 1 and rule["regret"] == 0.0
    assert rule["epochs_saved"] == 0  # the run's own stop is its last epoch: nothing left to save
