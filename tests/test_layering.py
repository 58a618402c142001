"""The package's folders are its layers, and each imports only what its `__init__.py` says.

    analysis/   pure numpy: the standard library and numpy, nothing else of the package
    data/       + TensorBoard and grpc: reading TensorBoard's data
    documents/  + analysis and data: the JSON documents (no TensorBoard, no HTTP)
    cli/        + documents: the `tb-overfit` command (no HTTP, not the plugin)
    plugin.py, loader.py, api.py, keras_callback.py: the front doors at the top

Checked with `ast` on the installed package's source (docs/development.md, "Layout").
"""

import ast
import pathlib

import tb_overfit_plugin

PACKAGE = "tb_overfit_plugin"
ROOT = pathlib.Path(tb_overfit_plugin.__file__).parent
HTTP_AND_TENSORBOARD = ("tensorboard", "werkzeug", "grpc", "tensorflow")
FRONT_DOORS = tuple(f"{PACKAGE}.{name}" for name in ("plugin", "loader", "api", "keras_callback", "cli"))

# layer folder -> (package modules it may import, top-level modules it must not import)
RULES = {
    "analysis": ((f"{PACKAGE}.analysis",), HTTP_AND_TENSORBOARD + ("json",)),
    "data": ((f"{PACKAGE}.analysis", f"{PACKAGE}.data"), ("werkzeug", "tensorflow")),
    "documents": ((f"{PACKAGE}.analysis", f"{PACKAGE}.data", f"{PACKAGE}.documents"), HTTP_AND_TENSORBOARD),
    "cli": (
        (f"{PACKAGE}.analysis", f"{PACKAGE}.data", f"{PACKAGE}.documents", f"{PACKAGE}.cli"),
        ("werkzeug", "tensorflow"),
    ),
}


def _imported_modules(path: pathlib.Path):
    """(line, module) of every `import` or `from ... import` in `path`, absolute, module names included
    (`from tb_overfit_plugin import plugin` names `tb_overfit_plugin.plugin`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}:{node.lineno}: relative import (the layering check reads absolute names)"
            yield node.lineno, node.module
            if node.module == PACKAGE:
                for alias in node.names:
                    yield node.lineno, f"{PACKAGE}.{alias.name}"


def _within(module: str, prefixes) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def layer_violations(root: pathlib.Path):
    """ "file:line imports module" for every import a layer's rule forbids, over every layer under `root`."""
    found = []
    for layer, (allowed, forbidden) in RULES.items():
        for path in sorted((root / layer).rglob("*.py")):
            for line, module in _imported_modules(path):
                ours = module.startswith(PACKAGE + ".")
                if (ours and not _within(module, allowed)) or module.split(".")[0] in forbidden:
                    found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def test_every_layer_imports_only_what_it_may():
    assert sorted(path.name for path in ROOT.iterdir() if path.is_dir() and (path / "__init__.py").exists()) == [
        "analysis",
        "cli",
        "data",
        "documents",
        "frontend",
    ]
    for layer in RULES:
        assert len(list((ROOT / layer).rglob("*.py"))) >= 4, f"{layer}/ was not found where the package is installed"
    assert layer_violations(ROOT) == []


def test_each_layer_says_what_it_may_import():
    for layer in RULES:
        docstring = ast.get_docstring(ast.parse((ROOT / layer / "__init__.py").read_text(encoding="utf-8")))
        assert docstring and ("may import" in docstring.lower() or "pure numpy" in docstring.lower()), layer


def test_the_top_level_holds_only_the_front_doors():
    modules = sorted(path.stem for path in ROOT.glob("*.py"))
    assert modules == ["__init__", "__main__", "api", "keras_callback", "loader", "plugin"]


def test_the_plugin_and_the_cli_do_not_import_each_other():
    for path, other in ((ROOT / "plugin.py", f"{PACKAGE}.cli"), (ROOT / "cli", f"{PACKAGE}.plugin")):
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        assert [
            f"{f.name}:{line}" for f in files for line, module in _imported_modules(f) if _within(module, (other,))
        ] == []


def test_the_check_sees_each_kind_of_forbidden_import(tmp_path):
    """The checker flags each kind of forbidden import (so the tests above can fail)."""
    for layer in RULES:
        (tmp_path / layer).mkdir()
    (tmp_path / "analysis" / "bad.py").write_text(
        "import json\nfrom tb_overfit_plugin import plugin\nfrom tb_overfit_plugin.analysis import series\n"
    )
    (tmp_path / "data" / "bad.py").write_text(
        "from tb_overfit_plugin.documents import schema\nimport werkzeug\nfrom tensorboard.data import provider\n"
    )
    (tmp_path / "documents" / "bad.py").write_text(
        "from tensorboard import errors\nfrom tb_overfit_plugin.cli import args\n"
        "from tb_overfit_plugin.data import reading\n"
    )
    (tmp_path / "cli" / "bad.py").write_text("from tb_overfit_plugin import plugin\nimport numpy\n")
    assert layer_violations(tmp_path) == [
        "analysis/bad.py:1 imports json",
        "analysis/bad.py:2 imports tb_overfit_plugin.plugin",
        "data/bad.py:1 imports tb_overfit_plugin.documents",
        "data/bad.py:2 imports werkzeug",
        "documents/bad.py:1 imports tensorboard",
        "documents/bad.py:2 imports tb_overfit_plugin.cli",
        "cli/bad.py:1 imports tb_overfit_plugin.plugin",
    ]


KERAS_ROOTS = ("keras", "tensorflow", "tf_keras")
KERAS_MODULE = "keras_callback.py"


def test_only_the_keras_callback_imports_keras_and_nothing_imports_it():
    """The plugin and the CLI stay free of TensorFlow: Keras is imported by `keras_callback.py` alone,
    which no other module of the package imports (users import it themselves)."""
    modules = sorted(ROOT.rglob("*.py"))
    assert (ROOT / KERAS_MODULE) in modules
    found = []
    for path in modules:
        for line, module in _imported_modules(path):
            keras_import = module.split(".")[0] in KERAS_ROOTS and path.name != KERAS_MODULE
            if keras_import or (module.endswith("keras_callback") and path.name != KERAS_MODULE):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert found == []
    assert any(module == "keras" for _, module in _imported_modules(ROOT / KERAS_MODULE))
