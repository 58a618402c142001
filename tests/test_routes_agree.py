"""Every route groups TensorBoard runs into training runs from the same listings (scalars and histograms).

Scalars in `exp/train` with histograms only in `exp`: `exp` holds data
itself, so `exp/train` is its training split and the training run is `exp`
(`grouping`'s split-folder rule). A route grouping from the scalars alone
would see a training run `exp/train` instead.
"""

import logwriters
import numpy as np


def test_curves_and_stopping_find_every_run_runs_lists(tmp_path, plugin_client):
    rng = np.random.default_rng(0)
    logwriters.write_single_run(tmp_path, "exp/train", {"loss": list(np.linspace(1, 0.2, 8))})
    logwriters.write_tf2_histograms(tmp_path, "exp", "dense/kernel", [rng.normal(size=16) for _ in range(8)])
    client = plugin_client(tmp_path)
    status, document = client.get("runs")
    assert status == 200 and [row["run"] for row in document["runs"]] == ["exp"]
    for route in ("curves", "stopping", "weights"):
        status, answer = client.get(route, run="exp")
        assert (route, status, answer["run"]) == (route, 200, "exp")
