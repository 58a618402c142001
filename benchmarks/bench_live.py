"""Memory of the plugin's caches while a live run is polled. Prints figures; asserts nothing.

One Keras-layout run of 1,000 epochs gains a point of its validation loss
200 times (200 data versions); after each, the tab's polls are served
through TensorBoard's WSGI app on its Python loader (reloaded each time):
`/runs` (default view), `/curves?run=live` and `/curves` with another
patience. Printed: the bytes each cache holds (analysis memos, documents,
series) after 1, 50, 100 and 200 versions; before issue 26 the verdict memo
kept every superseded version (about 137 kB each for `/curves`).

    python benchmarks/bench_live.py [--points 1000 --versions 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


_WRITERS: dict = {}


def _write(logdir: str, first: int, count: int) -> None:
    """Epochs first..first+count-1 of both splits, appended to one event file per split (flushed, as Keras does)."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    for split, value in (("train", lambda s: 1.0 / (s + 1)), ("validation", lambda s: 0.5 + 1e-6 * (s - 400) ** 2)):
        if split not in _WRITERS:
            _WRITERS[split] = EventFileWriter(os.path.join(logdir, "live", split))
        writer = _WRITERS[split]
        for step in range(first, first + count):
            writer.add_event(
                event_pb2.Event(step=step, wall_time=1e9 + step, summary=scalar_pb("epoch_loss", value(step)))
            )
        writer.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=200)
    args = parser.parse_args()
    from conftest import PluginClient

    logdir = tempfile.mkdtemp(prefix="tb_overfit_live_")
    _write(logdir, 0, args.points)
    client = PluginClient(logdir)
    (plugin,) = client.app._plugins
    plugin._reader._listing_max_age = 0  # every poll lists: each version is seen
    multiplexer = client.app._data_provider._multiplexer
    print(f"{'versions':>8} {'verdicts (default)':>19} {'verdicts (other)':>17} {'documents':>10} {'series':>10}")
    for version in range(1, args.versions + 1):
        _write(logdir, args.points + version - 1, 1)
        multiplexer.Reload()
        for route, query in (("runs", {}), ("curves", {"run": "live"}), ("curves", {"run": "live", "patience": "9"})):
            assert client.get(route, **query)[0] == 200
        if version in (1, 50, 100, 200) or version == args.versions:
            analyses = plugin._analyses
            print(
                f"{version:8d} {analyses.default_curves.nbytes / 1e3:16.0f} kB {analyses.curves.nbytes / 1e3:14.0f} kB "
                f"{plugin._documents.nbytes / 1e3:7.0f} kB {plugin._reader.cached_bytes() / 1e3:7.0f} kB"
            )


if __name__ == "__main__":
    main()
