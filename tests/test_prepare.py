"""The default view prepared ahead of requests (`--overfit_prepare`, issue 19): the tab's first `/runs` and
`/weights_summary` find their answers made, identical to those built on request; the work takes turns with
requests, stops when the tab is unused, and never reaches a request."""

from __future__ import annotations

import argparse
import json
import threading
import time

import logwriters
import numpy as np
import pytest
from conftest import fail_once, wait_for

from tb_overfit_plugin import loader
from tb_overfit_plugin.data import background
from tb_overfit_plugin.documents import document_cache
from tb_overfit_plugin.documents.runs import documents as run_documents
from tb_overfit_plugin.documents.weights import documents as weight_documents
from tb_overfit_plugin.documents.weights import health as weight_health

RUNS = ("adam", "sgd", "wide")
WAIT_S = 60.0


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("prepared")
    rng = np.random.default_rng(0)
    for index, name in enumerate(RUNS):
        epochs = np.arange(12)
        logwriters.write_keras_layout(
            logdir,
            name,
            train={"epoch_loss": list(np.exp(-epochs / (3 + index)))},
            validation={"epoch_loss": list(0.5 + 0.01 * (epochs - 4 - index) ** 2)},
            histograms={"model/dense/kernel/histogram": [rng.normal(0, 0.1 * (1 + index), 64) for _ in epochs]},
        )
    return logdir


def _prepared(client, times: int = 1):
    wait_for(lambda: client.plugin._background.prepared >= times, "the default view to be prepared")
    return client


def _no_analysis(monkeypatch):
    """From here on, building a `/runs` or `/weights_summary` document, a verdict or a weight summary fails the
    test."""

    def fail(*args, **kwargs):
        raise AssertionError("a request built what the background had prepared")

    monkeypatch.setattr(run_documents, "runs_document", fail)
    monkeypatch.setattr(run_documents, "verdict", fail)
    monkeypatch.setattr(weight_documents, "weights_summary_document", fail)
    monkeypatch.setattr(weight_health, "summarize_runs", fail)


def test_the_first_answers_are_prepared_identical_to_those_built_on_request(sweep, plugin_client, monkeypatch):
    unprepared = plugin_client(sweep).wait_for_integrity_scan()
    built, weights = unprepared.get("runs"), unprepared.get("weights_summary")
    client = _prepared(plugin_client(sweep, prepare=True).wait_for_integrity_scan(), times=1)
    meta = client.get("meta")[1]
    _no_analysis(monkeypatch)
    status, document = client.get("runs")
    assert (status, document) == built and [row["run"] for row in document["runs"]] == list(RUNS)
    # What the tab asks first (core/params.js defaultParams: every /meta default, written as JSON numbers).
    tab_query = {spec["name"]: json.dumps(spec["default"]) for spec in meta["params"] if spec["default"] is not None}
    assert len(tab_query) >= 4 and client.get("runs", **tab_query) == built
    assert client.get("weights_summary") == weights and weights[1]["weights"]["wide"]["layers"] == 1
    # Another view is not prepared: it is built on request (here, where building fails, a 500).
    assert client.raw("/data/plugin/overfit/runs?patience=3").status_code == 500


def test_without_the_flag_nothing_is_prepared(sweep, plugin_client):
    client = plugin_client(sweep).wait_for_integrity_scan()
    time.sleep(0.2)
    assert client.plugin._background.prepared == 0
    assert len(client.plugin._analyses.curve_memo(True)) == 0


def test_a_request_while_the_view_is_prepared_waits_for_that_build_and_never_builds_it_again(
    sweep, plugin_client, monkeypatch
):
    builds, building, release = [], threading.Event(), threading.Event()
    runs_document = run_documents.runs_document

    def held(*args, **kwargs):
        builds.append(threading.current_thread().name)
        building.set()
        assert release.wait(WAIT_S), "the test never released the build"
        return runs_document(*args, **kwargs)

    monkeypatch.setattr(run_documents, "runs_document", held)
    client = plugin_client(sweep, prepare=True)
    assert building.wait(WAIT_S)
    answer = []
    request = threading.Thread(target=lambda: answer.append(client.get("runs")))
    request.start()
    time.sleep(0.3)
    assert not answer  # the request waits for the build under way
    release.set()
    request.join(WAIT_S)
    assert answer[0][0] == 200 and len(answer[0][1]["runs"]) == len(RUNS)
    assert builds == ["tb-overfit background"]  # built once, by the background thread


def test_the_preparation_waits_while_a_request_is_served(sweep, plugin_client, monkeypatch):
    monkeypatch.setattr(background, "YIELD_MAX_SECONDS", WAIT_S)
    client = plugin_client(sweep)
    work = client.plugin._background
    prepared = threading.Event()
    waiting = threading.Thread(target=lambda: (work._wait_for_requests(), prepared.set()))
    with work.serving():
        waiting.start()
        assert not prepared.wait(0.3)  # held while the request is served
    assert prepared.wait(WAIT_S)  # and let go as it ends
    waiting.join()


def test_an_unused_tab_is_not_prepared_until_asked_again(sweep, plugin_client, monkeypatch):
    monkeypatch.setattr(background, "RESCAN_SECONDS", 0.02)
    monkeypatch.setattr(background, "IN_USE_SECONDS", 0.3)
    client = _prepared(plugin_client(sweep, prepare=True))
    work = client.plugin._background
    wait_for(lambda: not work.in_use(), "the tab to be unused")
    time.sleep(0.1)  # a round under way when the tab became unused ends
    idle = work.prepared
    time.sleep(0.3)
    assert work.prepared == idle  # nothing prepared while unused
    assert client.get("runs")[0] == 200  # asked: in use again
    _prepared(client, idle + 1)


def test_preparing_takes_at_most_its_share_of_a_core(sweep, plugin_client, monkeypatch):
    monkeypatch.setattr(background, "RESCAN_SECONDS", 0.01)
    monkeypatch.setattr(background, "PREPARE_MAX_SHARE", 0.25)
    runs_document, busy = run_documents.runs_document, []

    def slow(*args, **kwargs):  # every round builds (a new experiment id each time) and takes 0.1 s
        busy.append(time.monotonic())
        time.sleep(0.1)
        return runs_document(*args, **kwargs)

    monkeypatch.setattr(run_documents, "runs_document", slow)
    client = plugin_client(sweep, prepare=True)
    fresh = lambda *args, **kwargs: document_cache.DocumentCache().get(*args, **kwargs)  # noqa: E731
    monkeypatch.setattr(client.plugin._documents, "get", fresh)  # nothing cached
    wait_for(lambda: len(busy) >= 4, "four preparations")
    gaps = [later - earlier for earlier, later in zip(busy, busy[1:])]
    assert min(gaps) >= 0.1 / 0.25 - 0.02, gaps  # 0.1 s of work, then 0.3 s idle: a quarter of a core


def test_a_failing_preparation_is_logged_and_tried_again(sweep, plugin_client, monkeypatch, caplog):
    monkeypatch.setattr(background, "RESCAN_SECONDS", 0.02)
    fail_once(monkeypatch, run_documents, "runs_document", "a bug in the preparation")
    client = _prepared(plugin_client(sweep, prepare=True))
    assert "preparation of the default view failed" in caplog.text and "a bug in the preparation" in caplog.text
    status, document = client.get("runs")
    assert status == 200 and len(document["runs"]) == len(RUNS)


def test_tensorboard_defines_the_flag_true_by_default_and_accepts_false(sweep):
    parser = argparse.ArgumentParser()
    loader.OverfitLoader().define_flags(parser)
    assert parser.parse_args([]).overfit_prepare == "true"
    assert parser.parse_args(["--overfit_prepare=false"]).overfit_prepare == "false"
    with pytest.raises(SystemExit):
        parser.parse_args(["--overfit_prepare=maybe"])


def test_a_real_tensorboard_takes_the_flag_and_serves_the_same_runs(sweep, tmp_path):
    from conftest import TensorBoardProcess

    answers = []
    for flag in ("--overfit_prepare=true", "--overfit_prepare=false"):
        tensorboard = TensorBoardProcess(sweep, flag, "--load_fast=false")
        try:
            tensorboard.wait_until(
                lambda: len((tensorboard.get_json("/data/plugin/overfit/runs")[1] or {}).get("runs", [])) == len(RUNS),
                "the runs to load",
            )
            answers.append(json.dumps(tensorboard.get_json("/data/plugin/overfit/runs")[1], sort_keys=True))
        finally:
            tensorboard.stop()
    assert answers[0] == answers[1] and all(name in answers[0] for name in RUNS)


def test_a_provider_without_the_default_experiment_is_not_an_error(monkeypatch, caplog):
    from tensorboard import errors
    from tensorboard.plugins import base_plugin

    from tb_overfit_plugin.plugin import OverfitPlugin

    class NoDefaultExperiment:
        asked = 0

        def __getattr__(self, name):
            def call(ctx, *, experiment_id, **kwargs):
                NoDefaultExperiment.asked += 1
                raise errors.NotFoundError(f"no experiment {experiment_id!r}")

            return call

    monkeypatch.setattr(background, "RESCAN_SECONDS", 0.02)
    flags = argparse.Namespace(overfit_prepare="true")
    OverfitPlugin(base_plugin.TBContext(data_provider=NoDefaultExperiment(), logdir=None, flags=flags))
    wait_for(lambda: NoDefaultExperiment.asked >= 3, "a few rounds")
    assert "failed" not in caplog.text and "Traceback" not in caplog.text
