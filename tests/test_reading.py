"""Reads through the data provider: batched, cached by version, histograms normalised."""

import numpy as np
from tensorboard import context as context_lib

import logwriters
from tb_overfit_plugin import reading, series
from tb_overfit_plugin.logdir import local_data_provider, read_logdir


class CountingProvider:
    """Forwards to a real data provider and records every read_* call."""

    def __init__(self, provider):
        self._provider = provider
        self.reads = []

    def __getattr__(self, name):
        method = getattr(self._provider, name)
        if not name.startswith("read_"):
            return method

        def counted(*args, **kwargs):
            self.reads.append((name, kwargs["run_tag_filter"].runs, kwargs["run_tag_filter"].tags))
            return method(*args, **kwargs)

        return counted


def _keras_run(logdir, name, epochs):
    logwriters.write_keras_layout(
        logdir,
        name,
        train={"epoch_loss": list(np.linspace(1.0, 0.1, epochs))},
        validation={"epoch_loss": list(np.linspace(1.2, 0.5, epochs))},
    )


def test_one_batched_read_then_cache_hits_then_only_stale_series(tmp_path):
    for name in ("a", "b", "c"):
        _keras_run(tmp_path, name, epochs=4)
    multiplexer_provider = local_data_provider(str(tmp_path))
    provider = CountingProvider(multiplexer_provider)
    reader = reading.SeriesReader(provider)
    ctx = context_lib.RequestContext()

    first = reader.scalars(ctx, "")
    assert len(provider.reads) == 1, "all runs in one provider call"
    assert sorted(first.by_run) == ["a/train", "a/validation", "b/train", "b/validation", "c/train", "c/validation"]
    np.testing.assert_allclose(first.by_run["b/validation"]["epoch_loss"].values, np.linspace(1.2, 0.5, 4), rtol=1e-6)

    again = reader.scalars(ctx, "")
    assert len(provider.reads) == 1, "unchanged data is not read again"
    assert again.by_run["a/train"]["epoch_loss"] is first.by_run["a/train"]["epoch_loss"]

    # Run `b` gains epochs (a live training run): only its series are re-read.
    _keras_run(tmp_path, "b", epochs=7)
    multiplexer_provider._multiplexer.Reload()
    grown = reader.scalars(ctx, "")
    assert len(provider.reads) == 2
    _, runs, tags = provider.reads[-1]
    assert runs == frozenset({"b/train", "b/validation"}) and tags == frozenset({"epoch_loss"})
    assert grown.by_run["b/train"]["epoch_loss"].steps.tolist() == list(range(7))
    assert grown.version_of([("b/train", "epoch_loss")]) != first.version_of([("b/train", "epoch_loss")])
    assert grown.version_of([("a/train", "epoch_loss")]) == first.version_of([("a/train", "epoch_loss")])


def test_histograms_read_and_normalised(tmp_path):
    rng = np.random.default_rng(0)
    logwriters.write_tf2_histograms(tmp_path, "run", "w", [rng.normal(size=500) for _ in range(3)])
    data = read_logdir(tmp_path)
    histogram = data.histograms.by_run["run"]["w"]
    assert histogram.steps.tolist() == [0, 1, 2]
    for buckets in histogram.buckets:
        assert buckets.dtype == np.float64 and buckets.shape[1] == 3
        assert np.all(buckets[:, 2] > 0) and np.all(buckets[:, 0] <= buckets[:, 1])
        assert buckets[:, 2].sum() == 500


def test_normalize_buckets_handles_what_the_rust_server_sends():
    # HistogramProto as the Rust server converts it: an inverted empty first row [min, first
    # limit], buckets at their natural edges, an inverted empty last row [last limit, max].
    # TensorBoard's Python loader gives [[min, -0.5, 3], [-0.5, 0.8, 2], [0.8, max, 1]].
    data_min, data_max = -0.9, 1.7
    rust = np.array([[data_min, -1.0, 0.0], [-1.0, -0.5, 3.0], [-0.5, 0.8, 2.0], [0.8, 2.0, 1.0], [2.0, data_max, 0.0]])
    python = np.array([[data_min, -0.5, 3.0], [-0.5, 0.8, 2.0], [0.8, data_max, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(series.normalize_buckets(rust), python, rtol=1e-7)
    np.testing.assert_allclose(series.normalize_buckets(python), python, rtol=1e-7)
    # An inner row whose left exceeds its right is reordered.
    np.testing.assert_array_equal(series.normalize_buckets([[-1.0, 0.0, 1.0], [1.0, 0.0, 2.0], [1.0, 2.0, 1.0]]),
                                  [[-1.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, 1.0]])
    assert series.normalize_buckets(np.zeros((0, 3))).shape == (0, 3)


def test_looks_downsampled():
    assert not series.looks_downsampled(np.arange(10))
    assert not series.looks_downsampled(np.arange(0, 20, 2))
    assert series.looks_downsampled(np.array([0, 1, 3, 4, 9]))


def test_scalar_series_keeps_latest_point_of_a_repeated_step():
    built = series.scalar_series(steps=[0, 1, 0, 1, 2], wall_times=[1, 2, 10, 11, 12], values=[5, 4, 3, 2, 1])
    assert built.steps.tolist() == [0, 1, 2]
    assert built.values.tolist() == [3, 2, 1]
    assert series.scalar_series([], [], []).steps.size == 0


def test_vectorised_normalisation_equals_one_at_a_time():
    rng = np.random.default_rng(5)
    edges = np.sort(rng.normal(size=(20, 31)), axis=1)
    counts = rng.integers(0, 3, size=(20, 30)).astype(float)  # many empty buckets
    ordered = np.stack([edges[:, :-1], edges[:, 1:], counts], axis=-1)
    swapped = ordered[:, :, [1, 0, 2]]  # left > right in every row, as the Rust server may send
    shuffled = ordered[:, np.r_[0, rng.permutation(np.arange(1, 29)), 29]]  # inner rows out of order
    constant = np.zeros((20, 30, 3))
    constant[:, :, :2] = 0.5
    constant[:, -1, 2] = 7.0  # TF2's all-equal histogram: zero-width buckets, all count in the last
    with_nan = ordered.copy()
    with_nan[3, 4, 0] = np.nan
    for stack in (ordered, swapped, shuffled, constant, with_nan, ordered[:1], ordered[:, :0]):
        vectorised = series.normalize_bucket_series(list(stack.astype(np.float32)))
        one_at_a_time = [series.normalize_buckets(h) for h in stack.astype(np.float32)]
        assert len(vectorised) == len(one_at_a_time)
        for fast, slow in zip(vectorised, one_at_a_time):
            np.testing.assert_array_equal(fast, slow)
    mixed = [ordered[0], ordered[1, :10]]  # shapes differ
    for fast, slow in zip(series.normalize_bucket_series(mixed), map(series.normalize_buckets, mixed)):
        np.testing.assert_array_equal(fast, slow)
