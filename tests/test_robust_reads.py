"""The reading layer under the limits of a real gRPC channel and a real data server.

Each test runs TensorBoard's Rust data server (`data_server.loaded`) or an
in-process gRPC server speaking TensorBoard's data-provider protocol, so the
errors are the ones gRPC itself raises.
"""

import concurrent.futures
import threading
import time

import grpc
import numpy as np
import pytest
from tensorboard import context as context_lib
from tensorboard.data.proto import data_provider_pb2, data_provider_pb2_grpc

import logwriters
from tb_overfit_plugin import data_server, fast_provider, reading

CTX = context_lib.RequestContext()
RUNS, POINTS = 12, 1000


@pytest.fixture(scope="module")
def wide_logdir(tmp_path_factory):
    """12 runs x 2 tags x 1,000 points: about 400 kB of scalars on the wire."""
    logdir = tmp_path_factory.mktemp("wide")
    rng = np.random.default_rng(0)
    for run in range(RUNS):
        logwriters.write_single_run(logdir, f"run{run:02d}", {"loss": rng.random(POINTS), "acc": rng.random(POINTS)},
                                    simple_value=True)
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
