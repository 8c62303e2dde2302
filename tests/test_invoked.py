"""The command line builds only the command it runs (__main__.invoked), and behaves as the whole app does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer.main

from hmic_compile.__main__ import invoked
from hmic_compile.cli import app

from .conftest import REPO


def _names(a: typer.Typer) -> list[str]:
    return sorted(typer.main.get_command(a).commands)  # type: ignore[attr-defined]


def test_a_named_command_is_built_alone() -> None:
    assert _names(invoked(app, ["validate", "norfolk-2007"])) == ["validate"]
    assert _names(invoked(app, ["new", "force", "x"])) == ["new"]
    assert len(app.registered_commands) > 5  # the app itself is untouched
    assert _names(app) == ["build", "diff", "grade", "lsp", "moderate", "new", "schema", "serve", "validate"]


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"], ["valdate"], ["-h", "validate"]])
def test_anything_else_gets_the_whole_app(args: list[str]) -> None:
    assert invoked(app, args) is app


def test_shell_completion_gets_the_whole_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_HMIC_COMPLETE", "complete_bash")
    assert invoked(app, ["validate"]) is app


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--help"],
        ["validate", "--nope"],
        ["new", "force", "--help"],
        ["build", "--format", "doc", "norfolk-2007"],
        ["build", "--help"],  # --format docx, --numbered, --rebuild
        ["moderate", "--help"],
    ],
    ids=["help", "bad-option", "group-help", "usage-error", "build-help", "moderate-help"],
)
def test_the_lean_app_says_what_the_whole_one_says(args: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    lean = subprocess.run([sys.executable, "-m", "hmic_compile", *args], capture_output=True, text=True, cwd=REPO, env=env)
    whole_app = "from hmic_compile.cli import app; app(prog_name='python -m hmic_compile')"
    whole = subprocess.run([sys.executable, "-c", whole_app, *args], capture_output=True, text=True, cwd=REPO, env=env)
    assert (lean.returncode, lean.stdout, lean.stderr) == (whole.returncode, whole.stdout, whole.stderr)
