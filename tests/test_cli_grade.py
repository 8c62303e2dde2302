"""`hmic grade`: the derived grades, how they were decided, and the published grades they must equal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from hmic_compile.cli import app

from .conftest import REPO

PUBLISHED = {  # Norfolk Constabulary, October 2007: "Force summary of judgements"
    "neighbourhood-policing": "Fair",
    "performance-management": "Good",
    "child-abuse": "Good",
    "domestic-violence": "Fair",
    "public-protection": "Good",
    "missing-persons": "Fair",
}

runner = CliRunner()


def test_norfolk_derived_grades_equal_the_published_ones_without_overrides() -> None:
    r = runner.invoke(app, ["grade", "norfolk-2007", "--root", str(REPO), "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {a["area"]: a["derived"] for a in data["areas"]} == PUBLISHED
    assert {a["area"]: a["awarded"] for a in data["areas"]} == PUBLISHED
    assert all(a["rationale"] is None for a in data["areas"])
    assert all({"area", "derived", "awarded"} <= set(a) for a in data["areas"])


def test_table() -> None:
    r = runner.invoke(app, ["grade", "norfolk-2007", "--root", str(REPO)])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "Norfolk Constabulary (norfolk-2007)"
    assert lines[1].split() == ["Area", "Derived", "Awarded", "Criteria", "met", "Rule", "that", "decided"]
    row = next(ln for ln in lines if ln.startswith("Domestic violence"))
    assert row.split()[2:4] == ["Fair", "Fair"]
    assert row.endswith("all significant Fair criteria met")


def test_explain_lists_criteria_evidence_and_rules() -> None:
    r = runner.invoke(app, ["grade", "norfolk-2007", "--root", str(REPO), "--explain", "domestic-violence"])
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith("Protecting Vulnerable People – Domestic Violence — Norfolk Constabulary")
    assert "  dv-f3  met [significant] [dominant]" in out
    assert "- dv-establishment-rationale (areas for improvement): The rationale for the current establishment of DVUs" in out
    assert "  Good: does not hold" in out and "  Fair: holds" in out
    assert "\nAwarded grade: Fair\n\nPath to another grade" in out
    assert "  down: 1 change, 7 ways\n      dv-f1 (Fair) met → not met gives Poor\n" in out


def test_explain_unknown_area_is_a_usage_error() -> None:
    r = runner.invoke(app, ["grade", "norfolk-2007", "--root", str(REPO), "--explain", "traffic"])
    assert r.exit_code == 2
    assert "unknown graded area 'traffic'; expected one of: neighbourhood-policing," in r.output


def test_professional_judgement_is_shown(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", root)
    area = root / "evidence" / "testshire-2024" / "public-contact.yaml"
    text = area.read_text(encoding="utf-8")
    assert "grade: Good\n" in text
    area.write_text(
        text.replace("grade: Good\n", "grade: Outstanding\ngrade_rationale: The force is a national leader in call handling.\n"),
        encoding="utf-8",
    )
    national = root / "criteria" / "2024" / "national-results.yaml"
    national.write_text(
        national.read_text(encoding="utf-8").replace("testshire: {public-contact: Good", "testshire: {public-contact: Outstanding"),
        encoding="utf-8",
    )
    r = runner.invoke(app, ["grade", "testshire-2024", "--root", str(root)])
    assert r.exit_code == 0, r.output
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("Responding") or ln.startswith("Public contact"))
    assert "Good" in row and "Outstanding (professional judgement)" in row
    b = runner.invoke(app, ["build", "testshire-2024", "--root", str(root), "--out", str(tmp_path / "out"), "--format", "md"])
    assert b.exit_code == 0, b.output
    md = (tmp_path / "out" / "testshire-2024" / "report.md").read_text(encoding="utf-8")
    assert "Professional judgement: The force is a national leader in call handling." in md


def test_grade_refuses_a_broken_project(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", root)
    (root / "evidence" / "testshire-2024" / "glossary.yaml").write_text("terms: []\n", encoding="utf-8")
    r = runner.invoke(app, ["grade", "--root", str(root)])
    assert r.exit_code == 1
    assert "evidence/testshire-2024/force.yaml:7:8: error[E603]: abbreviation 'PEEL' is not in the glossary" in r.output


def test_an_area_not_inspected_is_said_so(tmp_path: Path) -> None:
    root = REPO / "tests" / "fixtures" / "frameworks" / "peel-2021"
    r = runner.invoke(app, ["grade", "mercia-2021", "--root", str(root)])
    assert r.exit_code == 0, r.output
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("Managing offenders"))
    assert row.split() == ["Managing", "offenders", "-", "not", "inspected", "-", "not", "inspected", "in", "this", "area"]
    j = runner.invoke(app, ["grade", "mercia-2021", "--root", str(root), "--format", "json"])
    area = next(a for a in json.loads(j.stdout)["areas"] if a["area"] == "managing-offenders")
    assert (area["awarded"], area["inspected"], area["derived"]) == (None, False, None)
    e = runner.invoke(app, ["grade", "mercia-2021", "--root", str(root), "--explain", "managing-offenders"])
    assert "not inspected in this area (inspected: false): there is no grade to derive" in e.stdout
