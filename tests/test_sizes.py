"""Modules small enough to read in one sitting, functions that fit on a screen (issue 12).

Counts lines of code: not blank, not a comment, not a docstring. The tab's
JavaScript has the same check in `frontend/tests/sizes.test.mjs`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tb_overfit_plugin

MAX_MODULE_LINES = 400
MAX_FUNCTION_CODE_LINES = 60


def _docstring_lines(node) -> set:
    body = getattr(node, "body", None)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return set(range(body[0].lineno, body[0].end_lineno + 1))
    return set()


def _code_lines(lines: list, node) -> int:
    skip = _docstring_lines(node)
    return sum(
        1
        for number in range(node.lineno, node.end_lineno + 1)
        if number not in skip and lines[number - 1].strip() and not lines[number - 1].strip().startswith("#")
    )


def _oversized(root: Path) -> list:
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        name = path.relative_to(root).as_posix()
        if len(lines) > MAX_MODULE_LINES:
            found.append(f"{name}: {len(lines)} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                count = _code_lines(lines, node)
                if count > MAX_FUNCTION_CODE_LINES:
                    found.append(f"{name}: {node.name} has {count} lines of code")
    return found


def test_no_module_or_function_is_oversized():
    root = Path(tb_overfit_plugin.__file__).parent
    assert len(list(root.rglob("*.py"))) > 20, "the package was not found where it is installed"
    assert _oversized(root) == []


def test_the_check_sees_a_long_module_and_a_long_function(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_CODE_LINES + 1))
    (tmp_path / "long_function.py").write_text(
        'def f():\n    """A docstring\n\n    over lines."""\n    # a comment\n\n' + body
    )
    at_limit = "".join(body.splitlines(keepends=True)[: MAX_FUNCTION_CODE_LINES - 1])  # + the `def` line
    (tmp_path / "at_limit.py").write_text('def g():\n    """Doc."""\n' + at_limit)
    (tmp_path / "long_module.py").write_text("\n" * MAX_MODULE_LINES + "y = 1\n")
    assert _oversized(tmp_path) == [
        f"long_function.py: f has {MAX_FUNCTION_CODE_LINES + 2} lines of code",
        f"long_module.py: {MAX_MODULE_LINES + 1} lines",
    ]
