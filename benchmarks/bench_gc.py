"""What the cyclic garbage collector costs a cold `/runs`, and what each way of sparing it keeps.

Prints; asserts nothing.

In a process holding what a tensorboard process holds (TensorFlow imported:
a few hundred thousand objects that every full collection walks), a cold
`/runs` (read every scalar through the Rust data server, build and encode
the document) is timed, interleaved, with the collector:

- on (the plugin since issue 26: it never touches the host's collector);
- paused around reads and builds (the plugin before issue 26: `gc.disable()`);
- on, after one `gc.freeze()` of what the process held before (TensorBoard's
  and TensorFlow's objects move to the permanent generation);
- on, with a generation-0 threshold ten times the default.

    python benchmarks/bench_gc.py [--runs 1000 --epochs 50 --repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))


@contextlib.contextmanager
def _on():
    yield


@contextlib.contextmanager
def _paused():
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextlib.contextmanager
def _frozen():
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def _threshold():
    before = gc.get_threshold()
    gc.set_threshold(before[0] * 10, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


VARIANTS = {
    "collector on": _on,
    "paused (gc.disable)": _paused,
    "on, gc.freeze() first": _frozen,
    "on, gen-0 threshold x10": _threshold,
}


def _cold_runs(provider) -> float:
    from tensorboard import context

    from tb_overfit_plugin.data import reading
    from tb_overfit_plugin.documents import analysis_cache, document_cache, params
    from tb_overfit_plugin.documents.runs import documents as run_documents

    ctx = context.RequestContext()
    start = time.perf_counter()
    reader = reading.SeriesReader(provider)
    scalars, histograms, sessions = reader.runs_inputs(ctx, "")
    document = run_documents.runs_document(
        analysis_cache.AnalysisCache(), scalars, histograms, params.parse_curve_params({}), sessions
    )
    document_cache.encode(document)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import bench
    import tensorflow  # noqa: F401 - the heap of a tensorboard process with TensorFlow installed

    from tb_overfit_plugin.data import data_server

    logdir = bench.sweep(args.runs, args.epochs, 2)
    print(f"{len(gc.get_objects()):,} objects tracked; sweep {args.runs} runs x {args.epochs} epochs")
    times = {name: [] for name in VARIANTS}
    collections = {name: 0 for name in VARIANTS}
    with data_server.loaded(str(logdir), histograms=False) as loaded:
        for _ in range(args.repeat):
            for name, variant in VARIANTS.items():
                before = gc.get_stats()[2]["collections"]
                with variant():
                    times[name].append(_cold_runs(loaded.provider))
                collections[name] += gc.get_stats()[2]["collections"] - before
    base = statistics.median(times["collector on"])
    print(f"{'cold /runs':28} {'median':>9} {'vs on':>7} {'full collections':>17}")
    for name in VARIANTS:
        median = statistics.median(times[name])
        print(f"{name:28} {median * 1000:7.0f}ms {median / base:6.2f}x {collections[name] / args.repeat:17.1f}")


if __name__ == "__main__":
    main()
