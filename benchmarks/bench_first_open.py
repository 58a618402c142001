"""The first `/runs` after TensorBoard starts, what a user opening the tab waits for. Prints figures; asserts nothing.

For each sweep, on one fully loaded Rust data server (`data_server.loaded`):

- TensorBoard's own list + read of every scalar through that server (median of 5);
- a new `tensorboard` process on that server (`--grpc_data_provider`): its
  plugin starts the background integrity scan as it loads, and the first
  `/runs` is asked as soon as TensorBoard answers (nothing cached, the scan
  under way); then `/runs` is polled (`If-None-Match`, as the tab does) until
  the scan's warnings have joined it (a new ETag); then, in the same process,
  `/runs` of a new experiment id (nothing cached, the process warm; its first
  answer, and when it was complete), the same
  again (warm: the cached bytes), a 304 revalidation after the listing
  expired, and the process' memory (RSS);
- what the first `/runs` held: `pending`, the rows still ``analysing`` when the
  build had not ended within `plugin.FIRST_ANSWER_S` (a snapshot), and when the
  complete answer came, asked for every `vocabulary.SNAPSHOT_POLL_MS` as the tab does;
- the same on a copy of the sweep in which `CORRUPT_RUNS` runs' validation
  event files have a damaged record (copied files; the others hard links).

    python benchmarks/bench_first_open.py [--runs 100 --epochs 20 --tensors 2] [--scale 1000 10000 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import bench  # noqa: E402  (benchmarks/ is this script's folder)

CORRUPT_RUNS = 3  # runs whose validation file gets a damaged record in the corrupt copy
POLL_SECONDS = 0.1  # how often /runs is asked again while waiting for the scan's warnings
WARNINGS_TIMEOUT_S = 600.0


def corrupt_copy(logdir: Path) -> Path:
    """`logdir` with `CORRUPT_RUNS` validation files damaged in their middle record (the rest hard-linked)."""
    import logwriters

    target = logdir.with_name(logdir.name + "_corrupt")
    if target.exists():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    runs = sorted(p for p in logdir.iterdir() if p.is_dir())
    damaged = {runs[i * len(runs) // CORRUPT_RUNS].name for i in range(CORRUPT_RUNS)}
    for run in runs:
        for split in run.iterdir():
            (partial / run.name / split.name).mkdir(parents=True)
            for event_file in split.iterdir():
                copy = partial / run.name / split.name / event_file.name
                if run.name in damaged and split.name == "validation":
                    shutil.copyfile(event_file, copy)
                    logwriters.damage_record(copy, len(logwriters.record_offsets(copy)) // 2)
                else:
                    os.link(event_file, copy)
    partial.rename(target)
    return target


def scalar_read_seconds(provider) -> float:
    """TensorBoard's own list + read of every scalar (median of 5)."""
    from tensorboard import context as context_lib

    ctx = context_lib.RequestContext()

    def read():
        provider.list_scalars(ctx, experiment_id="", plugin_name="scalars")
        provider.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=1_000_000)

    return bench._median_seconds(read, 5)


def _warning_count(body: bytes) -> int:
    document = json.loads(body)
    return sum(len(row["warnings"]) for row in document["runs"]) + len(document["warnings"])


def first_open(logdir: Path, corrupt: bool, prepare: bool = True) -> dict:
    """Seconds of the first /runs after tensorboard starts, and (`corrupt`) until the scan's warnings are in it;
    `prepare`: with the default view prepared in the background (`--overfit_prepare`, its default), else without."""
    from conftest import TensorBoardProcess
    from tensorboard.data import grpc_provider

    from tb_overfit_plugin.data import data_server

    with data_server.loaded(str(logdir), histograms=False) as loaded:
        address = loaded.provider._addr
        figures = {"tb_scalars": scalar_read_seconds(grpc_provider.GrpcDataProvider(address, loaded.provider._stub))}
        started = time.perf_counter()
        tensorboard = TensorBoardProcess(
            logdir, f"--grpc_data_provider={address}", f"--overfit_prepare={str(prepare).lower()}"
        )
        try:
            url = tensorboard.url + "/data/plugin/overfit/runs"
            figures["tb_ready"] = time.perf_counter() - started
            figures["first_runs"], status, body = bench.get(url, bench.GZIP)
            assert status == 200, status
            figures["first_warnings"] = _warning_count(_inflate(body))
            figures["first_pending"], figures["runs"] = _pending(body)
            _until_complete(url, body)
            figures["complete_after"] = time.perf_counter() - started
            tag = urllib.request.urlopen(url).headers["ETag"]
            while corrupt and figures["first_warnings"] == 0 and time.perf_counter() - started < WARNINGS_TIMEOUT_S:
                _, status, body = bench.get(url, {"If-None-Match": tag})
                if status == 200 and _warning_count(body):
                    break
                time.sleep(POLL_SECONDS)
            figures["warnings_after"] = time.perf_counter() - started
            figures["warnings"] = _warning_count(bench.get(url)[2])
            figures.update(same_process(tensorboard))
        finally:
            tensorboard.stop()
    return figures


def same_process(tensorboard) -> dict:
    """`/runs` of a new experiment id, warm, revalidated (304) in the running tensorboard; its RSS."""
    from tb_overfit_plugin import plugin

    url = tensorboard.url + "/experiment/new_id/data/plugin/overfit/runs"
    started = time.perf_counter()
    figures = {"new_id": bench.get(url, bench.GZIP)[0]}
    _until_complete(url, bench.get(url, bench.GZIP)[2])
    figures["new_id_complete"] = time.perf_counter() - started
    figures["warm"] = statistics.median(bench.get(url, bench.GZIP)[0] for _ in range(5))
    tag = urllib.request.urlopen(url).headers["ETag"]
    time.sleep(plugin.LISTING_MAX_AGE_S + 0.1)
    figures["revalidated"], status, _ = bench.get(url, {"If-None-Match": tag})
    assert status == 304, status
    figures["rss"] = bench._rss_bytes(tensorboard.process.pid)
    return figures


def _until_complete(url: str, body: bytes) -> None:
    """Asks for `url` (a `/runs`) every `vocabulary.SNAPSHOT_POLL_MS`, as the tab does, until its answer has nothing
    pending."""
    from tb_overfit_plugin.documents import vocabulary

    while _pending(body)[0]:
        time.sleep(vocabulary.SNAPSHOT_POLL_MS / 1000)
        body = bench.get(url, bench.GZIP)[2]


def _pending(body: bytes) -> tuple:
    """(rows still analysing, rows) of a `/runs` answer."""
    document = json.loads(_inflate(body))
    return document["pending"], len(document["runs"])


def _inflate(body: bytes) -> bytes:
    import gzip

    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def print_first_open(rows: list) -> None:
    print("\n### first `/runs` after TensorBoard starts (scan in a background thread), then in that process\n")
    print(
        "| sweep | corrupt files | prepared | TB's own scalar read | first `/runs` | ratio | rows analysed in it | "
        "complete (from start) | warnings in it | warnings joined (from start) | new experiment id | warm | 304 | "
        "tensorboard RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, corrupt, prepare, f in rows:
        print(
            f"| {label} | {CORRUPT_RUNS if corrupt else 0} | {'yes' if prepare else 'no'} | "
            f"{bench._ms(f['tb_scalars'])} | "
            f"{bench._ms(f['first_runs'])} | {f['first_runs'] / f['tb_scalars']:.2f}x | "
            f"{f['runs'] - f['first_pending']:,} of {f['runs']:,} | {f['complete_after']:.1f} s | "
            f"{f['first_warnings']} | "
            + (f"{f['warnings']} after {f['warnings_after']:.1f} s" if corrupt else "(none to find)")
            + f" (TB answered at {f['tb_ready']:.1f} s) | {bench._ms(f['new_id'])} "
            f"({f['new_id'] / f['tb_scalars']:.2f}x), complete {f['new_id_complete']:.1f} s | "
            f"{bench._ms(f['warm'])} | {bench._ms(f['revalidated'])} | "
            f"{bench._mib(f['rss'])} |"
        )


def measure(sweeps: list) -> list:
    """[(label, corrupt, prepared, figures)] for each (label, logdir): without and with corrupt files, and without
    the background preparation (as before it, or with `--overfit_prepare=false`)."""
    rows = []
    for label, logdir in sweeps:
        for corrupt, prepare in ((False, True), (True, True), (False, False)):
            figures = first_open(corrupt_copy(logdir) if corrupt else logdir, corrupt, prepare)
            rows.append((label, corrupt, prepare, figures))
            print(f"  {label}{' corrupt' if corrupt else ''}{'' if prepare else ' unprepared'}: {figures}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--tensors", type=int, default=2)
    parser.add_argument(
        "--scale", type=int, nargs="*", default=[1000, 10000], help="more run counts (hard links of --runs)"
    )
    args = parser.parse_args()
    base = bench.sweep(args.runs, args.epochs, args.tensors)
    sweeps = [(f"{args.runs} x {args.epochs} epochs x {args.tensors}", base)]
    sweeps += [
        (f"{n} x {args.epochs} x {args.tensors}", bench.sweep(n, args.epochs, args.tensors, base=base))
        for n in args.scale
    ]
    print_first_open(measure(sweeps))


if __name__ == "__main__":
    main()
