"""`tb-overfit LOGDIR`: same verdicts as the HTTP API, CI exit codes, one-line errors."""

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tb_overfit_plugin.analysis import wording
from tb_overfit_plugin.cli import command as cli
from tb_overfit_plugin.documents import vocabulary


def _command(*args):
    """Runs the installed console script; returns (exit code, stdout, stderr)."""
    executable = shutil.which("tb-overfit", path=str(Path(sys.executable).parent))
    assert executable, "the tb-overfit console script must be installed"
    done = subprocess.run([executable, *map(str, args)], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def _run_in_process(*args):
    out = io.StringIO()
    code = cli.run([str(a) for a in args], out=out)
    return code, out.getvalue()


def test_json_equals_the_runs_endpoint(demo_logdir, plugin_client):
    code, out = _run_in_process(demo_logdir, "--json", "--patience", "3", "--smoothing", "0.2")
    assert code == 0
    _, served = plugin_client(demo_logdir).get("runs", patience="3", smoothing="0.2")
    assert json.loads(out) == served


def test_table_rows_match_http_verdicts(demo_logdir, plugin_client):
    code, out = _run_in_process(demo_logdir)
    assert code == 0
    _, served = plugin_client(demo_logdir).get("runs")
    lines = out.splitlines()
    table = lines[: lines.index("")] if "" in lines else lines  # the remedies follow the table, after a blank line
    assert lines[0].split()[:3] == ["run", "status", "monitor"]
    assert "remedies:" in lines and "  overfitting: " + vocabulary.REMEDIES["overfitting"] in lines
    for row in served["runs"]:
        (line,) = [line for line in table[1:] if line.split()[0] == row["run"]]
        status = re.split(r"\s{2,}", line)[1]
        words = row["status"].replace("_", " ")  # names as words; a broken network's status overrules its curve's
        assert status == words or (row["run"] == "broken" and status == f"broken weights (curve: {words})")
        assert f"epoch {row['best']['epoch']}" in line
        assert wording.fmt(row["best"]["value"]) in line
    assert "\033[" not in out  # no colour when stdout is not a terminal


def test_weights_table(demo_logdir):
    code, out = _run_in_process(demo_logdir, "--weights", "--run", "^broken$")
    assert code == 0
    assert "weights of broken" in out and "identical values" in out and "identical_values" not in out


def test_one_status_per_run_in_the_table(demo_logdir):
    """Issue 25: the broken network (identical values) is `broken weights` above `overfitting`, its curve
    verdict beside it; rows in the tab's first order (most urgent status, then name); --fail-on broken_weights."""
    code, out = _run_in_process(demo_logdir)
    assert code == 0
    rows = [re.split(r"\s{2,}", line) for line in out.split("\n\n")[0].splitlines()[1:]]
    assert [row[:2] for row in rows] == [
        ["broken", "broken weights (curve: improving)"],
        ["overfit", "overfitting"],
        ["regularized", "plateau"],
    ]
    assert rows[0][-1] == "identical values (2/3 layers)"
    assert "  broken weights: " + vocabulary.REMEDIES["broken_weights"] in out
    code, out = _run_in_process(demo_logdir, "--no-weights")
    assert [line.split()[:2] for line in out.splitlines()[1:4]] == [
        ["overfit", "overfitting"],
        ["regularized", "plateau"],
        ["broken", "improving"],
    ]
    assert _run_in_process(demo_logdir, "--run", "^broken$", "--fail-on", "broken_weights")[0] == 1
    assert _run_in_process(demo_logdir, "--run", "^overfit$", "--fail-on", "broken_weights")[0] == 0


def test_a_mode_contradicting_the_metric_name_is_flagged(demo_logdir, plugin_client):
    """Issue 25 item 8: accuracy judged with mode min is answered, with a warning in /runs, --json and the table."""
    _, served = plugin_client(demo_logdir).get("runs", metric="accuracy", mode="min")
    warnings = {row["run"]: row["mode_warning"] for row in served["runs"]}
    assert all(
        text and text.startswith("The mode min (lower is better) contradicts the metric's name: accuracy")
        for text in warnings.values()
    ), warnings
    code, out = _run_in_process(demo_logdir, "--metric", "accuracy", "--mode", "min", "--no-weights")
    assert code == 0 and f"overfit: {warnings['overfit']}" in out.splitlines()
    _, served = plugin_client(demo_logdir).get("runs", metric="accuracy", mode="max")
    assert [row["mode_warning"] for row in served["runs"]] == [None] * 3
    _, served = plugin_client(demo_logdir).get("runs")
    assert [row["mode_warning"] for row in served["runs"]] == [None] * 3


def test_fail_on_gates_a_pipeline(demo_logdir):
    code, out, err = _command(demo_logdir, "--fail-on", "overfitting,diverged")
    assert code == 1 and "overfit" in err
    code, _ = _run_in_process(demo_logdir, "--run", "^regularized$", "--fail-on", "overfitting,diverged")
    assert code == 0
    code, _ = _run_in_process(demo_logdir, "--run", "^broken$", "--fail-on", "identical_values")
    assert code == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["{missing}"], "does not exist"),
        (["{empty}"], "no TensorBoard"),
        (["{demo}", "--patience", "soon"], "--patience"),
        (["{demo}", "--mode", "up"], "--mode"),
        (["{demo}", "--smoothing", "1.5"], "--smoothing"),
        (["{demo}", "--fail-on", "bad_status"], "bad_status"),
        (["{demo}", "--run", "("], "--run"),
        (["{demo}", "--no-such-flag"], "--no-such-flag"),
        ([], "logdir"),
    ],
)
def test_bad_input_exits_2_with_one_line(demo_logdir, tmp_path, capsys, args, message):
    empty = tmp_path / "empty"
    empty.mkdir()
    args = [a.format(missing=tmp_path / "missing", empty=empty, demo=demo_logdir) for a in args]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tb-overfit: error:") and message in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


def test_console_script_and_module_entry(demo_logdir):
    code, out, err = _command(demo_logdir / "does-not-exist")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    done = subprocess.run(
        [sys.executable, "-m", "tb_overfit_plugin", str(demo_logdir), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and {r["run"] for r in json.loads(done.stdout)["runs"]} == {
        "broken",
        "overfit",
        "regularized",
    }


def test_the_console_script_starts_the_data_server_first_and_says_the_same(demo_logdir):
    """The console script parses early and starts the server (`console.py`); output and errors are cli.main's."""
    code, out, err = _command(demo_logdir, "--json")
    assert code == 0 and err == ""
    assert json.loads(out) == _json_of(demo_logdir)
    code, out, err = _command(demo_logdir, "--fail-on", "bad_status")  # a server was started, then discarded
    assert code == 2 and out == "" and err.count("\n") == 1 and "bad_status" in err
    code, out, err = _command("--help")
    assert code == 0 and "overfitting" in out and "identical_values" in out  # --fail-on names its choices
    assert "examples:" in out and out.count("  tb-overfit logs/") == 2 and "exit codes:" in out
    for code_line in ("0 ", "1 ", "2 ", "130", "141"):
        assert f"\n  {code_line}" in out


def test_every_curve_parameter_of_runs_is_an_option(demo_logdir, plugin_client):
    """The CLI reproduces the tab: --tolerance (and every curve parameter) gives /runs' document."""
    query = {"patience": "2", "min_delta": "0.01", "smoothing": "0.5", "tolerance": "0.3"}
    _, served = plugin_client(demo_logdir).get("runs", **query)
    flags = [f"--{name.replace('_', '-')}={value}" for name, value in query.items()]
    assert _json_of(demo_logdir, *flags) == served
    assert served["params"]["tolerance"] == 0.3
    code, _, err = _command(demo_logdir, "--tolerance=2")
    assert code == 2 and err.startswith("tb-overfit: error: --tolerance:")


def _json_of(*args):
    code, out = _run_in_process(*args, "--json")
    assert code == 0
    return json.loads(out)


def test_both_loaders_give_the_runs_endpoint_document(demo_logdir, plugin_client):
    """TensorBoard's Rust data server (default) and its Python loader: the same document as /runs."""
    _, served = plugin_client(demo_logdir).get("runs")
    assert _json_of(demo_logdir, "--load-fast", "true") == served
    assert _json_of(demo_logdir, "--load-fast", "false") == served


def test_default_loader_imports_no_tensorflow(demo_logdir):
    script = (
        "import io, sys\n"
        "from tb_overfit_plugin.cli import command as cli\n"
        f"assert cli.run([{str(demo_logdir)!r}, '--json'], out=io.StringIO()) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'tensorflow'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]" and done.stderr == ""


def test_missing_data_server_falls_back_to_the_python_loader(demo_logdir, monkeypatch, capsys):
    # TensorBoard's own override of the data server binary, pointing nowhere.
    monkeypatch.setenv("TENSORBOARD_DATA_SERVER_BINARY", str(demo_logdir / "no-such-server"))
    fallback = _json_of(demo_logdir)
    monkeypatch.delenv("TENSORBOARD_DATA_SERVER_BINARY")
    assert fallback == _json_of(demo_logdir)
    monkeypatch.setenv("TENSORBOARD_DATA_SERVER_BINARY", str(demo_logdir / "no-such-server"))
    capsys.readouterr()
    assert cli.main([str(demo_logdir), "--load-fast", "true"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tb-overfit: error: --load-fast=true:") and "no-such-server" in line


def test_no_weights_reads_no_histogram(demo_logdir):
    from tb_overfit_plugin.data import logdir

    assert logdir.read_logdir(demo_logdir, with_histograms=False).histograms.by_run == {}
    rows = {row["run"]: row for row in _json_of(demo_logdir, "--no-weights")["runs"]}
    with_weights = _json_of(demo_logdir, "--weights")
    full = {row["run"]: row for row in with_weights["runs"]}
    assert rows.keys() == full.keys()
    for name, row in rows.items():
        assert "weights" not in row and with_weights["weights"][name]["summary"]["layers"] == 3
        assert {k: v for k, v in row.items() if k != "weights"} == {
            k: v for k, v in full[name].items() if k != "weights"
        }, "histogram names are listed all the same"


def test_a_load_without_histograms_lists_the_same_names_and_versions(demo_logdir):
    """The data server keeps one histogram per series for names and versions; nothing reads them."""
    from tb_overfit_plugin.data import logdir

    with logdir.open_logdir(demo_logdir, load_fast="true") as full:
        versions = dict(full.histograms.versions)
    with logdir.open_logdir(demo_logdir, load_fast="true", histograms=False) as names_only:
        assert names_only.histogram_batches is None
        assert len(versions) >= 6 and dict(names_only.histograms.versions) == versions


@pytest.mark.parametrize(
    "args, message",
    [
        (["{demo}", "--no-weights", "--weights"], "--no-weights"),
        (["{demo}", "--no-weights", "--fail-on", "identical_values"], "--no-weights"),
        (["{demo}", "--load-fast", "maybe"], "--load-fast"),
        (["s3://bucket/logs", "--load-fast", "true"], "data server reads only"),
        (["{file}"], "not a directory"),
    ],
)
def test_loader_input_errors_exit_2_with_one_line(demo_logdir, tmp_path, capsys, args, message):
    a_file = tmp_path / "events.out.tfevents.1"
    a_file.write_bytes(b"")
    args = [a.format(demo=demo_logdir, file=a_file) for a in args]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tb-overfit: error:") and message in lines[0], captured.err
    assert captured.out == ""


def test_table_weights_column_is_the_weights_summary(demo_logdir, plugin_client):
    _, summary = plugin_client(demo_logdir).get("weights_summary")
    code, out = _run_in_process(demo_logdir)
    assert code == 0 and out.splitlines()[0].split()[-1] == "weights"
    for name, weights in summary["weights"].items():
        (line,) = [line for line in out.split("\n\n")[0].splitlines()[1:] if line.split()[:1] == [name]]
        expected = (
            weights["worst_flag"]["flag"].replace("_", " ")
            if weights["worst_flag"]
            else f"ok ({weights['layers']} layers)"
        )
        assert line.endswith(
            expected
            if weights["worst_flag"] is None
            else f"{expected} ({weights['flagged_layers']}/{weights['layers']} layers)"
        )
    code, out = _run_in_process(demo_logdir, "--no-weights")
    assert code == 0 and "weights" not in out.splitlines()[0] and "layers" not in out


# -- output that cannot be written, unknown metric, numbers, long input --------------------------

LOADERS = ["true", "false"]


def _executable():
    executable = shutil.which("tb-overfit", path=str(Path(sys.executable).parent))
    assert executable, "the tb-overfit console script must be installed"
    return executable


def _one_error_line(stderr: str, *needles: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tb-overfit: error:"), stderr
    assert "Traceback" not in stderr and all(needle in lines[0] for needle in needles), stderr
    return lines[0]


@pytest.mark.parametrize("load_fast", LOADERS)
def test_closed_pipe_ends_quietly_as_unix_tools_do(demo_logdir, load_fast):
    """`tb-overfit LOGDIR --weights | head -1`: the reader is gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [_executable(), str(demo_logdir), "--weights", "--load-fast", load_fast],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write_end)
    assert done.returncode == cli.EXIT_PIPE_CLOSED == 141
    assert done.stderr == ""


@pytest.mark.parametrize("load_fast", LOADERS)
def test_closed_stdout_exits_2_with_one_line(demo_logdir, load_fast):
    done = subprocess.run(
        ["sh", "-c", '"$@" >&-', "sh", _executable(), str(demo_logdir), "--load-fast", load_fast],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    _one_error_line(done.stderr, "standard output is closed")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("load_fast", LOADERS)
def test_full_disk_exits_2_with_one_line(demo_logdir, load_fast):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [_executable(), str(demo_logdir), "--json", "--load-fast", load_fast],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert done.returncode == 2
    _one_error_line(done.stderr, "cannot write the output", "No space left on device")


@pytest.mark.parametrize("load_fast", LOADERS)
def test_unknown_metric_exits_2_as_http_answers_404(demo_logdir, plugin_client, load_fast):
    status, body = plugin_client(demo_logdir).get("runs", metric="nosuch")
    assert status == 404 and "nosuch" in body["error"]
    code, out, err = _command(demo_logdir, "--metric", "nosuch", "--load-fast", load_fast)
    assert code == 2 and out == ""
    assert _one_error_line(err) == f"tb-overfit: error: --metric: {body['error']}"
    # A metric some runs have is still a verdict for those and `no_metrics` for the others.
    code, out, err = _command(demo_logdir, "--metric", "ACCURACY", "--json", "--load-fast", load_fast)
    assert code == 0 and {row["monitor"]["metric"] for row in json.loads(out)["runs"]} == {"accuracy"}


@pytest.mark.parametrize(
    "option, value",
    [("--patience", v) for v in ("1_0", "٣", "5.0", "0x5", "inf", "１")]
    + [("--min-delta", v) for v in ("1_0.5", "٣", "inf", "-inf", "nan", "1e999", "0.5.5", "0,5")],
)
def test_numbers_are_plain_ascii_decimals_only(demo_logdir, capsys, option, value):
    assert cli.main([str(demo_logdir), f"{option}={value}"]) == 2
    _one_error_line(capsys.readouterr().err, option, repr(value))


def test_number_errors_through_the_console_script(demo_logdir):
    code, out, err = _command(demo_logdir, "--patience=1_0")
    assert code == 2 and out == ""
    _one_error_line(err, "--patience", "'1_0'")
    code, out, _ = _command(demo_logdir, "--patience=+3", "--min-delta=1e-3", "--json")
    assert code == 0 and json.loads(out)["params"] == {
        "metric": None,
        "mode": None,
        "patience": 3,
        "min_delta": 0.001,
        "smoothing": 0.0,
        "tolerance": 0.1,
        "train_split": [],
        "validation_split": [],
        "pair": None,
        "lr_factor": 0.1,
        "lr_patience": 10,
        "lr_min_delta": 1e-4,
        "lr_cooldown": 0,
        "min_lr": 0.0,
    }


def test_long_input_is_quoted_shortly(demo_logdir, capsys):
    long_regex = "(" + "a" * 50_000
    assert cli.main([str(demo_logdir), "--run", long_regex]) == 2
    line = _one_error_line(capsys.readouterr().err, "--run", "50001 characters")
    assert len(line) < 2 * wording.MAX_QUOTED_CHARS + 200
    assert cli.main([str(demo_logdir / ("x" * 5000))]) == 2
    line = _one_error_line(capsys.readouterr().err, "does not exist")
    assert len(line) < 2 * wording.MAX_QUOTED_CHARS + 200


@pytest.mark.parametrize("load_fast", LOADERS)
def test_logdir_that_is_a_file_or_missing_exits_2_through_the_console_script(tmp_path, load_fast):
    a_file = tmp_path / "events.out.tfevents.1"
    a_file.write_bytes(b"")
    for logdir, message in ((a_file, "is not a directory"), (tmp_path / "missing", "does not exist")):
        code, out, err = _command(logdir, "--load-fast", load_fast)
        assert code == 2 and out == ""
        _one_error_line(err, message)


def test_a_load_that_outlasts_timeout_exits_2_with_one_line(demo_logdir, tmp_path):
    """A data server that never finishes its load (a stalled `gs://` bucket, say) ends the command at --timeout."""
    stalled = tmp_path / "stalled-server"
    stalled.write_text(
        "#!/bin/sh\n# starts, loads nothing, exits when its stdin closes (as --die-after-stdin)\ncat >/dev/null\n"
    )
    stalled.chmod(0o755)
    executable = shutil.which("tb-overfit", path=str(Path(sys.executable).parent))
    environment = dict(os.environ, TENSORBOARD_DATA_SERVER_BINARY=str(stalled))
    done = subprocess.run(
        [executable, str(demo_logdir), "--timeout", "1.5", "--load-fast", "true"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "after 1.5 s (--timeout)" in done.stderr
    code, _, err = _command(demo_logdir, "--timeout", "0")
    assert code == 2 and "--timeout" in err and "positive" in err
