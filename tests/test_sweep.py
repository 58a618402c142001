"""Sweep analysis: hyper-parameter effects, seed groups and their mean curves, against numpy."""

import re

import numpy as np
import pytest

from tb_overfit_plugin.analysis import sweep
from tb_overfit_plugin.data import sessions


def _verdict(run, status, best, onset=None, **hparams):
    return sweep.RunVerdict(run, hparams, status, best, onset, best_value=best / 10, epochs_saved=best / 2)


def test_effects_count_and_spread_per_value():
    runs = [
        _verdict("a", "overfitting", 4, 6, units=32, opt="adam"),
        _verdict("b", "overfitting", 6, 8, units=32, opt="sgd"),
        _verdict("c", "plateau", 10, None, units=4, opt="adam"),
        _verdict("d", "improving", 12, None, units=4),
    ]
    (opt, units) = sweep.effects(runs)
    assert (opt.hparam, units.hparam) == ("opt", "units") and not units.binned
    four, thirty_two = units.levels
    assert (four.label, four.runs, four.overfitting_share) == ("4", ("c", "d"), 0.0)
    assert thirty_two.overfitting_share == 1.0
    assert thirty_two.best_epoch == sweep.Spread(4.0, float(np.median([4, 6])), 6.0, 2)
    assert thirty_two.onset_epoch.median == 7.0 and four.onset_epoch == sweep.Spread(None, None, None, 0)
    assert [level.runs for level in opt.levels] == [("a", "c"), ("b",)]  # d has no `opt`


def test_many_numeric_values_are_cut_into_quantile_bins():
    rates = np.geomspace(1e-4, 1e-1, 12)
    runs = [
        _verdict(f"r{i}", "overfitting" if i % 3 == 0 else "plateau", i + 1, lr=float(r)) for i, r in enumerate(rates)
    ]
    (effect,) = sweep.effects(runs)
    assert effect.binned and len(effect.levels) == sweep.QUANTILE_BINS
    edges = np.quantile(rates, np.linspace(0, 1, sweep.QUANTILE_BINS + 1))
    assert [level.low for level in effect.levels] == pytest.approx(edges[:-1])
    assert sum(len(level.runs) for level in effect.levels) == len(rates)
    for level in effect.levels:
        members = [i for i, r in enumerate(rates) if f"r{i}" in level.runs]
        assert level.best_epoch.median == pytest.approx(np.median([i + 1 for i in members]))
        assert level.overfitting_share == pytest.approx(np.mean([i % 3 == 0 for i in members]))


def test_group_names_by_first_capture():
    names = ["units4_seed0", "units4_seed1", "units32_seed0", "other"]
    assert sweep.group_names(names, re.compile(r"(.*)_seed\d+")) == {
        "units32": ["units32_seed0"],
        "units4": ["units4_seed0", "units4_seed1"],
    }
    assert sweep.group_names(names, re.compile(r"(x)?units")) == {}  # an unset first group groups nothing


def test_aggregate_matches_numpy_where_two_runs_have_values():
    a = (np.array([0, 1, 2, 3]), np.array([1.0, 0.8, 0.7, 0.65]))
    b = (np.array([0, 1, 2]), np.array([1.2, 0.9, np.nan]))
    c = (np.array([0, 1, 2, 3, 4]), np.array([1.1, 0.7, 0.6, 0.6, 0.55]))
    result = sweep.aggregate([a, b, c])
    assert result.steps.tolist() == [0, 1, 2, 3, 4]
    assert result.count.tolist() == [3, 3, 2, 2, 1]
    table = np.array([[1.0, 0.8, 0.7, 0.65, np.nan], [1.2, 0.9, np.nan, np.nan, np.nan], [1.1, 0.7, 0.6, 0.6, 0.55]])
    np.testing.assert_allclose(result.mean[:4], np.nanmean(table[:, :4], axis=0))
    np.testing.assert_allclose(result.std[:4], np.nanstd(table[:, :4], axis=0, ddof=1))
    assert np.isnan(result.mean[4]) and np.isnan(result.std[4])


def test_sessions_attach_by_name_then_ancestor_then_only_child():
    found = {"run-3": {"units": 32.0}, "sweep": {"opt": "adam"}, "torch/1700000000.1": {"lr": 0.1}}
    attached = sessions.attach(["run-3", "sweep/a", "torch", "lonely"], found)
    assert attached == {"run-3": {"units": 32.0}, "sweep/a": {"opt": "adam"}, "torch": {"lr": 0.1}, "lonely": {}}
