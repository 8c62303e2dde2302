"""Building every force at once: spread over processes, one force's failure reported while the rest build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app

from .conftest import REPO

MINI = REPO / "tests" / "fixtures" / "mini"
NAMES = ["alpha", "bravo", "charlie", "delta", "echo"]
FAIL_ON_CHARLIE = (
    '{% extends "default/report.md.j2" %}'
    '{% block title_page %}{% if report.key == "charlie-2024" %}{{ report.no_such_field }}{% endif %}{{ super() }}{% endblock %}\n'
)


@pytest.fixture
def national(tmp_path: Path) -> Path:
    """The mini project with five forces alike but for their names."""
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    src = root / "evidence" / "testshire-2024"
    for name in NAMES:
        dst = root / "evidence" / f"{name}-2024"
        shutil.copytree(src, dst)
        force = dst / "force.yaml"
        force.write_text(force.read_text(encoding="utf-8").replace("Testshire", name.title()), encoding="utf-8")
    shutil.rmtree(src)
    rows = "\n".join(f"  {n}: {{public-contact: Good, vulnerable-people: Requires improvement}}" for n in NAMES)
    (root / "criteria" / "2024" / "national-results.yaml").write_text(f"source: test\nforces:\n{rows}\n", encoding="utf-8")
    return root


def _build(root: Path, out: Path, *extra: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["build", "--root", str(root), "--out", str(out), *extra])
    return r.exit_code, r.output


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_force_builds_without_arguments(national: Path, tmp_path: Path, jobs: str) -> None:
    code, output = _build(national, tmp_path / "out", "--jobs", jobs)
    assert code == 0, output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["2024", *(f"{n}-2024" for n in NAMES)]  # and the round
    assert output.count("\nbuilt /") + output.startswith("built /") == 6
    assert f"\nbuilt {tmp_path / 'out' / '2024'}/ (the round of 2024: " in output
    assert output.endswith("\nbuilt 5 of 5 forces\n")
    assert "\x1b[" not in output  # no progress bar or colour when not on a terminal


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_failure_in_the_third_of_five_forces(national: Path, tmp_path: Path, jobs: str) -> None:
    out = tmp_path / "out"
    code, output = _build(national, out, "--jobs", jobs)
    assert code == 0, output
    before = _tree(out / "charlie-2024")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md.j2").write_text(FAIL_ON_CHARLIE, encoding="utf-8")
    code, output = _build(national, out, "--jobs", jobs, "--templates", str(mine))
    assert code == 1
    assert "charlie-2024: not built; previous output left unchanged" in output
    assert "error[E601]: template error: 'hmic_compile.report.view.Report object' has no attribute 'no_such_field'" in output
    assert output.count("\nbuilt /") + output.startswith("built /") == 4
    assert output.endswith("\nbuilt 4 of 5 forces; not built: charlie-2024\n")
    assert _tree(out / "charlie-2024") == before
    assert sorted(p.name for p in out.iterdir()) == ["2024", *(f"{n}-2024" for n in NAMES)]  # no temporary folders left
    assert "note: the round of 2024 (" in output and ") is not rebuilt while a force is not built; it is unchanged" in output


def test_unknown_force_is_named(national: Path, tmp_path: Path) -> None:
    code, output = _build(national, tmp_path / "out", "zulu-2024")
    assert code == 1
    assert "evidence/zulu-2024: error[E204]: no evidence folder for force 'zulu-2024'; available: alpha-2024, bravo-2024" in output
    assert "nothing was written" in output


def test_progress_bar_on_a_terminal(national: Path, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "hmic_compile", "build", "--root", str(national), "--out", str(tmp_path / "out"), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=follower,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "100"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    seen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, seen
    assert "building" in seen and "━" in seen  # rich's bar
    assert seen.count("built /") == 6  # five forces and the round
    assert "built 5 of 5 forces" in seen


def test_a_force_with_input_errors_is_reported_while_the_rest_build(national: Path, tmp_path: Path) -> None:
    area = national / "evidence" / "bravo-2024" / "public-contact.yaml"
    area.write_text(area.read_text(encoding="utf-8").replace("grade: Good", "grade: Superb"), encoding="utf-8")
    code, output = _build(national, tmp_path / "out", "--jobs", "2")
    assert code == 1
    assert "evidence/bravo-2024/public-contact.yaml:" in output and "error[E302]: grade 'Superb' is not on the scale" in output
    assert "bravo-2024: not built; previous output left unchanged" in output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{n}-2024" for n in NAMES if n != "bravo"]


def test_a_framework_error_stops_everything(national: Path, tmp_path: Path) -> None:
    fw = national / "criteria" / "2024" / "framework.yaml"
    fw.write_text(fw.read_text(encoding="utf-8").replace("number_of_forces: 5", "number_of_forces: five"), encoding="utf-8")
    code, output = _build(national, tmp_path / "out")
    assert code == 1
    assert "criteria/2024/framework.yaml:" in output and "error[E105]: expected a whole number, found 'five'" in output
    assert "nothing was written" in output
    assert not (tmp_path / "out").exists()
