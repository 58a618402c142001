"""The analysis memos are bounded in bytes, keep one version of a live run, and keep the default view apart."""

import time

import logwriters
import numpy as np

from tb_overfit_plugin.data.logdir import read_logdir
from tb_overfit_plugin.documents import analysis_cache, params
from tb_overfit_plugin.documents.runs import documents as run_documents

RUNS = 4


def _runs(logdir, cache, curve_params=None):
    curve_params = curve_params or params.CurveParams()
    data = read_logdir(str(logdir), load_fast="true", with_histograms=False)
    return run_documents.runs_document(cache, data.scalars, data.histograms, curve_params)


def _write_epochs(logdir, first, count):
    steps = list(range(first, first + count))
    for run in range(RUNS):
        logwriters.write_keras_layout(
            logdir,
            f"run{run}",
            train={"epoch_loss": [1.0 / (s + 1) for s in steps]},
            validation={"epoch_loss": [0.5 + 0.01 * (s - 5) ** 2 for s in steps]},
            steps=steps,
        )


def test_a_live_run_keeps_one_verdict_not_one_per_version(tmp_path):
    cache = analysis_cache.AnalysisCache()
    _write_epochs(tmp_path, 0, 4)
    _runs(tmp_path, cache)
    for epoch in range(4, 8):  # the runs gain an epoch: a new version each time
        # tf.summary names a file by the second and a process-wide counter that sorts as text ("17" < "9"):
        # a file written in the same second as an earlier one could sort before it and be read as old.
        time.sleep(1.05)
        _write_epochs(tmp_path, epoch, 1)
        document = _runs(tmp_path, cache)
    assert document["runs"][0]["last_step"] == 7
    assert len(cache.default_curves) == RUNS and len(cache.curves) == 0
    assert 0 < cache.default_curves.nbytes < RUNS * 100_000


def test_a_patience_sweep_evicts_no_default_verdict(tmp_path):
    _write_epochs(tmp_path, 0, 12)
    cache = analysis_cache.AnalysisCache(other_verdict_bytes=20_000)  # room for a few rows only
    default = _runs(tmp_path, cache)
    for patience in range(10):
        _runs(tmp_path, cache, params.CurveParams(patience=patience))
    assert 0 < cache.curves.nbytes <= 20_000
    assert len(cache.default_curves) == RUNS
    kept = cache.default_curves.nbytes
    assert _runs(tmp_path, cache) == default and cache.default_curves.nbytes == kept


def test_deep_nbytes_counts_contents():
    small, large = {"values": [0.5] * 10}, {"values": [0.5] * 1000}
    assert analysis_cache.deep_nbytes(large) - analysis_cache.deep_nbytes(small) >= 990 * 8
    assert analysis_cache.deep_nbytes(np.zeros(1000)) >= 8000


def test_a_documents_slot_keeps_its_latest_version_only():
    from tb_overfit_plugin.documents import document_cache

    cache = document_cache.DocumentCache()
    for version in range(5):
        cache.get(("curves", "live", version), lambda: {"values": list(range(1000))}, slot=("curves", "live"))
    latest = len(cache.get(("curves", "live", 4), dict)[1])
    assert cache.nbytes == latest
