"""Results remembered between runs: `hmic validate` and a no-op `hmic build` told from the cache.

The same files (byte for byte), hmic and options give the same result, so a run that finds a result kept
under the digest of all of them (inputs/snapshot.py) prints it again without loading a model or a
template. What is printed must be exactly what the full run prints, in every format; any change to any
input, template, option or output file must do the work in full.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from hmic_compile.inputs.cache import results_folder
from hmic_compile.report.options import BuildOptions
from hmic_compile.report.replay import Memo

from .conftest import REPO, run_noting_modules

MINI = REPO / "tests" / "fixtures" / "mini"
FORCE = "testshire-2024"
HEAVY = ("hmic_compile.inputs.models", "jinja2", "markdown_it")  # a remembered run loads none of them


def _run(args: list[str], cache: Path | str, env: dict[str, str] | None = None) -> tuple[int, str, str, bool]:
    """exit code, stdout, stderr, and whether the work was done in full (a model or a template engine loaded)."""
    code, out, err, loaded = run_noting_modules(args, HEAVY, {"HMIC_CACHE_DIR": str(cache), **(env or {})})
    return code, out, err, bool(loaded)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _with_warning_and_error(root: Path) -> None:
    """A warning (a YAML file directly under criteria/ is not read, W211) and an error in the force's glossary."""
    (root / "criteria" / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    glossary = root / "evidence" / FORCE / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "bogus_key: 1\n", encoding="utf-8")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_validate_remembered_prints_what_the_full_run_printed(project: Path, cache: Path, fmt: str) -> None:
    _with_warning_and_error(project)
    args = ["validate", "--root", str(project), "--format", fmt]
    first = _run(args, cache)
    second = _run(args, cache)
    off = _run(args, "off")
    assert first[3] and off[3] and not second[3], "the second run is told from the cache, without loading a model"
    assert first[:3] == second[:3] == off[:3]
    assert first[0] == 1 and "W211" in first[1] + first[2] and "bogus_key" in first[1] + first[2]


def test_validate_checks_everything_again_after_any_change(project: Path, cache: Path) -> None:
    args = ["validate", "--root", str(project)]
    assert _run(args, cache)[0] == 0
    assert not _run(args, cache)[3]
    glossary = project / "evidence" / FORCE / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "bogus_key: 1\n", encoding="utf-8")
    code, _, stderr, loaded = _run(args, cache)
    assert loaded and code == 1 and "bogus_key" in stderr
    glossary.write_text(glossary.read_text(encoding="utf-8").replace("bogus_key: 1\n", ""), encoding="utf-8")
    code, _, stderr, _ = _run(args, cache)  # back as it was: the first result again
    assert code == 0 and "bogus_key" not in stderr
    (project / "evidence" / FORCE / "extra.yaml").write_text("x: 1\n", encoding="utf-8")  # a new file, however small
    assert _run(args, cache)[3]


def test_validate_named_forces_are_remembered_apart(project: Path, cache: Path) -> None:
    _run(["validate", "--root", str(project)], cache)
    assert _run(["validate", FORCE, "--root", str(project)], cache)[3]  # not the result of validating every force
    assert not _run(["validate", FORCE, "--root", str(project)], cache)[3]


def test_a_project_holding_a_link_is_always_checked_in_full(project: Path, cache: Path) -> None:
    (project / "evidence" / FORCE / "link.yaml").symlink_to(project / "evidence" / FORCE / "glossary.yaml")
    args = ["validate", "--root", str(project)]
    first, second = _run(args, cache), _run(args, cache)
    assert first[3] and second[3] and first[:3] == second[:3]


def test_a_damaged_entry_is_never_used(project: Path, cache: Path) -> None:
    args = ["validate", "--root", str(project)]
    first = _run(args, cache)
    entries = [p for p in results_folder(cache).iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1
    data = bytearray(entries[0].read_bytes())
    data[-1] ^= 1
    entries[0].write_bytes(bytes(data))
    again = _run(args, cache)
    assert again[3] and again[:3] == first[:3]


# --- a build that would change nothing --------------------------------------------------------------


def _files(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("diagnostics", ["text", "json", "github"])
def test_a_no_op_build_is_told_from_the_record_as_the_full_build_tells_it(
    project: Path, cache: Path, tmp_path: Path, diagnostics: str
) -> None:
    (project / "criteria" / "notes.yaml").write_text("a: 1\n", encoding="utf-8")  # a warning (W211), shown every time
    out = tmp_path / "out"
    args = ["build", "--root", str(project), "--out", str(out), "--diagnostics", diagnostics]
    code, _, stderr, loaded = _run(args, cache)
    assert code == 0 and loaded and "built " in stderr
    before = _files(out)
    full = _run(args, "off")  # the full no-op build: every force checked, found unchanged
    told = _run(args, cache)
    assert full[3] and not told[3]
    assert told[:3] == full[:3]
    assert "unchanged: " in told[2] and "(1 unchanged)" in told[2] and "W211" in told[1] + told[2]
    assert _files(out) == before  # bytes and modification times


@pytest.mark.parametrize(
    "change",
    ["output edited", "output deleted", "output added", "evidence", "template", "--numbered", "--format", "--draft", "epoch", "--rebuild"],
)
def test_any_difference_builds_in_full(project: Path, cache: Path, tmp_path: Path, change: str) -> None:
    out = tmp_path / "out"
    args = ["build", FORCE, "--root", str(project), "--out", str(out)]
    env: dict[str, str] = {}
    _run(args, cache)
    assert not _run(args, cache)[3]
    report = out / FORCE / "report.html"
    if change == "output edited":
        report.write_text(report.read_text(encoding="utf-8").replace("<main", "<main data-x", 1), encoding="utf-8")
    elif change == "output deleted":
        report.unlink()
    elif change == "output added":
        (out / FORCE / "notes.txt").write_text("mine\n", encoding="utf-8")
    elif change == "evidence":
        glossary = project / "evidence" / FORCE / "glossary.yaml"
        glossary.write_text(glossary.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    elif change == "template":
        (project / "templates").mkdir()
        shutil.copy(REPO / "templates" / "report.md.j2", project / "templates" / "report.md.j2")
        with (project / "templates" / "report.md.j2").open("a", encoding="utf-8") as f:
            f.write("\n")
    elif change == "epoch":
        env = {"SOURCE_DATE_EPOCH": "1700000000"}
    elif change == "--format":
        args += ["--format", "md"]
    else:
        args.append(change)
    code, _, stderr, loaded = _run(args, cache, env)
    assert code == 0 and loaded, stderr
    if change in ("output edited", "output deleted", "output added", "--rebuild"):
        assert f"built {out / FORCE}/" in stderr, stderr
        assert sorted(p.name for p in (out / FORCE).iterdir()) == ["manifest.json", "report.html", "report.md"]
    again = [a for a in args if a != "--rebuild"]  # --rebuild always builds in full
    assert not _run(again, cache, env)[3]  # and then it is remembered again


def test_a_build_that_failed_is_never_remembered(project: Path, cache: Path, tmp_path: Path) -> None:
    glossary = project / "evidence" / FORCE / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "bogus_key: 1\n", encoding="utf-8")
    args = ["build", "--root", str(project), "--out", str(tmp_path / "out")]
    first, second = _run(args, cache), _run(args, cache)
    assert first[0] == second[0] == 1 and first[3] and second[3]
    assert first[:3] == second[:3]


def test_nothing_is_remembered_when_an_input_changes_while_the_build_runs(project: Path, cache: Path, tmp_path: Path) -> None:
    options = BuildOptions()
    memo = Memo(cache, project, None, tmp_path / "out", None, None, lambda: options)
    assert memo.key is not None
    glossary = project / "evidence" / FORCE / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # saved during the build
    memo.remember([FORCE], [])
    assert not results_folder(cache).exists() or not [p for p in results_folder(cache).iterdir() if not p.name.startswith(".")]


def test_without_a_cache_nothing_is_remembered(project: Path, tmp_path: Path) -> None:
    memo = Memo(None, project, None, tmp_path / "out", None, None, BuildOptions)
    assert memo.key is None and memo.recall() is None and memo.options is None
