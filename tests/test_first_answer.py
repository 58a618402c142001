"""`/runs` answers within `plugin.FIRST_ANSWER_S`: a build still under way then shows its rows so far.

The document cache's progressive builds (`document_cache.Progressive`), then the
route through TensorBoard's WSGI app on Keras-layout event files, with one run's
analysis held back (a real build, paused at a known row) so that what the
snapshot holds is known exactly.
"""

from __future__ import annotations

import gzip
import json
import threading
import time

import logwriters
import numpy as np
import pytest
from conftest import PLUGIN_PREFIX, wait_for

from tb_overfit_plugin import plugin as plugin_lib
from tb_overfit_plugin.documents import document_cache
from tb_overfit_plugin.documents.runs import documents as run_documents

RUNS = tuple(f"lr{index}" for index in range(6))
HELD = 2  # the run whose analysis is held back: rows 0 and 1 are done when the first answer goes out
WAIT_S = 60.0
SHORT_S = 0.05  # a wait a held build outlasts


class Steps:
    """A progressive build of ``{"done": [...]}`` that adds one item per `release()` and ends after `total`
    (`fail`: fails at the release after those)."""

    def __init__(self, total: int):
        self.total, self.allowed = total, threading.Semaphore(0)

    def progressive(self, fail: bool = False) -> document_cache.Progressive:
        def build(progress: list) -> dict:
            for item in range(self.total):
                assert self.allowed.acquire(timeout=WAIT_S)
                progress.append(item)
            if fail:  # after one release more
                assert self.allowed.acquire(timeout=WAIT_S)
                raise ValueError("the build failed at its end")
            return {"done": list(progress), "pending": 0}

        def snapshot(progress: list):
            if not progress:
                return None
            done = progress[:]
            return len(done), {"done": done, "pending": self.total - len(done)}

        return document_cache.Progressive(list, build, snapshot)

    def release(self, count: int = 1) -> None:
        for _ in range(count):
            self.allowed.release()


def _json(item) -> dict:
    return json.loads(gzip.decompress(item[1]))


def test_a_build_past_the_deadline_answers_its_snapshot_and_goes_on():
    cache, steps = document_cache.DocumentCache(), Steps(3)
    progressive = steps.progressive()
    steps.release()
    first = cache.get(("runs",), progressive, wait_s=SHORT_S)
    assert _json(first) == {"done": [0], "pending": 2}
    assert cache.get(("runs",), progressive, wait_s=SHORT_S) == first  # nothing new: the same tag
    steps.release()
    wait_for(lambda: _json(cache.get(("runs",), progressive, wait_s=SHORT_S))["done"] == [0, 1], "a row more")
    second = cache.get(("runs",), progressive, wait_s=SHORT_S)
    assert second[0] != first[0] and cache.nbytes == 0  # a newer snapshot, and snapshots are never cached
    steps.release()
    done = cache.get(("runs",), progressive, wait_s=WAIT_S)
    assert _json(done) == {"done": [0, 1, 2], "pending": 0} and done[0] == document_cache.entity_tag(("runs",))
    assert cache.get(("runs",), lambda: pytest.fail("built again"), wait_s=SHORT_S) == done  # cached


def test_a_build_that_ends_in_time_answers_whole():
    cache, steps = document_cache.DocumentCache(), Steps(2)
    steps.release(2)
    assert _json(cache.get(("runs",), steps.progressive(), wait_s=WAIT_S)) == {"done": [0, 1], "pending": 0}


def test_past_the_deadline_a_build_with_nothing_to_show_is_waited_for():
    cache, steps = document_cache.DocumentCache(), Steps(2)
    timer = threading.Timer(0.3, steps.release)
    timer.start()
    began = time.monotonic()
    answer = cache.get(("runs",), steps.progressive(), wait_s=0.0)
    assert _json(answer) == {"done": [0], "pending": 1} and time.monotonic() - began >= 0.25
    steps.release()


def test_a_slot_s_build_under_way_answers_without_its_key():
    cache, steps = document_cache.DocumentCache(), Steps(2)
    assert cache.under_way(("slot",), SHORT_S) is None  # nothing under way: the caller lists and asks `get`
    steps.release()
    snapshot = cache.get(("runs", "v1"), steps.progressive(), ("slot",), wait_s=SHORT_S)
    assert cache.under_way(("slot",), SHORT_S) == snapshot and cache.under_way(("other",), SHORT_S) is None
    steps.release()
    done = cache.under_way(("slot",), WAIT_S)
    assert _json(done)["pending"] == 0 and cache.under_way(("slot",), SHORT_S) is None  # done: cached, not under way


def test_without_a_deadline_the_caller_builds_and_others_see_its_snapshots():
    cache, steps = document_cache.DocumentCache(), Steps(2)
    progressive, answers = steps.progressive(), []
    builder = threading.Thread(target=lambda: answers.append(cache.get(("runs",), progressive)))
    builder.start()  # as the background preparation builds: in its own thread, to the end
    steps.release()
    wait_for(lambda: cache.get(("runs",), progressive, wait_s=SHORT_S) is not None, "a snapshot")
    assert _json(cache.get(("runs",), progressive, wait_s=SHORT_S)) == {"done": [0], "pending": 1}
    assert builder.is_alive()
    steps.release()
    builder.join(WAIT_S)
    assert _json(answers[0]) == {"done": [0, 1], "pending": 0}


def test_a_build_failing_after_its_snapshot_fails_the_next_request_and_is_tried_again():
    cache, steps = document_cache.DocumentCache(), Steps(1)
    progressive = steps.progressive(fail=True)
    steps.release()
    assert _json(cache.get(("runs",), progressive, wait_s=SHORT_S))["pending"] == 0  # the snapshot of all
    steps.release()
    with pytest.raises(ValueError, match="failed at its end"):
        cache.get(("runs",), progressive, wait_s=WAIT_S)
    retried = Steps(1)
    retried.release()
    assert _json(cache.get(("runs",), retried.progressive(), wait_s=WAIT_S))["done"] == [0]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("first_answer")
    epochs = np.arange(15)
    for index, name in enumerate(RUNS):
        logwriters.write_keras_layout(
            logdir,
            name,
            train={"epoch_loss": list(np.exp(-epochs / (2 + index))), "epoch_accuracy": list(1 - np.exp(-epochs))},
            validation={"epoch_loss": list(0.4 + 0.004 * (epochs - 3 - index) ** 2)},
        )
    return logdir


@pytest.fixture(scope="module")
def whole(sweep):
    """The complete `/runs` document of `sweep`, built before any hold."""
    from conftest import PluginClient

    return PluginClient(sweep).get("runs")[1]


@pytest.fixture
def held(monkeypatch):
    """Holds back the analysis of run `RUNS[HELD]` until the returned event is set."""
    release, run_row = threading.Event(), run_documents.run_row

    def row(cache, run, scalars, params):
        if run.name == RUNS[HELD]:
            assert release.wait(WAIT_S)
        return run_row(cache, run, scalars, params)

    monkeypatch.setattr(run_documents, "run_row", row)
    monkeypatch.setattr(plugin_lib, "FIRST_ANSWER_S", 0.2)
    yield release
    release.set()


def test_runs_answers_the_rows_analysed_then_every_other_run_analysing(sweep, whole, plugin_client, held, monkeypatch):
    client = plugin_client(sweep)
    response = client.raw(f"{PLUGIN_PREFIX}/runs")
    assert response.status_code == 200
    first = json.loads(response.data)
    assert first["pending"] == len(RUNS) - HELD and [row["run"] for row in first["runs"]] == list(RUNS)
    assert first["runs"][:HELD] == whole["runs"][:HELD]  # the rows analysed are final
    for row, final in zip(first["runs"][HELD:], whole["runs"][HELD:]):
        names = ("run", "sources", "scalar_tags", "metrics", "hparams", "warnings")
        assert row["status"] == "analysing" and row["best"] is None and row["num_steps"] == 0
        assert {name: row[name] for name in names} == {name: final[name] for name in names}
    tag = response.headers["ETag"]
    with monkeypatch.context() as patched:  # asked again while the build is under way: its answer, nothing listed
        patched.setattr(client.plugin._reader, "runs_inputs", lambda *args: pytest.fail("listed the data again"))
        again = client.client.get(f"{PLUGIN_PREFIX}/runs", headers={"If-None-Match": tag})
    assert again.status_code == 304  # still held: the same snapshot
    held.set()
    wait_for(lambda: client.get("runs")[1]["pending"] == 0, "the build to end")
    status, complete = client.get("runs")
    assert status == 200 and complete == whole
    meta = client.get("meta")[1]
    assert meta["snapshot_poll_ms"] > 0 and "analysing" in [entry["status"] for entry in meta["statuses"]]


def test_the_cli_and_other_routes_never_see_a_snapshot(sweep, plugin_client, held, capsys):
    from tb_overfit_plugin.cli import command

    client = plugin_client(sweep)
    assert client.get("runs")[1]["pending"] > 0
    threading.Timer(0.5, held.set).start()
    effects = client.get("hparams_effects")  # built from the whole document, however long it takes
    assert effects[0] == 200
    assert command.main([str(sweep), "--json"]) in (0, 1)
    rows = json.loads(capsys.readouterr().out)["runs"]
    assert len(rows) == len(RUNS) and "analysing" not in {row["status"] for row in rows}
