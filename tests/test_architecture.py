"""The package's shape holds: layers import only downward, derive does no I/O, modules and commands stay small."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE = REPO / "src" / "hmic_compile"
MAX_MODULE_LINES = 400  # past this, split by responsibility (docs/architecture.md)
MAX_COMMAND_LINES = 30  # a command's body, its docstring aside: parse, call the library once, print


def test_layer_contracts_are_kept() -> None:
    """import-linter's contracts in pyproject.toml: cli -> console -> ... -> inputs -> diagnostics -> interrupts."""
    lint = Path(sys.executable).parent / "lint-imports"
    if not lint.exists():
        pytest.fail("lint-imports is missing: install the test extra (pip install -e '.[test]')")
    out = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "2 kept, 0 broken" in out.stdout


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_module_is_small_and_says_what_it_holds(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{lines} lines: split it by responsibility"
    doc = ast.get_docstring(ast.parse(text))
    assert doc, "a module docstring saying the module's job"


def _commands() -> list[ast.FunctionDef]:
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "command" for d in node.decorator_list
        ):
            out.append(node)
    return out


def test_every_command_is_found() -> None:
    names = {f.name for f in _commands()}
    assert {"validate", "grade", "build", "schema", "new_force", "diff", "serve"} <= names


@pytest.mark.parametrize("command", _commands(), ids=lambda f: f.name)
def test_command_is_thin(command: ast.FunctionDef) -> None:
    body = command.body[1:] if ast.get_docstring(command) else command.body
    length = body[-1].end_lineno - body[0].lineno + 1  # type: ignore[operator]
    assert length <= MAX_COMMAND_LINES, f"{length} lines: move the work into the library"
