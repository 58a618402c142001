"""Weight-histogram statistics, trends and flags (`tb_overfit_plugin.documents.weights.health`).

Three layers of evidence:

- synthetic buckets with exact answers (point masses, uniform buckets, empty and
  degenerate histograms), tag parsing for Keras 3 / tf_keras / PyTorch names, and
  each flag on a synthetic series built with TensorBoard's own numpy histogram code
  (`summary_v2.histogram_pb`, the same bucketing as `tf.summary.histogram`);
- real event files: samples written with TF2 `tf.summary.histogram` and TF1
  `HistogramProto` (tensorboardX), read back through TensorBoard's data provider
  (`read_logdir`), compared with numpy on the raw samples. Tolerances are the
  histogram's own resolution, from the uniform-within-bucket model: moving every
  sample within its bucket changes the mean by at most sum(c w) / N and the std by
  at most sqrt(sum(c w^2) / N) (a coupling bound), and a percentile by at most the
  width of the bucket it falls in;
- the demo's real Keras runs: healthy runs raise no warning, the constant-initialised
  run raises identical_values where symmetry is never broken.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.plugins.distribution import compressor
from tensorboard.plugins.histogram import summary_v2
from tensorboard.util import tensor_util

from tb_overfit_plugin.analysis import histograms as histogram_stats
from tb_overfit_plugin.analysis import movement as weight_movement
from tb_overfit_plugin.analysis.series import HistogramSeries, normalize_buckets
from tb_overfit_plugin.documents import params
from tb_overfit_plugin.documents.weights import health as weight_health
from tb_overfit_plugin.documents.weights import health_json as weights_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

P = weight_health.PERCENTILES


# -- helpers -------------------------------------------------------------------


def tf2_buckets(values, bucket_count: int = 30) -> np.ndarray:
    """Exactly the buckets TF2 `tf.summary.histogram` writes (TensorBoard's numpy twin), normalised."""
    with np.errstate(invalid="ignore"):  # NaN data: TensorBoard's own cast warns
        proto = summary_v2.histogram_pb("t", np.asarray(values, dtype=np.float64), buckets=bucket_count)
    return normalize_buckets(tensor_util.make_ndarray(proto.value[0].tensor))


def series_of(histograms, steps=None) -> HistogramSeries:
    steps = np.arange(len(histograms)) if steps is None else np.asarray(steps)
    return HistogramSeries(
        steps=steps.astype(np.int64),
        wall_times=steps.astype(np.float64),
        buckets=tuple(normalize_buckets(h) for h in histograms),
    )


def sample_series(draws, seed=0) -> HistogramSeries:
    """One TF2 histogram per step of `draws(step, rng)`."""
    rng = np.random.default_rng(seed)
    return series_of([tf2_buckets(draw(rng)) for draw in draws])


def flag_names(result, severity=None):
    return [f["flag"] for f in result["flags"] if severity is None or f["severity"] == severity]


def strict_json(document):
    """Round-trips through JSON rejecting NaN/Infinity, as the HTTP layer does."""
    return json.loads(json.dumps(document, allow_nan=False))


def cdf(buckets, x):
    """Reference CDF of the uniform-bucket model (right-continuous)."""
    left, right, counts = buckets[:, 0], buckets[:, 1], buckets[:, 2]
    width = right - left
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        part = np.where(
            width[None] > 0,
            np.clip((x[:, None] - left[None]) / width[None], 0, 1),
            (x[:, None] >= left[None]).astype(float),
        )
    return (part * counts[None]).sum(axis=1) / counts.sum()


def reference_w1(a, b):
    """W1 integrated over x on the union of both histograms' edges, one pair at a time.

    Both CDFs are linear between consecutive union edges, so |F_a - F_b| is read at
    each interval's 1/4 and 3/4 points (never at a jump) and integrated exactly.
    """
    edges = np.unique(np.concatenate([a[:, :2].ravel(), b[:, :2].ravel()]))
    lo, hi = edges[:-1], edges[1:]
    dx = hi - lo
    d1 = cdf(a, lo + dx / 4) - cdf(b, lo + dx / 4)
    d3 = cdf(a, lo + 3 * dx / 4) - cdf(b, lo + 3 * dx / 4)
    g0, g1 = 1.5 * d1 - 0.5 * d3, 1.5 * d3 - 0.5 * d1
    a0, a1 = np.abs(g0), np.abs(g1)
    with np.errstate(invalid="ignore", divide="ignore"):
        area = np.where(g0 * g1 < 0, (g0**2 + g1**2) / (2 * (a0 + a1)), (a0 + a1) / 2)
    return float(np.sum(np.nan_to_num(area) * dx))


# -- bucket_stats: exact answers -------------------------------------------------------


def test_single_uniform_bucket_is_exact():
    stats = weights_json.bucket_stats(np.array([[-1.0, 3.0, 8.0]]), near_zero=0.5)
    assert stats["count"] == 8
    assert stats["mean"] == pytest.approx(1.0)
    assert stats["std"] == pytest.approx(4.0 / math.sqrt(12.0))
    assert (stats["min"], stats["max"]) == (-1.0, 3.0)
    assert stats["percentiles"] == pytest.approx([-1.0 + 4.0 * p / 100.0 for p in P])
    assert stats["iqr"] == pytest.approx(2.0)
    assert stats["peak_count"] == 8
    assert stats["peak_density"] == pytest.approx(0.25)
    assert stats["near_zero_share"] == pytest.approx(1.0 / 4.0)  # (-0.5, 0.5) is a quarter of [-1, 3]
    assert not stats["identical"] and not stats["all_zero"]


def test_point_mass():
    stats = weights_json.bucket_stats(np.array([[0.05, 0.05, 7.0]]))
    assert stats["mean"] == pytest.approx(0.05) and stats["std"] == 0.0
    assert stats["min"] == stats["max"] == 0.05
    assert stats["percentiles"] == [0.05] * len(P)
    assert stats["iqr"] == 0.0
    assert stats["peak_density"] is None  # infinite density: documented as null
    assert stats["near_zero_share"] == 0.0
    assert stats["identical"] and not stats["all_zero"]
    zero = weights_json.bucket_stats(np.array([[0.0, 0.0, 3.0]]))
    assert zero["identical"] and zero["all_zero"] and zero["near_zero_share"] == 1.0
    single = weights_json.bucket_stats(np.array([[0.4, 0.4, 1.0]]))
    assert not single["identical"], "one value is not 'all values identical'"


def test_tf2_constant_tensor_buckets():
    """TF2 writes 30 zero-width buckets at the value with all the count in the last."""
    raw = tensor_util.make_ndarray(summary_v2.histogram_pb("t", np.full(64, -0.25)).value[0].tensor)
    assert raw.shape == (30, 3) and np.all(raw[:, 0] == raw[:, 1]) and raw[-1, 2] == 64
    stats = weights_json.bucket_stats(raw)
    assert stats["identical"] and stats["count"] == 64 and stats["mean"] == -0.25 and stats["std"] == 0


@pytest.mark.parametrize("buckets", [np.zeros((30, 3)), np.zeros((0, 3)), [[1.0, 2.0, 0.0]]])
def test_empty_histogram(buckets):
    stats = weights_json.bucket_stats(np.asarray(buckets, dtype=float))
    assert stats["count"] == 0
    assert all(stats[name] is None for name in stats if name not in ("count", "identical", "all_zero"))
    assert not stats["identical"] and not stats["all_zero"]


def test_zero_width_bucket_next_to_a_wide_one():
    buckets = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 2.0]])
    stats = weights_json.bucket_stats(buckets)
    mean = (2 * 0.5 + 2 * 1.0) / 4
    var = (2 * ((0.5 - mean) ** 2 + 1 / 12) + 2 * (1.0 - mean) ** 2) / 4
    assert stats["mean"] == pytest.approx(mean)
    assert stats["std"] == pytest.approx(math.sqrt(var))
    # Half the mass is uniform on [0, 1], half sits at 1: the median is 1, p30.85 is 0.617.
    assert stats["percentiles"][4] == pytest.approx(1.0)
    assert stats["percentiles"][3] == pytest.approx(0.617)
    assert stats["percentiles"][-1] == 1.0 and stats["percentiles"][0] == 0.0
    assert stats["peak_density"] is None


def test_unnormalised_rows_are_normalised():
    """Reversed edges, zero-count rows and unsorted rows, as some loaders hand them out."""
    messy = np.array([[2.0, 1.0, 3.0], [5.0, 6.0, 0.0], [0.0, 1.0, 1.0]])
    assert weights_json.bucket_stats(messy) == weights_json.bucket_stats(np.array([[0.0, 1.0, 1.0], [1.0, 2.0, 3.0]]))


def test_percentiles_match_tensorboard_distributions():
    """Same interpolation as the distributions dashboard (its compressor) on contiguous buckets."""
    rng = np.random.default_rng(3)
    for values in (rng.normal(0, 1, 500), rng.lognormal(0, 1, 500), rng.uniform(-2, 5, 100)):
        buckets = tf2_buckets(values)
        if np.any(buckets[1:, 0] != buckets[:-1, 1]):
            continue  # a dropped empty bucket: TensorBoard interpolates across the gap, we do not
        expected = [value for _, value in compressor.compress_histogram(buckets.tolist())]
        assert weights_json.bucket_stats(buckets)["percentiles"] == pytest.approx(expected, abs=1e-12)


def test_nonfinite_edges_give_nulls_not_nan():
    stats = weights_json.bucket_stats(np.array([[1.0, np.inf, 2.0]]))
    assert stats["mean"] is None and stats["max"] is None
    strict_json(stats)


# -- tags -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("sequential/dense_1/kernel/histogram", ("dense_1", "kernel", "kernel")),
        ("sequential/dense_1/bias/histogram", ("dense_1", "bias", "bias")),
        ("overfit_model/dense_3/kernel/histogram", ("dense_3", "kernel", "kernel")),
        ("functional/lstm/lstm_cell/recurrent_kernel/histogram", ("lstm/lstm_cell", "recurrent_kernel", "kernel")),
        ("sequential/batch_normalization/gamma/histogram", ("batch_normalization", "gamma", "other")),
        (
            "sequential/batch_normalization/moving_variance/histogram",
            ("batch_normalization", "moving_variance", "other"),
        ),
        ("sequential/embedding/embeddings/histogram", ("embedding", "embeddings", "kernel")),
        ("dense_1/kernel_0", ("dense_1", "kernel", "kernel")),
        ("dense_1/bias_0/histogram", ("dense_1", "bias", "bias")),
        ("conv2d/kernel_0/histogram", ("conv2d", "kernel", "kernel")),
        ("layer1.0.conv1.weight", ("layer1.0.conv1", "weight", "kernel")),
        ("fc.bias", ("fc", "bias", "bias")),
        ("layer1.0.bn1.weight", ("layer1.0.bn1", "weight", "other")),
        ("layer1.0.bn1.running_mean", ("layer1.0.bn1", "running_mean", "other")),
        ("lstm.weight_ih_l0", ("lstm", "weight_ih_l0", "kernel")),
        ("weights/fc1.weight", ("weights/fc1", "weight", "kernel")),
        ("loss_distribution", ("loss_distribution", "loss_distribution", "other")),
        ("histogram", ("histogram", "histogram", "other")),
        ("a//b", ("a//b", "a//b", "other")),
        ("", ("", "", "other")),
    ],
)
def test_parse_weight_tag(tag, expected):
    assert weight_health.parse_weight_tag(tag) == expected


# -- movement: exact 1-Wasserstein --------------------------------------------------


def test_wasserstein_simple_cases():
    def movement(a, b):
        return weight_health.analyze_tensor(series_of([np.array(a, float), np.array(b, float)]))["trends"]["movement"]

    # Uniform [0, 1] shifted by 0.3: W1 = 0.3, in units of std 1/sqrt(12).
    assert movement([[0, 1, 5]], [[0.3, 1.3, 5]])[1] == pytest.approx(0.3 * math.sqrt(12))
    # A point mass moving 0.05 -> 0.06: W1 = 0.01, std 0, so relative to |mean| 0.05.
    assert movement([[0.05, 0.05, 9]], [[0.06, 0.06, 9]])[1] == pytest.approx(0.2)
    # The same histogram twice: exactly 0; the first element is always null.
    assert movement([[0, 1, 2], [1, 3, 5]], [[0, 1, 2], [1, 3, 5]]) == [None, 0.0]
    # A point mass at exactly 0 that moves has no scale: null.
    assert movement([[0, 0, 4]], [[0.1, 0.1, 4]])[1] is None


histogram_strategy = st.lists(
    st.tuples(st.floats(-5, 5), st.floats(0, 3), st.integers(1, 50), st.booleans()),
    min_size=1,
    max_size=8,
).map(lambda rows: np.array([[lo, lo if point else lo + w, c] for lo, w, c, point in rows]))


def _non_overlapping(buckets):
    """Make random rows into a valid histogram: sorted, no overlaps (gaps and point masses allowed)."""
    buckets = normalize_buckets(buckets)
    out, edge = [], -np.inf
    for left, right, count in buckets:
        left = max(left, edge)
        right = max(right, left)
        out.append([left, right, count])
        edge = right
    return np.array(out)


@settings(max_examples=150, deadline=None)
@given(st.lists(histogram_strategy, min_size=2, max_size=5))
def test_wasserstein_matches_reference_integral(histograms):
    """The vectorised quantile-space W1 equals |F_a - F_b| integrated over x, pair by pair."""
    histograms = [_non_overlapping(h) for h in histograms]
    series = series_of(histograms)
    got = weight_movement.wasserstein_consecutive(histogram_stats.flatten(series.buckets))
    expected = [reference_w1(a, b) for a, b in zip(histograms, histograms[1:])]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_wasserstein_handles_empty_and_nonfinite_rows():
    rows = (
        np.array([[0.0, 1.0, 3.0]]),
        np.zeros((0, 3)),
        np.array([[0.0, 2.0, 3.0]]),
        np.array([[0.0, np.inf, 3.0]]),
        np.array([[1.0, 1.0, 3.0]]),
        np.array([[2.0, 2.0, 3.0]]),
    )
    got = weight_movement.wasserstein_consecutive(histogram_stats.flatten(rows))
    assert np.isnan(got[:4]).all()
    assert got[4] == pytest.approx(1.0)


# -- flags on synthetic series -------------------------------------------------------


def healthy_kernel(steps=30, seed=1):
    """Glorot-sized kernel that widens slowly and drifts a little: no flag."""
    return sample_series(
        [
            (lambda step: lambda rng: rng.normal(0.002 * step, 0.05 * (1 + 0.02 * step), 4096))(step)
            for step in range(steps)
        ],
        seed,
    )


def healthy_bias(steps=30, seed=2):
    """A zero-initialised bias after each epoch: tiny at first, growing ~15x: no flag."""
    return sample_series(
        [(lambda step: lambda rng: rng.normal(0.0, 0.002 * (1 + 0.5 * step), 256))(step) for step in range(steps)], seed
    )


def test_healthy_slowly_widening_series_has_no_flags():
    for tag, series in (("m/dense/kernel/histogram", healthy_kernel()), ("m/dense/bias/histogram", healthy_bias())):
        result = weight_health.analyze_tensor(series, tag=tag)
        assert result["flags"] == [], (tag, result["flags"])
        strict_json(result)
    kernel = weight_health.analyze_tensor(healthy_kernel(), tag="m/dense/kernel/histogram")
    assert kernel["trends"]["std_ratio"] == pytest.approx(1.58, rel=0.05)  # 1 + 0.02 * 29
    assert kernel["trends"]["peak_density_ratio"] < 0.8  # wider and flatter
    assert all(m > 1e-3 for m in kernel["trends"]["movement"][1:])


def test_identical_values_from_constant_initialisation():
    # A hidden layer's biases under constant init: all equal, the common value drifting.
    series = series_of([tf2_buckets(np.full(256, 0.05 - 0.001 * step)) for step in range(6)])
    result = weight_health.analyze_tensor(series, tag="m/dense_2/bias/histogram", run="broken/train")
    assert flag_names(result) == ["identical_values"]
    flag = result["flags"][0]
    assert flag["severity"] == "error" and flag["first_step"] == 0
    assert flag["evidence"]["count"] == 256 and flag["evidence"]["value"] == pytest.approx(0.05)
    assert "256" in flag["message"] and "0.05" in flag["message"]
    # Issue 25: what the table shows (equal to each other, the shared value moving), no steps, no field names.
    assert (
        "are equal to each other in every one of the 6 histograms, the shared value moving from 0.05 to 0.045"
        in flag["message"]
        and "step" not in flag["message"]
    )
    assert result["stats"]["identical"] == [True] * 6
    assert result["stats"]["peak_density"] == [None] * 6
    assert result["trends"]["std_ratio"] is None  # std_first == 0
    assert all(m > 0 for m in result["trends"]["movement"][1:]), "the common value moves"
    strict_json(result)


def test_identical_only_before_training_is_not_flagged_but_late_breaking_is_a_warning():
    rng = np.random.default_rng(0)
    spread = [tf2_buckets(rng.normal(0, 0.01, 256)) for _ in range(5)]
    constant = tf2_buckets(np.full(256, 0.1))
    logged_at_init = weight_health.analyze_tensor(series_of([constant] + spread), tag="fc.bias")
    assert logged_at_init["flags"] == []
    late = weight_health.analyze_tensor(series_of([constant] * 3 + spread), tag="fc.bias")
    assert [(f["flag"], f["severity"], f["first_step"]) for f in late["flags"]] == [("identical_values", "warning", 0)]


def test_all_zero():
    series = series_of([tf2_buckets(np.zeros(128)) for _ in range(4)], steps=[0, 1, 2, 3])
    result = weight_health.analyze_tensor(series, tag="m/dense/bias/histogram")
    assert flag_names(result, "error") == ["all_zero"], "all_zero replaces identical_values"
    assert result["flags"][0]["first_step"] == 0
    # A PyTorch-style zero bias logged before training, then trained: fine.
    rng = np.random.default_rng(0)
    trained = [tf2_buckets(rng.normal(0, 0.01, 128)) for _ in range(3)]
    assert weight_health.analyze_tensor(series_of([tf2_buckets(np.zeros(128))] + trained), tag="fc.bias")["flags"] == []


def test_exploding_by_growth():
    series = sample_series([(lambda s: lambda rng: rng.normal(0, 0.05 * 1.5**s, 1000))(s) for s in range(10)])
    result = weight_health.analyze_tensor(series, tag="m/dense/kernel/histogram")
    assert flag_names(result) == ["exploding"]
    flag = result["flags"][0]
    assert flag["severity"] == "error"
    # 1.5^6 = 11.4 > 10 (std and max|value| both): step 6, or 5 on the max if the sample is wide.
    assert flag["first_step"] in (5, 6)
    assert flag["evidence"]["growth"] > 10


def test_exploding_respects_the_floor_for_biases():
    # A bias growing from 0.001 to 0.5 (500x) is normal; one reaching std 20 is not.
    grows = sample_series([(lambda s: lambda rng: rng.normal(0, 0.001 * 2**s, 64))(s) for s in range(10)])
    assert weight_health.analyze_tensor(grows, tag="m/d/bias/histogram")["flags"] == []
    huge = sample_series([(lambda s: lambda rng: rng.normal(0, 0.001 * 4**s, 64))(s) for s in range(10)])
    assert flag_names(weight_health.analyze_tensor(huge, tag="m/d/bias/histogram")) == ["exploding"]


def test_exploding_on_nonfinite_and_on_nan_weights():
    finite = tf2_buckets(np.linspace(-1, 1, 50))
    inf = weight_health.analyze_tensor(series_of([finite, finite, np.array([[1.0, np.inf, 3.0]])]), tag="a/b/kernel_0")
    assert [(f["flag"], f["first_step"]) for f in inf["flags"]] == [("exploding", 2)]
    strict_json(inf)
    # TF2 writes a NaN tensor as an empty histogram: a weight tensor cannot become empty.
    nan = tf2_buckets(np.array([0.1, np.nan, 0.3]))
    assert len(nan) == 0
    emptied = weight_health.analyze_tensor(series_of([finite, finite, nan, nan]), tag="a/b/kernel_0")
    assert [(f["flag"], f["first_step"], f["evidence"]["emptied"]) for f in emptied["flags"]] == [
        ("exploding", 2, True)
    ]


def test_collapsing():
    series = sample_series([(lambda s: lambda rng: rng.normal(0, 0.1 * 0.7**s, 1000))(s) for s in range(10)])
    result = weight_health.analyze_tensor(series, tag="m/dense/kernel/histogram")
    assert flag_names(result) == ["collapsing"]
    assert result["flags"][0]["severity"] == "warning"
    assert result["flags"][0]["first_step"] == 7  # 0.7^7 = 0.082 < 0.1 < 0.7^6 = 0.118


def test_unchanged_needs_three_steps():
    frozen = tf2_buckets(np.random.default_rng(0).normal(0, 0.05, 1000))
    result = weight_health.analyze_tensor(series_of([frozen] * 4), tag="m/dense/kernel/histogram")
    assert flag_names(result) == ["unchanged"]
    assert result["flags"][0]["severity"] == "warning" and result["flags"][0]["first_step"] == 1
    assert result["trends"]["movement"] == [None, 0.0, 0.0, 0.0]
    assert weight_health.analyze_tensor(series_of([frozen] * 2), tag="m/dense/kernel/histogram")["flags"] == []


def test_empty_tensor_and_empty_series():
    empty = weight_health.analyze_tensor(series_of([np.zeros((30, 3))] * 3), tag="m/d/kernel/histogram")
    assert empty["flags"] == [] and empty["stats"]["count"] == [0.0] * 3
    assert empty["stats"]["mean"] == [None] * 3 and empty["stats"]["percentiles"] == [[None] * len(P)] * 3
    assert empty["trends"]["movement"] == [None] * 3 and empty["last_histogram"] == []
    strict_json(empty)
    nothing = weight_health.analyze_tensor(series_of([]), tag="m/d/kernel/histogram")
    assert nothing["steps"] == [] and nothing["flags"] == [] and nothing["stats"]["std"] == []
    strict_json(nothing)


def test_thresholds_are_floats_documented_and_overridable_by_name():
    docs = weight_health.Thresholds.docs()
    for field in dataclasses.fields(weight_health.Thresholds):
        assert isinstance(field.default, float) and len(docs[field.name]["doc"]) > 30
    series = sample_series([(lambda s: lambda rng: rng.normal(0, 0.05 * 1.3**s, 1000))(s) for s in range(6)])
    assert weight_health.analyze_tensor(series, tag="m/d/kernel/histogram")["flags"] == []  # 1.3^5 = 3.7x
    strict = params.parse_dataclass_floats(weight_health.Thresholds, {"explode_factor": "3"})
    assert flag_names(weight_health.analyze_tensor(series, strict, tag="m/d/kernel/histogram")) == ["exploding"]


def test_tensor_json_shape():
    result = weight_health.analyze_tensor(healthy_kernel(steps=4), tag="seq/dense/kernel/histogram", run="a/train")
    assert set(result) == {
        "tensor",
        "kind",
        "run",
        "tag",
        "steps",
        "sampled",
        "stats",
        "trends",
        "first_histogram",
        "last_histogram",
        "flags",
    }
    assert (result["tensor"], result["kind"], result["run"]) == ("kernel", "kernel", "a/train")
    assert result["steps"] == [0, 1, 2, 3] and result["sampled"] is False
    assert set(result["stats"]) == {
        "count",
        "mean",
        "std",
        "min",
        "max",
        "percentiles",
        "iqr",
        "peak_count",
        "peak_density",
        "near_zero_share",
        "identical",
    }
    assert all(len(values) == 4 for values in result["stats"].values())
    assert all(len(row) == len(P) for row in result["stats"]["percentiles"])
    assert set(result["trends"]) == {"std_ratio", "mean_drift", "peak_density_ratio", "movement", "final_movement"}
    assert result["trends"]["final_movement"] == result["trends"]["movement"][-1]
    assert all(len(row) == 3 for row in result["first_histogram"] + result["last_histogram"])
    uneven = HistogramSeries(np.array([0, 1, 5]), np.zeros(3), healthy_kernel(steps=3).buckets)
    assert weight_health.analyze_tensor(uneven)["sampled"] is True


# -- layers ------------------------------------------------------------------------


def test_analyze_layers_groups_orders_and_summarises():
    kernel, bias = healthy_kernel(steps=5), healthy_bias(steps=5)
    stuck = series_of([tf2_buckets(np.full(16, 0.05 + 0.001 * step)) for step in range(5)])
    histograms = {
        ("exp/train", "model/dense_10/kernel/histogram"): kernel,
        ("exp/train", "model/dense_2/bias/histogram"): stuck,
        ("exp/train", "model/dense_2/kernel/histogram"): kernel,
        ("exp/train", "model/dense/kernel/histogram"): kernel,
        ("exp/train", "model/batch_normalization/gamma/histogram"): bias,
        ("exp/train", "model/batch_normalization/beta/histogram"): bias,
    }
    layers = weight_health.analyze_layers(histograms)
    assert [layer["layer"] for layer in layers] == ["batch_normalization", "dense", "dense_2", "dense_10"]
    assert [t["tensor"] for t in layers[0]["tensors"]] == ["beta", "gamma"]
    assert [t["tensor"] for t in layers[2]["tensors"]] == ["kernel", "bias"]
    assert {layer["run"] for layer in layers} == {"exp/train"}
    assert [layer["worst_severity"] for layer in layers] == [None, None, "error", None]
    assert [layer["flags"] for layer in layers] == [0, 0, 1, 0]
    summary = weight_health.weights_summary(layers)
    assert summary["layers"] == 4 and summary["flagged_layers"] == 1
    assert summary["status"] == "broken_weights"  # an error-level flag: the run's status (vocabulary.run_status)
    assert {k: summary["worst_flag"][k] for k in ("flag", "severity", "layer", "tensor")} == {
        "flag": "identical_values",
        "severity": "error",
        "layer": "dense_2",
        "tensor": "bias",
    }
    strict_json(layers)
    assert weight_health.weights_summary([]) == {"layers": 0, "flagged_layers": 0, "worst_flag": None, "status": None}


def test_batched_analysis_equals_one_tensor_at_a_time(monkeypatch):
    """Series are analysed in chunks, every flag rule over a whole chunk at once: neither
    chunk boundaries nor neighbours may change a result."""
    rng = np.random.default_rng(5)
    histograms = {}
    for i in range(40):
        steps = int(rng.integers(1, 9))
        scale = rng.uniform(0.01, 1) * rng.choice([0.2, 1.0, 3.0], size=steps).cumprod() ** (i % 3 == 1)
        rows = [tf2_buckets(rng.normal(rng.normal(), scale[k], int(rng.integers(0, 40)))) for k in range(steps)]
        if i % 4 == 0:
            rows[-1] = tf2_buckets(np.full(7, 0.5))
        if i % 7 == 0:
            rows = [rows[0]] * steps
        if i % 9 == 0:
            rows[-1] = np.zeros((0, 3))
        kind = ("kernel", "bias", "gamma")[i % 3]
        histograms[("r", f"m/d{i}/{kind}/histogram")] = series_of(rows)
    one_by_one = [weight_health.analyze_tensor(s, run=r, tag=t) for (r, t), s in histograms.items()]
    assert sum(bool(t["flags"]) for t in one_by_one) >= 10, "the mix must include flagged series"
    for chunk in (1, 50, 1_000_000):
        monkeypatch.setattr(weight_health, "_CHUNK_BUCKETS", chunk)
        batched = [t for layer in weight_health.analyze_layers(histograms) for t in layer["tensors"]]
        by_tag = {t["tag"]: t for t in batched}
        for expected in one_by_one:
            assert_same(by_tag[expected["tag"]], expected)


def assert_same(got, expected, where="$"):
    """Equal JSON documents, floats within 1e-9 relative (key offsets round differently per batch)."""
    if isinstance(expected, float) and isinstance(got, float):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), where
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), where
        for key in expected:
            assert_same(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), where
        for i, (a, b) in enumerate(zip(got, expected)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert got == expected, where


# -- a ragged sweep against the documented formulas on the raw buckets ------------------
#
# Many tensors of several runs analysed in one call, each step's histogram with its own
# bucket count and with zero-count rows (as writers emit them). Every number is recomputed
# here one histogram at a time, straight from the raw rows, with the formulas and rules the
# docstrings state.


def ragged_histogram(rng, scale):
    """Raw (k, 3) rows in writer order, zero-count rows included; k, gaps and point masses vary."""
    style = int(rng.integers(4))
    if style == 0:  # TF2: k equal-width buckets over [min, max], empty ones written as zeros
        values = rng.normal(rng.normal(0, scale), scale, int(rng.integers(1, 400)))
        return tensor_util.make_ndarray(
            summary_v2.histogram_pb("t", values, buckets=int(rng.integers(1, 80))).value[0].tensor
        )
    k = int(rng.integers(1, 120))
    if style == 1:  # contiguous irregular buckets (TF1 HistogramProto-like)
        edges = np.sort(rng.normal(0, scale, k + 1))
        edges = np.column_stack([edges[:-1], edges[1:]])
    else:  # gaps between buckets, some of them point masses
        edges = np.sort(rng.normal(0, scale, 2 * k)).reshape(k, 2)
        point = rng.random(k) < 0.2
        edges[point, 1] = edges[point, 0]
    counts = rng.integers(1, 60, k) * (rng.random(k) < (0.7 if style == 1 else 0.9))
    return np.column_stack([edges, counts.astype(float)])


def ragged_series(rng, index):
    """One tensor's raw histograms: 1-13 steps, each flag's situation every few tensors."""
    steps = int(rng.integers(1, 14))
    growth = (1.0, 1.05, 0.6, 1.8)[index % 4]
    raw = [ragged_histogram(rng, 0.05 * growth**step) for step in range(steps)]
    constant = np.array([[0.3, 0.3, 12.0]])
    zero = np.zeros((30, 3))
    zero[-1, 2] = 20.0
    situation = index % 8
    if situation == 1:
        raw = [raw[0]] * steps  # frozen
    elif situation == 2:
        raw[-1] = constant  # symmetry lost
    elif situation == 3:
        raw[: steps // 2 + 1] = [zero] * (steps // 2 + 1)  # zero at first, trained late (or never)
    elif situation == 4:
        raw[-1] = np.column_stack([np.full(30, np.nan), np.full(30, np.nan), np.zeros(30)])  # TF2 with a NaN
    elif situation == 5:
        raw[-1] = np.array([[1.0, np.inf, 3.0]])
    elif situation == 6:
        raw[0] = np.zeros((30, 3))  # an empty tensor
    elif situation == 7 and steps > 2:
        raw[1] = constant
    return raw


def reference_stats(raw, near_zero):
    """`bucket_stats`' formulas on the raw rows, one bucket at a time; None for an empty histogram."""
    rows = [(left, right, count) for left, right, count in np.asarray(raw, dtype=float).tolist() if count > 0]
    if not rows:
        return None
    left, right, counts = (np.array(column) for column in zip(*rows))
    n, width, mid = float(counts.sum()), right - left, (left + right) / 2
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = float((counts * mid).sum() / n)
        std = math.sqrt((counts * ((mid - mean) ** 2 + width**2 / 12)).sum() / n)
        near = [
            c
            * (
                np.clip(min(r, near_zero) - max(left, -near_zero), 0, None) / (r - left)
                if r > left
                else abs(left) < near_zero
            )
            for left, r, c in rows
        ]

        def quantile(q):
            below = 0.0
            for left, r, c in rows:
                if below + c >= q * n:
                    return left + (q * n - below) / c * (r - left)
                below += c

        density = None if (width == 0).any() else (counts / (n * width)).max()
    low, high = left.min(), right.max()
    return {
        "count": n,
        "mean": mean,
        "std": std,
        "min": low,
        "max": high,
        "percentiles": [quantile(p / 100) for p in P],
        "iqr": quantile(0.75) - quantile(0.25),
        "peak_count": counts.max(),
        "peak_density": density,
        "near_zero_share": sum(near) / n,
        "identical": n > 1 and low == high,
        "all_zero": low == high == 0.0,
        "valid": bool(np.isfinite(left).all() and np.isfinite(right).all()),
        "rows": np.array(rows),
    }


def reference_movement(before, after):
    """W1 between two steps (`reference_w1`) over the earlier step's std (|mean| if that is 0)."""
    if before is None or after is None or not (before["valid"] and after["valid"]):
        return None
    distance = reference_w1(before["rows"], after["rows"])
    scale = before["std"] if before["std"] > 0 else abs(before["mean"])
    return distance / scale if scale > 0 else (0.0 if distance == 0 else None)


def _finite(stats):
    return stats is not None and all(math.isfinite(stats[key]) for key in ("mean", "std", "min", "max"))


def reference_flags(kind, steps, stats, movement, limits):
    """`analyze_tensor`'s flag rules, step by step: sorted [(flag, severity, first_step)]."""
    flags = []

    def state(name, holds):
        where = [i for i, held in enumerate(holds) if held]
        if where and (holds[-1] or where[-1] > 0):
            flags.append((name, weight_health.FLAG_SEVERITIES[name] if holds[-1] else "warning", steps[where[0]]))
            return holds[-1]

    if not state("all_zero", [s is not None and s["all_zero"] for s in stats]):
        state("identical_values", [s is not None and s["identical"] for s in stats])
    usable = [i for i, s in enumerate(stats) if _finite(s)]
    seen = [any(s is not None for s in stats[:i]) for i in range(len(stats))]
    broken = [i for i, s in enumerate(stats) if (s is None and seen[i]) or (s is not None and not _finite(s))]
    grown = []
    if usable:
        ref = stats[usable[0]]
        floor = limits.explode_min_scale if kind == "kernel" else limits.explode_min_scale_bias
        size = lambda s: max(abs(s["min"]), abs(s["max"]))  # noqa: E731
        grown = [
            i
            for i in usable
            if max(stats[i]["std"] / max(ref["std"], floor), size(stats[i]) / max(size(ref), floor))
            > limits.explode_factor
        ]
        shrunk = [i for i in usable if ref["std"] > 0 and stats[i]["std"] / ref["std"] < limits.collapse_factor]
    if grown or broken:
        flags.append(("exploding", "error", steps[min(grown[:1] + broken[:1])]))
    if usable and shrunk:
        flags.append(("collapsing", "warning", steps[shrunk[0]]))
    moves = movement[1:]
    if len(steps) >= 3 and all(m is not None and m < limits.unchanged_tolerance for m in moves):
        flags.append(("unchanged", "warning", steps[1]))
    return sorted(flags, key=lambda flag: (-weight_health.SEVERITIES.index(flag[1]), flag[2]))


def _ratio_of(last, first):
    """last / first, None when either is missing or non-finite, first is 0 or the ratio overflows."""
    if last is None or first is None or not (math.isfinite(last) and math.isfinite(first)) or first == 0:
        return None
    with np.errstate(over="ignore"):
        value = float(np.float64(last) / first)
    return value if math.isfinite(value) else None


def assert_near(got, expected, where):
    if expected is None or not math.isfinite(expected):
        assert got is None, where
    else:
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), where


def ragged_sweep(seed=17, tensors=160):
    """(raw rows, `HistogramSeries`) by (run, tag): 4 runs, `ragged_series` tensors, some unevenly stepped."""
    rng = np.random.default_rng(seed)
    raw, histograms = {}, {}
    for index in range(tensors):
        kind = ("kernel", "bias", "gamma")[index % 3]
        key = (f"run_{index % 4}/train", f"model/dense_{index}/{kind}/histogram")
        raw[key] = ragged_series(rng, index)
        steps = np.arange(len(raw[key])) * (1 + index % 3) + np.arange(len(raw[key])) ** 2 * (index % 5 == 0)
        histograms[key] = series_of(raw[key], steps)
    return raw, histograms


RAGGED_LIMITS = [
    weight_health.Thresholds(),
    weight_health.Thresholds(explode_factor=2.0, collapse_factor=0.7, unchanged_tolerance=0.05, near_zero=0.05),
]


@pytest.mark.parametrize("limits", RAGGED_LIMITS)
def test_ragged_sweep_matches_numpy_on_the_raw_buckets(limits):
    raw, histograms = ragged_sweep()
    layers = weight_health.analyze_layers(histograms, limits)
    seen_flags = set()
    for tensor in (tensor for layer in layers for tensor in layer["tensors"]):
        key = (tensor["run"], tensor["tag"])
        stats = [reference_stats(rows, limits.near_zero) for rows in raw[key]]
        steps = histograms[key].steps.tolist()
        assert tensor["steps"] == steps and tensor["sampled"] == looks_uneven(steps)
        for i, expected in enumerate(stats):
            got = {name: values[i] for name, values in tensor["stats"].items()}
            if expected is None:
                assert got["count"] == 0 and got["mean"] is None and not got["identical"], (key, i)
                continue
            for name in ("count", "mean", "std", "min", "max", "iqr", "peak_count", "peak_density", "near_zero_share"):
                assert_near(got[name], expected[name], (key, i, name))
            for p, value, want in zip(P, got["percentiles"], expected["percentiles"]):
                assert_near(value, want, (key, i, p))
            assert got["identical"] == expected["identical"], (key, i)
        movement = [None] + [reference_movement(a, b) for a, b in zip(stats, stats[1:])]
        for i, (value, want) in enumerate(zip(tensor["trends"]["movement"], movement)):
            assert_near(value, want, (key, "movement", i))
        first, last = stats[0], stats[-1]
        trends = tensor["trends"]

        def trend(name, stats):
            return None if stats is None else stats[name]

        assert_near(trends["std_ratio"], _ratio_of(trend("std", last), trend("std", first)), key)
        drift = None if first is None or last is None else last["mean"] - first["mean"]
        assert_near(trends["mean_drift"], _ratio_of(drift, trend("std", first)), key)
        assert_near(
            trends["peak_density_ratio"], _ratio_of(trend("peak_density", last), trend("peak_density", first)), key
        )
        assert trends["final_movement"] == (trends["movement"][-1] if len(steps) > 1 else None)
        for side, index in (("first_histogram", 0), ("last_histogram", -1)):
            rows = stats[index]["rows"].tolist() if stats[index] else []
            assert len(tensor[side]) == len(rows)
        flags = reference_flags(tensor["kind"], steps, stats, movement, limits)
        assert [(f["flag"], f["severity"], f["first_step"]) for f in tensor["flags"]] == flags, key
        seen_flags.update((flag, severity) for flag, severity, _ in flags)
        strict_json(tensor)
    assert len(seen_flags) == 7, f"the sweep must raise every flag at each severity it has: {seen_flags}"


@pytest.mark.parametrize("limits", RAGGED_LIMITS)
def test_summarize_layers_is_the_summary_of_the_full_analysis(limits):
    """The summary path (no per-step documents) gives exactly the full analysis' summary, per run
    and for several runs at once."""
    _, histograms = ragged_sweep(seed=23)
    runs = sorted({run for run, _ in histograms})
    for keys in [[key for key in histograms if key[0] == run] for run in runs] + [list(histograms)]:
        subset = {key: histograms[key] for key in keys}
        layers = weight_health.analyze_layers(subset, limits)
        expected = dict(
            weight_health.weights_summary(layers),
            sampled=any(t["sampled"] for layer in layers for t in layer["tensors"]),
        )
        assert weight_health.summarize_layers(subset, limits) == expected
        assert expected["worst_flag"] is not None
    assert weight_health.summarize_layers({}) == {
        "layers": 0,
        "flagged_layers": 0,
        "worst_flag": None,
        "status": None,
        "sampled": False,
    }


@pytest.mark.parametrize("limits", RAGGED_LIMITS)
def test_runs_summarized_together_get_the_summaries_each_gets_alone(limits):
    """`summarize_runs` (a batch read of many runs, analysed at once) changes no run's summary: runs of one
    TensorBoard run or several, ragged buckets, a TensorBoard run under two names, a run without histograms."""
    _, histograms = ragged_sweep(seed=29)
    runs = sorted({run for run, _ in histograms})
    by_name = {f"name {run}": {key: histograms[key] for key in histograms if key[0] == run} for run in runs[2:]}
    by_name["two runs"] = {key: histograms[key] for key in histograms if key[0] in runs[:2]}
    by_name["nothing"] = {}
    together = weight_health.summarize_runs(by_name, limits)
    alone = {name: weight_health.summarize_layers(subset, limits) for name, subset in by_name.items()}
    assert together == alone and list(together) == list(by_name)
    assert sum(summary["worst_flag"] is not None for summary in together.values()) >= 2
    shared = dict(by_name, again=by_name["two runs"])
    assert weight_health.summarize_runs(shared, limits) == dict(alone, again=alone["two runs"])


def looks_uneven(steps):
    return len({b - a for a, b in zip(steps, steps[1:])}) > 1


# -- real event files ------------------------------------------------------------------


def _samples():
    rng = np.random.default_rng(11)
    return {
        "normal": rng.normal(0.1, 0.5, 5000),
        "uniform": rng.uniform(-1.0, 2.0, 3000),
        "lognormal": rng.lognormal(0.0, 0.8, 4000),
        "kernel": rng.normal(0.0, 0.05, 256 * 256),
        "constant": np.full(500, 0.05),
    }


def _resolution(buckets):
    counts, width = buckets[:, 2], buckets[:, 1] - buckets[:, 0]
    total = counts.sum()
    return float((counts * width).sum() / total), float(np.sqrt((counts * width**2).sum() / total))


def _local_width(buckets, x):
    """Width of the bucket(s) holding x (the widest, at a shared edge or in a gap: both neighbours)."""
    left, right = buckets[:, 0], buckets[:, 1]
    inside = (left <= x + 1e-12) & (x - 1e-12 <= right)
    if inside.any():
        return float((right - left)[inside].max())
    after = np.searchsorted(left, x)
    near = [i for i in (after - 1, after) if 0 <= i < len(buckets)]
    return float(max(right[i] - left[i] for i in near) + abs(x - right[near[0]]))


def _check_against_numpy(stats, buckets, values):
    mean_tol, std_tol = _resolution(buckets)
    assert stats["count"] == len(values)
    assert stats["min"] == pytest.approx(values.min(), rel=1e-6, abs=1e-9)
    assert stats["max"] == pytest.approx(values.max(), rel=1e-6, abs=1e-9)
    assert abs(stats["mean"] - values.mean()) <= mean_tol + 1e-9
    assert abs(stats["std"] - values.std()) <= std_tol + 1e-9
    for p, got in zip(P, stats["percentiles"]):
        true = float(np.percentile(values, p))
        assert abs(got - true) <= _local_width(buckets, true) + 1e-9, (p, got, true)


@pytest.fixture(scope="module")
def event_files(tmp_path_factory):
    """The samples written by TF2 tf.summary.histogram (30 buckets) and TF1 HistogramProto (tensorboardX)."""
    tf = pytest.importorskip("tensorflow")
    tensorboardx = pytest.importorskip("tensorboardX")
    from tb_overfit_plugin.data.logdir import read_logdir

    logdir = tmp_path_factory.mktemp("weights_events")
    writer = tf.summary.create_file_writer(str(logdir / "tf2"))
    with writer.as_default():
        for step in range(3):
            for name, values in _samples().items():
                tf.summary.histogram(name, values * (1 + 0.1 * step) if name != "constant" else values, step=step)
            tf.summary.histogram("empty", np.zeros(0), step=step)
    writer.close()
    tf1 = tensorboardx.SummaryWriter(str(logdir / "tf1"))
    for name, values in _samples().items():
        tf1.add_histogram(name, values, 0)
    tf1.close()
    return read_logdir(str(logdir)).histograms.by_run


@pytest.mark.parametrize("name", ["normal", "uniform", "lognormal", "kernel"])
def test_tf2_event_file_statistics_match_numpy(event_files, name):
    series = event_files["tf2"][name]
    assert list(series.steps) == [0, 1, 2]
    for step in range(3):
        buckets = series.buckets[step]
        assert len(buckets) <= 30
        values = _samples()[name] * (1 + 0.1 * step)
        _check_against_numpy(weights_json.bucket_stats(buckets), buckets, values)
    result = weight_health.analyze_tensor(series, tag=name)
    assert result["trends"]["std_ratio"] == pytest.approx(1.2, rel=0.02)
    assert result["flags"] == []


def test_tf1_histogram_proto_matches_tf2(event_files):
    for name, values in _samples().items():
        tf1, tf2 = event_files["tf1"][name].buckets[0], event_files["tf2"][name].buckets[0]
        one, two = weights_json.bucket_stats(tf1), weights_json.bucket_stats(tf2)
        if name == "constant":
            # tensorboardX stores float32 edges, TF2 float64.
            assert one["identical"] and two["identical"]
            assert one["mean"] == pytest.approx(0.05, rel=1e-7) and two["mean"] == 0.05
            continue
        assert len(tf1) > 30, "TF1 buckets are exponential, many more than TF2's 30"
        _check_against_numpy(one, tf1, values)
        for key in ("mean", "std"):
            tolerance = _resolution(tf1)[key == "std"] + _resolution(tf2)[key == "std"]
            assert abs(one[key] - two[key]) <= tolerance
        for got_one, got_two in zip(one["percentiles"], two["percentiles"]):
            assert abs(got_one - got_two) <= _local_width(tf1, got_one) + _local_width(tf2, got_two) + 1e-9


def test_tf2_constant_and_empty_tensors(event_files):
    constant = weight_health.analyze_tensor(event_files["tf2"]["constant"], tag="m/dense/bias/histogram")
    assert constant["stats"]["identical"] == [True] * 3
    # The same constant at every step: identical, and not moving either.
    assert [(f["flag"], f["first_step"]) for f in constant["flags"]] == [("identical_values", 0), ("unchanged", 1)]
    empty = weight_health.analyze_tensor(event_files["tf2"]["empty"], tag="m/dense/bias/histogram")
    assert empty["stats"]["count"] == [0.0] * 3 and empty["flags"] == []


# -- the demo's real Keras runs -----------------------------------------------------------


@pytest.fixture(scope="module")
def demo_histograms(demo_logdir):
    """The histograms of each demo run (overfit, regularized, broken) keyed by (run, tag), from the real Keras logs."""
    from tb_overfit_plugin.data.logdir import read_logdir

    by_run = read_logdir(str(demo_logdir)).histograms.by_run
    return {
        name: {(f"{name}/train", tag): s for tag, s in by_run[f"{name}/train"].items()}
        for name in ("overfit", "regularized", "broken")
    }


@pytest.fixture(scope="module")
def demo_layers(demo_histograms):
    """analyze_layers per demo run."""
    return {name: weight_health.analyze_layers(histograms) for name, histograms in demo_histograms.items()}


def _tensors(layers):
    return {(layer["layer"], tensor["tensor"]): tensor for layer in layers for tensor in layer["tensors"]}


@pytest.mark.parametrize("name", ["overfit", "regularized"])
def test_demo_healthy_runs_raise_no_warning(demo_layers, name):
    layers = demo_layers[name]
    assert [layer["layer"] for layer in layers] == ["dense_1", "dense_2", "dense_3"]
    assert set(_tensors(layers)) == {(f"dense_{i}", t) for i in (1, 2, 3) for t in ("kernel", "bias")}
    serious = [
        (layer["layer"], tensor["tensor"], flag["message"])
        for layer in layers
        for tensor in layer["tensors"]
        for flag in tensor["flags"]
        if flag["severity"] != "info"
    ]
    assert serious == []
    assert weight_health.weights_summary(layers)["flagged_layers"] == 0


def test_demo_overfit_kernels_get_wider_and_flatter(demo_layers):
    """The classic picture of overfitting weights, in numbers: std up, peak density down."""
    overfit, regularized = _tensors(demo_layers["overfit"]), _tensors(demo_layers["regularized"])
    for layer in ("dense_1", "dense_2", "dense_3"):
        kernel = overfit[(layer, "kernel")]
        assert kernel["trends"]["std_ratio"] > 1.03
        assert kernel["trends"]["peak_density_ratio"] < 1.0
        # Over the same epochs, L2 + dropout widen the kernel less.
        epochs = len(regularized[(layer, "kernel")]["steps"])
        same_epochs = kernel["stats"]["std"][epochs - 1] / kernel["stats"]["std"][0]
        assert regularized[(layer, "kernel")]["trends"]["std_ratio"] < same_epochs


def test_demo_broken_run_flags_identical_values_where_symmetry_is_never_broken(demo_layers):
    layers = demo_layers["broken"]
    tensors = _tensors(layers)
    flagged = {key: [(f["flag"], f["severity"], f["first_step"]) for f in t["flags"]] for key, t in tensors.items()}
    # Constant(0.05) everywhere: every hidden unit computes the same thing, so the
    # hidden biases and the hidden-to-hidden kernel stay constant forever. The first
    # kernel's rows still differ by input feature, the output layer's by class.
    assert flagged == {
        ("dense_1", "kernel"): [],
        ("dense_1", "bias"): [("identical_values", "error", 0)],
        ("dense_2", "kernel"): [("identical_values", "error", 0)],
        ("dense_2", "bias"): [("identical_values", "error", 0)],
        ("dense_3", "kernel"): [],
        ("dense_3", "bias"): [],
    }
    width = tensors[("dense_1", "bias")]["stats"]["count"][0]
    assert tensors[("dense_2", "kernel")]["flags"][0]["evidence"]["count"] == width * width
    summary = weight_health.weights_summary(layers)
    assert summary["flagged_layers"] == 2
    assert summary["worst_flag"]["flag"] == "identical_values" and summary["worst_flag"]["severity"] == "error"
    strict_json(layers)


def test_demo_summarize_layers_equals_the_full_summary(demo_histograms, demo_layers):
    for name, histograms in demo_histograms.items():
        expected = dict(weight_health.weights_summary(demo_layers[name]), sampled=False)
        assert weight_health.summarize_layers(histograms) == expected
    assert weight_health.summarize_layers(demo_histograms["broken"])["worst_flag"]["flag"] == "identical_values"
