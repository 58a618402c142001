"""Warm answers and bounded memory: ETag/304, one listing per page load, caches keyed and bounded by experiment."""

import time

import logwriters
import numpy as np
import pytest
from tensorboard import context as context_lib
from tensorboard.backend import application
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins import base_plugin
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from werkzeug import test as werkzeug_test
from werkzeug import wrappers

from tb_overfit_plugin import plugin as plugin_lib
from tb_overfit_plugin.data import read_plan, reading
from tb_overfit_plugin.data.logdir import local_data_provider

RUNS = "/data/plugin/overfit/runs"


def _write_events(logdir, run, tag, values, wall_time0=1_000.0):
    """TF2 scalar summaries through TensorBoard's own event writer, with fixed wall times."""
    writer = EventFileWriter(str(logdir / run))
    for step, value in enumerate(values):
        writer.add_event(
            event_pb2.Event(step=step, wall_time=wall_time0 + step, summary=scalar_pb(tag, np.float32(value)))
        )
    writer.close()


class PerExperimentProvider:
    """Real data providers, one per experiment id (as a multi-experiment TensorBoard serves them)."""

    def __init__(self, providers):
        self._providers = providers
        self.calls = []
        self.kinds = []  # (method, plugin_name) of every call

    def __getattr__(self, name):
        if not all(hasattr(provider, name) for provider in self._providers.values()):
            raise AttributeError(name)  # what the providers lack, this one lacks too

        def call(ctx, *, experiment_id, **kwargs):
            self.calls.append((name, experiment_id))
            self.kinds.append((name, kwargs.get("plugin_name")))
            return getattr(self._providers[experiment_id], name)(ctx, experiment_id=experiment_id, **kwargs)

        return call


def _client(provider, logdir):
    plugin = plugin_lib.OverfitPlugin(base_plugin.TBContext(data_provider=provider, logdir=str(logdir)))
    app = application.TensorBoardWSGI([plugin], data_provider=provider)
    return plugin, werkzeug_test.Client(app, wrappers.Response)


@pytest.fixture
def keras_logdir(tmp_path):
    epochs = 12
    rng = np.random.default_rng(0)
    logwriters.write_keras_layout(
        tmp_path,
        "a",
        train={"epoch_loss": list(np.linspace(1, 0.1, epochs))},
        validation={"epoch_loss": [0.9, 0.7, 0.6, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3]},
        histograms={"model/dense/kernel/histogram": [rng.normal(0, 0.1, 64) for _ in range(epochs)]},
    )
    return tmp_path


def test_etag_answers_304_until_the_data_or_the_parameters_change(keras_logdir, monkeypatch):
    monkeypatch.setattr(plugin_lib, "LISTING_MAX_AGE_S", 0.0)  # every request asks the provider
    provider = local_data_provider(str(keras_logdir))
    _, client = _client(provider, keras_logdir)
    first = client.get(RUNS)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag.startswith('"') and first.json["runs"][0]["run"] == "a"

    again = client.get(RUNS, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    assert client.get(RUNS, headers={"If-None-Match": '"something else"'}).status_code == 200
    other = client.get(RUNS, query_string={"patience": "2"}, headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["ETag"] != tag and other.json["params"]["patience"] == 2
    for route in ("weights_summary", "curves?run=a", "weights?run=a"):
        answer = client.get(f"/data/plugin/overfit/{route}")
        assert answer.status_code == 200, answer.data
        assert (
            client.get(f"/data/plugin/overfit/{route}", headers={"If-None-Match": answer.headers["ETag"]}).status_code
            == 304
        )

    # The run gains epochs: a new tag and the new verdict.
    before = set(keras_logdir.rglob("events.out.tfevents.*"))
    logwriters.write_keras_layout(
        keras_logdir, "a", train={"epoch_loss": [0.05, 0.04]}, validation={"epoch_loss": [1.4, 1.5]}, steps=[12, 13]
    )
    # TensorBoard's Python loader reads only files named after the last one it read, and TensorFlow's
    # writer names files by a process-wide counter (…98 sorts after …100): name the new ones last.
    for path in set(keras_logdir.rglob("events.out.tfevents.*")) - before:
        path.rename(path.with_name("events.out.tfevents.9999999999.grown.v2"))
    provider._multiplexer.Reload()
    grown = client.get(RUNS, headers={"If-None-Match": tag})
    assert grown.status_code == 200 and grown.headers["ETag"] != tag
    assert grown.json["runs"][0]["num_steps"] == 14
    # Errors are never cached or tagged.
    missing = client.get("/data/plugin/overfit/curves?run=nope")
    assert missing.status_code == 404 and "ETag" not in missing.headers


def test_a_page_load_lists_the_data_once_and_warm_answers_do_not_read(keras_logdir, monkeypatch):
    monkeypatch.setattr(plugin_lib, "LISTING_MAX_AGE_S", 60.0)
    provider = PerExperimentProvider({"": local_data_provider(str(keras_logdir))})
    _, client = _client(provider, keras_logdir)
    for route in ("runs", "weights_summary", "curves?run=a", "weights?run=a"):
        assert client.get(f"/data/plugin/overfit/{route}").status_code == 200
    calls = [name for name, _ in provider.calls]
    assert calls.count("list_scalars") <= 1, calls
    # One listing of the histograms, one of the hyper-parameter sessions (plugin "hparams").
    assert provider.kinds.count(("list_tensors", "histograms")) == 1, provider.kinds
    assert provider.kinds.count(("list_tensors", "hparams")) == 1, provider.kinds
    assert calls.count("read_scalars") == 1, "/runs read every scalar once; /curves used the cache"
    before = len(provider.calls)
    for route in ("runs", "weights_summary", "curves?run=a", "weights?run=a"):
        assert client.get(f"/data/plugin/overfit/{route}").status_code == 200
    assert len(provider.calls) == before, "warm answers are the cached bytes"


def test_runs_reads_no_histogram_and_weights_summary_reads_each_once(keras_logdir):
    provider = PerExperimentProvider({"": local_data_provider(str(keras_logdir))})
    _, client = _client(provider, keras_logdir)
    body = client.get(RUNS).json
    assert body["runs"][0]["histogram_tags"]["a/train"] == ["model/dense/kernel/histogram"]
    assert "weights" not in body["runs"][0]
    assert "read_tensors" not in [name for name, _ in provider.calls]
    summary = client.get("/data/plugin/overfit/weights_summary").json
    assert summary["weights"]["a"]["layers"] == 1 and summary["thresholds"]["explode_factor"] == 10.0
    # New thresholds: recomputed from the cached histograms, not read again.
    strict = client.get("/data/plugin/overfit/weights_summary", query_string={"explode_factor": "1.01"}).json
    assert strict["thresholds"]["explode_factor"] == 1.01
    assert [name for name, _ in provider.calls].count("read_tensors") == 1


def test_weights_summary_analyses_the_runs_of_a_read_together_and_memoises_each(tmp_path, monkeypatch):
    from tb_overfit_plugin.documents.weights import health

    rng = np.random.default_rng(1)
    for name in ("a", "b", "c"):
        logwriters.write_keras_layout(
            tmp_path,
            name,
            train={"epoch_loss": [1.0, 0.8, 0.6]},
            validation={"epoch_loss": [1.1, 0.9, 0.8]},
            histograms={"model/dense/kernel/histogram": [rng.normal(0, 0.1, 64) for _ in range(3)]},
        )
    summarize_runs, batches = health.summarize_runs, []
    monkeypatch.setattr(
        health, "summarize_runs", lambda runs, *a: batches.append(sorted(runs)) or summarize_runs(runs, *a)
    )
    _, client = _client(local_data_provider(str(tmp_path)), tmp_path)
    summary = client.get("/data/plugin/overfit/weights_summary").json["weights"]
    assert batches == [["a", "b", "c"]] and all(summary[name]["layers"] == 1 for name in "abc")
    for name in "abc":  # each memoised: its /weights summary is the same and analyses nothing more
        assert client.get("/data/plugin/overfit/weights", query_string={"run": name}).json["summary"] == summary[name]
    assert batches == [["a", "b", "c"]]


def test_two_experiments_with_the_same_names_and_versions_never_share_an_answer(tmp_path):
    """Same runs, steps and wall times, different values: only the experiment id tells them apart."""
    rising = [0.9, 0.7, 0.6, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]
    falling = list(np.linspace(0.9, 0.3, 10))
    for name, validation in (("u", rising), ("down", falling)):
        _write_events(tmp_path / name, "run/train", "epoch_loss", np.linspace(1, 0.1, 10))
        _write_events(tmp_path / name, "run/validation", "epoch_loss", validation)
    provider = PerExperimentProvider(
        {
            "u": local_data_provider(str(tmp_path / "u")),
            "down": local_data_provider(str(tmp_path / "down")),
        }
    )
    _, client = _client(provider, tmp_path)
    u = client.get("/experiment/u" + RUNS)
    down = client.get("/experiment/down" + RUNS)
    assert u.json["runs"][0]["status"] == "overfitting"
    assert down.json["runs"][0]["status"] == "improving"
    assert u.headers["ETag"] != down.headers["ETag"]
    assert client.get("/experiment/down" + RUNS, headers={"If-None-Match": u.headers["ETag"]}).status_code == 200
    curves = client.get("/experiment/down/data/plugin/overfit/curves?run=run").json
    assert curves["validation"]["values"][-1] == pytest.approx(0.3)


def test_series_cache_holds_at_most_its_budget_least_recently_used_experiment_dropped_first(keras_logdir):
    provider = PerExperimentProvider({f"e{i}": local_data_provider(str(keras_logdir)) for i in range(10)})
    ctx = context_lib.RequestContext()
    one = reading.SeriesReader(provider)
    one.scalars(ctx, "e0")
    per_experiment = one.cached_bytes()
    assert per_experiment > 0

    budget = int(2.5 * per_experiment)
    reader = reading.SeriesReader(provider, cache_bytes=budget)
    for i in range(10):
        assert sorted(reader.scalars(ctx, f"e{i}").by_run) == ["a/train", "a/validation"]
        assert reader.cached_bytes() <= budget
    assert reader.cached_experiments() == ["e8", "e9"]
    provider.calls.clear()
    reader.scalars(ctx, "e9")
    assert [name for name, _ in provider.calls] == ["list_scalars"], "e9 is cached: listed, not read"
    reader.scalars(ctx, "e0")
    assert ("read_scalars", "e0") in provider.calls, "e0 was evicted: read again"
    assert reader.cached_experiments() == ["e9", "e0"]

    # Histograms larger than the whole budget are answered in full and not kept.
    histograms = reader.histograms(ctx, "e1")
    assert histograms.by_run["a/train"]["model/dense/kernel/histogram"].steps.tolist() == list(range(12))
    small = reading.SeriesReader(
        provider, cache_bytes=reading.series_nbytes(histograms.by_run["a/train"]["model/dense/kernel/histogram"]) // 2
    )
    assert len(small.histograms(ctx, "e1").by_run["a/train"]["model/dense/kernel/histogram"].buckets) == 12
    assert small.cached_bytes() <= small._cache_bytes


def test_plugin_memory_stays_within_the_budget_over_many_experiment_ids(keras_logdir, monkeypatch):
    """Through the HTTP layer: /experiment/<id>/... for 12 ids keeps at most the budget of series."""
    provider = PerExperimentProvider({f"id{i}": local_data_provider(str(keras_logdir)) for i in range(12)})
    probe = reading.SeriesReader(provider)
    ctx = context_lib.RequestContext()
    probe.scalars(ctx, "id0")
    probe.histograms(ctx, "id0")
    budget = 3 * probe.cached_bytes()
    monkeypatch.setattr(reading, "SERIES_CACHE_BYTES", budget)
    plugin, client = _client(provider, keras_logdir)
    for i in range(12):
        for route in ("runs", "weights_summary", "weights?run=a"):
            assert client.get(f"/experiment/id{i}/data/plugin/overfit/{route}").status_code == 200
        assert plugin._reader.cached_bytes() <= budget
    assert plugin._reader.cached_experiments()[-1] == "id11" and "id0" not in plugin._reader.cached_experiments()


def test_listing_reused_only_within_its_max_age(keras_logdir):
    provider = PerExperimentProvider({"": local_data_provider(str(keras_logdir))})
    reader = reading.SeriesReader(provider, listing_max_age=0.3)
    ctx = context_lib.RequestContext()
    first = reader.listing(ctx, "", reading.SCALARS_PLUGIN)
    assert reader.listing(ctx, "", reading.SCALARS_PLUGIN) is first
    time.sleep(0.35)
    assert reader.listing(ctx, "", reading.SCALARS_PLUGIN) is not first
    assert [name for name, _ in provider.calls] == ["list_scalars", "list_scalars"]


class _Recording:
    """A provider that logs when reads start and finish (`start_read_tensors` as `fast_provider` has it)."""

    def __init__(self, provider):
        self._provider, self.events = provider, []

    def __getattr__(self, name):
        return getattr(self._provider, name)

    def start_read_tensors(self, ctx, **request):
        runs = tuple(sorted(request["run_tag_filter"].runs))
        self.events.append(("start", runs))
        result = self._provider.start_read_tensors(ctx, **request)

        def finished():
            self.events.append(("answer", runs))
            return result()

        return finished


def test_histogram_batches_hand_out_whole_groups_the_next_read_under_way(tmp_path, monkeypatch):
    from tb_overfit_plugin.data import data_server

    rng = np.random.default_rng(1)
    for name in "abc":
        logwriters.write_keras_layout(
            tmp_path,
            name,
            train={"epoch_loss": [1.0, 0.5, 0.3]},
            validation={"epoch_loss": [1.0, 0.8, 0.9]},
            histograms={
                f"model/dense_{i}/kernel/histogram": [rng.normal(0, 1, 50) for _ in range(3)] for i in range(2)
            },
        )
    monkeypatch.setattr(read_plan, "READ_BATCH_BYTES", 1)  # one group a batch
    ctx = context_lib.RequestContext()
    groups = [["a/train", "a/validation"], ["b/train"], ["c/train"]]
    with data_server.loaded(str(tmp_path)) as loaded:
        everything = reading.SeriesReader(loaded.provider).histograms(ctx, "")
        recording = _Recording(loaded.provider)
        reader = reading.SeriesReader(recording)
        batches = list(reader.histogram_batches(ctx, "", groups))
        assert [indices for indices, _ in batches] == [[0], [1], [2]]
        for (_indices, data), group in zip(batches, groups):
            assert set(data.by_run) == {run for run in group if run in everything.by_run}
            for run, tags in data.by_run.items():
                for tag, series in tags.items():
                    np.testing.assert_array_equal(series.steps, everything.by_run[run][tag].steps)
                    assert len(series.buckets) == 3 and all(
                        np.array_equal(mine, theirs)
                        for mine, theirs in zip(series.buckets, everything.by_run[run][tag].buckets)
                    )
        # Batch i + 1 is asked for before batch i is converted.
        assert recording.events == [
            ("start", ("a/train",)),
            ("start", ("b/train",)),
            ("answer", ("a/train",)),
            ("start", ("c/train",)),
            ("answer", ("b/train",)),
            ("answer", ("c/train",)),
        ]
        # What was read is cached (it fits the budget): the next pass reads nothing, so it is one batch.
        recording.events.clear()
        again = list(reader.histogram_batches(ctx, "", groups))
        assert [indices for indices, _ in again] == [[0, 1, 2]] and set(again[0][1].by_run) == set(everything.by_run)
        assert recording.events == []


def test_runs_are_grouped_once_per_set_of_names_and_split_words(monkeypatch):
    from tb_overfit_plugin.analysis import grouping
    from tb_overfit_plugin.data.series_set import Listing
    from tb_overfit_plugin.documents.params import CurveParams
    from tb_overfit_plugin.documents.runs import lookup

    group_runs, grouped = grouping.group_runs, []
    monkeypatch.setattr(grouping, "group_runs", lambda *args: grouped.append(args) or group_runs(*args))
    monkeypatch.setattr(lookup, "_GROUPINGS", type(lookup._GROUPINGS)())

    def listing(runs, version=(3, 1.0), experiment=""):
        keys = [(f"{run}/{split}", "epoch_loss") for run in runs for split in ("train", "validation")]
        return Listing(versions={key: version for key in keys}, experiment_id=experiment)

    empty = Listing(versions={})
    first = lookup.training_runs(listing("ab"), empty)
    first.pop()  # a caller's changes to its list never reach the next caller
    # Same names: newer data, another experiment: grouped once.
    assert [run.name for run in lookup.training_runs(listing("ab", (9, 2.0), "other"), empty)] == ["a", "b"]
    assert len(grouped) == 1
    lookup.training_runs(listing("abc"), empty)  # a new run
    lookup.training_runs(listing("ab"), empty, CurveParams(validation_split=("holdout",)))  # other words
    assert len(grouped) == 3
    for names in ("c", "d", "e", "f"):  # the oldest groupings are let go
        lookup.training_runs(listing(names), empty)
    assert len(lookup._GROUPINGS) == lookup.GROUPINGS_KEPT
    lookup.training_runs(listing("ab"), empty)
    assert len(grouped) == 8
