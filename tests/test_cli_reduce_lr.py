"""The ReduceLROnPlateau what-if from the command line (issue 24): `--lr-factor`, `--lr-patience`,
`--lr-min-delta`, `--lr-cooldown`, `--min-lr`, as /runs takes `lr_factor`... (`params.REDUCE_LR_SPECS`):
same numbers, same ranges, one-line errors with exit code 2, listed in --help."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from logwriters import write_keras_layout

from tb_overfit_plugin.cli import command as cli
from tb_overfit_plugin.documents import params

PLATEAU = [1.0, 0.8, 0.7, 0.65, 0.64, 0.645, 0.643, 0.644, 0.646, 0.642, 0.645, 0.644, 0.646, 0.647]
FLAGS = ("--lr-factor", "--lr-patience", "--lr-min-delta", "--lr-cooldown", "--min-lr")


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("reduce_lr_cli")
    train = {"epoch_loss": [0.9 * v for v in PLATEAU], "epoch_learning_rate": [0.01] * len(PLATEAU)}
    write_keras_layout(root, "plateau", train, {"epoch_loss": PLATEAU})
    return root


def _command(*args):
    executable = shutil.which("tb-overfit", path=str(Path(sys.executable).parent))
    assert executable, "the tb-overfit console script must be installed"
    done = subprocess.run([executable, *map(str, args)], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def test_the_flags_give_the_what_if_of_the_http_parameters(logdir, plugin_client):
    out = io.StringIO()
    argv = [
        "--lr-factor",
        "0.5",
        "--lr-patience",
        "2",
        "--lr-min-delta",
        "0.001",
        "--lr-cooldown",
        "1",
        "--min-lr",
        "0.002",
    ]
    assert cli.run([str(logdir), "--json", *argv], out=out) == 0
    row = json.loads(out.getvalue())["runs"][0]
    _, served = plugin_client(logdir).get(
        "runs", lr_factor="0.5", lr_patience="2", lr_min_delta="0.001", lr_cooldown="1", min_lr="0.002"
    )
    assert row["reduce_lr"] == served["runs"][0]["reduce_lr"]
    what_if = row["reduce_lr"]
    assert (what_if["factor"], what_if["patience"], what_if["cooldown"]) == (0.5, 2, 1)
    assert what_if["min_delta"] == 0.001 and what_if["min_lr"] == 0.002
    lrs = [cut["lr"] for cut in what_if["cuts"]]
    assert lrs[:2] == pytest.approx([0.005, 0.0025]) and min(lrs) == pytest.approx(0.002)


def test_defaults_are_keras_defaults(logdir):
    out = io.StringIO()
    assert cli.run([str(logdir), "--json"], out=out) == 0
    what_if = json.loads(out.getvalue())["runs"][0]["reduce_lr"]
    assert {name: what_if[name] for name in ("factor", "patience", "min_delta", "cooldown", "min_lr")} == {
        "factor": 0.1,
        "patience": 10,
        "min_delta": 1e-4,
        "cooldown": 0,
        "min_lr": 0.0,
    }


@pytest.mark.parametrize(
    "flag, value, expected",
    [
        ("--lr-factor", "1", "expected a finite decimal number in [0, 1), got '1'"),
        ("--lr-factor", "abc", "got 'abc'"),
        ("--lr-patience", "-1", "expected a whole number in [0, 100000], got '-1'"),
        ("--lr-patience", "2.5", "got '2.5'"),
        ("--lr-min-delta", "-0.1", "got '-0.1'"),
        ("--lr-cooldown", "nan", "got 'nan'"),
        ("--min-lr", "-1", "got '-1'"),
    ],
)
def test_out_of_range_is_one_line_and_exit_2(logdir, flag, value, expected):
    code, out, err = _command(logdir, f"{flag}={value}", "--no-weights")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"tb-overfit: error: {flag}: ") and expected in err


def test_help_lists_each_flag_with_its_range():
    code, out, _ = _command("--help")
    assert code == 0 and "ReduceLROnPlateau what-if" in out
    flat = " ".join(out.split())
    for flag, spec in zip(FLAGS, params.REDUCE_LR_SPECS):
        assert flag in out
        assert f"in [{spec.low:g}, {spec.high:g}{']' if spec.high_inclusive else ')'}" in flat
