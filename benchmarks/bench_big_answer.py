"""A cold `/runs` read whose one-call answer the gRPC channel refuses. Prints figures; asserts nothing.

TensorBoard's channel refuses answers over 256 MiB (about 15 million scalar
points); this measures the same mechanism at a smaller scale: the sweep's
scalars read through the Rust data server on a channel whose limit is
`--limit-kib`, below the size of the whole answer, next to an unlimited
channel. The plugin's cold read gets RESOURCE_EXHAUSTED, lists, and reads in
batches (split again while still too large).

    python benchmarks/bench_big_answer.py [--runs 1000 --epochs 50 --limit-kib 512 --repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _cold_read(logdir: Path, limit: int) -> tuple:
    from tensorboard import context

    from tb_overfit_plugin import data_server, reading

    data_server.MAX_MESSAGE_BYTES = limit
    with data_server.loaded(str(logdir), histograms=False) as loaded:
        start = time.perf_counter()
        scalars = reading.SeriesReader(loaded.provider).scalars(context.RequestContext(), "")
        seconds = time.perf_counter() - start
    return seconds, sum(len(series.steps) for tags in scalars.by_run.values() for series in tags.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--limit-kib", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import bench

    logdir = bench.sweep(args.runs, args.epochs, 2)
    results = {"unlimited channel": [], f"channel limit {args.limit_kib} KiB": []}
    for _ in range(args.repeat):
        for name, limit in zip(results, (2**31 - 1, args.limit_kib * 1024)):
            results[name].append(_cold_read(logdir, limit))
    for name, found in results.items():
        print(f"{name:28} {statistics.median(s for s, _ in found) * 1000:7.0f} ms  {found[0][1]:,} points")


if __name__ == "__main__":
    main()
