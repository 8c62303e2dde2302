"""The round of bench/'s synthetic 43 forces (bench/generate.py): every force a row with its report, complete, valid open data.

bench/run.py times `hmic build` of these forces end to end, the round included; this test holds what it times.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app

from .conftest import REPO
from .test_opendata import _validate
from .test_round import _parse

FORCES = 43


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("bench") / "project"
    gen = subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), "--seed", "2007", "--forces", str(FORCES), "--out", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert gen.returncode == 0, gen.stderr
    out = root.parent / "build"
    r = CliRunner().invoke(app, ["build", "--root", str(root), "--out", str(out), "--jobs", "2"])
    assert r.exit_code == 0, r.output
    assert r.output.endswith(f"built {FORCES} of {FORCES} forces\n")
    assert f"built {out / '2007'}/ (the round of 2007: 8 pages, 7 files of open data in data/, manifest.json)" in r.output
    return root, out


def test_every_force_is_a_row_linking_to_its_report(bench: tuple[Path, Path]) -> None:
    root, out = bench
    folders = sorted(p.name for p in (root / "evidence").iterdir())
    assert len(folders) == FORCES
    index = (out / "2007" / "index.md").read_text(encoding="utf-8")
    assert f"This round holds the reports of {FORCES} of the {FORCES} forces." in index
    assert "cannot be shown" not in index and "A dash (–)" not in index  # the national results list every force
    rows = [line for line in index.splitlines() if line.startswith("| [") and "Constabulary](../" in line]
    assert len(rows) == FORCES
    linked = {href.split("/")[1] for href in _parse(out / "2007" / "index.html").hrefs if href.startswith("../")}
    assert linked == set(folders)
    for folder in folders:
        assert (out / folder / "report.html").is_file()


def test_the_open_data_holds_every_force(bench: tuple[Path, Path]) -> None:
    _, out = bench
    data = out / "2007" / "data"
    _validate(data)
    rows = list(csv.DictReader(io.StringIO((data / "grades.csv").read_text(encoding="utf-8"))))
    assert len(rows) == FORCES * 6 and {r["source"] for r in rows} == {"evidence"}  # six graded areas
    judgements = (data / "judgements.csv").read_bytes().count(b"\r\n") - 1
    norfolk = (REPO / "tests" / "golden" / "rounds" / "2007" / "data" / "judgements.csv").read_bytes().count(b"\r\n") - 1
    assert judgements == FORCES * norfolk  # each force judges every criterion, as Norfolk does


def test_the_moderation_of_the_round(bench: tuple[Path, Path]) -> None:
    root, _ = bench
    r = CliRunner().invoke(app, ["moderate", "--root", str(root)])
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Moderation of HMIC Inspection 2007 (criteria/2007/): {FORCES} forces\n")
    assert "Forces judged alike on everything a rule looks at, but graded differently\n  none\n" in r.output
