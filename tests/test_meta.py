"""`GET /meta`: the vocabulary the tab renders, equal to what the analysis and the parsers use."""

import dataclasses
import json
import math
import pathlib

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.analysis import divergence, wording
from tb_overfit_plugin.analysis import status as status_rule
from tb_overfit_plugin.documents import params
from tb_overfit_plugin.documents.runs import verdict
from tb_overfit_plugin.documents.weights import health as weight_health

EPOCHS = 6


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from conftest import PluginClient

    logdir = tmp_path_factory.mktemp("meta")
    rng = np.random.default_rng(0)
    falling = list(np.linspace(1.0, 0.3, EPOCHS))
    logwriters.write_keras_layout(
        logdir,
        "keras",
        train={"epoch_loss": falling},
        validation={"epoch_loss": falling[::-1]},
        histograms={
            "keras_model/dense/kernel/histogram": [rng.normal(size=32) for _ in range(EPOCHS)],
            "keras_model/dense/bias/histogram": [np.zeros(4) for _ in range(EPOCHS)],
        },
    )
    logwriters.write_single_run(logdir, "pytorch", {"Loss/train": falling, "Loss/test": falling})
    for seed in (1, 2):
        logwriters.write_keras_layout(
            logdir, f"k_seed{seed}", train={"epoch_loss": falling}, validation={"epoch_loss": falling}
        )
    return PluginClient(logdir)


@pytest.fixture(scope="module")
def meta(client):
    status, body = client.get("meta")
    assert status == 200, body
    return body


def test_statuses_are_exactly_the_served_ones_each_with_a_rank_label_and_hint(meta):
    statuses = meta["statuses"]
    # the curves' statuses, the weights' one and that of a snapshot's rows not analysed yet
    every = verdict.STATUSES + (weight_health.BROKEN_WEIGHTS, verdict.ANALYSING)
    assert sorted(s["status"] for s in statuses) == sorted(every)
    assert [s["rank"] for s in statuses] == list(range(len(every)))
    assert all(s["label"] and s["hint"] for s in statuses)
    hints = {s["status"]: s["hint"] for s in statuses}
    assert f"{status_rule.LEARNING_FRACTION:.0%}" in hints["not_learning"] and "Both curves" in hints["not_learning"]
    assert f"{status_rule.MIN_POINTS}" in hints["too_short"]
    assert f"{divergence.EXPLOSION_FACTOR:g}x" in hints["diverged"]
    ranks = {s["status"]: s["rank"] for s in statuses}
    assert ranks["diverged"] < ranks["broken_weights"] < ranks["overfitting"]
    assert {s["status"]: s["label"] for s in statuses}["broken_weights"] == "Broken weights"


def test_number_format_and_default_sort(meta):
    """The one number rule (the tab's formatValue is checked on these examples in frontend/tests/words.test.mjs)."""
    rule = meta["number_format"]
    assert rule["significant_digits"] == wording.SIGNIFICANT_DIGITS
    texts = dict((value, text) for value, text in rule["examples"])
    assert texts[0.00067234] == "6.723e-4" and texts[0.0013294] == "0.001329" and texts[1234.5] == "1235"
    assert texts[2.5e7] == "2.5e7" and texts[12345.0] == "12350" and texts[0.0] == "0"
    assert meta["default_sort"] == {"key": "status", "dir": "asc"}


def test_flags_and_severities_are_the_weight_analysis_ones(meta):
    assert {f["flag"]: f["severity"] for f in meta["flags"]} == weight_health.FLAG_SEVERITIES
    assert all(f["hint"] and f["label"] for f in meta["flags"])
    assert [s["severity"] for s in sorted(meta["severities"], key=lambda s: s["rank"])] == list(
        weight_health.SEVERITIES
    )
    bands = {b["band"]: b for b in meta["std_ratio_bands"]}
    assert bands["bad"]["at_least"] == weight_health.Thresholds().explode_factor
    assert bands["bad"]["at_most"] == weight_health.Thresholds().collapse_factor


def test_params_are_the_curve_parameters_with_the_parsers_defaults(meta):
    named = ("metric", "mode") + tuple(spec["name"] for spec in meta["reading"]["params"])
    numeric = [f.name for f in dataclasses.fields(params.CurveParams) if f.name not in named]
    assert [p["name"] for p in meta["params"] + meta["reduce_lr_params"]] == numeric
    parsed = params.parse_curve_params({})
    assert {p["name"]: p["default"] for p in meta["params"] + meta["reduce_lr_params"]} == {
        name: getattr(parsed, name) for name in numeric
    }
    by_name = {p["name"]: p for p in meta["params"]}
    assert by_name["patience"]["integer"] and not by_name["smoothing"]["integer"]
    assert (by_name["smoothing"]["min"], by_name["smoothing"]["max"], by_name["smoothing"]["max_inclusive"]) == (
        0,
        1,
        False,
    )
    assert by_name["min_delta"]["max"] is None  # unbounded


def test_thresholds_are_the_weight_parameters_with_the_parsers_defaults(meta):
    parsed = params.parse_dataclass_floats(weight_health.Thresholds, {})
    assert {p["name"]: p["default"] for p in meta["thresholds"]} == dataclasses.asdict(parsed)
    assert all(p["min"] == 0 and p["max"] is None and p["help"] for p in meta["thresholds"])


def _inside_and_outside(spec):
    """(values the spec accepts, values it rejects), as query strings."""
    high = spec["max"]
    ok = [str(spec["min"]), str(spec["default"])] + ([str(high)] if high is not None and spec["max_inclusive"] else [])
    bad = [str(spec["min"] - 1)] + ([str(high)] if high is not None and not spec["max_inclusive"] else [])
    bad += [str(high * 2)] if high is not None else []
    if spec["integer"]:
        bad.append("0.5")
    return ok, bad


@pytest.mark.parametrize("route, key, query", [("runs", "params", {}), ("weights", "thresholds", {"run": "keras"})])
def test_the_routes_accept_exactly_the_served_ranges(client, meta, route, key, query):
    for spec in meta[key]:
        ok, bad = _inside_and_outside(spec)
        for value in ok:
            status, body = client.get(route, **query, **{spec["name"]: value})
            assert status == 200, (spec["name"], value, body)
        for value in bad:
            status, body = client.get(route, **query, **{spec["name"]: value})
            assert status == 400 and f"'{spec['name']}'" in body["error"], (spec["name"], value, body)


def test_meta_is_tagged_and_revalidates(client):
    first = client.raw("/data/plugin/overfit/meta")
    tag = first.headers["ETag"]
    again = client.client.get("/data/plugin/overfit/meta", headers={"If-None-Match": tag})
    assert again.status_code == 304


def test_curves_series_carry_epochs_when_epoch_based(client):
    status, body = client.get("curves", run="keras")
    assert status == 200 and body["epoch_based"]
    for split in ("train", "validation"):
        assert body[split]["epochs"] == [step + 1 for step in body[split]["steps"]]
    status, body = client.get("curves", run="pytorch")
    assert status == 200 and not body["epoch_based"]
    assert body["train"]["epochs"] is None and body["validation"]["epochs"] is None


def test_every_tensor_has_a_std_ratio_null_when_undefined(client):
    status, body = client.get("weights", run="keras")
    assert status == 200, body
    tensors = {t["tensor"]: t for layer in body["layers"] for t in layer["tensors"]}
    assert all("std_ratio" in t["trends"] for t in tensors.values())
    assert tensors["bias"]["trends"]["std_ratio"] is None  # std 0 at the first step
    kernel = tensors["kernel"]
    assert math.isclose(
        kernel["trends"]["std_ratio"], kernel["stats"]["std"][-1] / kernel["stats"]["std"][0], rel_tol=1e-9
    )


def test_the_frontend_tests_use_the_served_vocabulary(meta):
    """frontend/tests/meta.fixture.json is what the node tests feed the tab: it must be the real /meta."""
    fixture = pathlib.Path(__file__).resolve().parent.parent / "frontend" / "tests" / "meta.fixture.json"
    assert json.loads(fixture.read_text(encoding="utf-8")) == meta, (
        "regenerate it: python -c 'import json; from tb_overfit_plugin.documents import vocabulary; "
        "print(json.dumps(vocabulary.meta_document(), indent=1, ensure_ascii=False))' "
        "> frontend/tests/meta.fixture.json"
    )


def test_group_mean_curves_carry_epochs_when_epoch_based(client):
    status, body = client.get("groups", regex=r"(k)_seed\d+")
    assert status == 200, body
    (group,) = body["groups"]
    assert group["validation"]["epochs"] == [step + 1 for step in group["validation"]["steps"]]
    status, body = client.get("groups", regex=r"(pytorch)")
    assert all(g["validation"] is None or g["validation"]["epochs"] is None for g in body["groups"])
