"""Speed and memory of the plugin and the CLI on a hyper-parameter sweep. Prints figures; asserts nothing.

On one generated logdir (N runs x E epochs of Keras-layout scalars, T weight
histograms per epoch), side by side:

- TensorBoard's own read through its Rust data server (every point kept):
  list + read of every scalar, and of every histogram (in batches of
  `read_plan.READ_BATCH_BYTES`: one gRPC answer may not exceed 256 MB);
- the plugin through a real `tensorboard` process on that same data server
  (`--grpc_data_provider`): `/runs` cold (new experiment ids: nothing cached)
  and warm (the cached bytes, gzip as a browser asks and identity as curl; and
  after the listing expired, a 304
  revalidation), `/weights_summary` cold and warm, one `/curves` and `/weights`;
- the CLI, `tb-overfit LOGDIR --no-weights` and `tb-overfit LOGDIR`, against a
  tbparse script that only finds each run's best epoch, with the peak memory
  of each (process tree, sampled every 20 ms), each run `CLI_REPEATS` times;
- the tensorboard process' memory over many distinct experiment ids (issue 9);
- the same server figures at `--scale-runs` runs (runs past the first N are
  hard links of those, under new names: same bytes to read and analyse).

    python benchmarks/bench.py [--runs 100 --epochs 200 --tensors 10 --scale-runs 1000 --experiments 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import bench_first_open  # noqa: E402  (this folder)
import numpy as np

TBPARSE_SCRIPT = """
import sys
from tbparse import SummaryReader
# TF2 summaries (Keras, tf.summary) are tensors to tbparse; the best epoch per run of val loss.
frame = SummaryReader(sys.argv[1], extra_columns={"dir_name"}, event_types={"tensors"}).tensors
loss = frame[(frame.tag == "epoch_loss") & frame.dir_name.str.endswith("validation")]
best = loss.loc[loss.groupby("dir_name").value.idxmin()]
print(len(best), "runs; first:", best.iloc[0].dir_name, "epoch", int(best.iloc[0].step) + 1)
"""


# ------------------------------------------------------------------ the logdir


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
            writer = EventFileWriter(str(logdir / f"run_{index:04d}" / split))
            for step in steps:
                summaries = [scalar_pb("epoch_loss", np.float32(values[step]))]
                if split == "train":
                    summaries += [
                        histogram_pb(
                            f"model/dense_{t}/kernel/histogram",
                            rng.normal(0, 0.05 * (1 + step / epochs), 256),
                            buckets=30,
                        )
                        for t in range(tensors)
                    ]
                for summary in summaries:
                    writer.add_event(event_pb2.Event(step=int(step), wall_time=time.time(), summary=summary))
            writer.close()
        print(f"\rwrote run {index + 1}/{runs}", end="", flush=True)
    print()


def sweep(runs: int, epochs: int, tensors: int, base: Path = None) -> Path:
    """The sweep's logdir (written once, kept in /tmp). With `base`, runs are hard links of its runs."""
    logdir = Path(f"/tmp/tb_overfit_bench_{runs}_{epochs}_{tensors}")
    if logdir.exists():
        return logdir
    partial = logdir.with_name(logdir.name + ".partial")
    if base is None:
        write_sweep(partial, runs, epochs, tensors)
    else:
        sources = sorted(base.iterdir())
        for index in range(runs):
            source = sources[index % len(sources)]
            for split in source.iterdir():
                target = partial / f"run_{index:04d}" / split.name
                target.mkdir(parents=True, exist_ok=True)
                for event_file in split.iterdir():
                    os.link(event_file, target / event_file.name)
    partial.rename(logdir)
    return logdir


# ------------------------------------------------------------------ measuring


def _median_seconds(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree(root: int) -> list:
    """`root` and its descendants, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def run_measured(command: list) -> tuple:
    """(wall seconds, peak RSS of the process tree in bytes, stdout) of a command."""
    peak, done = [0], threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], sum(_rss_bytes(pid) for pid in _tree(process.pid)))
            done.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{command} exited {process.returncode}: {err[-2000:]}")
    return seconds, peak[0], out


COLD_REPEATS = 5  # cold /runs on this many new experiment ids: the median is quoted
CLI_REPEATS = 3  # each command this many times, interleaved: the median time and the highest peak are quoted
GZIP = {"Accept-Encoding": "gzip"}  # what a browser sends; the answer is then the cached bytes as they are


def get(url: str, headers=None) -> tuple:
    """(seconds, status, body) of one GET."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=1800) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return time.perf_counter() - start, status, body


# ------------------------------------------------------------------ figures


def tensorboard_reads(provider) -> dict:
    """TensorBoard's own list + read of every scalar and every histogram (batched), seconds."""
    from tensorboard import context as context_lib
    from tensorboard.data import provider as provider_lib

    from tb_overfit_plugin.data import read_plan

    ctx = context_lib.RequestContext()

    def scalars():
        provider.list_scalars(ctx, experiment_id="", plugin_name="scalars")
        provider.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=1_000_000)

    def histograms():
        listing = provider.list_tensors(ctx, experiment_id="", plugin_name="histograms")
        per_run = {run: sum(meta.max_step + 1 for meta in tags.values()) * 744 for run, tags in listing.items()}
        batch, size = [], 0
        for run, run_size in list(per_run.items()) + [(None, 0)]:
            if run is None or (batch and size + run_size > read_plan.READ_BATCH_BYTES):
                provider.read_tensors(
                    ctx,
                    experiment_id="",
                    plugin_name="histograms",
                    downsample=1_000_000,
                    run_tag_filter=provider_lib.RunTagFilter(runs=batch),
                )
                batch, size = [], 0
            if run is not None:
                batch, size = batch + [run], size + run_size

    return {"tb_scalars": _median_seconds(scalars, 5), "tb_histograms": _median_seconds(histograms, 2)}


def plugin_figures(logdir: Path, experiments: int) -> dict:
    """The plugin's routes through a real tensorboard on the same, fully loaded data server."""
    from conftest import TensorBoardProcess
    from tensorboard.data import grpc_provider

    from tb_overfit_plugin import plugin
    from tb_overfit_plugin.data import data_server

    figures = {}
    with data_server.loaded(str(logdir)) as loaded:
        address = loaded.provider._addr  # "localhost:PORT" (GrpcDataProvider keeps no public accessor)
        # TensorBoard's own provider class, as a tensorboard process uses it (not the CLI's faster one).
        figures.update(tensorboard_reads(grpc_provider.GrpcDataProvider(address, loaded.provider._stub)))
        # Cold requests measured on new experiment ids: nothing prepared in the background beside them.
        tensorboard = TensorBoardProcess(logdir, f"--grpc_data_provider={address}", "--overfit_prepare=false")
        try:
            base = tensorboard.url + "/experiment/{}/data/plugin/overfit"
            get(tensorboard.url + "/data/plugin/overfit/index.js")  # plugin loaded, connections open
            cold = [get(base.format(f"cold{i}") + "/runs", GZIP) for i in range(COLD_REPEATS)]
            figures["runs_cold"] = statistics.median(seconds for seconds, _, _ in cold)
            figures["runs_kB"] = len(get(base.format("cold0") + "/runs")[2]) / 1e3
            figures["runs_warm"] = statistics.median(get(base.format("cold0") + "/runs", GZIP)[0] for _ in range(5))
            figures["runs_warm_identity"] = statistics.median(get(base.format("cold0") + "/runs")[0] for _ in range(5))
            figures["runs_gzip_kB"] = len(get(base.format("cold0") + "/runs", GZIP)[2]) / 1e3
            _, _, _ = get(base.format("cold1") + "/runs")
            tag = urllib.request.urlopen(base.format("cold1") + "/runs").headers["ETag"]
            revalidations = []
            for _ in range(3):
                time.sleep(plugin.LISTING_MAX_AGE_S + 0.1)
                seconds, status, _ = get(base.format("cold1") + "/runs", {"If-None-Match": tag})
                assert status == 304, status
                revalidations.append(seconds)
            figures["runs_304"] = statistics.median(revalidations)
            figures["rss_after_runs"] = _rss_bytes(tensorboard.process.pid)
            figures["summary_cold"], status, _ = get(base.format("cold2") + "/weights_summary")
            assert status == 200, status
            figures["summary_warm"] = statistics.median(
                get(base.format("cold2") + "/weights_summary")[0] for _ in range(5)
            )
            figures["rss_after_summary"] = _rss_bytes(tensorboard.process.pid)
            figures["curves"] = get(base.format("cold2") + "/curves?run=run_0050")[0]
            figures["weights"] = get(base.format("cold2") + "/weights?run=run_0050")[0]
            rss = []
            for index in range(experiments):
                for route in ("/runs", "/weights_summary"):
                    get(base.format(f"memory{index}") + route)
                rss.append(_rss_bytes(tensorboard.process.pid))
            figures["rss_per_experiment"] = rss
        finally:
            tensorboard.stop()
    return figures


def cli_figures(logdir: Path) -> dict:
    """CLI with and without weight health vs a tbparse best-epoch script: seconds, peak memory."""
    bin_dir = Path(sys.executable).parent
    commands = {
        "cli_no_weights": [str(bin_dir / "tb-overfit"), str(logdir), "--no-weights"],
        "cli": [str(bin_dir / "tb-overfit"), str(logdir)],
        "tbparse": [sys.executable, "-c", TBPARSE_SCRIPT, str(logdir)],
    }
    measured = {name: [] for name in commands}
    for _ in range(CLI_REPEATS):  # interleaved, so a slow spell of the machine hits all three alike
        for name, command in commands.items():
            seconds, peak, out = run_measured(command)
            measured[name].append((seconds, peak))
            print(f"  {name}: {seconds:.2f} s, peak {peak / 2**20:.0f} MiB; {out.strip().splitlines()[-1][:100]}")
    return {name: (statistics.median(s for s, _ in runs), max(p for _, p in runs)) for name, runs in measured.items()}


# ------------------------------------------------------------------ report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:,.0f} MiB"


def print_server_table(label: str, f: dict) -> None:
    print(f"\n### plugin through tensorboard, {label}\n")
    print("| what | time | ratio |")
    print("|---|---|---|")
    print(f"| TensorBoard's own read of every scalar (list + read, Rust data server) | {_ms(f['tb_scalars'])} | 1 |")
    print(
        f"| `/runs` cold (nothing cached: median over {COLD_REPEATS} new experiment ids; {f['runs_kB']:.0f} kB) | "
        f"{_ms(f['runs_cold'])} | "
        f"{f['runs_cold'] / f['tb_scalars']:.2f}x TB's scalar read |"
    )
    print(
        f"| `/runs` warm (cached bytes), gzip ({f['runs_gzip_kB']:.0f} kB, as the tab's browser asks) / "
        f"identity (as curl) | {_ms(f['runs_warm'])} / {_ms(f['runs_warm_identity'])} | |"
    )
    print(f"| `/runs` revalidated after the listing expired (304) | {_ms(f['runs_304'])} | |")
    print(f"| TensorBoard's own read of every histogram (list + batched read) | {_ms(f['tb_histograms'])} | 1 |")
    print(
        f"| `/weights_summary` cold (every run's weight health) | {_ms(f['summary_cold'])} | "
        f"{f['summary_cold'] / f['tb_histograms']:.2f}x TB's histogram read |"
    )
    print(f"| `/weights_summary` warm | {_ms(f['summary_warm'])} | |")
    print(f"| `/curves` one run, `/weights` one run | {_ms(f['curves'])}, {_ms(f['weights'])} | |")
    print(
        f"| tensorboard (Python) RSS after /runs, after /weights_summary | "
        f"{_mib(f['rss_after_runs'])}, {_mib(f['rss_after_summary'])} | |"
    )
    if f["rss_per_experiment"]:
        rss = f["rss_per_experiment"]
        print(
            f"| RSS after 1, 5, 10, ..., {len(rss)} more experiment ids (/runs + /weights_summary each) | "
            + ", ".join(_mib(rss[i]) for i in sorted({0, 4, 9, 14, len(rss) - 1}) if i < len(rss))
            + " | |"
        )


def print_cli_table(figures: dict) -> None:
    tbparse_seconds, tbparse_peak = figures["tbparse"]
    print(f"\n### CLI vs a tbparse best-epoch script (median of {CLI_REPEATS} interleaved runs, highest peak)\n")
    print("| what | time | peak memory (process tree) | speed vs tbparse |")
    print("|---|---|---|---|")
    for name, label in [
        ("tbparse", "tbparse script (best epoch per run only)"),
        ("cli_no_weights", "`tb-overfit LOGDIR --no-weights` (curve verdicts)"),
        ("cli", "`tb-overfit LOGDIR` (curve verdicts + weight health)"),
    ]:
        seconds, peak = figures[name]
        print(f"| {label} | {seconds:.2f} s | {_mib(peak)} | {tbparse_seconds / seconds:.1f}x |")


def print_growth(small: dict, large: dict, small_runs: int, large_runs: int) -> None:
    print(f"\n### growth from {small_runs} to {large_runs} runs ({large_runs / small_runs:.0f}x the data)\n")
    print("| what | growth |")
    print("|---|---|")
    for key, label in [
        ("tb_scalars", "TensorBoard's scalar read"),
        ("runs_cold", "`/runs` cold"),
        ("tb_histograms", "TensorBoard's histogram read"),
        ("summary_cold", "`/weights_summary` cold"),
        ("runs_warm", "`/runs` warm"),
        ("rss_after_summary", "tensorboard RSS after both"),
    ]:
        print(f"| {label} | {large[key] / small[key]:.1f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--tensors", type=int, default=10)
    parser.add_argument("--scale-runs", type=int, default=1000, help="the larger sweep (0: skip)")
    parser.add_argument("--experiments", type=int, default=20, help="distinct experiment ids for the memory figure")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument(
        "--first-open-runs",
        type=int,
        nargs="*",
        default=[100, 1000, 10000],
        help="first /runs after tensorboard starts at these run counts (20 epochs, 2 tensors; [] skips)",
    )
    args = parser.parse_args()

    logdir = sweep(args.runs, args.epochs, args.tensors)
    print(
        f"{os.cpu_count()} cores; logdir {logdir} "
        f"({sum(f.stat().st_size for f in logdir.rglob('*') if f.is_file()) / 1e6:.0f} MB)"
    )
    small = plugin_figures(logdir, args.experiments)
    print_server_table(f"{args.runs} runs x {args.epochs} epochs x {args.tensors} histograms", small)
    if not args.skip_cli:
        print_cli_table(cli_figures(logdir))
    if args.scale_runs:
        large_logdir = sweep(args.scale_runs, args.epochs, args.tensors, base=logdir)
        large = plugin_figures(large_logdir, 0)
        print_server_table(f"{args.scale_runs} runs", large)
        print_growth(small, large, args.runs, args.scale_runs)
    if args.first_open_runs:  # short runs, as large sweeps are: the first of these written, the rest hard links
        base = sweep(args.first_open_runs[0], 20, 2)
        sweeps = [
            (f"{n} runs x 20 epochs x 2", sweep(n, 20, 2, base=base) if n != args.first_open_runs[0] else base)
            for n in args.first_open_runs
        ]
        bench_first_open.print_first_open(bench_first_open.measure(sweeps))


if __name__ == "__main__":
    main()
