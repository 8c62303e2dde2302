"""`hmic build` leaves a force's outputs as they are when its manifest shows nothing changed (report/uptodate.py).

Same inputs, templates, options and hmic version, and the files on disk as the manifest records them:
nothing rendered, nothing written (bytes and modification times kept), and the command says so. Any
difference rebuilds: an evidence file, a template, --format, --draft, an output tampered with, deleted
or joined by another file. Validation runs in full either way.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

MINI = REPO / "tests" / "fixtures" / "mini"
FORCE = "testshire-2024"
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def _hmic(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "hmic_compile", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=REPO
    )
    return proc.returncode, proc.stderr


def _state(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _build(root: Path, out: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    code, stderr = _hmic("build", FORCE, "--root", str(root), "--out", str(out), *extra, env=env)
    assert code == 0, stderr
    return stderr


def _rebuilt(stderr: str, out: Path) -> bool:
    """Whether the build wrote the force (its line says 'built'), or found it unchanged."""
    line = [ln for ln in stderr.splitlines() if ln.endswith(")") and f"{out / FORCE}/" in ln]
    assert len(line) == 1, stderr
    assert line[0].startswith(("built ", "unchanged: ")), stderr
    return line[0].startswith("built ")


def test_a_second_build_with_nothing_changed_leaves_every_file_as_it_was(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _rebuilt(_build(project, out), out)
    before = _state(out / FORCE)
    assert sorted(before) == ["manifest.json", "report.html", "report.md"]
    stderr = _build(project, out)
    assert not _rebuilt(stderr, out)
    assert f"unchanged: {out / FORCE}/ (manifest.json, report.html, report.md)" in stderr
    assert stderr.splitlines()[-1] == "built 1 of 1 force (1 unchanged)"
    assert _state(out / FORCE) == before  # bytes and modification times


def test_an_unchanged_build_is_still_validated_in_full(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(project, out)
    glossary = project / "evidence" / FORCE / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "bogus_key: 1\n", encoding="utf-8")
    before = _state(out / FORCE)
    code, stderr = _hmic("build", FORCE, "--root", str(project), "--out", str(out))
    assert code == 1 and "error[" in stderr and "not built; previous output left unchanged" in stderr, stderr
    assert _state(out / FORCE) == before


def test_json_names_the_unchanged_forces(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(project, out)
    proc = subprocess.run(
        [sys.executable, "-m", "hmic_compile", "build", "--root", str(project), "--out", str(out), "--diagnostics", "json"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["built"], data["not_built"], data["unchanged"]) == ([FORCE], [], [FORCE])


def test_an_evidence_file_changed_rebuilds(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(project, out)
    force = project / "evidence" / FORCE / "force.yaml"
    force.write_text(force.read_text(encoding="utf-8") + "# a comment changes the file, and its hash in the manifest\n", encoding="utf-8")
    assert _rebuilt(_build(project, out), out)
    manifest = json.loads((out / FORCE / "manifest.json").read_bytes())
    recorded = {i["path"]: i["sha256"] for i in manifest["inputs"]}
    assert recorded[f"evidence/{FORCE}/force.yaml"] == hashlib.sha256(force.read_bytes()).hexdigest()
    assert not _rebuilt(_build(project, out), out)


def test_a_template_changed_rebuilds(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    mine = tmp_path / "house"
    mine.mkdir()
    shutil.copy(REPO / "templates" / "report.md.j2", mine / "report.md.j2")
    _build(project, out, "--templates", str(mine))
    assert not _rebuilt(_build(project, out, "--templates", str(mine)), out)
    (mine / "report.md.j2").write_text((mine / "report.md.j2").read_text(encoding="utf-8") + "\nHouse style.\n", encoding="utf-8")
    assert _rebuilt(_build(project, out, "--templates", str(mine)), out)
    assert (out / FORCE / "report.md").read_text(encoding="utf-8").endswith("House style.\n")
    (mine / "extra.css").write_text("p {}\n", encoding="utf-8")  # a new file in a templates folder is in the manifest too
    assert _rebuilt(_build(project, out, "--templates", str(mine)), out)
    assert _rebuilt(_build(project, out), out)  # the same folder without the house style


@pytest.mark.parametrize(
    "first, second",
    [
        (["--format", "md,html"], ["--format", "md"]),
        (["--format", "md"], ["--format", "md,html"]),
        ([], ["--draft"]),
        (["--draft"], []),
        ([], ["--numbered"]),
        (["--numbered"], []),
        ([], ["--format", "md,html,docx"]),
    ],
    ids=["fewer-formats", "more-formats", "draft", "not-draft", "numbered", "not-numbered", "docx"],
)
def test_an_option_changed_rebuilds(project: Path, tmp_path: Path, first: list[str], second: list[str]) -> None:
    out = tmp_path / "out"
    _build(project, out, *first, env=EPOCH)
    assert not _rebuilt(_build(project, out, *first, env=EPOCH), out)
    assert _rebuilt(_build(project, out, *second, env=EPOCH), out)
    expected = {"md": ["report.md"], "md,html": ["report.html", "report.md"], "md,html,docx": ["report.docx", "report.html", "report.md"]}
    fmt = second[1] if second[:1] == ["--format"] else "md,html"
    assert sorted(os.listdir(out / FORCE)) == sorted(["manifest.json", *expected[fmt]])
    recorded = json.loads((out / FORCE / "manifest.json").read_bytes())
    assert recorded["draft"] is ("--draft" in second)
    assert ("numbered" in recorded) is ("--numbered" in second)
    assert not _rebuilt(_build(project, out, *second, env=EPOCH), out)


def test_source_date_epoch_changed_rebuilds(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(project, out, env=EPOCH)
    assert _rebuilt(_build(project, out, env={"SOURCE_DATE_EPOCH": "1700086400"}), out)


@pytest.mark.parametrize("how", ["tampered", "deleted", "extra file", "manifest edited", "link"])
def test_an_output_changed_on_disk_rebuilds(project: Path, tmp_path: Path, how: str) -> None:
    out = tmp_path / "out"
    _build(project, out)
    folder = out / FORCE
    good = {name: data for name, (data, _) in _state(folder).items()}
    html = folder / "report.html"
    if how == "tampered":
        html.write_bytes(good["report.html"].replace(b"</body>", b"<p>planted</p></body>"))
    elif how == "deleted":
        html.unlink()
    elif how == "extra file":
        (folder / "notes.txt").write_text("left here\n", encoding="utf-8")
    elif how == "manifest edited":
        (folder / "manifest.json").write_bytes(good["manifest.json"].replace(b'"draft": false', b'"draft": true'))
    else:  # the same bytes, through a link to a file elsewhere
        elsewhere = tmp_path / "elsewhere.html"
        elsewhere.write_bytes(good["report.html"])
        html.unlink()
        html.symlink_to(elsewhere)
    assert _rebuilt(_build(project, out), out)
    assert {name: data for name, (data, _) in _state(folder).items()} == good
    assert not (folder / "report.html").is_symlink()


def test_a_pdf_unchanged_is_not_laid_out_again(project: Path, tmp_path: Path) -> None:
    from hmic_compile.report.pdf import unavailable

    if unavailable():
        if os.environ.get("HMIC_REQUIRE_PDF"):
            pytest.fail(f"HMIC_REQUIRE_PDF is set but PDF output is unavailable: {unavailable()}")
        pytest.skip(f"PDF output unavailable: {unavailable()}")
    out = tmp_path / "out"
    _build(project, out, "--format", "md,pdf", env=EPOCH)
    before = _state(out / FORCE)
    assert "report.pdf" in before
    stderr = _build(project, out, "--format", "md,pdf", env=EPOCH)
    assert not _rebuilt(stderr, out)
    assert _state(out / FORCE) == before


def test_rebuild_writes_an_up_to_date_force_again(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(project, out)
    before = _state(out / FORCE)
    inode = (out / FORCE / "report.md").stat().st_ino
    assert _rebuilt(_build(project, out, "--rebuild"), out)
    assert (out / FORCE / "report.md").stat().st_ino != inode  # a new file, swapped in
    after = _state(out / FORCE)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}  # the same bytes, written anew


def _tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_no_op_build_leaves_the_round_as_it_was_and_a_changed_force_changes_it(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    the_round = out / "2024"  # the framework's round (report/site.py), made in memory and compared
    assert f"built {the_round}/ (the round of 2024:" in _build(project, out)
    before = _tree(the_round)
    assert "manifest.json" in before and any(name.startswith("data/") for name in before)
    stderr = _build(project, out)
    assert f"unchanged: {the_round}/ (the round of 2024)" in stderr
    assert _tree(the_round) == before  # bytes and modification times, data/ too
    force = project / "evidence" / FORCE / "force.yaml"
    force.write_text(force.read_text(encoding="utf-8") + "# a comment changes the file, and its hash in the manifests\n", encoding="utf-8")
    stderr = _build(project, out)
    assert _rebuilt(stderr, out) and f"built {the_round}/ (the round of 2024:" in stderr
    recorded = {i["path"]: i["sha256"] for i in json.loads((the_round / "manifest.json").read_bytes())["inputs"]}
    assert recorded[f"evidence/{FORCE}/force.yaml"] == hashlib.sha256(force.read_bytes()).hexdigest()
    assert _tree(the_round) != before


@pytest.mark.parametrize("how", ["edited", "deleted", "added"])
def test_a_round_changed_on_disk_is_written_again(project: Path, tmp_path: Path, how: str) -> None:
    out = tmp_path / "out"
    _build(project, out)
    the_round = out / "2024"
    before = {name: data for name, (data, _) in _tree(the_round).items()}
    page = the_round / "index.html"
    if how == "edited":
        page.write_bytes(page.read_bytes() + b"<!-- tampered -->")
    elif how == "deleted":
        page.unlink()
    else:
        (the_round / "data" / "extra.csv").write_text("a\n", encoding="utf-8")
    stderr = _build(project, out)
    assert not _rebuilt(stderr, out) and f"built {the_round}/ (the round of 2024:" in stderr
    assert {name: data for name, (data, _) in _tree(the_round).items()} == before


def test_rebuild_writes_the_round_again(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(project, out)
    assert f"built {out / '2024'}/ (the round of 2024:" in _build(project, out, "--rebuild")
