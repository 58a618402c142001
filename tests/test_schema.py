"""The served documents and the HTTP API table of docs/api.md have exactly the fields `schema` declares."""

import pathlib
import re

import logwriters
import numpy as np
import pytest

from tb_overfit_plugin.documents import schema

API_PAGE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "api.md"
QUERIES = {
    "runs": {},
    "curves": {"run": "keras"},
    "weights": {"run": "keras"},
    "weights_summary": {},
    "hparams_effects": {},
    "groups": {"regex": "(ker)as"},
    "stopping": {"run": "keras"},
    "meta": {},
}
ROW_SPLIT = "each run:"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from conftest import PluginClient

    logdir = tmp_path_factory.mktemp("schema")
    rng = np.random.default_rng(0)
    logwriters.write_keras_layout(
        logdir,
        "keras",
        train={"epoch_loss": list(np.linspace(1.0, 0.2, 8)), "epoch_learning_rate": [0.01] * 4 + [0.001] * 4},
        validation={"epoch_loss": [0.9, 0.7, 0.6, 0.55, 0.6, 0.7, 0.8, 0.9]},
        histograms={"keras_model/dense_1/kernel/histogram": [rng.normal(size=64) for _ in range(8)]},
    )
    return PluginClient(logdir)


def _document(client, route):
    status, body = client.get(route, **QUERIES[route])
    assert status == 200, body
    return body


def test_every_route_has_a_declared_document():
    assert set(schema.DOCUMENTS) == set(QUERIES)


@pytest.mark.parametrize("route", sorted(QUERIES))
def test_served_document_has_exactly_the_declared_fields(client, route):
    assert list(_document(client, route)) == list(schema.names(schema.DOCUMENTS[route]))


def test_served_nested_objects_have_exactly_the_declared_fields(client):
    runs, curves = _document(client, "runs"), _document(client, "curves")
    row = runs["runs"][0]
    assert list(row) == list(schema.names(schema.RUN_ROW))
    assert list(row["monitor"]) == list(schema.names(schema.MONITOR))
    assert list(row["learning_rate"]) == list(schema.names(schema.REF))
    for split in ("train", "validation"):
        assert list(curves[split]) == list(schema.names(schema.SERIES))
    summary = _document(client, "weights_summary")["weights"]["keras"]
    assert list(summary) == list(schema.names(schema.WEIGHTS_SUMMARY_ENTRY))
    assert list(_document(client, "weights")["summary"]) == list(schema.names(schema.WEIGHTS_SUMMARY_ENTRY))
    assert list(_document(client, "groups")["groups"][0]) == list(schema.names(schema.GROUP))
    assert list(_document(client, "stopping")["rules"][0]) == list(schema.names(schema.RULE))


def _answer_cells():
    """Route -> the 'answer' cell of its row in the HTTP API table of docs/api.md."""
    cells = {}
    for line in API_PAGE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `GET (\w+)` \|.*\| (.*) \|$", line)
        if match:
            cells[match.group(1)] = match.group(2)
    return cells


@pytest.mark.parametrize("route", sorted(QUERIES))
def test_api_page_table_lists_exactly_the_declared_fields(route):
    cell = _answer_cells()[route]
    top = cell.split(ROW_SPLIT)[0] if route == "runs" else cell
    assert set(schema.documented_names(top)) == set(schema.names(schema.DOCUMENTS[route]))


def test_api_page_table_lists_exactly_the_declared_run_row():
    row = _answer_cells()["runs"].split(ROW_SPLIT)[1]
    assert set(schema.documented_names(row)) == set(schema.names(schema.RUN_ROW))
