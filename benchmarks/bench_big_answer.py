"""A cold `/runs` read whose one-call answer the gRPC channel refuses. Prints figures; asserts nothing.

TensorBoard's channel refuses answers over 256 MiB (`--limit-mib`, TensorBoard's own
limit by default). The sweep: `--runs` Keras-layout runs (`run_i/train`,
`run_i/validation`), `--tags` scalar tags split between them, `--points` steps each:
1,000 x 20 x 1,000 = 20 million points, written with numpy (`fast_events`, tens of
seconds) and loaded by TensorBoard's Rust data server keeping every point. The
plugin's cold read asks for everything in one call, gets RESOURCE_EXHAUSTED, lists,
and reads in batches (split again while still too large); next to it, the same read
on an unlimited channel (one call).

    python benchmarks/bench_big_answer.py [--runs 1000 --tags 20 --points 1000 --limit-mib 256 --repeat 1]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def write_sweep(runs: int, tags: int, points: int) -> Path:
    """The sweep's logdir (written once, kept in /tmp); half the tags in `train`, half in `validation`."""
    import fast_events

    logdir = Path(f"/tmp/tb_overfit_big_{runs}_{tags}_{points}")
    if logdir.exists():
        return logdir
    partial = logdir.with_name(logdir.name + ".partial")
    rng = np.random.default_rng(0)
    steps = np.arange(points)
    names = [f"epoch_metric_{t:02d}" for t in range(tags)]
    for index in range(runs):
        for split, chosen in (("train", names[: tags // 2]), ("validation", names[tags // 2 :])):
            values = np.exp(-steps / (points / 5))[None, :] + rng.normal(0, 0.01, (len(chosen), points))
            fast_events.write_scalars(partial / f"run_{index:04d}" / split, chosen, steps, values)
    partial.rename(logdir)
    return logdir


def _counted(provider, calls: dict) -> None:
    """Counts `provider.read_scalars` calls and the ones the channel refused (RESOURCE_EXHAUSTED)."""
    read = provider.read_scalars

    def counting(*args, **kwargs):
        calls["reads"] += 1
        try:
            return read(*args, **kwargs)
        except Exception as error:  # the plugin decides what a refusal is; this only counts
            calls["refused"] += "RESOURCE_EXHAUSTED" in repr(error) or "exhausted" in str(error).lower()
            raise

    provider.read_scalars = counting


def _cold_read(logdir: Path, limit: int) -> dict:
    from tensorboard import context

    from tb_overfit_plugin.data import data_server, reading

    data_server.MAX_MESSAGE_BYTES = limit
    start = time.perf_counter()
    with data_server.loaded(str(logdir), histograms=False) as loaded:
        loaded_at = time.perf_counter()
        calls = {"reads": 0, "refused": 0}
        _counted(loaded.provider, calls)
        scalars = reading.SeriesReader(loaded.provider).scalars(context.RequestContext(), "")
        read = time.perf_counter() - loaded_at
    series = [s for tags in scalars.by_run.values() for s in tags.values()]
    return {
        "load": loaded_at - start,
        "read": read,
        "points": sum(len(s.steps) for s in series),
        "series": len(series),
        **calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=20)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--limit-mib", type=float, default=256)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    logdir = write_sweep(args.runs, args.tags, args.points)
    on_disk = sum(f.stat().st_size for f in logdir.rglob("events.*"))
    print(
        f"logdir {logdir}: {args.runs * args.tags * args.points:,} points, {on_disk / 2**20:,.0f} MiB of "
        f"event files, ready in {time.perf_counter() - start:.1f} s"
    )
    channels = {f"channel limit {args.limit_mib:g} MiB": int(args.limit_mib * 2**20), "unlimited channel": 2**31 - 1}
    for _ in range(args.repeat):
        for name, limit in channels.items():
            found = _cold_read(logdir, limit)
            print(
                f"{name:28} load {found['load']:6.1f} s  cold read {found['read']:6.1f} s  "
                f"{found['points']:,} points in {found['series']:,} series, {found['reads']} read calls "
                f"({found['refused']} refused)",
                flush=True,
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"peak RSS of this process (the plugin's reads; the data server is another process): {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
