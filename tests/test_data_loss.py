"""Data TensorBoard's loaders skip is reported, not silently lost (HTTP, real TensorBoard, console script).

A corrupt record ends the loaders' reading of an event file; an unreadable
file or directory is left out. Each becomes a warning on the run naming the
file, the byte offset and the last good step (`integrity`).

Permission tests run the console script as an unprivileged user (root reads
everything, whatever the mode bits say): through `setpriv` when the tests
run as root, else directly.
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import logwriters
import numpy as np
import pytest
from conftest import fail_once

EPOCHS = 40
CORRUPT_STEP = 19  # the record of this step is damaged: the loaders keep steps 0..18
TRAIN = list(1.0 * np.exp(-np.arange(EPOCHS) / 10) + 0.05)
VALIDATION = list(0.5 + 0.002 * (np.arange(EPOCHS) - 25) ** 2)  # best at epoch 26: after the damage


def _keras_run(logdir, name, histograms=False):
    rng = np.random.default_rng(0)
    logwriters.write_keras_layout(
        logdir,
        name,
        train={"epoch_loss": TRAIN},
        validation={"epoch_loss": VALIDATION},
        histograms={"model/dense/kernel/histogram": [rng.normal(size=64) for _ in range(5)]} if histograms else None,
    )


@pytest.fixture(scope="module")
def corrupt_logdir(tmp_path_factory):
    """Runs `intact`, `corrupt` (validation record of step 19 damaged) and `flipped` (a value bit of it)."""
    logdir = tmp_path_factory.mktemp("corrupt")
    for name in ("intact", "corrupt", "flipped"):
        _keras_run(logdir, name)
    offset = logwriters.damage_record(logwriters.event_file(logdir, "corrupt/validation"), CORRUPT_STEP + 1)
    flipped = logwriters.damage_record(logwriters.event_file(logdir, "flipped/validation"), CORRUPT_STEP + 1, "value")
    return logdir, {"corrupt": offset, "flipped": flipped}


def _assert_warning(warnings, logdir, run, offset):
    (warning,) = warnings
    path = logwriters.event_file(logdir, f"{run}/validation").relative_to(logdir).as_posix()
    assert warning["kind"] == "corrupt_record" and warning["source"] == f"{run}/validation"
    assert (warning["path"], warning["offset"], warning["last_good_step"]) == (path, offset, CORRUPT_STEP - 1)
    assert path in warning["message"] and f"byte {offset}" in warning["message"]
    assert f"step {CORRUPT_STEP - 1}" in warning["message"]


def test_corrupt_record_is_a_warning_on_the_run_over_http(corrupt_logdir, plugin_client):
    logdir, offsets = corrupt_logdir
    client = plugin_client(logdir).wait_for_integrity_scan()
    status, body = client.get("runs")
    assert status == 200 and body["warnings"] == []
    rows = {row["run"]: row for row in body["runs"]}
    assert rows["intact"]["warnings"] == [] and rows["intact"]["num_steps"] == EPOCHS
    for run in ("corrupt", "flipped"):
        _assert_warning(rows[run]["warnings"], logdir, run, offsets[run])
        # The Python loader stops at the bad record: the series ends at step 18 (a different best).
        assert rows[run]["num_steps"] == CORRUPT_STEP and rows[run]["last_step"] == CORRUPT_STEP - 1
    status, curves = client.get("curves", run="corrupt")
    assert status == 200 and curves["validation"]["steps"][-1] == CORRUPT_STEP - 1
    _assert_warning(curves["warnings"], logdir, "corrupt", offsets["corrupt"])
    status, weights = client.get("weights", run="corrupt")
    assert status == 200 and weights["warnings"] == curves["warnings"]
    assert client.get("curves", run="intact")[1]["warnings"] == []


def test_corrupt_record_through_tensorboard_and_its_data_server(corrupt_logdir, tensorboard_process):
    """The Rust data server stops at (or later skips) a record that fails to parse; it reads a flipped value."""
    logdir, offsets = corrupt_logdir
    tensorboard = tensorboard_process(logdir)

    def loaded():  # the background integrity scan's warnings join the document when it has walked the logdir
        status, body = tensorboard.get_json("/data/plugin/overfit/runs")
        return status == 200 and len(body["runs"]) == 3 and any(row["warnings"] for row in body["runs"])

    tensorboard.wait_until(loaded, "the three runs and the scan's warnings")
    status, body = tensorboard.get_json("/data/plugin/overfit/runs")
    rows = {row["run"]: row for row in body["runs"]}
    for run in ("corrupt", "flipped"):
        _assert_warning(rows[run]["warnings"], logdir, run, offsets[run])
    # A running data server skips the bad record from its second load cycle on; the flipped one parses.
    assert rows["corrupt"]["num_steps"] in (CORRUPT_STEP, EPOCHS - 1) and rows["flipped"]["num_steps"] == EPOCHS
    assert rows["intact"]["warnings"] == []


@pytest.mark.parametrize("load_fast", ["true", "false"])
def test_corrupt_record_is_a_warning_in_the_console_script(corrupt_logdir, load_fast):
    logdir, offsets = corrupt_logdir
    done = _tb_overfit(logdir, "--json", "--load-fast", load_fast)
    assert done.returncode == 0, done.stderr
    rows = {row["run"]: row for row in json.loads(done.stdout)["runs"]}
    _assert_warning(rows["corrupt"]["warnings"], logdir, "corrupt", offsets["corrupt"])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in done.stderr
    (corrupt_line,) = [line for line in lines if line.startswith("tb-overfit: warning: run 'corrupt': ")]
    assert rows["corrupt"]["warnings"][0]["message"] in corrupt_line


def test_damaged_length_is_found_and_a_cut_last_record_is_not(tmp_path, plugin_client):
    """A bad length field loses the frame boundary; a file cut mid-record is one being written."""
    _keras_run(tmp_path, "length")
    _keras_run(tmp_path, "cut")
    offset = logwriters.damage_record(logwriters.event_file(tmp_path, "length/validation"), CORRUPT_STEP + 1, "length")
    cut = logwriters.event_file(tmp_path, "cut/validation")
    cut.write_bytes(cut.read_bytes()[:-7])
    rows = {row["run"]: row for row in plugin_client(tmp_path).wait_for_integrity_scan().get("runs")[1]["runs"]}
    _assert_warning(rows["length"]["warnings"], tmp_path, "length", offset)
    assert rows["cut"]["warnings"] == [] and rows["cut"]["num_steps"] == EPOCHS - 1


# -- unreadable files and directories ------------------------------------------------------------


def _unprivileged_prefix():
    """The command prefix that runs a program as a user the mode bits apply to, or skips."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: chmod 000 cannot hide a file from root")
    nobody = pwd.getpwnam("nobody")
    prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import tb_overfit_plugin"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"user nobody cannot run this Python: {probe.stderr.strip()[-200:]}")
    return prefix


def _tb_overfit(*args, prefix=()):
    executable = shutil.which("tb-overfit", path=str(Path(sys.executable).parent))
    return subprocess.run([*prefix, executable, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def unreadable_logdir():
    """A world-readable logdir: `ok`; `lost` (its validation event file mode 000); `hidden/` (mode 000)."""
    root = Path(tempfile.mkdtemp(prefix="tb_overfit_unreadable_"))
    root.chmod(0o755)
    logdir = root / "logs"
    for name in ("ok", "lost", "hidden/inner"):
        _keras_run(logdir, name)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    logwriters.event_file(logdir, "lost/validation").chmod(0)
    (logdir / "hidden").chmod(0)
    yield logdir
    (logdir / "hidden").chmod(0o755)
    shutil.rmtree(root)


def _lost_file(logdir):
    return logwriters.event_file(logdir, "lost/validation").relative_to(logdir).as_posix()


def test_unreadable_file_and_directory_are_warnings_with_the_data_server(unreadable_logdir):
    prefix = _unprivileged_prefix()
    done = _tb_overfit(unreadable_logdir, "--json", "--load-fast", "true", prefix=prefix)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    document = json.loads(done.stdout)
    rows = {row["run"]: row for row in document["runs"]}
    assert sorted(rows) == ["lost", "ok"] and rows["lost"]["status"] == "no_validation"
    (warning,) = rows["lost"]["warnings"]
    assert warning["kind"] == "unreadable_file" and warning["path"] == _lost_file(unreadable_logdir)
    assert "Permission denied" in warning["message"]
    (hidden,) = document["warnings"]  # `hidden` is no listed run: the logdir's own warning
    assert hidden["kind"] == "unreadable_directory" and hidden["path"] == "hidden"
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"tb-overfit: warning: {hidden['message']}",
        f"tb-overfit: warning: run 'lost': {warning['message']}",
    ]


def test_unreadable_file_is_a_warning_with_the_python_loader(unreadable_logdir):
    prefix = _unprivileged_prefix()
    done = _tb_overfit(unreadable_logdir / "lost", "--json", "--load-fast", "false", prefix=prefix)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    (row,) = json.loads(done.stdout)["runs"]
    assert row["status"] == "no_validation" and [w["kind"] for w in row["warnings"]] == ["unreadable_file"]
    assert done.stderr.strip().splitlines() == [f"tb-overfit: warning: run '.': {row['warnings'][0]['message']}"]


def test_unreadable_run_directory_exits_2_with_the_python_loader(unreadable_logdir):
    """TensorBoard's Python loader cannot list the logdir then: one line naming the directory."""
    prefix = _unprivileged_prefix()
    done = _tb_overfit(unreadable_logdir, "--load-fast", "false", prefix=prefix)
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("tb-overfit: error: TensorBoard's Python loader cannot read the logdir")
    assert "hidden" in line and "Permission denied" in line


@pytest.mark.parametrize("load_fast", ["true", "false"])
def test_unreadable_logdir_or_only_unreadable_data_exits_2_saying_why(unreadable_logdir, load_fast):
    prefix = _unprivileged_prefix()
    done = _tb_overfit(unreadable_logdir / "hidden", "--load-fast", load_fast, prefix=prefix)
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("tb-overfit: error: logdir") and "cannot be read" in line
    done = _tb_overfit(unreadable_logdir / "lost" / "validation", "--load-fast", load_fast, prefix=prefix)
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("tb-overfit: error: no TensorBoard scalars or histograms found under")
    assert "cannot be read (Permission denied)" in line


def _reference_bad_offset(path):
    """Where TensorBoard's own record reader (its TensorFlow-free one) first fails a checksum, or None."""
    from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow

    reader, offset = pywrap_tensorflow.PyRecordReader_New(str(path)), 0
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            return None
        except errors.DataLossError as error:
            return None if "truncated" in str(error) else offset
        offset += 16 + len(reader.record())


def test_scanner_agrees_with_tensorboards_record_reader_on_random_damage(tmp_path):
    """Seeded bit flips and cuts of a real event file (scalars and histograms): the same first bad record."""
    from tb_overfit_plugin.data import integrity

    source = tmp_path / "source"
    _keras_run(source, "run", histograms=True)
    original = logwriters.event_file(source, "run/train").read_bytes()
    damaged_dir = tmp_path / "damaged" / "run"
    damaged_dir.mkdir(parents=True)
    rng = np.random.default_rng(11)
    found = 0
    for trial in range(120):
        data = bytearray(original)
        flip = int(rng.integers(len(data)))
        if trial % 3 != 1:
            data[flip] ^= 1 << int(rng.integers(8))
        if trial % 3 != 0:
            data = data[: int(rng.integers(flip, len(data) + 1))]
        path = damaged_dir / "events.out.tfevents.1"
        path.write_bytes(bytes(data))
        problems = integrity.Scanner(str(tmp_path / "damaged")).scan()
        expected = _reference_bad_offset(path)
        assert [p.offset for p in problems] == ([] if expected is None else [expected]), trial
        found += expected is not None
    assert found > 40  # most flips hit a checksum; the cuts alone never do


# -- the scan runs in the background (issue 19) -------------------------------------------------


def _gated_scan(monkeypatch):
    """Holds the plugin's integrity scan before its first file until the returned event is set."""
    import threading

    from tb_overfit_plugin.data import integrity

    gate, scan_file = threading.Event(), integrity._scan_file

    def gated(*args):
        assert gate.wait(60), "the test never released the scan"
        return scan_file(*args)

    monkeypatch.setattr(integrity, "_scan_file", gated)
    return gate


def test_runs_answers_before_the_scan_and_carries_its_warnings_later(corrupt_logdir, plugin_client, monkeypatch):
    """/runs never waits for the scan; once it has walked, the answer changes (new ETag) and holds the warnings."""
    logdir, offsets = corrupt_logdir
    gate = _gated_scan(monkeypatch)
    client = plugin_client(logdir)
    first = client.client.get("/data/plugin/overfit/runs")
    assert first.status_code == 200 and client.plugin._background.walks == 0  # answered while the scan is held
    rows = {row["run"]: row for row in json.loads(first.data)["runs"]}
    assert len(rows) == 3 and all(row["warnings"] == [] for row in rows.values())
    assert rows["corrupt"]["num_steps"] == CORRUPT_STEP  # the verdict is there, from the data
    etag = first.headers["ETag"]
    assert client.client.get("/data/plugin/overfit/runs", headers={"If-None-Match": etag}).status_code == 304
    gate.set()
    client.wait_for_integrity_scan()
    later = client.client.get("/data/plugin/overfit/runs", headers={"If-None-Match": etag})
    assert later.status_code == 200 and later.headers["ETag"] != etag
    rows = {row["run"]: row for row in json.loads(later.data)["runs"]}
    for run in ("corrupt", "flipped"):
        _assert_warning(rows[run]["warnings"], logdir, run, offsets[run])
    assert rows["intact"]["warnings"] == []


def test_a_failing_scan_is_logged_and_tried_again(corrupt_logdir, plugin_client, monkeypatch, caplog):
    from tb_overfit_plugin.data import background, integrity

    monkeypatch.setattr(background, "RESCAN_SECONDS", 0.05)
    fail_once(monkeypatch, integrity, "_scan_file", "a bug in the scan")
    client = plugin_client(corrupt_logdir[0]).wait_for_integrity_scan()
    assert "integrity scan failed" in caplog.text and "a bug in the scan" in caplog.text
    status, body = client.get("runs")
    assert status == 200 and {row["run"]: len(row["warnings"]) for row in body["runs"]} == {
        "intact": 0,
        "corrupt": 1,
        "flipped": 1,
    }
