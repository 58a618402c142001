"""demo/overfit_notebook.ipynb executed in a real IPython kernel (nbclient) on the demo logs."""

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra: pip install '.[test]'")
nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extra: pip install '.[test]'")
pytest.importorskip("ipykernel", reason="ipykernel is in the test extra: pip install '.[test]'")
pytest.importorskip("matplotlib", reason="matplotlib is in the test extra: pip install '.[test]'")

NOTEBOOK = Path(__file__).resolve().parents[1] / "demo" / "overfit_notebook.ipynb"


def _outputs(cell, kind):
    return [output["data"][kind] for output in cell.get("outputs", []) if kind in output.get("data", {})]


def _stop_notebook_tensorboard(port: int) -> None:
    """Stops the `tensorboard` the notebook's %tensorboard started (found by its port in TensorBoard's own registry)."""
    from tensorboard import manager

    for info in manager.get_all():
        if info.port == port:
            os.kill(info.pid, signal.SIGTERM)


def test_notebook_shows_the_verdicts_a_chart_and_the_tab(demo_full_logdir, monkeypatch):
    from conftest import free_port

    from tb_overfit_plugin import diagnose

    port = free_port()
    monkeypatch.setenv("TB_OVERFIT_DEMO_LOGS", str(demo_full_logdir))
    monkeypatch.setenv("TB_OVERFIT_NOTEBOOK_PORT", str(port))
    # %tensorboard runs `tensorboard` from PATH, which a test's PATH may lack: the one installed beside this Python.
    monkeypatch.setenv("TENSORBOARD_BINARY", shutil.which("tensorboard", path=str(Path(sys.executable).parent)))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # committed clean
    try:
        nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3").execute()
    finally:
        _stop_notebook_tensorboard(port)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]

    expected = diagnose(demo_full_logdir)
    table = _outputs(code[0], "text/html")[0]
    assert table.count("<tr>") == len(expected) + 1
    for verdict in expected:
        assert f"<td>{verdict.run}</td><td>{verdict.status}</td>" in table
    overfitting = _outputs(code[1], "text/html")[0]
    assert "<th>overfit</th>" in overfitting and "regularized" not in overfitting
    printed = "".join(o.get("text", "") for o in code[2].outputs)
    assert expected["overfit"].explanation in printed
    assert _outputs(code[3], "image/png"), "the chart is drawn"
    frame = "".join(_outputs(code[4], "text/html"))
    assert "<iframe" in frame and str(port) in frame, code[4].outputs
