"""The `tb-overfit` arguments, declared once and parsed without importing the analysis.

`parser(statuses, flags)` declares every argument. `cli.run` parses with
the statuses and weight flags `--fail-on` accepts; the console script
(`console.py`) parses first with none of them (they live in the analysis
modules, which it has not imported yet) only to start TensorBoard's data
server on the logdir early, with the histograms `weight_needs` says the
command will read. Imports only the standard library and `params`.
"""

from __future__ import annotations

import argparse
from typing import Optional, Sequence, Tuple

from tb_overfit_plugin.data.server_process import LOAD_FAST
from tb_overfit_plugin.documents import params

EPILOG = """examples:
  tb-overfit logs/                                   every run's verdict and weight health, as a table
  tb-overfit logs/ --patience 10 --fail-on overfitting,diverged --no-weights
                                                     a CI gate: exit 1 if a run overfits or diverges

exit codes:
  0    the table or JSON was printed (and no run matched --fail-on)
  1    a run matched --fail-on (the runs are named on stderr)
  2    bad input (a bad argument, a logdir that cannot be read, nothing to analyse) or output that
       cannot be written: one line on stderr
  130  interrupted (Ctrl+C)
  141  standard output was closed (a pipe to `head`)
"""


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


class OutputError(UsageError):
    """The output could not be written (a full disk, a bad descriptor): one line, exit code 2."""


def _seconds(text: str) -> float:
    """A --timeout value: a positive number of seconds."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return seconds


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage + message; we want one line
        raise UsageError(message)


def _add_spec(group, spec: params.ParamSpec) -> None:
    """`--NAME` for the HTTP parameter `spec` (``_`` as ``-``), its default and range in the help; the
    value is parsed by `params.parse_curve_params` as /runs parses it."""
    high = "]" if spec.high_inclusive else ")"
    group.add_argument(
        f"--{spec.name.replace('_', '-')}",
        default=f"{spec.default:g}",
        help=f"{spec.help} (default {spec.default:g}, in [{spec.low:g}, {spec.high:g}{high})",
    )


def parser(statuses: Optional[Sequence[str]] = None, flags: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command's parser; `statuses` None: the console script's early parse (no --help, names unknown)."""
    parser = _Parser(
        prog="tb-overfit",
        description="Best epoch, overfitting onset, EarlyStopping what-if and weight health "
        "for every training run in a TensorBoard logdir.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=statuses is not None,
    )
    parser.add_argument("logdir", help="a TensorBoard logdir (any path TensorBoard can read)")
    parser.add_argument("--run", metavar="REGEX", help="only training runs whose name matches REGEX (re.search)")
    parser.add_argument("--metric", help="metric to monitor, by name or tag (default: the headline metric)")
    parser.add_argument("--mode", help="min or max (default: from the metric's name)")
    parser.add_argument(
        "--train-split",
        metavar="WORD[,WORD...]",
        help="extra words naming the train split in tag and folder names (e.g. learn)",
    )
    parser.add_argument(
        "--validation-split",
        metavar="WORD[,WORD...]",
        help="extra words naming the validation split (e.g. test, holdout)",
    )
    parser.add_argument(
        "--pair",
        metavar="TRAIN_TAG,VALIDATION_TAG",
        help="judge these two tags as train and validation of one metric, whatever their names",
    )
    for spec in params.CURVE_SPECS:  # --patience, --min-delta, --smoothing, --tolerance: as /runs takes them
        _add_spec(parser, spec)
    what_if = parser.add_argument_group("ReduceLROnPlateau what-if (as /runs takes lr_factor, lr_patience...)")
    for spec in params.REDUCE_LR_SPECS:  # --lr-factor, --lr-patience, --lr-min-delta, --lr-cooldown, --min-lr
        _add_spec(what_if, spec)
    parser.add_argument("--weights", action="store_true", help="also print the per-layer weight table")
    parser.add_argument("--no-weights", action="store_true", help="curve verdicts only: read no histogram (fastest)")
    parser.add_argument(
        "--load-fast",
        choices=LOAD_FAST,
        default="auto",
        help="as tensorboard's --load_fast: true uses TensorBoard's Rust data server, "
        "false its Python loader, auto (default) the data server where it can",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="give up (exit 2) when TensorBoard's data server has not loaded the logdir "
        "after SECONDS (default: wait as long as the load takes)",
    )
    parser.add_argument("--json", action="store_true", help="print the /runs JSON document instead of a table")
    parser.add_argument(
        "--fail-on",
        metavar="NAME[,NAME...]",
        help=f"exit 1 if a run has one of these statuses ({', '.join(statuses or ())}) "
        f"or weight flags ({', '.join(flags)})",
    )
    return parser


def fail_on_names(args: argparse.Namespace) -> frozenset:
    """The names given to --fail-on."""
    return frozenset(name.strip() for name in (args.fail_on or "").split(",") if name.strip())


def weight_needs(args: argparse.Namespace, flags: Optional[Sequence[str]]) -> Tuple[bool, bool]:
    """(the table's weights column, per-layer documents): what the command needs histograms for.

    The column unless `--no-weights` or `--json` (the /runs document holds
    curve verdicts only); documents for `--weights` or a weight flag in
    `--fail-on`. `flags` None (not known yet): any --fail-on name may be one.
    """
    named = fail_on_names(args)
    flagged = bool(named) if flags is None else bool(named & set(flags))
    return not args.no_weights and not args.json, args.weights or flagged
