"""Shared fixtures: the plugin behind TensorBoard's real WSGI app, and a real `tensorboard` process."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest
from tensorboard.backend import application
from tensorboard.plugins import base_plugin
from werkzeug import test as werkzeug_test
from werkzeug import wrappers

from tb_overfit_plugin.data.logdir import local_data_provider
from tb_overfit_plugin.plugin import OverfitPlugin

PLUGIN_PREFIX = "/data/plugin/overfit"


class PluginClient:
    """TensorBoard's WSGI app serving only the OVERFIT plugin, driven by werkzeug's test client."""

    def __init__(self, logdir, prepare: bool = False):
        """`prepare`: as TensorBoard's `--overfit_prepare=true` (its default) makes it; without, as the flag's absence
        does (tests then see only the work their own requests cause)."""
        provider = local_data_provider(str(logdir))
        flags = argparse.Namespace(overfit_prepare="true") if prepare else None
        self.plugin = plugin = OverfitPlugin(
            base_plugin.TBContext(data_provider=provider, logdir=str(logdir), flags=flags)
        )
        self.app = application.TensorBoardWSGI([plugin], data_provider=provider)
        self.client = werkzeug_test.Client(self.app, wrappers.Response)

    def get(self, route: str, **query):
        """(status code, parsed JSON) of GET /data/plugin/overfit/<route>?query."""
        response = self.client.get(f"{PLUGIN_PREFIX}/{route}", query_string=query)
        assert response.mimetype == "application/json", response.data[:200]
        # Strict parse: the plugin must never emit bare NaN / Infinity.
        return response.status_code, json.loads(response.data, parse_constant=_reject_constant)

    def raw(self, path: str):
        return self.client.get(path)

    def wait_for_integrity_scan(self, timeout: float = 60.0):
        """Until the plugin's background integrity scan has walked the logdir once (its warnings are known)."""
        wait_for(lambda: self.plugin._background.walks > 0, "the integrity scan to finish", timeout)
        return self


def wait_for(condition, what: str, timeout: float = 60.0) -> None:
    """Polls `condition()` every 20 ms until it holds; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def fail_once(monkeypatch, owner, name: str, message: str) -> list:
    """Patches `owner.name` to raise RuntimeError(message) on its first call and behave as before after;
    returns the list of the calls' arguments."""
    real, calls = getattr(owner, name), []

    def failing_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError(message)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing_once)
    return calls


def _reject_constant(name):
    raise ValueError(f"bare {name} in JSON")


@pytest.fixture
def plugin_client():
    """`plugin_client(logdir)` -> PluginClient over that logdir."""
    return PluginClient


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TensorBoardProcess:
    """A real `tensorboard` subprocess on a free localhost port."""

    def __init__(self, logdir, *flags: str, executable=None):
        """`executable`: another `tensorboard` command (a venv of its own), else the one next to this Python."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        executable = executable or shutil.which("tensorboard", path=str(Path(sys.executable).parent))
        assert executable, "the tensorboard command must be installed next to this Python"
        self.log = open(Path(logdir).parent / f"tensorboard-{self.port}.log", "w+")
        self.process = subprocess.Popen(
            [executable, "--logdir", str(logdir), "--port", str(self.port), "--host", "127.0.0.1", *flags],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until(lambda: self.get("/data/plugins_listing")[0] == 200, "TensorBoard to start")

    def get(self, path: str):
        """(status, body bytes) of GET path."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, ConnectionError):
            return None, b""

    def get_json(self, path: str):
        status, body = self.get(path)
        return status, json.loads(body, parse_constant=_reject_constant) if body else None

    def wait_until(self, condition, what: str, timeout: float = 90.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"tensorboard exited while waiting for {what}:\n{self.output()}")
            if condition():
                return
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-5000:]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def tensorboard_process():
    """`tensorboard_process(logdir, *flags)` -> a started TensorBoardProcess, stopped after the test."""
    started = []

    def start(logdir, *flags):
        process = TensorBoardProcess(logdir, *flags)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="session")
def demo_logdir(tmp_path_factory):
    """The demo's real Keras logs (overfit, regularized, broken), written once per session."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demo"))
    from write_logs import write_demo_logs

    logdir = tmp_path_factory.mktemp("demo") / "logs"
    write_demo_logs(logdir)
    return logdir


@pytest.fixture(scope="session")
def failed_logdir(tmp_path_factory):
    """The failed Keras fits of `failed_fits` (`failed_fits.RUNS`), written once per session."""
    from failed_fits import write_failed_fits

    logdir = tmp_path_factory.mktemp("failed") / "logs"
    write_failed_fits(logdir)
    return logdir


@pytest.fixture(scope="session")
def demo_full_logdir(demo_logdir, tmp_path_factory):
    """What `make run` writes: `demo_logdir`'s three runs (copied) and demo/sweep_logs.py's 19, trained once
    per session."""
    from sweep_logs import write_sweep_logs
    from write_logs import make_dataset

    logdir = tmp_path_factory.mktemp("demo_full") / "logs"
    shutil.copytree(demo_logdir, logdir)
    write_sweep_logs(logdir, make_dataset())
    return logdir
