"""The reading layer under the limits of a real gRPC channel and a real data server.

Each test runs TensorBoard's Rust data server (`data_server.loaded`) or an
in-process gRPC server speaking TensorBoard's data-provider protocol, so the
errors are the ones gRPC itself raises.
"""

import concurrent.futures
import gc
import threading
import time

import grpc
import logwriters
import numpy as np
import pytest
from tensorboard import context as context_lib
from tensorboard.data.proto import data_provider_pb2, data_provider_pb2_grpc

from tb_overfit_plugin.data import data_server, fast_provider, reading
from tb_overfit_plugin.documents import document_cache

CTX = context_lib.RequestContext()
RUNS, POINTS = 12, 1000


@pytest.fixture(scope="module")
def wide_logdir(tmp_path_factory):
    """12 runs x 2 tags x 1,000 points: about 400 kB of scalars on the wire."""
    logdir = tmp_path_factory.mktemp("wide")
    rng = np.random.default_rng(0)
    for run in range(RUNS):
        logwriters.write_single_run(
            logdir, f"run{run:02d}", {"loss": rng.random(POINTS), "acc": rng.random(POINTS)}, simple_value=True
        )
    return logdir


def test_a_cold_read_larger_than_the_channel_allows_is_read_in_batches(wide_logdir, monkeypatch):
    """The channel refuses answers over 100 kB (as TensorBoard's refuses over 256 MiB): every series still comes."""
    monkeypatch.setattr(data_server, "MAX_MESSAGE_BYTES", 100_000)
    with data_server.loaded(str(wide_logdir), histograms=False) as loaded:
        with pytest.raises(grpc.RpcError) as refused:  # the whole answer does not pass
            loaded.provider.read_scalars(CTX, experiment_id="", plugin_name="scalars", downsample=10**6)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        scalars = reading.SeriesReader(loaded.provider).scalars(CTX, "")
    assert sorted(scalars.by_run) == [f"run{run:02d}" for run in range(RUNS)]
    assert all(len(series.steps) == POINTS for tags in scalars.by_run.values() for series in tags.values())


class _Stalled(data_provider_pb2_grpc.TensorBoardDataProviderServicer):
    """A data server that answers every listing and read after `delay` seconds, or with the status `code`."""

    def __init__(self, delay=0.0, code=None):
        self.delay, self.code = delay, code

    def _answer(self, context, answer):
        time.sleep(self.delay)
        if self.code is not None:
            context.abort(self.code, "experiment 'x' not found")
        return answer

    def ListScalars(self, request, context):
        return self._answer(context, data_provider_pb2.ListScalarsResponse())

    def ListTensors(self, request, context):
        return self._answer(context, data_provider_pb2.ListTensorsResponse())

    def ReadScalars(self, request, context):
        return self._answer(context, data_provider_pb2.ReadScalarsResponse())


@pytest.fixture
def grpc_server():
    """`grpc_server(servicer)` -> (address, stub) of a real gRPC server on localhost, stopped after the test."""
    started = []

    def start(servicer):
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
        data_provider_pb2_grpc.add_TensorBoardDataProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port("localhost:0")
        server.start()
        channel = grpc.insecure_channel(f"localhost:{port}")
        started.append((server, channel))
        return f"localhost:{port}", data_provider_pb2_grpc.TensorBoardDataProviderStub(channel)

    yield start
    for server, channel in started:
        channel.close()
        server.stop(grace=None)


@pytest.mark.parametrize("call", ["read_scalars", "list_versions", "list_tensors"])
def test_every_call_to_a_stalled_data_server_has_a_deadline(grpc_server, call):
    """Reads, our listings and TensorBoard's own `list_tensors` (sessions) all give up after the deadline."""
    provider = fast_provider.FastProvider(*grpc_server(_Stalled(delay=3.0)), timeout=0.3)
    request = {"read_scalars": dict(downsample=10), "list_versions": dict(tensors=False), "list_tensors": {}}[call]
    began = time.monotonic()
    with pytest.raises(grpc.RpcError) as stalled:
        getattr(provider, call)(CTX, experiment_id="", plugin_name="scalars", **request)
    assert stalled.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - began < 2.0


def test_not_found_from_the_data_server_is_a_404_as_in_tensorboard(grpc_server):
    from tensorboard.backend import application
    from tensorboard.data import grpc_provider
    from tensorboard.plugins import base_plugin
    from werkzeug import test as werkzeug_test
    from werkzeug import wrappers

    from tb_overfit_plugin.plugin import OverfitPlugin

    provider = grpc_provider.GrpcDataProvider(*grpc_server(_Stalled(code=grpc.StatusCode.NOT_FOUND)))
    plugin = OverfitPlugin(base_plugin.TBContext(data_provider=provider, logdir=""))
    client = werkzeug_test.Client(application.TensorBoardWSGI([plugin], data_provider=provider), wrappers.Response)
    for route in ("runs", "curves?run=a", "stopping?run=a", "weights_summary"):
        response = client.get(f"/data/plugin/overfit/{route}")
        assert (route, response.status_code) == (route, 404)
        assert "not found" in response.get_json()["error"]


def test_no_reading_thread_outlives_the_call(wide_logdir):
    with data_server.loaded(str(wide_logdir), histograms=False) as loaded:
        reading.SeriesReader(loaded.provider).runs_inputs(CTX, "")
    assert [t.name for t in threading.enumerate() if t.name.startswith("overfit")] == []


class _Recording:
    """A data provider that records the `downsample` of every read, then reads from the real one."""

    def __init__(self, provider):
        self.provider, self.asked, self.collecting = provider, [], []

    def list_scalars(self, ctx, **request):
        return self.provider.list_scalars(ctx, **request)

    def read_scalars(self, ctx, **request):
        self.asked.append(request["downsample"])
        self.collecting.append(gc.isenabled())
        return self.provider.read_scalars(ctx, **request)


@pytest.mark.parametrize("warm", [False, True])
def test_no_series_is_cut_at_any_length(wide_logdir, warm):
    """Every read asks for as many points as the protocol can name, so no series is cut short silently."""
    from tb_overfit_plugin.data.logdir import local_data_provider

    recording = _Recording(local_data_provider(str(wide_logdir)))
    reader = reading.SeriesReader(recording)
    if warm:
        reader.listing(CTX, "", reading.SCALARS_PLUGIN)  # a listing first: batched reads
    assert len(reader.scalars(CTX, "").by_run) == RUNS
    assert recording.asked and all(asked == 2**63 - 1 for asked in recording.asked)


def test_the_hosts_garbage_collector_is_never_switched_off(wide_logdir):
    """TensorBoard's process and its other plugins keep their collector while the plugin reads and builds."""
    from tb_overfit_plugin.data.logdir import local_data_provider

    recording = _Recording(local_data_provider(str(wide_logdir)))
    reading.SeriesReader(recording).scalars(CTX, "")
    seen = []
    document_cache.DocumentCache().get(("key",), lambda: seen.append(gc.isenabled()) or {"runs": []})
    assert recording.collecting == [True] and seen == [True]


def test_concurrent_requests_for_one_document_build_it_once():
    cache, builds = document_cache.DocumentCache(), []

    def build():
        builds.append(threading.get_ident())
        time.sleep(0.3)
        return {"runs": [1, 2, 3]}

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: cache.get(("runs", "v1"), build), range(4)))
    assert len(builds) == 1 and len(set(answers)) == 1


def test_a_slower_older_listing_does_not_replace_a_newer_one(tmp_path):
    """Request A lists, B lists newer data and answers first; A's older listing must not be cached over B's."""
    from tb_overfit_plugin.data.logdir import local_data_provider

    logwriters.write_single_run(tmp_path, "run", {"loss": [3.0, 2.0, 1.0]})
    provider = local_data_provider(str(tmp_path))
    entered, release, calls = threading.Event(), threading.Event(), []

    class Slow:
        def list_scalars(self, ctx, **request):
            answer = provider.list_scalars(ctx, **request)
            calls.append(1)
            if len(calls) == 1:  # the first call's answer arrives late
                entered.set()
                release.wait(10)
            return answer

    reader = reading.SeriesReader(Slow(), listing_max_age=60)
    slow = threading.Thread(target=reader.listing, args=(CTX, "", reading.SCALARS_PLUGIN))
    slow.start()
    entered.wait(10)
    logwriters.write_single_run(tmp_path, "run", {"loss": [0.5]}, steps=[3])  # the run gains an epoch
    provider._multiplexer.AddRunsFromDirectory(str(tmp_path))
    provider._multiplexer.Reload()
    newer = reader.listing(CTX, "", reading.SCALARS_PLUGIN)
    release.set()
    slow.join(10)
    assert newer.versions[("run", "loss")][0] == 3
    assert reader.listing(CTX, "", reading.SCALARS_PLUGIN).versions[("run", "loss")][0] == 3
