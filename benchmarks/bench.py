"""Speed of the plugin on a hyper-parameter sweep, through a real TensorBoard.

Writes (once, cached in --logdir) N runs x E epochs of Keras-layout scalars
and T weight histograms per epoch with tf.summary, starts `tensorboard`
(Rust data server by default) and prints how long the plugin's routes take:
cold (first read), warm (nothing changed: cache hits), and after one run
gained an epoch. Figures only; nothing here asserts a time.

    python benchmarks/bench.py [--runs 100 --epochs 200 --tensors 10] [--load-fast true|false]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np


def write_sweep(logdir: Path, runs: int, epochs: int, tensors: int) -> None:
    """Keras-layout runs: `run_i/train` (epoch_loss + kernel histograms), `run_i/validation`.

    Events hold the same TF2 summaries `tf.summary` writes, built with
    TensorBoard's own `scalar_pb` / `histogram_pb` (30 buckets): eager
    `tf.summary` needs minutes per run at this size.
    """
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.histogram.summary_v2 import histogram_pb
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    rng = np.random.default_rng(0)
    steps = np.arange(epochs)
    for index in range(runs):
        turn = rng.uniform(0.2, 0.8) * epochs
        train = np.exp(-steps / (epochs / 5)) + rng.normal(0, 0.01, epochs)
        validation = 0.5 + 1e-5 * (steps - turn) ** 2 + rng.normal(0, 0.01, epochs)
        for split, values in (("train", train), ("validation", validation)):
            writer = EventFileWriter(str(logdir / f"run_{index:03d}" / split))
            for step in steps:
                summaries = [scalar_pb("epoch_loss", np.float32(values[step]))]
                if split == "train":
                    summaries += [
                        histogram_pb(f"model/dense_{t}/kernel/histogram",
                                     rng.normal(0, 0.05 * (1 + step / epochs), 256), buckets=30)
                        for t in range(tensors)
                    ]
                for summary in summaries:
                    writer.add_event(event_pb2.Event(step=int(step), wall_time=time.time(), summary=summary))
            writer.close()
        print(f"\rwrote run {index + 1}/{runs}", end="", flush=True)
    print()


def in_process(logdir: Path) -> None:
    """Cold and warm timings of the plugin's own work over TensorBoard's Python data provider."""
    from tensorboard import context as context_lib

    from tb_overfit_plugin import reading, report
    from tb_overfit_plugin.logdir import local_data_provider
    from tb_overfit_plugin.params import CurveParams

    start = time.perf_counter()
    provider = local_data_provider(str(logdir))
    print(f"{'python loader: load the logdir (TensorBoard itself)':60s} {time.perf_counter() - start:8.2f} s")
    reader, diagnoser, ctx = reading.SeriesReader(provider), report.Diagnoser(), context_lib.RequestContext()
    for label in ("cold", "warm"):
        start = time.perf_counter()
        scalars = reader.scalars(ctx, "")
        read_scalars = time.perf_counter()
        histograms = reader.histograms(ctx, "")
        read_histograms = time.perf_counter()
        document = diagnoser.runs_document(scalars, histograms, CurveParams())
        analysed = time.perf_counter()
        print(f"{'in-process /runs ' + label + ': read scalars':60s} {(read_scalars - start) * 1000:8.1f} ms")
        print(f"{'in-process /runs ' + label + ': read histograms':60s} {(read_histograms - read_scalars) * 1000:8.1f} ms")
        print(f"{'in-process /runs ' + label + ': analyse ' + str(len(document['runs'])) + ' runs':60s} {(analysed - read_histograms) * 1000:8.1f} ms")


def timed_get(url: str):
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read()
    return time.perf_counter() - start, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--tensors", type=int, default=10)
    parser.add_argument("--logdir", default=None, help="default: /tmp/tb_overfit_bench_R_E_T")
    parser.add_argument("--load-fast", default="true")
    args = parser.parse_args()
    logdir = Path(args.logdir or f"/tmp/tb_overfit_bench_{args.runs}_{args.epochs}_{args.tensors}")
    if not logdir.exists():
        start = time.perf_counter()
        write_sweep(logdir, args.runs, args.epochs, args.tensors)
        print(f"wrote logs in {time.perf_counter() - start:.1f} s")

    in_process(logdir)
    from conftest import TensorBoardProcess

    tensorboard = TensorBoardProcess(logdir, f"--load_fast={args.load_fast}",
                                     "--samples_per_plugin=histograms=0,scalars=0")
    try:
        expected = args.runs

        def loaded():
            status, body = tensorboard.get("/data/plugin/overfit/runs")
            if status != 200:
                return False
            rows = json.loads(body)["runs"]
            return len(rows) == expected and all(r["num_steps"] == args.epochs for r in rows) and all(
                r["weights"]["layers"] == args.tensors for r in rows)

        start = time.perf_counter()
        tensorboard.wait_until(loaded, "the sweep to load", timeout=1800)
        print(f"tensorboard loaded the sweep (polling /runs) in {time.perf_counter() - start:.1f} s")
        # A fresh process for clean cold numbers would reload everything; instead the
        # cache is measured by what happens on the second and later calls.
        base = tensorboard.url + "/data/plugin/overfit"
        for label, route in [
            ("/runs warm (all runs, cache hit)", "/runs"),
            ("/runs warm, patience=3 (new params: analyses recomputed)", "/runs?patience=3"),
            ("/runs warm, patience=3 again", "/runs?patience=3"),
            ("/curves one run", "/curves?run=run_050"),
            ("/weights one run", "/weights?run=run_050"),
        ]:
            seconds, size = timed_get(base + route)
            print(f"{label:60s} {seconds * 1000:8.1f} ms  {size / 1e3:8.1f} kB")
    finally:
        tensorboard.stop()


if __name__ == "__main__":
    main()
