"""The demo's real Keras logs show what they promise: a U-shaped overfit run,
an early-stopped regularized run, and a broken run whose hidden units stay identical.

Uses the session-wide `demo_logdir` fixture (conftest.py), so the three models
are trained once per test session, and reads the events back with
TensorBoard's own event multiplexer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demo"))
import write_logs  # noqa: E402

from tb_overfit_plugin.data.logdir import read_logdir  # noqa: E402

LAYERS = ("dense_1", "dense_2", "dense_3")
# Identical units: on the development machine (x86 AVX2, TF 2.21) the spread
# is exactly 0 (one zero-width bucket); other CPU kernels may round units
# apart by ~1e-8, which must not fail the test.
IDENTICAL_RELATIVE_SPREAD = 1e-6


@pytest.fixture(scope="module")
def events(demo_logdir):
    """{run: {"scalars": {tag: ScalarSeries}, "histograms": {tag: HistogramSeries}}}, every point."""
    data = read_logdir(demo_logdir)
    runs = set(data.scalars.by_run) | set(data.histograms.by_run)
    return {
        run: {"scalars": data.scalars.by_run.get(run, {}), "histograms": data.histograms.by_run.get(run, {})}
        for run in runs
    }


def _scalar(events, run, tag) -> tuple[np.ndarray, np.ndarray]:
    series = events[run]["scalars"][tag]
    return series.steps, series.values


def _all_steps_identical(events, run, tag) -> bool:
    """Every step's non-empty buckets span (almost) a single value."""
    buckets = events[run]["histograms"][tag].buckets
    spans = [(rows[:, 0].min(), rows[:, 1].max()) for rows in buckets]
    return all(high - low <= IDENTICAL_RELATIVE_SPREAD * max(1.0, abs(high)) for low, high in spans)


def test_demo_writes_keras_runs_tags_and_a_histogram_per_weight_and_epoch(events):
    expected_runs = {f"{name}/{split}" for name in write_logs.RUN_NAMES for split in ("train", "validation")}
    assert set(events) == expected_runs
    for name in write_logs.RUN_NAMES:
        train, validation = events[f"{name}/train"], events[f"{name}/validation"]
        assert set(train["scalars"]) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"}
        assert set(validation["scalars"]) == {
            "epoch_loss",
            "epoch_accuracy",
            "evaluation_loss_vs_iterations",
            "evaluation_accuracy_vs_iterations",
        }
        epochs, _ = _scalar(events, f"{name}/train", "epoch_loss")
        assert epochs.tolist() == list(range(len(epochs)))
        assert _scalar(events, f"{name}/validation", "epoch_loss")[0].tolist() == epochs.tolist()
        expected_histograms = {
            f"{name}_model/{layer}/{weight}/histogram" for layer in LAYERS for weight in ("kernel", "bias")
        }
        assert set(train["histograms"]) == expected_histograms
        for tag in expected_histograms:
            assert train["histograms"][tag].steps.tolist() == epochs.tolist(), tag


def test_overfit_validation_loss_turns_clearly_upward_while_training_loss_falls(events):
    _, val_loss = _scalar(events, "overfit/validation", "epoch_loss")
    _, train_loss = _scalar(events, "overfit/train", "epoch_loss")
    assert len(val_loss) == write_logs.MAX_EPOCHS["overfit"]
    best = int(np.argmin(val_loss))
    assert 0 < best < len(val_loss) / 2
    assert val_loss[-1] >= 1.3 * val_loss[best]
    assert np.mean(np.diff(val_loss[best + 2 :]) > 0) >= 0.9, "rises steadily after the minimum"
    assert train_loss[-1] < 0.25 * train_loss[best]
    assert "epoch_accuracy" in events["overfit/validation"]["scalars"]


def test_regularized_run_stops_early_at_best_plus_patience(events):
    _, val_loss = _scalar(events, "regularized/validation", "epoch_loss")
    best = int(np.argmin(val_loss))
    assert len(val_loss) < write_logs.MAX_EPOCHS["regularized"]
    assert len(val_loss) == best + write_logs.EARLY_STOPPING_PATIENCE + 1
    assert val_loss[-1] <= 1.1 * val_loss[best], "no strong overfitting"


def test_broken_run_hidden_units_stay_identical(events):
    for tag in ("dense_1/bias", "dense_2/bias", "dense_2/kernel"):
        assert _all_steps_identical(events, "broken/train", f"broken_model/{tag}/histogram"), tag
        assert not _all_steps_identical(events, "overfit/train", f"overfit_model/{tag}/histogram"), tag
    # The first kernel's columns are identical but its rows (inputs) differ;
    # the output layer's bias differs per class.
    for tag in ("dense_1/kernel", "dense_3/kernel", "dense_3/bias"):
        assert not _all_steps_identical(events, "broken/train", f"broken_model/{tag}/histogram"), tag


@pytest.mark.parametrize("query", [{}, {"metric": "accuracy"}, {"smoothing": "0.6"}])
def test_materiality_leaves_the_demo_verdicts_unchanged(demo_logdir, monkeypatch, query):
    from tb_overfit_plugin.analysis import onset
    from tb_overfit_plugin.documents import analysis_cache, params
    from tb_overfit_plugin.documents.runs import documents as run_documents

    data = read_logdir(demo_logdir)

    def verdicts():
        document = run_documents.runs_document(
            analysis_cache.AnalysisCache(), data.scalars, data.histograms, params.parse_curve_params(query)
        )
        return {
            row["run"]: (row["status"], row["best"]["step"], row["onset"] and row["onset"]["step"])
            for row in document["runs"]
        }

    with_rule = verdicts()
    monkeypatch.setattr(onset, "MATERIAL_FRACTION", 0.0)
    assert verdicts() == with_rule
    assert {run: status for run, (status, _, _) in with_rule.items()} == {
        "overfit": "overfitting",
        "regularized": "plateau",
        "broken": "improving",
    }
