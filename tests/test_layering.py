"""The analysis layer stays pure: nothing under `tb_overfit_plugin/analysis/` imports
TensorBoard, werkzeug, json or a plugin module outside `analysis/` (docs/development.md's
layout), checked on the installed package's source with `ast`."""

import ast
import pathlib

import tb_overfit_plugin.analysis as analysis_pkg

FORBIDDEN_ROOTS = ("tensorboard", "werkzeug", "json", "grpc", "tensorflow")
ANALYSIS = "tb_overfit_plugin.analysis"


def _imported_modules(path: pathlib.Path):
    """Every module an `import` or `from ... import` in `path` names, absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the package by construction
                yield node.lineno, f"{ANALYSIS}.{node.module or ''}"
            else:
                yield node.lineno, node.module


def _violations():
    root = pathlib.Path(analysis_pkg.__file__).parent
    found = []
    for path in sorted(root.glob("*.py")):
        for line, module in _imported_modules(path):
            top = module.split(".")[0]
            outside_layer = module.startswith("tb_overfit_plugin") and not module.startswith(ANALYSIS)
            if top in FORBIDDEN_ROOTS or outside_layer:
                found.append(f"{path.name}:{line} imports {module}")
    return root, found


def test_analysis_layer_imports_only_numpy_and_the_standard_library():
    root, found = _violations()
    assert len(list(root.glob("*.py"))) >= 5, "the analysis package was not found where it is installed"
    assert found == []


def test_the_check_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The checker itself flags each kind of forbidden import (so the test above can fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import json\nfrom tensorboard.data import provider\nfrom tb_overfit_plugin import verdicts\n"
                   "from tb_overfit_plugin.analysis import series\nimport numpy as np\n")
    names = [module for _, module in _imported_modules(bad)]
    assert names == ["json", "tensorboard.data", "tb_overfit_plugin", "tb_overfit_plugin.analysis", "numpy"]
    monkeypatch.setattr(analysis_pkg, "__file__", str(tmp_path / "__init__.py"))
    _, found = _violations()
    assert found == ["bad.py:1 imports json", "bad.py:2 imports tensorboard.data", "bad.py:3 imports tb_overfit_plugin"]


KERAS_ROOTS = ("keras", "tensorflow", "tf_keras")
KERAS_MODULE = "keras_callback.py"


def test_only_the_keras_callback_imports_keras_and_nothing_imports_it():
    """The plugin and the CLI stay free of TensorFlow: Keras is imported by `keras_callback.py` alone,
    which no other module of the package imports (users import it themselves)."""
    root = pathlib.Path(analysis_pkg.__file__).parent.parent
    modules = sorted(root.rglob("*.py"))
    assert (root / KERAS_MODULE) in modules
    found = []
    for path in modules:
        for line, module in _imported_modules(path):
            keras_import = module.split(".")[0] in KERAS_ROOTS and path.name != KERAS_MODULE
            if keras_import or module.endswith("keras_callback"):
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    assert found == []
    assert any(module == "keras" for _, module in _imported_modules(root / KERAS_MODULE))
