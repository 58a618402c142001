"""Issue 26: the HTTP routes answer under the OLDEST TensorBoard setup.py allows, in a venv of its own.

The venv (python -m venv; the lower bounds of `tensorboard` and `tensorboard-data-server` from
setup.py, then this package) is built once and kept under `.cache/` of the repository, keyed by
those bounds; later runs only reinstall the package. Building needs PyPI (about a minute).
TensorBoard 2.12 predates NumPy 2 (it uses `np.string_`), protobuf 5 and does not declare `six`,
which it imports: the venv gets them as the TensorFlow 2.12 of its day had them (`ERA_PINS`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from conftest import TensorBoardProcess
from logwriters import write_keras_layout

REPO = Path(__file__).resolve().parents[1]
ERA_PINS = ("numpy<2", "protobuf<5", "six")
"""What TensorBoard 2.12's own users have installed (TensorFlow 2.12 pins numpy<1.24 and protobuf<5)."""
PIP_TIMEOUT = 900


def lower_bound(name: str) -> str:
    """The `>=` bound of `name` in setup.py's install_requires ("2.12")."""
    found = re.search(rf'"{re.escape(name)}>=([0-9.]+)', (REPO / "setup.py").read_text())
    assert found, f"setup.py declares no lower bound for {name}"
    return found.group(1)


def _pip(venv: Path, *args: str) -> None:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
    )
    assert done.returncode == 0, f"pip install {' '.join(args)} failed:\n{done.stderr[-3000:]}"


def oldest_venv() -> Path:
    """The cached venv with the oldest tensorboard and this package (reinstalled each time)."""
    tensorboard, data_server = lower_bound("tensorboard"), lower_bound("tensorboard-data-server")
    venv = REPO / ".cache" / f"oldest-tensorboard-{tensorboard}-data-server-{data_server}"
    pins = (f"tensorboard=={tensorboard}", f"tensorboard-data-server~={data_server}.0", *ERA_PINS)
    if not (venv / "built").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
        _pip(venv, *pins)
        (venv / "built").write_text("\n".join(pins) + "\n")
    _pip(venv, str(REPO), *pins)  # the package's other dependencies, these pins kept
    _pip(venv, "--no-deps", "--force-reinstall", str(REPO))  # this checkout, not a cached wheel
    return venv


def _small_log(root: Path) -> Path:
    loss = [1.0, 0.7, 0.55, 0.5, 0.48, 0.55, 0.65, 0.75, 0.85, 0.95, 1.05, 1.15]
    epochs = len(loss)
    rng = np.random.default_rng(0)
    kernels = [rng.normal(0, 0.2 + 0.01 * i, size=(20, 16)) for i in range(epochs)]
    train = [0.9 * 0.85**epoch for epoch in range(epochs)]  # keeps falling: validation rising is overfitting
    write_keras_layout(
        root,
        "exp",
        {"epoch_loss": train, "epoch_accuracy": [0.6] * epochs},
        {"epoch_loss": loss, "epoch_accuracy": [0.6] * epochs},
        histograms={"sequential/dense/kernel/histogram": kernels},
    )
    return root


def test_routes_answer_under_the_oldest_supported_tensorboard(tmp_path, plugin_client):
    venv = oldest_venv()
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import tensorboard; print(tensorboard.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == lower_bound("tensorboard") or version.startswith(lower_bound("tensorboard") + ".")
    logdir = _small_log(tmp_path / "logs")
    tensorboard = TensorBoardProcess(logdir, executable=str(venv / "bin" / "tensorboard"))
    try:
        base = "/data/plugin/overfit"
        tensorboard.wait_until(
            lambda: len((tensorboard.get_json(f"{base}/runs")[1] or {}).get("runs", [])) == 1, "the run in /runs"
        )
        status, runs = tensorboard.get_json(f"{base}/runs")
        row = runs["runs"][0]
        assert status == 200 and row["run"] == "exp" and row["status"] == "overfitting"
        assert row["best"]["epoch"] == 5
        _, here = plugin_client(logdir).get("runs")  # the newest TensorBoard, in this process
        assert {key: row[key] for key in ("status", "best", "onset", "early_stop")} == {
            key: here["runs"][0][key] for key in ("status", "best", "onset", "early_stop")
        }
        status, curves = tensorboard.get_json(f"{base}/curves?run=exp")
        assert status == 200 and curves["analysis"]["status"] == "overfitting"
        tensorboard.wait_until(lambda: tensorboard.get_json(f"{base}/weights?run=exp")[0] == 200, "/weights")
        status, weights = tensorboard.get_json(f"{base}/weights?run=exp")
        assert [layer["layer"] for layer in weights["layers"]] == ["dense"]
        status, meta = tensorboard.get_json(f"{base}/meta")
        assert status == 200 and {entry["status"] for entry in meta["statuses"]} >= {"overfitting", "diverged"}
        status, error = tensorboard.get_json(f"{base}/curves?run=nope")
        assert status == 404 and "error" in error
        assert "Traceback" not in tensorboard.output()
    finally:
        tensorboard.stop()
