"""The command line in a workflow: help with examples, shell completion, NO_COLOR, the pre-commit hook and the CI recipe."""

from __future__ import annotations

import re
import shlex
import shutil
import textwrap
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from hmic_compile.cli import app

from .conftest import REPO

runner = CliRunner()
MINI = REPO / "tests" / "fixtures" / "mini"


def _commands() -> list[list[str]]:
    """Every command path, groups included: [], ['validate'], ['new'], ['new', 'force'], ..."""
    root = typer.main.get_command(app)
    out: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():  # a group (typer's own click)
            walk(sub, [*path, name])

    walk(root, [])
    return out


COMMANDS = _commands()


def test_every_command_is_listed() -> None:
    names = {" ".join(c) for c in COMMANDS}
    assert {"validate", "grade", "build", "schema", "diff", "serve", "new", "new force"} <= names


@pytest.mark.parametrize("path", [c for c in COMMANDS if c], ids=" ".join)
def test_every_command_has_help_with_an_example(path: list[str]) -> None:
    r = runner.invoke(app, [*path, "--help"], prog_name="hmic")
    assert r.exit_code == 0, r.output
    examples = re.findall(r"^\s+Example: (hmic .+)$", r.output, re.M)
    assert examples, f"hmic {' '.join(path)} --help has no 'Example: hmic ...' line"
    for ex in examples:
        words = ex.split()[1:]
        assert words[: len(path)] == path, f"the example '{ex}' should run 'hmic {' '.join(path)}'"


def test_version_and_completion_options() -> None:
    r = runner.invoke(app, ["--help"], prog_name="hmic")
    assert "--version" in r.output and "--install-completion" in r.output and "--show-completion" in r.output
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and re.fullmatch(r"hmic \d+\.\d+\.\d+\S*\n", r.output)
    r = runner.invoke(app, ["--show-completion", "bash"], prog_name="hmic")
    assert r.exit_code == 0 and "_HMIC_COMPLETE=complete_bash" in r.output and "complete -o default -F _hmic_completion hmic" in r.output


def _complete(words: str, tmp_path: Path | None = None) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {"_HMIC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    r = runner.invoke(app, [], prog_name="hmic", env=env)
    assert r.exit_code == 0, r.output
    return r.output.split()


def test_shell_completion_of_commands_and_forces(tmp_path: Path) -> None:
    assert _complete("hmic s") == ["schema", "serve"]
    assert _complete("hmic new ") == ["force", "framework"]
    root = tmp_path / "p"
    shutil.copytree(MINI, root)
    assert _complete(f"hmic serve --root {root} te") == ["testshire-2024"]
    assert _complete(f"hmic diff --root {root} testshire-2024 ") == ["testshire-2024"]


def _mini(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    shutil.copytree(MINI, root)
    f = root / "evidence/testshire-2024/public-contact.yaml"
    old = tmp_path / "old"
    shutil.copytree(root, old)
    f.write_text(f.read_text(encoding="utf-8").replace("six seconds", "five seconds"), encoding="utf-8")
    return root


def test_no_color_is_honoured(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    args = ["diff", str(tmp_path / "old/evidence/testshire-2024"), str(root / "evidence/testshire-2024")]
    coloured = runner.invoke(app, args, env={"FORCE_COLOR": "1", "NO_COLOR": None}, color=True)
    assert coloured.exit_code == 0, coloured.output
    assert "\x1b[" in coloured.output  # the test can see colour when there is some
    plain = runner.invoke(app, args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}, color=True)
    assert plain.exit_code == 0 and "\x1b[" not in plain.output
    assert "[-six-] {+five+}" in plain.output
    default = runner.invoke(app, args, env={"FORCE_COLOR": None, "NO_COLOR": None}, color=True)
    assert "\x1b[" not in default.output  # not a terminal: no colour unless asked for
    for path in [c for c in COMMANDS if c]:
        r = runner.invoke(app, [*path, "--help"], env={"FORCE_COLOR": "1", "NO_COLOR": "1"}, color=True)
        assert "\x1b[" not in r.output, path
    r = runner.invoke(app, ["validate", "--bogus"], env={"FORCE_COLOR": "1", "NO_COLOR": "1"}, color=True)
    assert r.exit_code == 2 and "\x1b[" not in r.output


# --- pre-commit and GitHub Actions ------------------------------------------------------


def test_pre_commit_hook_runs_an_existing_command() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["hmic-validate"]
    hook = hooks[0]
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert hook["files"] == r"^(criteria|evidence)/.*\.ya?ml$"
    files = re.compile(hook["files"])
    for path in ("criteria/2007/framework.yaml", "criteria/2007/areas/child-abuse.yml", "evidence/norfolk-2007/force.yaml"):
        assert files.search(path), path
    for path in ("tests/fixtures/mini/criteria/2024/framework.yaml", "schemas/force.schema.json", "README.md", "evidence/x/notes.txt"):
        assert not files.search(path), path
    program, *args = hook["entry"].split()
    scripts = re.search(r"\[project\.scripts\]\n(.*?)\n\n", (REPO / "pyproject.toml").read_text(encoding="utf-8"), re.S)
    assert scripts and f'{program} = "hmic_compile.__main__:main"' in scripts.group(1)
    r = runner.invoke(app, [*args, "--help"], prog_name=program)
    assert r.exit_code == 0 and "Usage: hmic validate" in r.output
    # pre-commit runs the entry from the repository's top folder, with no file names.
    r = runner.invoke(app, [*args, "--root", str(REPO)])
    assert r.exit_code == 0, r.output


def _yaml_blocks(text: str) -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_ci_recipe_runs_real_commands() -> None:
    doc = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in _yaml_blocks(doc)]
    workflow = next(b for b in blocks if isinstance(b, dict) and "jobs" in b)
    steps = workflow["jobs"]["report"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    # Validation is the action's (action.yml), which runs it with annotations.
    assert any(s.get("uses", "").startswith("your-org/hmic@") for s in steps)
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    runs += [line.strip() for s in action["runs"]["steps"] if "run" in s for line in s["run"].splitlines()]
    assert "hmic validate --format github $HMIC_ARGS" in runs
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") and s["with"]["path"] == "build/" for s in steps)
    assert any(r.startswith("hmic build --out build") for r in runs)
    diff_job = next(b for b in blocks if isinstance(b, dict) and "diff" in b)["diff"]
    runs += [s["run"] for s in diff_job["steps"] if "run" in s]
    shell = "\n".join(runs) + "\n" + "\n".join(re.findall(r"```sh\n(.*?)```", doc, re.S))
    lines = [line.strip() for line in shell.splitlines() if line.strip().startswith("hmic ")]
    assert len(lines) >= 8, lines
    group = typer.main.get_command(app)
    for line in lines:
        words = shlex.split(line.split("#")[0].replace("$HMIC_ARGS", "").replace('"$RUNNER_TEMP/hmic.sarif"', "out"))[1:]
        words = words[: words.index(">>")] if ">>" in words else words
        sub = group.commands[words[0]]  # type: ignore[attr-defined]
        sub.make_context(words[0], words[1:])  # raises on an unknown command or option
