"""`tb-overfit LOGDIR`: the plugin's verdicts in a terminal or a CI job.

Loads the logdir with TensorBoard's own loaders (`logdir.read_logdir`: its
Rust data server by default, as `tensorboard` does, or its Python loader with
`--load-fast=false`) and prints the documents `report.Diagnoser` builds for
the HTTP API: a table by default, or the `/runs` JSON with `--json`.

Exit codes: 0 fine, 1 a run matched `--fail-on`, 2 bad input (one line on
stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import List, Optional, Sequence, TextIO

from tb_overfit_plugin import logdir as logdir_lib
from tb_overfit_plugin import params, report, weights

STATUSES = report.STATUSES
FLAGS = tuple(weights.FLAG_SEVERITIES)

_COLOURS = {
    "overfitting": "33", "worsening": "33", "diverged": "31", "improving": "32", "plateau": "36",
    "not_learning": "35", "error": "31", "warning": "33",
}


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage + message; we want one line
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tb-overfit",
        description="Best epoch, overfitting onset, EarlyStopping what-if and weight health "
        "for every training run in a TensorBoard logdir.",
    )
    parser.add_argument("logdir", help="a TensorBoard logdir (any path TensorBoard can read)")
    parser.add_argument("--run", metavar="REGEX", help="only training runs whose name matches REGEX (re.search)")
    parser.add_argument("--metric", help="metric to monitor (default: validation loss)")
    parser.add_argument("--mode", help="min or max (default: from the metric's name)")
    parser.add_argument("--patience", default=str(params.DEFAULT_PATIENCE), help="EarlyStopping patience (default 5)")
    parser.add_argument("--min-delta", default="0", help="EarlyStopping/ModelCheckpoint min_delta (default 0)")
    parser.add_argument("--smoothing", default="0", help="EMA smoothing in [0, 1) for onset detection (default 0)")
    parser.add_argument("--weights", action="store_true", help="also print the per-layer weight table")
    parser.add_argument("--no-weights", action="store_true",
                        help="curve verdicts only: read no histogram (fastest)")
    parser.add_argument("--load-fast", choices=logdir_lib.LOAD_FAST, default="auto",
                        help="as tensorboard's --load_fast: true uses TensorBoard's Rust data server, "
                        "false its Python loader, auto (default) the data server where it can")
    parser.add_argument("--json", action="store_true", help="print the /runs JSON document instead of a table")
    parser.add_argument(
        "--fail-on",
        metavar="NAME[,NAME...]",
        help=f"exit 1 if a run has one of these statuses ({', '.join(STATUSES)}) "
        f"or weight flags ({', '.join(FLAGS)})",
    )
    return parser


def _fail_on(text: Optional[str]) -> frozenset:
    names = frozenset(name.strip() for name in (text or "").split(",") if name.strip())
    unknown = sorted(names - set(STATUSES) - set(FLAGS))
    if unknown:
        raise UsageError(f"--fail-on: unknown name(s) {', '.join(unknown)}; use statuses {', '.join(STATUSES)} "
                         f"or flags {', '.join(FLAGS)}")
    return names


def _run_filter(text: Optional[str]):
    try:
        return re.compile(text or "")
    except re.error as error:
        raise UsageError(f"--run: invalid regular expression {text!r}: {error}") from None


def _check_local_logdir(logdir: str) -> None:
    """One-line errors for a local logdir that cannot be a logdir (URLs are left to the loader)."""
    if "://" in logdir:
        return
    if not os.path.exists(logdir):
        raise UsageError(f"logdir {logdir!r} does not exist")
    if not os.path.isdir(logdir):
        raise UsageError(f"logdir {logdir!r} is not a directory")
    if not os.access(logdir, os.R_OK | os.X_OK):
        raise UsageError(f"logdir {logdir!r} cannot be read (permission denied)")


def _load(logdir: str, load_fast: str, with_histograms: bool):
    """Loads the logdir, with a progress line on stderr when it is a terminal."""
    _check_local_logdir(logdir)
    progress = None
    if sys.stderr.isatty():
        def progress(done: int, total: int, run: str) -> None:
            sys.stderr.write(f"\rloading runs {done}/{total} ")
            sys.stderr.flush()
            if done == total:
                sys.stderr.write("\r" + " " * 40 + "\r")
    try:
        data = logdir_lib.read_logdir(logdir, progress, load_fast=load_fast, with_histograms=with_histograms)
    except logdir_lib.LoadError as error:
        raise UsageError(str(error)) from None
    if not data.scalars.by_run and not data.histograms.by_run:
        raise UsageError(f"no TensorBoard scalars or histograms found under {logdir!r}")
    return data


def _moment(point: Optional[dict]) -> str:
    """'epoch 8' / 'step 70' / '-'."""
    if not point or point.get("step") is None:
        return "-"
    return f"epoch {point['epoch']}" if point.get("epoch") is not None else f"step {point['step']}"


def _number(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def _early_stop_cell(early_stop: Optional[dict]) -> str:
    if not early_stop or early_stop.get("stop_step") is None:
        return "never"
    point = {"step": early_stop["stop_step"], "epoch": early_stop.get("stop_epoch")}
    saved = early_stop["epochs_saved"]
    return f"{_moment(point)}, saves {saved}" if saved else f"{_moment(point)} (the last)"


def _weights_cell(summary: dict) -> str:
    if not summary.get("layers"):
        return "-"
    worst = summary.get("worst_flag")
    if not worst:
        return f"ok ({summary['layers']} layers)"
    return f"{worst['flag']} ({summary['flagged_layers']}/{summary['layers']} layers)"


def _sort_key(row: dict):
    """Runs with the same monitored metric together, best value first, no value last."""
    monitor, best = row.get("monitor") or {}, row.get("best") or {}
    value = best.get("value")
    if value is None:
        return (monitor.get("metric") or "", 1, 0.0, row["run"])
    return (monitor.get("metric") or "", 0, value if monitor.get("mode") == "min" else -value, row["run"])


def _table(header: Sequence[str], rows: List[Sequence[str]], colour_column: Optional[int], colour: bool) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(header, widths)).rstrip()]
    for row in rows:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths)]
        if colour and colour_column is not None and row[colour_column] in _COLOURS:
            cells[colour_column] = f"\033[{_COLOURS[row[colour_column]]}m{cells[colour_column]}\033[0m"
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def runs_table(document: dict, colour: bool = False, weight_summaries: Optional[dict] = None) -> str:
    """The `/runs` document as a text table, one row per training run, then any discarded-fit notes.

    `weight_summaries` (`/weights_summary`'s "weights") adds the weights column.
    """
    patience = document.get("params", {}).get("patience")
    header = ("run", "status", "monitor", "best", "value", "onset", f"EarlyStopping({patience}) stops")
    header += ("weights",) if weight_summaries is not None else ()
    rows = []
    for row in sorted(document["runs"], key=_sort_key):
        monitor = row.get("monitor") or {}
        arrow = {"min": "↓", "max": "↑"}.get(monitor.get("mode"), "")
        rows.append((
            row["run"],
            row["status"],
            f"{monitor.get('metric', '-')}{arrow}",
            _moment(row.get("best")),
            _number((row.get("best") or {}).get("value")),
            _moment(row.get("onset")),
            _early_stop_cell(row.get("early_stop")) if row.get("early_stop") else "-",
        ) + ((_weights_cell(weight_summaries.get(row["run"]) or {}),) if weight_summaries is not None else ()))
    notes = [f"{row['run']}: {row['discarded_fit']['note']}" for row in document["runs"] if row.get("discarded_fit")]
    return "\n".join([_table(header, rows, colour_column=1, colour=colour)] + (["", *notes] if notes else []))


def weights_table(document: dict, colour: bool = False) -> str:
    """One `/weights` document as a text table, one row per tensor."""
    header = ("layer", "tensor", "std first→last", "ratio", "p0..p100 last", "flags")
    rows = []
    for layer in document["layers"]:
        for tensor in layer["tensors"]:
            stats = tensor["stats"]
            last_percentiles = stats["percentiles"][-1] if stats["percentiles"] else [None] * 2
            flags = ", ".join(flag["flag"] for flag in tensor["flags"]) or "-"
            rows.append((
                layer["layer"],
                tensor["tensor"],
                f"{_number(stats['std'][0])} → {_number(stats['std'][-1])}" if stats["std"] else "-",
                _number(tensor["trends"].get("std_ratio")),
                f"{_number(last_percentiles[0])} .. {_number(last_percentiles[-1])}",
                flags,
            ))
    title = f"weights of {document['run']}" + (f"  ({document['hint']})" if document.get("hint") else "")
    return title + "\n" + _table(header, rows, colour_column=None, colour=colour)


def _matches(row: dict, weights_document: Optional[dict], fail_on: frozenset) -> bool:
    if row["status"] in fail_on:
        return True
    flags = {flag["flag"] for layer in (weights_document or {}).get("layers", [])
             for tensor in layer["tensors"] for flag in tensor["flags"]}
    return bool(flags & fail_on)


def run(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout) -> int:
    """The command; returns its exit code (UsageError propagates)."""
    args = _parser().parse_args(argv)
    fail_on = _fail_on(args.fail_on)
    run_filter = _run_filter(args.run)
    try:
        curve_params = params.parse_curve_params({
            "metric": args.metric or "", "mode": args.mode or "", "patience": args.patience,
            "min_delta": args.min_delta, "smoothing": args.smoothing,
        })
    except params.ParamError as error:
        raise UsageError(f"--{error.name.replace('_', '-')}: {error.detail}") from None

    need_weights = args.weights or bool(fail_on & set(FLAGS))
    if args.no_weights and need_weights:
        raise UsageError("--no-weights cannot go with --weights or a weight flag in --fail-on")
    # --json is the /runs document (curve verdicts): histograms only for --weights there.
    weight_column = not args.no_weights and not args.json
    data = _load(args.logdir, args.load_fast, with_histograms=need_weights or weight_column)
    # Every run's weight analysis is needed twice (summary, then document): keep them all.
    diagnoser = report.Diagnoser(weight_analyses_kept=len(data.histograms.by_run) + 1 if need_weights else 8)
    document = diagnoser.runs_document(data.scalars, data.histograms, curve_params)
    document["runs"] = [row for row in document["runs"] if run_filter.search(row["run"])]
    # The same weight health as GET /weights_summary (histograms are all loaded already).
    summaries = diagnoser.weights_summary_document(data.scalars, data.histograms, lambda runs: data.histograms)[
        "weights"] if weight_column else None
    weight_documents = {
        row["run"]: diagnoser.weights_document(data.scalars, data.histograms, row["run"], weights.Thresholds())
        for row in document["runs"]
    } if need_weights else {}

    colour = out.isatty() and os.environ.get("NO_COLOR") is None
    if args.json:
        if args.weights:
            document["weights"] = weight_documents
        out.write(json.dumps(document, indent=2, allow_nan=False) + "\n")
    else:
        out.write(runs_table(document, colour, summaries) + "\n")
        if args.weights:
            for row in document["runs"]:
                out.write("\n" + weights_table(weight_documents[row["run"]], colour) + "\n")
    matched = [row["run"] for row in document["runs"] if _matches(row, weight_documents.get(row["run"]), fail_on)]
    if matched:
        sys.stderr.write(f"tb-overfit: --fail-on matched: {', '.join(matched)}\n")
        return 1
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Console entry point: exit code 2 with one line for bad input."""
    # The Python loader (--load-fast=false) imports TensorFlow when installed: keep its C++ logs quiet.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        return run(argv)
    except UsageError as error:
        sys.stderr.write(f"tb-overfit: error: {error}\n")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
