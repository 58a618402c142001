"""Regular expressions from users run in linear time (RE2), and every request bound is enforced.

Python's `re` backtracks for ever on the hostile patterns below against a
60-character name (and holds the GIL meanwhile); the plugin compiles every
user pattern with RE2 (`user_regex`). The timeouts here are hang detectors
(seconds), not speed goals: `benchmarks/bench.py` prints the latencies.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.parse

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.analysis import sweep
from tb_overfit_plugin.cli import command as cli
from tb_overfit_plugin.documents import params, user_regex

LONG_NAMES = [f"experiment_with_a_rather_long_descriptive_name_lr0001_seed{i}" for i in (1, 2)]
HOSTILE = [r"((\w+)*)*!", r"(a+)+$", r"(a|aa)+$", r"(.*a){20}", r"(x+x+)+y", r"((e|ex)*)*!"]
# Patterns users write today, and names with `=`, `.`, unicode: RE2 gives what Python's `re` gave.
VALID = [
    r"(.*)_seed\d+",
    r"(units=\d+)",
    r"^(.+?)\.v\d",
    r"(\w+)_seed\d",
    r"([\w.=]+)_s\d",
    r"(?i)(MODÈLE)_",
    r"(\d+)",
    r"(\s\w+)",
    r"(\W)",
    r"(\D+)\d$",
    r"([\D]+)",
    r"([^\D]+)",
    r"(a|b)+(.*)",
    r"(.*)\Z",
    r"(?P<g>[a-z]+)\d",
]
NAMES = [
    "units=64_dropout=0.2_seed0",
    "units=64_dropout=0.2_seed1",
    "modèle_a_seed1",
    "Modèle_b_seed2",
    "résumé.v2_s3",
    "run ١٢٣",
    "日本語_seed4",
    "x y\u00a0z9",
    "plain",
    "",
]


def _write_runs(logdir, names):
    curve = list(np.linspace(1.0, 0.5, 6))
    for name in names:
        logwriters.write_keras_layout(logdir, name, train={"epoch_loss": curve}, validation={"epoch_loss": curve})


@pytest.mark.parametrize("pattern", VALID)
def test_same_groups_as_python_re(pattern):
    expected = sweep.group_names(NAMES, re.compile(pattern))
    assert sweep.group_names(NAMES, user_regex.compile_pattern("regex", pattern, groups=1)) == expected


@pytest.mark.parametrize("pattern", HOSTILE)
def test_hostile_patterns_finish_on_long_names(pattern):
    compiled = user_regex.compile_pattern("regex", pattern)
    started = time.perf_counter()
    for name in LONG_NAMES * 100:
        compiled.search(name + "a" * 200)
    assert time.perf_counter() - started < 5.0  # Python's re takes minutes to forever on one of them


@pytest.mark.parametrize(
    "pattern, construct",
    [
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "named backreference"),
        (r"(?=a)(a)", "lookahead"),
        (r"(?!a)(.)", "negative lookahead"),
        (r"(?<=a)(b)", "lookbehind"),
        (r"(?<!a)(b)", "negative lookbehind"),
        (r"(?>a+)(b)", "atomic group"),
        (r"(a++)", "possessive"),
        (r"(", "invalid regular expression"),
        (r"(a{1001})", "invalid regular expression"),
        (r"([^\W\d]+)", "inside [...] is not supported"),
        (r"([\S]+)", "inside [...] is not supported"),
    ],
)
def test_unsupported_constructs_are_named(pattern, construct):
    with pytest.raises(params.ParamError) as raised:
        user_regex.compile_pattern("regex", pattern)
    assert construct in str(raised.value) and raised.value.name == "regex"


def test_pattern_length_limit():
    at_limit = "(" + "a" * (params.MAX_PATTERN_CHARS - 2) + ")"
    assert user_regex.compile_pattern("regex", at_limit).groups == 1
    with pytest.raises(params.ParamError, match=f"at most {params.MAX_PATTERN_CHARS} characters"):
        user_regex.compile_pattern("regex", at_limit + "b")


def test_groups_route_refuses_and_bounds(tmp_path, plugin_client):
    _write_runs(tmp_path, LONG_NAMES)
    client = plugin_client(tmp_path)
    for pattern in HOSTILE:
        assert client.get("groups", regex=pattern)[0] == 200
    status, body = client.get("groups", regex=r"(a)\1")
    assert status == 400 and "backreference" in body["error"]
    status, body = client.get("groups", regex="(" + "a" * params.MAX_PATTERN_CHARS + ")")
    assert status == 400 and f"at most {params.MAX_PATTERN_CHARS}" in body["error"]
    status, body = client.get("groups", regex=r"(.*)_seed\d+")
    assert status == 200 and [g["runs"] for g in body["groups"]] == [LONG_NAMES]


def test_every_request_bound_at_its_limit(tmp_path, plugin_client):
    _write_runs(tmp_path, ["run"])
    client = plugin_client(tmp_path)
    status, body = client.get("curves", run="r" * params.MAX_NAME_CHARS)
    assert status == 404
    status, body = client.get("curves", run="r" * (params.MAX_NAME_CHARS + 1))
    assert status == 400 and f"at most {params.MAX_NAME_CHARS}" in body["error"]
    status, body = client.get("runs", metric="m" * (params.MAX_NAME_CHARS + 1))
    assert status == 400 and "'metric'" in body["error"]
    status, body = client.get("stopping", run="run", patience=params.MAX_PATIENCE)
    assert status == 200 and body["rules"]
    status, body = client.get("runs", patience=params.MAX_PATIENCE + 1)
    assert status == 400 and "'patience'" in body["error"]


def test_cli_run_filter_uses_the_same_rule(tmp_path, capsys):
    _write_runs(tmp_path, ["alpha_seed1", "beta_seed1"])
    assert cli.main([str(tmp_path), "--run", r"((\w+)*)*!", "--no-weights"]) in (0, 2)
    capsys.readouterr()
    assert cli.main([str(tmp_path), "--run", r"(?<=a)lpha", "--no-weights"]) == 2
    assert "--run: lookbehind" in capsys.readouterr().err
    assert cli.main([str(tmp_path), "--run", r"^alph\w", "--json"]) == 0
    assert "beta_seed1" not in capsys.readouterr().out


def test_hostile_groups_do_not_stall_a_real_tensorboard(tmp_path, tensorboard_process):
    logdir = tmp_path / "logs"
    _write_runs(logdir, LONG_NAMES)
    tensorboard = tensorboard_process(logdir)
    prefix = "/data/plugin/overfit"
    tensorboard.wait_until(
        lambda: len((tensorboard.get_json(f"{prefix}/runs")[1] or {}).get("runs", [])) == 2, "the two runs"
    )
    answers = {}

    def hostile():
        for pattern in HOSTILE:
            answers[pattern] = tensorboard.get(f"{prefix}/groups?regex={urllib.parse.quote(pattern)}")[0]

    worker = threading.Thread(target=hostile)
    worker.start()
    # Meanwhile /runs and TensorBoard's own routes keep answering.
    while worker.is_alive():
        assert tensorboard.get(f"{prefix}/runs")[0] == 200
        assert tensorboard.get("/data/runs")[0] == 200
    worker.join(timeout=60)
    assert answers == {pattern: 200 for pattern in HOSTILE}
