"""`hmic build --round` writes a round of just the forces named, saying which; `--no-round` writes none (report/site.py)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .test_opendata import _validate
from .test_round import NAMES, _build, national_project

FOLDERS = [f"{n}-2024" for n in NAMES]
SOME = "This round covers 2 of the 5 forces whose evidence is held for this framework: Alpha Police, Bravo Police."


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Five forces of one framework, and no national results: the round's rows are its reports alone."""
    root = national_project(tmp_path)
    (root / "criteria" / "2024" / "national-results.yaml").unlink()
    return root


def _tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder`: its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: data for name, (data, _) in _tree(folder).items()}


def _column(path: Path, name: str) -> set[str]:
    return {row[name] for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}


def test_a_round_of_the_forces_named_says_which_and_holds_only_them(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    the_round = out / "2024"
    assert _build(project, out)[0] == 0
    every = _bytes(the_round)
    assert SOME.split(":", 1)[0] not in every["index.md"].decode("utf-8")  # a round of every force says nothing of the kind

    code, output = _build(project, out, "alpha-2024", "bravo-2024", "--round")
    assert code == 0, output
    assert f"built {the_round}/ (the round of 2024: 8 pages, 7 files of open data in data/, manifest.json)" in output
    assert output.endswith("built 2 of 2 forces (2 unchanged)\n")
    index = (the_round / "index.md").read_text(encoding="utf-8")
    assert index.split("\n\n")[2:4] == [SOME, "This round holds the reports of 2 of the 5 forces."]  # first, under the title
    assert f"<p>{SOME}</p>" in (the_round / "index.html").read_text(encoding="utf-8")
    data = the_round / "data"
    assert _column(data / "grades.csv", "force") == _column(data / "judgements.csv", "force") == {"alpha", "bravo"}
    assert {row["force"] for row in json.loads((data / "grades.json").read_bytes())} == {"alpha", "bravo"}
    assert json.loads((the_round / "manifest.json").read_bytes())["forces"] == ["alpha-2024", "bravo-2024"]
    description = json.loads((data / "datapackage.json").read_bytes())["description"]
    assert "the evidence of 2 of the 5 forces held for it (Alpha Police, Bravo Police)." in description
    assert "each force's evidence" not in description
    assert "Charlie" not in "".join(p.read_text(encoding="utf-8") for p in sorted(the_round.glob("*.*")))

    some = _tree(the_round)
    code, output = _build(project, out, "bravo-2024", "alpha-2024", "--round")  # the same forces again
    assert code == 0 and f"unchanged: {the_round}/ (the round of 2024)" in output, output
    assert _tree(the_round) == some  # bytes and modification times

    code, output = _build(project, out)  # a build of every force puts the round of every force back
    assert code == 0 and f"built {the_round}/ (the round of 2024: " in output, output
    assert _bytes(the_round) == every
    code, output = _build(project, out, "--round", *FOLDERS)  # --round naming every force: that same round
    assert code == 0 and f"unchanged: {the_round}/ (the round of 2024)" in output, output


def test_beside_the_national_results_the_others_are_rows_of_those_alone(tmp_path: Path) -> None:
    root, out = national_project(tmp_path), tmp_path / "out"
    code, output = _build(root, out, "alpha-2024", "bravo-2024", "--round")
    assert code == 0, output
    index = (out / "2024" / "index.md").read_text(encoding="utf-8")
    assert SOME in index and "The table shows 5 forces: 2 with a report, and 3 from the national results alone" in index
    rows = list(csv.DictReader(io.StringIO((out / "2024" / "data" / "grades.csv").read_text(encoding="utf-8"))))
    assert {r["force"] for r in rows if r["source"] == "evidence"} == {"alpha", "bravo"}
    assert {r["force"] for r in rows if r["source"] == "national results"} == {"charlie", "delta", "echo"}
    _validate(out / "2024" / "data")


def test_a_round_of_one_force_on_a_fresh_out(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = _build(project, out, "charlie-2024", "--round")
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == ["2024", "charlie-2024"]
    index = (out / "2024" / "index.md").read_text(encoding="utf-8")
    assert "This round covers 1 of the 5 forces whose evidence is held for this framework: Charlie Police." in index


def test_a_named_force_that_fails_leaves_the_previous_round(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _build(project, out, "alpha-2024", "bravo-2024", "--round")[0] == 0
    before = _tree(out / "2024")
    glossary = project / "evidence" / "bravo-2024" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "bogus_key: 1\n", encoding="utf-8")
    code, output = _build(project, out, "alpha-2024", "bravo-2024", "charlie-2024", "--round")
    assert code == 1
    assert "bravo-2024: not built; previous output left unchanged" in output
    assert f"note: the round of 2024 ({out / '2024'}/) is not rebuilt while a force is not built; it is unchanged" in output
    assert _tree(out / "2024") == before
    assert f"built {out / 'charlie-2024'}/ (" in output  # the other forces are built: only the round waits


def test_no_round_writes_none_and_leaves_the_round_as_it_was(project: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    code, output = _build(project, fresh, "--no-round")  # every force built, and still no round
    assert code == 0, output
    assert f"note: the round of 2024 ({fresh / '2024'}/) is not rebuilt with --no-round; it is unchanged" in output
    assert sorted(p.name for p in fresh.iterdir()) == FOLDERS

    out = tmp_path / "out"
    assert _build(project, out)[0] == 0
    before = _tree(out / "2024")
    force = project / "evidence" / "alpha-2024" / "force.yaml"
    force.write_text(force.read_text(encoding="utf-8") + "# changes the report's manifest, and so the round's\n", encoding="utf-8")
    code, output = _build(project, out, "--no-round")
    assert code == 0 and f"built {out / 'alpha-2024'}/ (" in output, output
    assert f"note: the round of 2024 ({out / '2024'}/) is not rebuilt with --no-round; it is unchanged" in output
    assert _tree(out / "2024") == before
    code, output = _build(project, out, "alpha-2024", "--no-round")
    assert code == 0 and "is not rebuilt with --no-round" in output and _tree(out / "2024") == before


def test_the_count_is_of_the_framework_s_folders_alone(project: Path, tmp_path: Path) -> None:
    """A folder of another framework is not one of the round's forces; one whose force.yaml cannot be read is
    counted for its name's year, as validation guesses its framework."""
    out = tmp_path / "out"
    assert _build(project, out)[0] == 0
    every = _tree(out / "2024")
    other = project / "evidence" / "zulu-2030"
    other.mkdir()
    (other / "force.yaml").write_text('name: Zulu Police\nframework: "2030"\n', encoding="utf-8")
    code, output = _build(project, out, "--round", *FOLDERS)  # every force of 2024, though not every folder
    assert code == 0 and f"unchanged: {out / '2024'}/ (the round of 2024)" in output, output
    assert _tree(out / "2024") == every
    code, output = _build(project, out, *FOLDERS)  # without --round, as before: not every folder, so no round
    assert code == 0 and "is rebuilt only when every force is built" in output and _tree(out / "2024") == every

    unread = project / "evidence" / "yankee-2024"
    unread.mkdir()
    (unread / "force.yaml").write_text("name: [\n", encoding="utf-8")
    code, output = _build(project, out, "--round", *FOLDERS)
    assert code == 0, output
    names = "Alpha Police, Bravo Police, Charlie Police, Delta Police, Echo Police"
    index = (out / "2024" / "index.md").read_text(encoding="utf-8")
    assert f"This round covers 5 of the 6 forces whose evidence is held for this framework: {names}." in index


def test_the_help_names_both(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hmic_compile.cli import app

    r = CliRunner().invoke(app, ["build", "--help"])
    assert r.exit_code == 0
    assert "--round / --no-round" in r.output and "A round of just the forces named, or no round" in r.output
