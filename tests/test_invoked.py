"""The command line builds only the command it runs (__main__.invoked), and behaves as the whole app does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer.main

from hmic_compile.__main__ import invoked
from hmic_compile.cli import app

from .conftest import REPO, run_noting_modules


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


# What a run imports of pydantic's plugin loader: nothing of importlib.metadata while plugins are off (__main__.no_plugin_search).
_PLUGINS = (
    "import sys\n"
    "from hmic_compile.__main__ import no_plugin_search\n"
    "no_plugin_search()\n"
    "import pydantic\n"
    "class M(pydantic.BaseModel):\n"
    "    a: str\n"
    "print(M(a='x').a, 'importlib.metadata' in sys.modules)\n"
    "from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP\n"  # anything else of the loader: the real one's
    "print(PYDANTIC_ENTRY_POINT_GROUP, 'importlib.metadata' in sys.modules, sys.modules['pydantic.plugin._loader'].__file__ is not None)\n"
)


@pytest.mark.parametrize(("setting", "searched"), [("__all__", False), ("", True), ("some_plugin", True)], ids=["off", "unset", "one-off"])
def test_pydantic_looks_for_plugins_only_when_some_may_load(setting: str, searched: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if setting:
        env["PYDANTIC_DISABLE_PLUGINS"] = setting
    out = subprocess.run([sys.executable, "-c", _PLUGINS], capture_output=True, text=True, cwd=REPO, env=env, check=True).stdout
    first, second = out.splitlines()
    assert first == f"x {searched}"  # the model is built either way
    assert second == "pydantic True True"  # and the real loader is there for whatever else asks for it


def test_a_command_line_run_imports_no_package_metadata() -> None:
    code, _, err, loaded = run_noting_modules(["validate", "norfolk-2007"], ("importlib.metadata", "pydantic"), {"HMIC_CACHE_DIR": "off"})
    assert code == 0, err
    assert loaded == {"pydantic"}
