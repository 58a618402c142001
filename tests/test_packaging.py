"""The installed distribution declares what the package imports, bounded to the TensorBoard versions tested.

The plugin uses private parts of TensorBoard (`GrpcDataProvider._stub`,
the data server's flags and log lines, the hparams metadata module): a
TensorBoard release newer than the ones tested must not be installed under
it silently. Checked on the installed metadata (`importlib.metadata`).
"""

import ast
import importlib.metadata
import pathlib
import sys

from packaging.requirements import Requirement

import tb_overfit_plugin

DISTRIBUTION = "tb-overfit"
BOUNDED = ("tensorboard", "tensorboard-data-server")  # private APIs used: an upper bound each


# Imported only by the optional parts that need them (`api.Diagnosis.to_dataframe`, `keras_callback`):
# declared in an extra, never required.
OPTIONAL = {"pandas": "notebook", "keras": "keras"}


def _requirements(extra=None):
    """The required distributions, or with `extra` those of that extra only."""
    marker = None if extra is None else f'extra == "{extra}"'
    return {
        Requirement(text).name.lower(): Requirement(text)
        for text in importlib.metadata.requires(DISTRIBUTION)
        if ("extra ==" not in text if marker is None else marker in text)
    }


def _imported_top_levels():
    root = pathlib.Path(tb_overfit_plugin.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield from (alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                yield node.module.split(".")[0]


def test_every_third_party_import_is_declared():
    distributions = importlib.metadata.packages_distributions()
    third_party = {
        name for name in _imported_top_levels() if name not in sys.stdlib_module_names and name != "tb_overfit_plugin"
    }
    assert "grpc" in third_party  # the check sees the imports
    declared = set(_requirements())
    missing = {
        name: distributions.get(name)
        for name in third_party - set(OPTIONAL)
        if not {d.lower() for d in distributions.get(name, [name])} & declared
    }
    assert missing == {}
    for name, extra in OPTIONAL.items():
        assert name in third_party and name in _requirements(extra) and name not in declared


def test_tensorboard_is_bounded_to_the_versions_tested():
    requirements = _requirements()
    for name in BOUNDED:
        requirement = requirements[name]
        assert any(spec.operator in ("<", "<=") for spec in requirement.specifier), requirement
        assert requirement.specifier.contains(importlib.metadata.version(name)), requirement
