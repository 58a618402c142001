"""Cost of weight health on a sweep, next to the cost of reading its histograms.

Loads a sweep logdir (`bench.sweep`'s, written once if missing) with
TensorBoard's Python loader, reads every histogram series through the
plugin's `SeriesReader` (as `/runs` does) and runs `weight_health.analyze_layers`
on each run's histograms, as the plugin does per run, and
`weight_health.summarize_layers` (the summary alone). Prints the read time, the
analysis times (total, per run, per histogram) and their ratios to the read.
Figures only; nothing here asserts a time.

    python benchmarks/bench_weights.py [RUNSxEPOCHSxTENSORS, default 100x200x10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep", nargs="?", default="100x200x10", help="runs x epochs x tensors")
    parser.add_argument("--logdir", default=None, help="any logdir instead of the generated sweep")
    parser.add_argument("--repeat", type=int, default=3, help="analysis passes; the fastest is printed")
    args = parser.parse_args()
    if args.logdir:
        logdir = Path(args.logdir)
    else:
        from bench import sweep

        logdir = sweep(*(int(part) for part in args.sweep.split("x")))

    from tensorboard import context as context_lib

    from tb_overfit_plugin.data import reading
    from tb_overfit_plugin.data.logdir import local_data_provider
    from tb_overfit_plugin.documents.weights import health as weight_health

    start = time.perf_counter()
    provider = local_data_provider(str(logdir))
    loaded = time.perf_counter()
    histograms = reading.SeriesReader(provider).histograms(context_lib.RequestContext(), "")
    read = time.perf_counter() - loaded
    inputs = [{(run, tag): series for tag, series in tags.items()} for run, tags in sorted(histograms.by_run.items())]
    count = sum(len(series) for run in inputs for series in run.values())
    analysis = summary = float("inf")
    for _ in range(args.repeat):
        begin = time.perf_counter()
        layers = [weight_health.analyze_layers(run) for run in inputs]
        summaries = [weight_health.weights_summary(run) for run in layers]
        analysed = time.perf_counter()
        del layers
        summarized = [weight_health.summarize_layers(run) for run in inputs]
        analysis, summary = min(analysis, analysed - begin), min(summary, time.perf_counter() - analysed)
    flagged = [run["flagged_layers"] > 0 for run in summaries]
    if flagged != [run["flagged_layers"] > 0 for run in summarized]:
        raise SystemExit("summarize_layers disagrees with weights_summary(analyze_layers)")

    print(f"{logdir}: {len(inputs)} runs with histograms, {count} histograms")
    print(f"{'python loader: load the logdir (TensorBoard itself)':58s} {loaded - start:8.2f} s")
    print(f"{'read every histogram series (SeriesReader.histograms)':58s} {read:8.2f} s")
    print(
        f"{'weight analysis of every run (analyze_layers + summary)':58s} {analysis:8.2f} s   (best of {args.repeat})"
    )
    print(f"{'  per run':58s} {analysis / max(len(inputs), 1) * 1e3:8.2f} ms")
    print(f"{'  per histogram':58s} {analysis / max(count, 1) * 1e6:8.2f} us")
    print(f"{'analysis / read':58s} {analysis / read:8.2f} x")
    print(f"{'summaries only (summarize_layers, what /runs shows)':58s} {summary:8.2f} s")
    print(f"{'  per run':58s} {summary / max(len(inputs), 1) * 1e3:8.2f} ms")
    print(f"{'summaries / read':58s} {summary / read:8.2f} x")
    print(f"runs with a flagged layer: {sum(flagged)}")


if __name__ == "__main__":
    main()
