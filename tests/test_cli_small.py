"""What people hit on day one: -h, readable help, force names completed, serve outside a project, and the
VS Code problem matcher of docs/editor.md against hmic's real output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hmic_compile.cli import app

from .conftest import REPO

runner = CliRunner()
MINI = REPO / "tests" / "fixtures" / "mini"


def _commands() -> list[list[str]]:
    group = typer.main.get_command(app)
    out: list[list[str]] = []

    def walk(g: Any, prefix: list[str]) -> None:
        for name, cmd in sorted(g.commands.items()):
            out.append([*prefix, name])
            if hasattr(cmd, "commands"):
                walk(cmd, [*prefix, name])

    walk(group, [])
    return out


COMMANDS = _commands()


def test_every_command_is_listed() -> None:
    assert {"validate", "grade", "build", "schema", "diff", "serve", "lsp"} <= {c[0] for c in COMMANDS}
    assert ["new", "force"] in COMMANDS


@pytest.mark.parametrize("command", [[], *COMMANDS], ids=lambda c: " ".join(c) or "hmic")
def test_dash_h_is_help_and_help_shows_no_python_types(command: list[str]) -> None:
    short, long = runner.invoke(app, [*command, "-h"]), runner.invoke(app, [*command, "--help"])
    assert short.exit_code == 0, short.output
    assert short.output == long.output
    assert "Usage: hmic" in short.output
    assert not re.search(r"<(list|str|int|bool|tuple|float)\b", short.output), short.output  # Python's types, not the user's words


@pytest.mark.parametrize("command", ["validate", "build"])
def test_many_forces_show_as_force_dots(command: str) -> None:
    out = runner.invoke(app, [command, "-h"]).output
    assert f"Usage: hmic {command} [OPTIONS] [FORCE]..." in out
    assert re.search(r"^  FORCE\.\.\.  ", out, re.M), out


def _complete(words: str) -> list[str]:
    r = runner.invoke(
        app, [], prog_name="hmic", env={"_HMIC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    )
    assert r.exit_code == 0, r.output
    return r.output.split()


@pytest.mark.parametrize("command", ["validate", "grade", "build", "serve", "diff", "diff norfolk-2007"])
def test_force_names_complete_for_every_command_that_takes_one(command: str) -> None:
    assert _complete(f"hmic {command} --root {REPO} nor") == ["norfolk-2007"]
    assert _complete(f"hmic {command} --root {MINI} t") == ["testshire-2024"]


def test_serve_outside_a_project_fails_as_validate_does(tmp_path: Path) -> None:
    validate = runner.invoke(app, ["validate", "--root", str(tmp_path)])
    serve = runner.invoke(app, ["serve", "--root", str(tmp_path), "--port", "0"])
    assert (serve.exit_code, serve.output) == (validate.exit_code, validate.output)
    assert serve.exit_code == 1 and "error[E201]: missing folder criteria/" in serve.output


# --- the problem matcher ------------------------------------------------------------------


def _tasks() -> dict:
    text = (REPO / "docs" / "editor.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```json\n(.*?)```", text, re.S) if "problemMatcher" in b]
    return json.loads(block)


def test_the_task_runs_hmic_validate() -> None:
    (task,) = _tasks()["tasks"]
    assert task["command"] == "hmic validate" and task["type"] == "shell"
    assert all(m["fileLocation"] == ["relative", "${workspaceFolder}"] for m in task["problemMatcher"])


def _matched(line: str) -> dict[str, str] | None:
    """What VS Code would take from `line`: the first matcher whose pattern matches, as VS Code applies it."""
    (task,) = _tasks()["tasks"]
    for matcher in task["problemMatcher"]:
        pattern = matcher["pattern"]
        m = re.search(pattern["regexp"], line)  # VS Code's regexps are JavaScript's; these mean the same in Python
        if m:
            return {k: m.group(v) for k, v in pattern.items() if isinstance(v, int)}
    return None


def test_the_problem_matcher_reads_every_line_hmic_prints(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(MINI, root)
    force = root / "evidence" / "testshire-2024"
    (force / "public-contact.yaml").write_text(
        (force / "public-contact.yaml").read_text(encoding="utf-8").replace("[pc-answer-times]", "[pc-answer-time]"), encoding="utf-8"
    )
    (force / "glossary.yaml").write_bytes(b"terms: \xff\n")
    (root / "evidence" / "extra").mkdir()
    r = runner.invoke(app, ["validate", "--root", str(root)])
    lines = r.stderr.splitlines()
    problems, summary, checked = lines[:-2], lines[-2], lines[-1]
    assert len(problems) >= 3 and summary.endswith("warnings") and checked.startswith("not ok: checked ")
    assert _matched(summary) is None and _matched(checked) is None
    seen = []
    for line in problems:
        got = _matched(line)
        assert got is not None, f"the problem matcher misses: {line}"
        assert not Path(got["file"]).is_absolute() and (root / got["file"]).parent.is_dir(), got
        assert got["severity"] in ("error", "warning") and re.fullmatch(r"[EW]\d{3}", got["code"])
        assert line.endswith(got["message"]) and got["message"]
        seen.append(got)
    e404 = next(g for g in seen if g["code"] == "E404")
    assert (e404["file"], e404["line"], e404["column"]) == ("evidence/testshire-2024/public-contact.yaml", "16", "16")
    assert any("line" not in g for g in seen), "a whole-file diagnostic (no line) was read by the second matcher"
