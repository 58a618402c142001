"""The CLI's load through TensorBoard's Rust data server: same arrays as TensorBoard's own provider."""

import numpy as np
import pytest
from tensorboard import context
from tensorboard.data import grpc_provider

from tb_overfit_plugin.data import data_server, fast_provider, reading


def _read_all(provider, plugin_name):
    return provider.read_tensors(
        context.RequestContext(), experiment_id="", plugin_name=plugin_name, downsample=1_000_000
    )


def test_only_tensorboards_grpc_provider_is_replaced(demo_logdir):
    from tb_overfit_plugin.data.logdir import local_data_provider

    python_loader = local_data_provider(str(demo_logdir))
    assert fast_provider.faster(python_loader) is python_loader
    with data_server.loaded(str(demo_logdir)) as loaded:
        own = grpc_provider.GrpcDataProvider(loaded.provider._addr, loaded.provider._stub)
        fast = fast_provider.faster(own)
        # The same stub (channel), behind a deadline on every call.
        assert isinstance(fast, fast_provider.FastProvider) and isinstance(fast._stub, fast_provider.DeadlineStub)
        assert fast._stub._stub is own._stub
        assert fast_provider.faster(fast) is fast  # already fast: unchanged


def test_fast_tensor_conversion_equals_tensorboards(demo_logdir):
    with data_server.loaded(str(demo_logdir)) as loaded:
        fast = _read_all(loaded.provider, reading.HISTOGRAMS_PLUGIN)
        # TensorBoard's own read_tensors (make_ndarray per tensor) over the same server.
        own = grpc_provider.GrpcDataProvider.read_tensors(
            loaded.provider,
            context.RequestContext(),
            experiment_id="",
            plugin_name=reading.HISTOGRAMS_PLUGIN,
            downsample=1_000_000,
        )
    assert fast.keys() == own.keys() and sum(len(tags) for tags in fast.values()) >= 18
    for run, tags in own.items():
        assert fast[run].keys() == tags.keys()
        for tag, datums in tags.items():
            assert [(d.step, d.wall_time) for d in fast[run][tag]] == [(d.step, d.wall_time) for d in datums]
            for mine, theirs in zip(fast[run][tag], datums):
                assert mine.numpy.dtype == theirs.numpy.dtype and mine.numpy.shape == theirs.numpy.shape
                np.testing.assert_array_equal(mine.numpy, theirs.numpy)


def test_ragged_series_fall_back_per_tensor():
    from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

    def packed(rows):
        array = np.arange(rows * 3, dtype=np.float64).reshape(rows, 3)
        shape = tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in array.shape]
        )
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, tensor_shape=shape, tensor_content=array.tobytes())

    arrays = fast_provider._ndarrays([packed(30), packed(2), packed(30)])
    assert [a.shape for a in arrays] == [(30, 3), (2, 3), (30, 3)]
    np.testing.assert_array_equal(arrays[1], np.arange(6.0).reshape(2, 3))
    same = fast_provider._ndarrays([packed(4), packed(4)])
    assert len(same) == 2 and all(np.array_equal(a, np.arange(12.0).reshape(4, 3)) for a in same)


def test_scalar_columns_equal_tensorboards_datums(demo_logdir):
    with data_server.loaded(str(demo_logdir)) as loaded:
        own_provider = grpc_provider.GrpcDataProvider(loaded.provider._addr, loaded.provider._stub)
        kwargs = dict(experiment_id="", plugin_name=reading.SCALARS_PLUGIN, downsample=1_000_000)
        fast = loaded.provider.read_scalars(context.RequestContext(), **kwargs)
        own = own_provider.read_scalars(context.RequestContext(), **kwargs)
    assert fast.keys() == own.keys()
    for run, tags in own.items():
        assert fast[run].keys() == tags.keys()
        for tag, datums in tags.items():
            columns = fast[run][tag]
            assert isinstance(columns, fast_provider.ScalarColumns) and len(columns) == len(datums) > 0
            assert list(columns) == datums  # as a sequence: TensorBoard's own ScalarDatums
            assert columns[-1] == datums[-1] and columns[1:3] == datums[1:3]
            np.testing.assert_array_equal(columns.steps, [d.step for d in datums])
            np.testing.assert_array_equal(columns.values, [d.value for d in datums])


def test_listed_versions_equal_tensorboards_listings(demo_logdir):
    ctx = context.RequestContext()
    with data_server.loaded(str(demo_logdir)) as loaded:
        own_provider = grpc_provider.GrpcDataProvider(loaded.provider._addr, loaded.provider._stub)
        for plugin_name, tensors in ((reading.SCALARS_PLUGIN, False), (reading.HISTOGRAMS_PLUGIN, True)):
            listed = getattr(own_provider, "list_tensors" if tensors else "list_scalars")(
                ctx, experiment_id="", plugin_name=plugin_name
            )
            versions = loaded.provider.list_versions(ctx, experiment_id="", plugin_name=plugin_name, tensors=tensors)
            assert len(versions) >= 6
            assert versions == {
                (run, tag): (meta.max_step, meta.max_wall_time)
                for run, tags in listed.items()
                for tag, meta in tags.items()
            }


def test_the_binary_is_found_as_tensorboard_finds_it(monkeypatch, tmp_path):
    from tensorboard.data import server_ingester

    from tb_overfit_plugin.data import server_process

    assert server_process.binary_path() == server_ingester.get_server_binary().path
    own = tmp_path / "server"
    own.write_text("")
    monkeypatch.setenv("TENSORBOARD_DATA_SERVER_BINARY", str(own))
    assert server_process.binary_path() == server_ingester.get_server_binary().path == str(own)
    monkeypatch.setenv("TENSORBOARD_DATA_SERVER_BINARY", str(tmp_path / "missing"))
    assert server_process.binary_path() is None
    with pytest.raises(server_ingester.NoDataServerError):
        server_ingester.get_server_binary()


def test_a_prestarted_server_is_taken_for_its_logdir_with_enough_histograms(demo_logdir, tmp_path):
    from tb_overfit_plugin.data import server_process

    logdir = str(demo_logdir)
    server_process.prestart(logdir, histograms=False)
    names_only = server_process._prestarted
    assert server_process.take(logdir, histograms=True) is None, "names only cannot serve histograms"
    assert names_only.process.poll() is not None, "and it was stopped"
    server_process.prestart(logdir, histograms=True)
    assert server_process.take(str(tmp_path), histograms=True) is None  # another logdir
    server_process.prestart(str(tmp_path / "missing"), histograms=True)
    assert server_process._prestarted is None, "nothing to load: nothing started"

    server_process.prestart(logdir, histograms=True)
    full = server_process._prestarted
    with data_server.loaded(logdir, histograms=False) as loaded:  # a superset will do
        assert server_process._prestarted is None and full.process.poll() is None
        assert loaded.provider.list_versions(
            context.RequestContext(), experiment_id="", plugin_name=reading.HISTOGRAMS_PLUGIN, tensors=True
        )
    assert full.process.poll() is not None, "stopped with the with block"
    server_process.discard()


def _tensor_data(tensors):
    from tensorboard.data.proto import data_provider_pb2

    return data_provider_pb2.TensorData(
        step=list(range(len(tensors))), wall_time=[10.0 + i for i in range(len(tensors))], value=tensors
    )


def _packed(array, **fields):
    from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

    dtype = {np.dtype(np.float64): types_pb2.DT_DOUBLE, np.dtype(np.float32): types_pb2.DT_FLOAT}[array.dtype]
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in array.shape])
    return tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape, tensor_content=array.tobytes(), **fields)


def test_stacked_reads_a_uniform_series_from_its_wire_bytes():
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        arrays = [rng.normal(size=(30, 3)).astype(dtype) for _ in range(7)]
        stacked = fast_provider._stacked(_tensor_data([_packed(a) for a in arrays]))
        assert stacked.dtype == dtype and stacked.shape == (7, 30, 3)
        np.testing.assert_array_equal(stacked, np.stack(arrays))
    # A length that needs a two-byte varint, and a single tensor.
    one = rng.normal(size=(1, 3))
    np.testing.assert_array_equal(fast_provider._stacked(_tensor_data([_packed(one)])), one[None])


def test_stacked_refuses_anything_but_one_packed_layout():
    from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

    grid = np.arange(12.0)
    refused = {
        "shapes of equal size": [_packed(grid.reshape(4, 3)), _packed(grid.reshape(6, 2))],
        "dtypes of equal size": [_packed(grid.reshape(4, 3)), _packed(np.arange(24, dtype=np.float32).reshape(8, 3))],
        "ragged": [_packed(grid.reshape(4, 3)), _packed(grid[:6].reshape(2, 3))],
        "another field differs": [_packed(grid.reshape(4, 3)), _packed(grid.reshape(4, 3), version_number=1)],
        "not packed": [
            tensor_pb2.TensorProto(
                dtype=types_pb2.DT_DOUBLE,
                double_val=[1.0, 2.0],
                tensor_shape=(tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=2)])),
            )
        ]
        * 2,
        "empty": [],
    }
    for why, tensors in refused.items():
        assert fast_provider._stacked(_tensor_data(tensors)) is None, why
        # ... and the series still converts, one tensor at a time, to what TensorBoard would give.
        series = fast_provider._tensor_series(_tensor_data(tensors))
        assert isinstance(series, list) and len(series) == len(tensors), why


def test_histograms_come_as_stacked_columns_that_still_read_as_tensorboards_datums(demo_logdir):
    with data_server.loaded(str(demo_logdir)) as loaded:
        fast = _read_all(loaded.provider, reading.HISTOGRAMS_PLUGIN)
    series = [datums for tags in fast.values() for datums in tags.values()]
    assert series and all(isinstance(datums, fast_provider.TensorColumns) for datums in series)
    first = series[0]
    assert [d.step for d in first] == list(first.steps) and first[-1].wall_time == first.wall_times[-1]
    np.testing.assert_array_equal(first[0].numpy, first.values[0])
