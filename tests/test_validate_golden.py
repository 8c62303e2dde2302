"""Golden tests for `hmic validate`: a corpus of broken projects, each an overlay on tests/fixtures/mini.

A case is a folder tests/broken/<case>/ holding:

- criteria/... and evidence/...: files that replace (or add to) those of tests/fixtures/mini, same relative paths;
- DELETE (optional): relative paths, one a line, removed from the copy ('#' starts a comment);
- make.py (optional): `def make(root: Path) -> None`, run on the copy after the overlay, for what a text file
  cannot hold (bytes that are not UTF-8, NUL bytes, oversize files, directories, symlinks, sockets...);
  it may call pytest.skip() when the case cannot be set up here;
- args (optional): extra arguments for `hmic validate`, one a line (e.g. --strict);
- exit_code: the exit code `hmic validate` must give (written by hand, never by --update-golden);
- expected.txt: the golden stdout+stderr, with the copy's path shown as <root> (pytest --update-golden rewrites it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app

TESTS = Path(__file__).resolve().parent
MINI = TESTS / "fixtures" / "mini"
BROKEN = TESTS / "broken"
OVERLAY_DIRS = ("criteria", "evidence")
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def make_project(case: str, dest: Path) -> Path:
    """Copy the mini project to dest and apply the case's overlay, DELETE list and make.py."""
    shutil.copytree(MINI, dest)
    src = BROKEN / case
    for top in OVERLAY_DIRS:
        if (src / top).is_dir():
            shutil.copytree(src / top, dest / top, dirs_exist_ok=True)
    delete = src / "DELETE"
    if delete.exists():
        for line in delete.read_text(encoding="utf-8").splitlines():
            rel = line.split("#", 1)[0].strip()
            if not rel:
                continue
            target = dest / rel
            assert target.exists() or target.is_symlink(), f"{case}/DELETE names {rel}, which the mini project does not have"
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
    maker = src / "make.py"
    if maker.exists():
        spec = importlib.util.spec_from_file_location(f"broken_case_{case.replace('-', '_')}", maker)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.make(dest)
    return dest


def run_validate(root: Path, *args: str):
    result = CliRunner().invoke(app, ["validate", "--root", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), f"hmic raised {result.exception!r}"
    for text in (result.stdout, result.stderr):
        assert "Traceback" not in text, text
    return result


def anonymise(text: str, root: Path) -> str:
    for form in {str(root.resolve()), str(root)}:
        text = text.replace(form, "<root>")
    return text


def _needs_unprivileged_user(case: str) -> bool:
    maker = BROKEN / case / "make.py"
    return maker.exists() and "AS_UNPRIVILEGED_USER = True" in maker.read_text(encoding="utf-8")


def case_args(case: str) -> list[str]:
    f = BROKEN / case / "args"
    return [a.strip() for a in f.read_text(encoding="utf-8").splitlines() if a.strip()] if f.exists() else []


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 26


def test_mini_project_is_clean(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    result = run_validate(root, "--strict")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "0 errors, 0 warnings\nok: 1 framework, 1 force\n"


@pytest.mark.parametrize("case", CASES)
def test_broken_case(case: str, tmp_path: Path, golden) -> None:
    folder = BROKEN / case
    exit_file = folder / "exit_code"
    assert exit_file.exists(), f"tests/broken/{case}/exit_code is missing: write the exit code hmic validate must give"
    expected_exit = int(exit_file.read_text(encoding="utf-8").strip())
    root = make_project(case, tmp_path / "project")
    if _needs_unprivileged_user(case) and os.geteuid() == 0:
        # root reads any file: run this case as nobody, in a user namespace.
        if not shutil.which("unshare"):
            pytest.skip("running as root without `unshare`, so a chmod 000 file cannot be made unreadable")
        proc = subprocess.run(
            ["unshare", "-U", sys.executable, "-m", "hmic_compile", "validate", "--root", str(root), *case_args(case)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if "unshare failed" in proc.stderr or "Operation not permitted" in proc.stderr:
            pytest.skip(f"user namespaces are not available here: {proc.stderr.strip()}")
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.stdout == "", proc.stdout
        golden.check(folder / "expected.txt", anonymise(proc.stderr, root))
        assert proc.returncode == expected_exit, proc.stderr
        return
    result = run_validate(root, *case_args(case))
    # Diagnostics go to stderr in the text format; nothing is printed on stdout.
    assert result.stdout == "", result.stdout
    golden.check(folder / "expected.txt", anonymise(result.output, root))
    assert result.exit_code == expected_exit, result.output


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_machine_formats(fmt: str, tmp_path: Path, golden) -> None:
    case = "misspelt-key"
    root = make_project(case, tmp_path / "project")
    result = run_validate(root, "--format", fmt)
    assert result.exit_code == 1
    # The machine formats go to stdout, for the tool that reads them (a script, the Actions runner); nothing on stderr.
    assert result.stderr == ""
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["summary"] == {"errors": 1, "warnings": 0} and data["summary_text"] == "1 error, 0 warnings"
        assert all(d["loc"]["path"] == "evidence/testshire-2024/public-contact.yaml" for d in data["diagnostics"])
    else:
        assert all(line.startswith("::error file=evidence/testshire-2024/public-contact.yaml,") for line in result.stdout.splitlines())
    golden.check(BROKEN / case / f"expected.{fmt}.txt", anonymise(result.output, root))
