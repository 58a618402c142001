"""What a user waits for in the browser, next to TensorBoard's own Time Series dashboard.

Prints figures; asserts nothing.

For each sweep (runs x 20 epochs x 2 weight histograms; the first size written,
the others hard links of it), on one Rust data server holding every point
(`data_server.loaded`):

- TensorBoard's own list + read of every scalar and of every histogram
  (`bench.tensorboard_reads`, TensorBoard's `GrpcDataProvider`);
- the OVERFIT tab: a new `tensorboard` process on that server (nothing
  cached) and a new headless Chromium (empty cache, the page asked for with
  `pageLoadStrategy=none`); seconds from asking for `/#overfit` until `/runs`
  has arrived (the tab's own resource timing; on a large sweep its first
  answer is a snapshot, `plugin.FIRST_ANSWER_S`), until the first leaderboard
  rows are in the page, until no row is "analysing" any more, and until the weight-health column is filled (no
  `…` left), and how long the tab's `/weights_summary` request took;
- TensorBoard's Time Series dashboard the same way (`/#timeseries`, a new
  tensorboard and Chromium): until its first scalar chart holds its data (a
  card with a chart and its data table, which appears with the data, and no spinner);

`REPEATS` times, the two dashboards alternating, so a slow spell of the
shared machine hits both; the median is printed.

    python benchmarks/bench_browser.py [--runs 100 1000 10000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import bench  # noqa: E402  (this folder)

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
EPOCHS, TENSORS = 20, 2
REPEATS = 2
POLL_S = 0.02  # how often the page is looked at
PAGE_TIMEOUT_S = 300.0  # a dashboard that shows nothing by then is reported as not shown

# Run in the top document: the OVERFIT tab's iframe is served from the same origin.
OVERFIT_STATE = """
const frame = document.querySelector('iframe');
const doc = frame && frame.contentDocument;
if (!doc || !frame.contentWindow.performance) return null;
const perf = frame.contentWindow.performance, ends = {}, took = {};
for (const entry of perf.getEntriesByType('resource')) {
  const route = entry.name.split('?')[0].split('/').pop();
  if ((route === 'runs' || route === 'weights_summary') && !(route in ends)) {
    ends[route] = (perf.timeOrigin + entry.responseEnd) / 1000;
    took[route] = (entry.responseEnd - entry.startTime) / 1000;
  }
}
return {rows: doc.querySelectorAll('tr[data-run]').length,
        analysing: !!doc.querySelector("#status-summary [data-status-filter='analysing']"),
        pending: doc.querySelectorAll('#leaderboard .weights-pending').length, ends: ends, took: took};
"""
TIME_SERIES_CHART = """
return Array.from(document.querySelectorAll('scalar-card')).some(card =>
  card.querySelector('line-chart') && !card.querySelector('mat-spinner, mat-progress-spinner')
  && card.querySelector('tb-data-table'));
"""


def _chromium(profile: Path):
    from browser_tools import chromium_options
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = chromium_options(profile)
    options.page_load_strategy = "none"  # get() returns at once: the clock starts when the page is asked for
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _watched(address: str, logdir: Path, page: str, look) -> dict:
    """Opens `page` in a new Chromium on a new tensorboard; `look(driver, seconds)` until it returns a dict."""
    from conftest import TensorBoardProcess
    from selenium.common.exceptions import TimeoutException

    tensorboard = TensorBoardProcess(logdir, f"--grpc_data_provider={address}")
    profile = Path(tempfile.mkdtemp(prefix="tb_overfit_chromium_"))
    driver = None
    try:
        driver = _chromium(profile)
        started = time.time()
        driver.get(tensorboard.url + "/#" + page)
        while time.time() - started < PAGE_TIMEOUT_S:
            try:
                found = look(driver, started)
            except TimeoutException:  # the page too busy to run a script within WebDriver's 30 s: not yet
                continue
            if found is not None:
                return found
            time.sleep(POLL_S)
        return {}
    finally:
        if driver is not None:
            driver.quit()
        tensorboard.stop()
        shutil.rmtree(profile, ignore_errors=True)


def overfit_times(address: str, logdir: Path) -> dict:
    """Seconds from asking for the OVERFIT tab to /runs arrived, rows shown, weight health filled."""
    seen = {}

    def look(driver, started):
        state = driver.execute_script(OVERFIT_STATE)
        if not state:
            return None
        now = time.time() - started
        if state["rows"] and "rows" not in seen:
            seen["rows"] = now
        if state["rows"] and not state["analysing"] and "analysed" not in seen:
            seen["analysed"] = now
        if state["rows"] and not state["pending"] and "weights_summary" in state["ends"]:
            seen["weights"] = now
        if "weights" not in seen:
            return None
        return dict(
            seen,
            runs=state["ends"]["runs"] - started,
            runs_request=state["took"]["runs"],
            summary_request=state["took"]["weights_summary"],
        )

    return _watched(address, logdir, "overfit", look)


def time_series_times(address: str, logdir: Path) -> dict:
    """Seconds from asking for TensorBoard's Time Series dashboard to its first chart with its data."""

    def look(driver, started):
        return {"chart": time.time() - started} if driver.execute_script(TIME_SERIES_CHART) else None

    return _watched(address, logdir, "timeseries", look)


def measure(label: str, logdir: Path, repeats: int) -> dict:
    """TensorBoard's reads and the medians of both dashboards' timings on one loaded data server."""
    from tensorboard.data import grpc_provider

    from tb_overfit_plugin.data import data_server

    with data_server.loaded(str(logdir)) as loaded:
        address = loaded.provider._addr
        figures = bench.tensorboard_reads(grpc_provider.GrpcDataProvider(address, loaded.provider._stub))
        runs = []
        for _ in range(repeats):
            runs.append(overfit_times(address, logdir))
            print(f"  {label}: {runs[-1]}", flush=True)
            runs[-1].update(time_series_times(address, logdir))
            print(f"  {label}: {runs[-1]}", flush=True)
    for key in ("runs", "rows", "analysed", "weights", "runs_request", "summary_request", "chart"):
        values = [run[key] for run in runs if key in run]
        figures[key] = statistics.median(values) if len(values) == len(runs) else None
    return figures


def _s(seconds) -> str:
    return "not shown" if seconds is None else f"{seconds:.2f} s"


def print_table(rows: list, repeats: int) -> None:
    print(f"\n### in headless Chromium, from asking for the page (median of {repeats}, alternating)\n")
    print(
        "| sweep | OVERFIT: `/runs` arrived | rows visible (after `/runs`) | every row analysed | weight health filled "
        "(`/weights_summary` request) | Time Series: first chart | TB's own scalar read | "
        "TB's own histogram read |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, f in rows:
        after = "" if None in (f["rows"], f["runs"]) else f" (+{f['rows'] - f['runs']:.2f} s)"
        request = "" if f["summary_request"] is None else f" ({f['summary_request']:.2f} s)"
        print(
            f"| {label} | {_s(f['runs'])} | {_s(f['rows'])}{after} | {_s(f['analysed'])} | "
            f"{_s(f['weights'])}{request} | "
            f"{_s(f['chart'])} | {f['tb_scalars']:.2f} s | {f['tb_histograms']:.2f} s |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, nargs="*", default=[100, 1000, 10000])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        print("note: Chromium or chromedriver missing (make system-deps): the browser timings are skipped")
        return
    base = bench.sweep(args.runs[0], EPOCHS, TENSORS)
    rows = []
    for runs in args.runs:
        logdir = base if runs == args.runs[0] else bench.sweep(runs, EPOCHS, TENSORS, base=base)
        rows.append((f"{runs:,} runs x {EPOCHS} epochs x {TENSORS}", measure(f"{runs} runs", logdir, args.repeats)))
    print_table(rows, args.repeats)


if __name__ == "__main__":
    main()
