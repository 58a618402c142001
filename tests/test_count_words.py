"""Counts read as words everywhere a weight-health count is written: "1 layer", "3 layers" (issue 19)."""

from tb_overfit_plugin.analysis import wording
from tb_overfit_plugin.documents.verdict_types import WeightHealth


def health(layers, flagged=0, flag=None):
    return WeightHealth(layers=layers, flagged_layers=flagged, worst_flag=flag, worst_severity=None, worst_message=None)


def test_one_layer_is_singular_in_the_python_objects_column():
    assert str(health(1)) == "ok (1 layer)"
    assert str(health(1, 1, "identical_values")) == "identical_values (1/1 layer)"


def test_several_layers_are_plural():
    assert str(health(3)) == "ok (3 layers)"
    assert str(health(0)) == "-"
    assert wording.plural(2, "layer") == "2 layers"
