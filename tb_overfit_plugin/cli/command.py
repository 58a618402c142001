"""`tb-overfit LOGDIR`: the plugin's verdicts in a terminal or a CI job.

Loads the logdir with TensorBoard's own loaders (`logdir.open_logdir`: its
Rust data server by default, as `tensorboard` does, or its Python loader with
`--load-fast=false`) and prints the documents `documents.runs` and `documents.weights` build
for the HTTP API: a table by default, or the `/runs` JSON with `--json`.

Exit codes: 0 fine, 1 a run matched `--fail-on`, 2 bad input or output that
cannot be written (one line on stderr, no traceback), 141 (128 + SIGPIPE, as
Unix tools) when the reader of the output went away (`| head -1`), quietly.
Data the loaders skip (corrupt records, unreadable files) is reported as
"tb-overfit: warning: ..." lines on stderr and in the JSON rows' `warnings`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from typing import Iterator, Optional, Sequence, TextIO

from tb_overfit_plugin.analysis.wording import quoted
from tb_overfit_plugin.cli import args as cli_args
from tb_overfit_plugin.cli.args import OutputError, UsageError
from tb_overfit_plugin.cli.text import remedies_text, run_status, runs_table, weights_table
from tb_overfit_plugin.data import histories, integrity, series_set
from tb_overfit_plugin.data import logdir as logdir_lib
from tb_overfit_plugin.documents import analysis_cache, params, user_regex
from tb_overfit_plugin.documents.runs import documents as run_documents
from tb_overfit_plugin.documents.runs import lookup as run_lookup
from tb_overfit_plugin.documents.runs import verdict
from tb_overfit_plugin.documents.weights import documents as weight_documents
from tb_overfit_plugin.documents.weights import health as weight_health

# Exit status of a command whose output pipe was closed (128 + SIGPIPE), as Unix tools.
EXIT_PIPE_CLOSED = 141

STATUSES = verdict.STATUSES + (weight_health.BROKEN_WEIGHTS,)
FLAGS = tuple(weight_health.FLAG_SEVERITIES)
WEIGHT_NAMES = FLAGS + (weight_health.BROKEN_WEIGHTS,)  # --fail-on names that need the weights read


def _stderr(line: str) -> None:
    """One line on stderr, if there is a stderr (`2>&-` closes it)."""
    if sys.stderr is not None:
        sys.stderr.write(f"tb-overfit: {line}\n")


def _fail_on(args) -> frozenset:
    names = cli_args.fail_on_names(args)
    unknown = sorted(names - set(STATUSES) - set(FLAGS))
    if unknown:
        raise UsageError(
            f"--fail-on: unknown name(s) {quoted(', '.join(unknown))}; use statuses {', '.join(STATUSES)} "
            f"or flags {', '.join(FLAGS)}"
        )
    return names


def _run_filter(text: Optional[str]):
    """`--run`, compiled as `/groups?regex=` is (`user_regex`: RE2, linear time)."""
    try:
        return user_regex.compile_pattern("run", text)
    except params.ParamError as error:
        raise UsageError(f"--run: {error.detail}") from None


def _check_local_logdir(logdir: str) -> None:
    """One-line errors for a local logdir that cannot be a logdir (URLs are left to the loader)."""
    if "://" in logdir:
        return
    if not os.path.exists(logdir):
        raise UsageError(f"logdir {quoted(logdir)} does not exist")
    if not os.path.isdir(logdir):
        raise UsageError(f"logdir {quoted(logdir)} is not a directory")
    if not os.access(logdir, os.R_OK | os.X_OK):
        raise UsageError(f"logdir {quoted(logdir)} cannot be read (permission denied)")


def _progress_line(done: int, total: int, run: str) -> None:
    """ "loading runs 3/40" on one terminal line, erased when done."""
    sys.stderr.write(f"\rloading runs {done}/{total} ")
    sys.stderr.flush()
    if done == total:
        sys.stderr.write("\r" + " " * 40 + "\r")


def _history_data(path: str) -> Optional[logdir_lib.LogdirData]:
    """The scalars of the CSV/JSON histories PATH names (`histories`), or None when PATH is a logdir."""
    files = histories.history_files(path) if "://" not in path else None
    if files is None:
        return None
    try:
        return logdir_lib.LogdirData(scalars=histories.read_histories(path, files), histograms=series_set.EMPTY)
    except histories.HistoryError as error:
        raise UsageError(str(error)) from None


@contextlib.contextmanager
def _opened(
    logdir: str, load_fast: str, histograms: bool, timeout: Optional[float] = None
) -> Iterator[logdir_lib.LogdirData]:
    """`logdir.open_logdir` (or the histories PATH names), with a progress line on stderr when it is a terminal;
    nothing found: UsageError."""
    history = _history_data(logdir)
    if history is not None:
        _check_found(logdir, history)
        yield history
        return
    _check_local_logdir(logdir)
    progress = _progress_line if sys.stderr is not None and sys.stderr.isatty() else None
    try:
        with logdir_lib.open_logdir(
            logdir, progress, load_fast=load_fast, histograms=histograms, timeout=timeout
        ) as data:
            _check_found(logdir, data)
            yield data
    except logdir_lib.LoadError as error:  # raised by the loaders only
        raise UsageError(str(error)) from None


def _check_found(logdir: str, data: logdir_lib.LogdirData) -> None:
    """UsageError when the logdir has no series at all, saying why in the same one line."""
    if data.scalars.by_run or data.histograms.versions:
        return
    # Everything may have been skipped.
    reasons = [problem.message for problem in data.problems] + list(data.loader_warnings)
    why = f": {reasons[0]}" if reasons else ""
    if len(reasons) > 1:
        why += f" (and {len(reasons) - 1} more problems)"
    raise UsageError(f"no TensorBoard scalars or histograms found under {quoted(logdir)}{why}")


def _weight_health(
    cache: analysis_cache.AnalysisCache,
    data: logdir_lib.LogdirData,
    document: dict,
    summaries_wanted: bool,
    documents_wanted: bool,
    curve_params: params.CurveParams,
):
    """(weight summary by run or None, `/weights` document by run or {}) of the document's rows.

    The same as `/weights_summary` and `/weights` give; histograms are read
    a batch of runs at a time while the previous batch is analysed.
    """
    if not (summaries_wanted or documents_wanted):
        return None, {}
    if data.histogram_batches is None:  # histories outside TensorBoard: no weights
        if documents_wanted:
            raise UsageError("--weights: these history files hold no weight histograms")
        return None, {}
    listed = {row["run"] for row in document["runs"]}
    runs = [run for run in run_lookup.training_runs(data.scalars, data.histograms, curve_params) if run.name in listed]
    summaries, layer_documents = {}, {}
    for batch, histograms in weight_documents.run_batches(runs, data.histogram_batches):
        summaries.update(weight_documents.batch_summaries(cache, batch, histograms))
        for run in batch if documents_wanted else ():
            layer_documents[run.name] = weight_documents.weights_document(
                cache, run, histograms, weight_health.Thresholds()
            )
    return (summaries if summaries_wanted else None), layer_documents


def _warn(document: dict, loader_warnings: Sequence[str]) -> None:
    """Prints what the loaders skipped, one "tb-overfit: warning: ..." line each, on stderr."""
    for warning in document.get("warnings", []):
        _stderr(f"warning: {warning['message']}")
    for row in document["runs"]:
        for warning in row.get("warnings", []):
            _stderr(f"warning: run {quoted(row['run'])}: {warning['message']}")
    for line in loader_warnings:
        _stderr(f"warning: TensorBoard's data server: {line}")


def _matches(row: dict, weights_document: Optional[dict], fail_on: frozenset) -> bool:
    summary = (weights_document or {}).get("summary") or {}
    if row["status"] in fail_on or run_status(row, {row["run"]: summary}) in fail_on:
        return True
    flags = {
        flag["flag"]
        for layer in (weights_document or {}).get("layers", [])
        for tensor in layer["tensors"]
        for flag in tensor["flags"]
    }
    return bool(flags & fail_on)


def _write(out: TextIO, text: str) -> None:
    """Writes and flushes; a full disk or a bad descriptor is an OutputError, a closed pipe propagates."""
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputError(f"cannot write the output: {error.strerror or error}") from None


def documents(
    logdir: str,
    curve_params: params.CurveParams,
    run_filter,
    load_fast: str = "auto",
    summaries_wanted: bool = False,
    documents_wanted: bool = False,
    timeout: Optional[float] = None,
):
    """(`/runs` document, weight summaries by run or None, `/weights` documents by run, loader warnings).

    What the command prints, also for `api.diagnose`. `run_filter`: a
    compiled pattern (`_run_filter`) whose `search` keeps a row.

    Raises:
      UsageError: the logdir cannot be loaded (in `timeout` seconds) or holds no series, or no run has
        `curve_params.metric` (`pair`).
    """
    # One pass over every run: each verdict, summary and full weight analysis (--weights) is used once.
    cache = analysis_cache.AnalysisCache(default_verdict_bytes=0, other_verdict_bytes=0, weight_analysis_bytes=0)
    with _opened(logdir, load_fast, histograms=summaries_wanted or documents_wanted, timeout=timeout) as data:
        try:
            document = run_documents.runs_document(cache, data.scalars, data.histograms, curve_params, data.sessions)
        except run_lookup.NotFound as error:  # a --metric (--pair) no run has: HTTP's 404
            raise UsageError(f"--{'pair' if curve_params.pair else 'metric'}: {error}") from None
        document = integrity.attach(document, data.problems)
        document["runs"] = [row for row in document["runs"] if run_filter.search(row["run"])]
        summaries, layer_documents = _weight_health(
            cache, data, document, summaries_wanted, documents_wanted, curve_params
        )
    return document, summaries, layer_documents, data.loader_warnings


def run(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None) -> int:
    """The command; returns its exit code (UsageError and BrokenPipeError propagate)."""
    out = sys.stdout if out is None else out
    args = cli_args.parser(STATUSES, FLAGS).parse_args(argv)
    fail_on = _fail_on(args)
    run_filter = _run_filter(args.run)
    try:
        curve_params = params.parse_curve_params(
            {
                "metric": args.metric or "",
                "mode": args.mode or "",
                **{spec.name: getattr(args, spec.name) for spec in params.CURVE_SPECS + params.REDUCE_LR_SPECS},
                "train_split": args.train_split or "",
                "validation_split": args.validation_split or "",
                "pair": args.pair or "",
            }
        )
    except params.ParamError as error:
        raise UsageError(f"--{error.name.replace('_', '-')}: {error.detail}") from None

    weight_column, need_weights = cli_args.weight_needs(args, WEIGHT_NAMES)
    if args.no_weights and need_weights:
        raise UsageError("--no-weights cannot go with --weights or a weight flag in --fail-on")
    document, summaries, layer_documents, loader_warnings = documents(
        args.logdir, curve_params, run_filter, args.load_fast, weight_column, need_weights, args.timeout
    )
    _warn(document, loader_warnings)
    colour = out.isatty() and os.environ.get("NO_COLOR") is None
    if args.json:
        if args.weights:
            document["weights"] = layer_documents
        _write(out, json.dumps(document, indent=2, allow_nan=False) + "\n")
    else:
        tables = [runs_table(document, colour, summaries)]
        tables += [text for text in (remedies_text(document, summaries),) if text]
        if args.weights:
            tables += [weights_table(layer_documents[row["run"]]) for row in document["runs"]]
        _write(out, "\n\n".join(tables) + "\n")
    matched = [row["run"] for row in document["runs"] if _matches(row, layer_documents.get(row["run"]), fail_on)]
    if matched:
        _stderr(f"--fail-on matched: {', '.join(matched)}")
        return 1
    return 0


def _discard_stdout() -> None:
    """Points file descriptor 1 at /dev/null, so that Python's last flush of the
    output that could not be written does not fail (and print) again at exit."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (None, or captured in-process)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Console entry point: exit code 2 with one line for bad input; 141, quietly, on a closed pipe."""
    # The Python loader (--load-fast=false) imports TensorFlow when installed: keep its C++ logs
    # and its oneDNN notice quiet (the CLI runs no TensorFlow op, only its file system layer).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    # TensorFlow's import loads matplotlib where installed; a user without a writable home would get
    # its cache-directory warnings on stderr. The CLI draws nothing: only its errors are kept.
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    try:
        if sys.stdout is None:  # started with `>&-`
            raise UsageError(
                "standard output is closed: nothing could be printed "
                "(redirect it to /dev/null to keep only the exit code)"
            )
        return run(argv)
    except UsageError as error:
        if isinstance(error, OutputError):
            _discard_stdout()
        _stderr(f"error: {error}")
        return 2
    except BrokenPipeError:  # the reader went away (`| head -1`): end quietly, as Unix tools do
        _discard_stdout()
        return EXIT_PIPE_CLOSED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
