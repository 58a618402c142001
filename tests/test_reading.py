"""Reads through the data provider: batched, cached by version, histograms normalised."""

import time

import logwriters
import numpy as np
import pytest
from tensorboard import context as context_lib

from tb_overfit_plugin.analysis import series
from tb_overfit_plugin.data import reading
from tb_overfit_plugin.data.logdir import local_data_provider, read_logdir


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

    # Run `b` gains epochs (a live training run): only its series are re-read. Its new event
    # file must sort after the old one, as a later second in its name makes it (TensorBoard's
    # Python loader skips a file whose name sorts earlier; in the same second the writer's
    # counter decides, and "12" sorts before "8").
    time.sleep(1.01 - time.time() % 1)
    _keras_run(tmp_path, "b", epochs=7)
    multiplexer_provider._multiplexer.Reload()
    grown = reader.scalars(ctx, "")
    assert len(provider.reads) == 2
    _, runs, tags = provider.reads[-1]
    assert runs == frozenset({"b/train", "b/validation"}) and tags == frozenset({"epoch_loss"})
    assert grown.by_run["b/train"]["epoch_loss"].steps.tolist() == list(range(7))
    assert grown.version_of([("b/train", "epoch_loss")]) != first.version_of([("b/train", "epoch_loss")])
    assert grown.version_of([("a/train", "epoch_loss")]) == first.version_of([("a/train", "epoch_loss")])


def test_a_reused_listing_gives_the_same_series_set_until_the_data_change(tmp_path):
    """A warm request reuses the grouped SeriesSet (and its digest); new data give a new one."""
    _keras_run(tmp_path, "a", epochs=4)
    multiplexer_provider = local_data_provider(str(tmp_path))
    reader = reading.SeriesReader(multiplexer_provider, listing_max_age=0.5)
    ctx = context_lib.RequestContext()
    reader.scalars(ctx, "")  # the cold read
    second = reader.scalars(ctx, "")
    assert reader.scalars(ctx, "") is second
    assert reader.histograms(ctx, "", runs=["a/train"]) is not reader.histograms(ctx, "", runs=["a/train"])

    time.sleep(1.01 - time.time() % 1)  # a later event file name (see the test above)
    _keras_run(tmp_path, "a", epochs=7)
    multiplexer_provider._multiplexer.Reload()
    time.sleep(0.5)  # the listing expires
    grown = reader.scalars(ctx, "")
    assert grown is not second and grown.digest != second.digest
    assert grown.by_run["a/train"]["epoch_loss"].steps.tolist() == list(range(7))


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
    np.testing.assert_array_equal(
        series.normalize_buckets([[-1.0, 0.0, 1.0], [1.0, 0.0, 2.0], [1.0, 2.0, 1.0]]),
        [[-1.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, 1.0]],
    )
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


def test_series_of_a_read_normalised_together_are_each_as_alone():
    """`many_histogram_series` (one pass per bucket shape over a whole read) gives every series what the
    per-histogram reference gives it, after the restart rule: stacked or listed, any bucket count, rows out of
    order or NaN edges in one series of a pass (the pass falls back), one histogram, none."""
    rng = np.random.default_rng(8)

    def stack(n, k):
        edges = np.sort(rng.normal(size=(n, k + 1)), axis=1)
        return np.stack([edges[:, :-1], edges[:, 1:], rng.integers(0, 3, size=(n, k)).astype(float)], axis=-1)

    shuffled = stack(6, 20)[:, np.r_[0, rng.permutation(np.arange(1, 19)), 19]]
    with_nan = stack(5, 12)
    with_nan[2, 3, 0] = np.nan
    # Passes: 30 buckets (clean: normalised together), 20 (one series out of order), 12 (one with a NaN edge).
    tensors = [stack(8, 30), stack(3, 30).astype(np.float32), shuffled, stack(4, 20), stack(7, 12), with_nan]
    tensors += [stack(1, 30), stack(4, 0), list(stack(5, 30)), [stack(1, 30)[0], stack(1, 7)[0]], stack(0, 30)]
    inputs = []
    for index, tensor in enumerate(tensors):
        steps = np.arange(len(tensor))
        if index == 0:
            steps = np.r_[0:5, 2:5]  # a restart: the first 2..4 orphaned
        inputs.append((steps, np.arange(len(tensor), dtype=float), tensor))
    together = series.many_histogram_series(inputs)
    for (steps, wall_times, tensor), got in zip(inputs, together):
        order, orphans = series.restart_rule(steps, wall_times)
        assert got.steps.tolist() == np.asarray(steps)[order].tolist() and got.orphans == orphans
        assert len(got.buckets) == len(order)
        for fast, index in zip(got.buckets, order):
            np.testing.assert_array_equal(fast, series.normalize_buckets(tensor[index]))
    assert together[0].orphans.count == 3 and len(together) == len(tensors)


def test_bucket_rows_read_as_a_tuple_of_histograms_and_flatten_as_they_are():
    from tb_overfit_plugin.analysis import histograms

    arrays = [np.array([[0.0, 1.0, 2.0]]), np.zeros((0, 3)), np.array([[1.0, 2.0, 1.0], [2.0, 3.0, 4.0]])]
    rows = series.BucketRows.of(arrays)
    assert len(rows) == 3 and rows.lengths.tolist() == [1, 0, 2]
    for mine, theirs in zip(rows, arrays):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(rows[-1], arrays[2])
    assert [len(h) for h in rows[1:]] == [0, 2]
    with pytest.raises(IndexError):
        rows[3]
    assert len(series.BucketRows.of([])) == 0 and series.BucketRows.of([]).rows.shape == (0, 3)
    together = histograms.flatten_series([rows, tuple(arrays[:1])])
    one_by_one = histograms.flatten(arrays + arrays[:1])
    for field in ("left", "counts", "row", "starts", "lengths", "cum", "cum_before", "total"):
        np.testing.assert_array_equal(getattr(together, field), getattr(one_by_one, field))


def test_restart_rule_keeps_the_latest_fit_by_wall_time_whatever_the_given_order():
    # Fit 1 wrote steps 0..3 (wall times 1..4); a re-fit wrote steps 0..1 (wall times 10, 11).
    # The Python loader hands points out in file order, a provider may sort them by step.
    file_order = dict(steps=[0, 1, 2, 3, 0, 1], wall_times=[1, 2, 3, 4, 10, 11], values=[9, 8, 7, 6, 5, 4])
    by_step = {key: [values[i] for i in (0, 4, 1, 5, 2, 3)] for key, values in file_order.items()}
    for points in (file_order, by_step):
        built = series.scalar_series(**points)
        assert built.steps.tolist() == [0, 1] and built.values.tolist() == [5, 4]
        assert built.orphans == series.Orphans(count=4, first_step=0, last_step=3, restart_steps=(0,))


def test_restart_rule_resumed_job_keeps_the_checkpointed_epochs():
    # A job wrote steps 0..14, crashed, resumed from its checkpoint at step 6 and has reached step 11:
    # steps 6..14 of the first attempt are orphaned, not spliced after step 11.
    steps = list(range(15)) + list(range(6, 12))
    built = series.scalar_series(steps, wall_times=range(len(steps)), values=[1.0] * 15 + [2.0] * 6)
    assert built.steps.tolist() == list(range(12))
    assert built.values.tolist() == [1.0] * 6 + [2.0] * 6
    assert built.orphans == series.Orphans(count=9, first_step=6, last_step=14, restart_steps=(6,))
    assert not series.scalar_series([0, 1, 2], [1, 2, 3], [1, 1, 1]).orphans


def test_restart_rule_ties_in_wall_time_keep_the_given_order():
    order, orphans = series.restart_rule([3, 1, 2], [5.0, 5.0, 5.0])
    assert order.tolist() == [1, 2] and orphans.count == 1 and orphans.restart_steps == (1,)


def test_histogram_series_applies_the_restart_rule_and_repeated_steps_are_not_sampling():
    rows = lambda count: np.array([[0.0, 1.0, count]])  # noqa: E731
    # A re-fit into the same folder: steps 0..4, then 0..2 again.
    steps, wall_times = [0, 1, 2, 3, 4, 0, 1, 2], range(8)
    built = series.histogram_series(steps, wall_times, [rows(c) for c in range(1, 9)])
    assert built.steps.tolist() == [0, 1, 2]
    assert [b[0, 2] for b in built.buckets] == [6, 7, 8]
    assert built.orphans.count == 5 and (built.orphans.first_step, built.orphans.last_step) == (0, 4)
    assert series.looks_downsampled(np.sort(steps))  # what the old step sort handed to the check
    assert not series.looks_downsampled(built.steps)
