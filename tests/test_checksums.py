"""Checksums by google-crc32c equal the numpy fallback's on every record of the tests' event files.

The event files are those the other tests read: the demo's real Keras logs,
and each writer of `logwriters` (TF2 summaries, tensorboardX, TF1 protos,
histograms of every form); plus damaged copies, random byte strings of every
length up to a few kB (both fallback paths: records checksummed together and
the longest one by one), and TensorBoard's own record reader's verdict.
"""

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.data import checksums, integrity


def test_the_compiled_library_is_installed():
    """The dependency's C extension, not its pure-Python loop (the numpy fallback is for when it is missing)."""
    assert checksums.hardware_available()


@pytest.fixture(scope="module")
def writers_logdir(tmp_path_factory):
    """One run per writer the tests use, scalars and histograms."""
    logdir = tmp_path_factory.mktemp("writers")
    rng = np.random.default_rng(3)
    losses = list(np.linspace(1.0, 0.2, 30))
    samples = [rng.normal(size=200) for _ in range(6)]
    logwriters.write_keras_layout(
        logdir,
        "keras",
        train={"epoch_loss": losses},
        validation={"epoch_loss": losses},
        histograms={"m/dense/kernel/histogram": samples},
    )
    logwriters.write_single_run(logdir, "torch", {"Loss/train": losses, "Loss/val": losses}, simple_value=True)
    logwriters.write_tensorboardx_add_scalars(logdir, "tbx", "Loss", {"train": losses, "val": losses})
    logwriters.write_tf1_histograms(logdir, "tf1_hist", "layer1.weight", samples)
    logwriters.write_tf2_histograms(logdir, "tf2_hist", "dense/kernel", samples)
    logwriters.write_tf1_keras(logdir, "tf1_keras", {"loss": losses, "val_loss": losses})
    return logdir


def _event_files(*logdirs):
    files = [path for logdir in logdirs for path in sorted(logdir.rglob("*tfevents*"))]
    assert len(files) >= 9
    return files


def _both(data: bytes, starts, lengths):
    starts, lengths = np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
    return (
        checksums.masked_crc32c(data, starts, lengths),
        checksums.masked_crc32c(data, starts, lengths, use_library=False),
    )


def test_library_and_fallback_agree_on_every_record_of_the_test_files(writers_logdir, demo_logdir):
    records = 0
    for path in _event_files(writers_logdir, demo_logdir):
        data = path.read_bytes()
        frames = logwriters.record_offsets(path)
        offsets = np.array([offset for offset, _ in frames])
        lengths = np.array([length for _, length in frames])
        stored = np.frombuffer(b"".join(data[o + 12 + n : o + 16 + n] for o, n in frames), dtype="<u4")
        for starts, sizes, expected in ((offsets, np.full(len(offsets), 8), None), (offsets + 12, lengths, stored)):
            library, fallback = _both(data, starts, sizes)
            assert np.array_equal(library, fallback), path
            if expected is not None:  # intact files: both match what the writer stored
                assert np.array_equal(library, expected), path
        records += len(frames)
    assert records > 1000


def test_library_and_fallback_agree_on_random_bytes_of_every_length():
    rng = np.random.default_rng(7)
    data = rng.integers(0, 256, size=300_000, dtype=np.uint8).tobytes()
    lengths = np.concatenate([np.arange(0, 600), rng.integers(600, 5000, size=100)])
    starts = rng.integers(0, len(data) - 5000, size=len(lengths))
    library, fallback = _both(data, starts, lengths)
    assert np.array_equal(library, fallback)
    # The standard's check value: CRC-32C("123456789") = 0xE3069283, masked as TFRecord does.
    (check,) = _both(b"123456789", [0], [9])[0]
    assert int(check) == checksums.mask(0xE3069283)


def test_scanner_finds_the_same_problems_with_the_fallback(writers_logdir, tmp_path, monkeypatch):
    """Damaged copies of every writer's files: the same offsets with the library and without it."""
    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(writers_logdir, damaged)
    rng = np.random.default_rng(5)
    for path in _event_files(damaged)[::2]:
        data = bytearray(path.read_bytes())
        data[int(rng.integers(len(data)))] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(data))
    found = integrity.Scanner(str(damaged)).scan()
    monkeypatch.setattr(checksums, "google_crc32c", None)
    assert not checksums.hardware_available()
    assert integrity.Scanner(str(damaged)).scan() == found and len(found) >= 3
