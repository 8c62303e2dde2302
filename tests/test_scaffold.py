"""`hmic new force`: a commented evidence folder that hmic reads, for the year's framework, never over an existing one."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.inputs.loader import parse
from hmic_compile.inputs.project import load_project
from hmic_compile.tools import schema as sch

from .conftest import REPO

runner = CliRunner()
MINI = REPO / "tests" / "fixtures" / "mini"


def _mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    return root


def _real(tmp_path: Path) -> Path:
    root = tmp_path / "real"
    for top in ("criteria", "evidence", "schemas"):
        shutil.copytree(REPO / top, root / top)
    return root


def _new(root: Path, *args: str):
    return runner.invoke(app, ["new", "force", *args, "--root", str(root)])


def _validate(root: Path, *args: str):
    return runner.invoke(app, ["validate", "--root", str(root), *args])


@pytest.mark.parametrize(
    ("project", "name", "year", "areas"),
    [
        (_mini, "newshire", 2024, ["force-overview", "public-contact", "vulnerable-people"]),
        (
            _real,
            "suffolk",
            2007,
            [
                "neighbourhood-policing",
                "performance-management",
                "pvp-overview",
                "child-abuse",
                "domestic-violence",
                "public-protection",
                "missing-persons",
            ],
        ),
    ],
)
def test_scaffold_reads_cleanly_but_for_what_only_an_inspector_can_add(
    tmp_path: Path, project, name: str, year: int, areas: list[str]
) -> None:
    root = project(tmp_path)
    r = _new(root, name, "--year", str(year))
    assert r.exit_code == 0, r.output
    key = f"{name}-{year}"
    folder = root / "evidence" / key
    assert sorted(p.name for p in folder.iterdir()) == sorted(["force.yaml", "glossary.yaml", *[f"{a}.yaml" for a in areas]])
    assert f"next: fill them in, then run: hmic validate {key}" in r.output
    v = _validate(root)
    # Every file parses and passes the schema; the glossary covers every abbreviation the report would print;
    # nothing but the draft's unjudged areas is reported, and only as warnings (W315).
    assert v.exit_code == 0, v.output
    assert ": error[" not in v.output, v.output
    warned = {line.split("[", 1)[1].split("]", 1)[0] for line in v.output.splitlines() if ": warning[" in line}
    assert warned == {"W315"}, v.output
    assert v.output.count("warning[W315]") == len([a for a in areas if a not in ("force-overview", "pvp-overview")])
    project_, diags = load_project(root, [key])
    assert key in project_.forces


def test_scaffold_validates_with_warnings_only(tmp_path: Path) -> None:
    root = _real(tmp_path)
    assert _new(root, "suffolk", "--year", "2007").exit_code == 0
    v = _validate(root)
    assert v.exit_code == 0, v.output
    assert _validate(root, "--strict").exit_code == 1


def test_area_files_guide_the_inspector(tmp_path: Path) -> None:
    root = _real(tmp_path)
    assert _new(root, "suffolk", "--year", "2007").exit_code == 0
    ca = (root / "evidence/suffolk-2007/child-abuse.yaml").read_text(encoding="utf-8")
    assert ca.startswith("# yaml-language-server: $schema=../../schemas/2007/area-evidence.child-abuse.schema.json\n")
    assert "Excellent, Good, Fair, Poor" in ca
    flat = re.sub(r"\n# *", " ", ca)  # comments unwrapped
    assert "count forces at: Excellent 3, Good 17, Fair 21, Poor 2" in flat  # E506: a grade the totals count no force at
    criteria = yaml.safe_load((REPO / "criteria/2007/areas/child-abuse.yaml").read_text(encoding="utf-8"))["criteria"]
    for c in criteria:
        assert f"#   - criterion: {c['id']}\n" in ca
    # Uncommenting the judgements block (as an editor's toggle-comment does) gives one judgement per criterion.
    block = ca[ca.index("# judgements:") :].split("\n\n")[0]
    data = parse("\n".join(line[2:] for line in block.splitlines()), "x.yaml").data
    assert [j["criterion"] for j in data["judgements"]] == [c["id"] for c in criteria]
    ungraded = (root / "evidence/suffolk-2007/pvp-overview.yaml").read_text(encoding="utf-8")
    assert "not graded" in ungraded and "judgements" not in ungraded.split("area: pvp-overview")[1]
    force = (root / "evidence/suffolk-2007/force.yaml").read_text(encoding="utf-8")
    assert 'framework: "2007"' in force and "year: 2007" in force and "name: Suffolk" in force
    assert "title: HMIC Inspection Report Suffolk October 2007" in force  # the pattern of the year's other report
    glossary = yaml.safe_load((root / "evidence/suffolk-2007/glossary.yaml").read_text(encoding="utf-8"))
    assert {"term": "SGC", "meaning": "Specific Grading Criteria"} in glossary["terms"]
    assert "LSCB" in glossary["unexpanded"]  # Norfolk's glossary leaves it out too


def _schema_check(root: Path):
    return runner.invoke(app, ["schema", "--root", str(root), "--annotate", "--check"])


def test_scaffolded_files_are_valid_for_their_schemas(tmp_path: Path) -> None:
    root = _real(tmp_path)
    assert _new(root, "suffolk", "--year", "2007").exit_code == 0
    # Each file points at its framework's own schema, as `hmic schema --annotate` would: nothing to rewrite.
    r = _schema_check(root)
    assert r.exit_code == 0, r.output
    planned = sch.plan(root, root / "schemas", annotate=True).modelines
    for path in (root / "evidence/suffolk-2007").iterdir():
        kind = sch.kind_of(path.relative_to(root).as_posix())
        assert kind is not None
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0]
        assert first == planned[path].splitlines()[0]
        if kind.name != "glossary":
            assert "/schemas/2007/" in first, first
        own = json.loads((path.parent / first.removeprefix(sch.MODELINE_PREFIX)).read_text(encoding="utf-8"))
        for schema in (sch.generate(kind), own):
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(yaml.safe_load(text)))
            assert not errors, (path.name, [e.message for e in errors])


@pytest.mark.parametrize("fixture", ["peel-2021", "seven-grade", "three-grade"])
def test_a_force_of_a_later_framework_points_at_that_frameworks_schemas(tmp_path: Path, fixture: str) -> None:
    root = tmp_path / fixture
    shutil.copytree(REPO / "tests" / "fixtures" / "frameworks" / fixture, root)
    (framework,) = [p.name for p in (root / "criteria").iterdir()]
    r = _new(root, "newtown", "--framework", framework)
    assert r.exit_code == 0, r.output
    (folder,) = [p for p in (root / "evidence").iterdir() if p.name.startswith("newtown-")]
    force = (folder / "force.yaml").read_text(encoding="utf-8")
    assert force.startswith(f"# yaml-language-server: $schema=../../schemas/{framework}/force.schema.json\n")
    r = _schema_check(root)
    assert r.exit_code == 0, r.output


def test_previous_grades_come_from_the_same_force_in_an_earlier_year(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    shutil.copytree(root / "criteria/2024", root / "criteria/2025")
    fw = root / "criteria/2025/framework.yaml"
    fw.write_text(fw.read_text(encoding="utf-8").replace("year: 2024", "year: 2025"), encoding="utf-8")
    r = _new(root, "testshire", "--year", "2025")
    assert r.exit_code == 0, r.output
    force = yaml.safe_load((root / "evidence/testshire-2025/force.yaml").read_text(encoding="utf-8"))
    assert force["previous_grades"] == {
        "public-contact": {"grade": "Good", "assessment": "2024 inspection"},
        "vulnerable-people": {"grade": "Requires improvement", "assessment": "2024 inspection"},
    }
    assert force["framework"] == "2025"


def test_per_force_national_results_are_pointed_out(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    r = _new(root, "newshire", "--year", "2024")
    assert r.exit_code == 0
    assert "note: criteria/2024/national-results.yaml lists 5 forces' grades and not 'newshire'" in r.output
    assert "(E507)" in (root / "evidence/newshire-2024/public-contact.yaml").read_text(encoding="utf-8")


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    assert _new(root, "newshire", "--year", "2024").exit_code == 0
    f = root / "evidence/newshire-2024/force.yaml"
    f.write_text("edited\n", encoding="utf-8")
    r = _new(root, "newshire", "--year", "2024")
    assert r.exit_code == 1
    assert "error: evidence/newshire-2024 already exists; nothing was written" in r.output
    assert f.read_text(encoding="utf-8") == "edited\n"
    r = _new(root, "testshire", "--year", "2024")
    assert r.exit_code == 1 and "already exists" in r.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["newshire", "--year", "2030"],
            1,
            "error: no framework for 2030: no folder under criteria/ is named 2030 or holds a framework of 2030; available: 2024",
        ),
        (
            ["newshire", "--framework", "peel-2030"],
            1,
            "error: no framework 'peel-2030': criteria/peel-2030/framework.yaml does not exist; available: 2024",
        ),
        (["newshire", "--framework", "../2024"], 1, "error: no framework '../2024'"),
        (["newshire", "--framework", "2024", "--year", "2024"], 2, "error: give --framework or --year, not both"),
        (["New Shire", "--year", "2024"], 2, "is not a force name hmic can use as a folder"),
        (["../x", "--year", "2024"], 2, "is not a force name"),
        (["newshire-2024", "--year", "2024"], 2, "already ends with a year"),
        (["newshire"], 2, "error: give --framework NAME, the framework's folder under criteria/; available: 2024"),
    ],
)
def test_usage_and_input_errors(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    root = _mini(tmp_path)
    r = _new(root, *args)
    assert r.exit_code == code, r.output
    assert message in r.output
    assert sorted(p.name for p in (root / "evidence").iterdir()) == ["testshire-2024"]


def test_a_broken_framework_is_reported_not_scaffolded(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    fw = root / "criteria/2024/framework.yaml"
    fw.write_text(fw.read_text(encoding="utf-8").replace("levels:", "levelz:"), encoding="utf-8")
    r = _new(root, "newshire", "--year", "2024")
    assert r.exit_code == 1
    assert "criteria/2024/framework.yaml:" in r.output and "the 2024 framework has problems" in r.output
    assert not (root / "evidence/newshire-2024").exists()


# --- any framework, by its folder's name -------------------------------------------------------


def _second_framework(root: Path, key: str, year: int) -> Path:
    """criteria/<key>/: the mini framework again, of another year, under a folder name that is not a year."""
    shutil.copytree(root / "criteria/2024", root / "criteria" / key)
    fw = root / "criteria" / key / "framework.yaml"
    fw.write_text(fw.read_text(encoding="utf-8").replace("year: 2024", f"year: {year}"), encoding="utf-8")
    (root / "criteria" / key / "national-results.yaml").unlink()
    return root / "criteria" / key


def test_new_force_for_any_framework_folder(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    _second_framework(root, "peel-2016", 2016)
    r = _new(root, "newshire", "--framework", "peel-2016")
    assert r.exit_code == 0, r.output
    force = yaml.safe_load((root / "evidence/newshire-2016/force.yaml").read_text(encoding="utf-8"))
    assert force["framework"] == "peel-2016" and force["year"] == 2016
    v = _validate(root)
    assert v.exit_code == 0, v.output
    assert ": error[" not in v.output
    # --year stays a shorthand while one framework has the year
    assert _new(root, "oldshire", "--year", "2016").exit_code == 0
    assert (root / "evidence/oldshire-2016").is_dir()


def test_year_is_refused_when_two_frameworks_have_it(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    _second_framework(root, "peel-2016", 2016)
    _second_framework(root, "vem-2016", 2016)
    r = _new(root, "newshire", "--year", "2016")
    assert r.exit_code == 2
    assert "error: --year 2016 is ambiguous: the frameworks peel-2016, vem-2016 are all of 2016" in r.output
    assert "--framework peel-2016" in r.output


def test_placeholders_are_neutral(tmp_path: Path) -> None:
    """With no other force to copy from, nothing of 2007 or of any inspectorate is written for the inspector to find."""
    root = _mini(tmp_path)
    _second_framework(root, "peel-2016", 2016)
    shutil.rmtree(root / "evidence/testshire-2024")
    r = _new(root, "newshire", "--framework", "peel-2016")
    assert r.exit_code == 0, r.output
    assert "W340" in r.output  # no publisher is known: said, not invented
    for path in (root / "evidence/newshire-2016").iterdir():
        text = path.read_text(encoding="utf-8")
        for word in ("Her Majesty", "HMIC", "Inspectorate", "baseline", "2006", "2007", "Norfolk", "Specific Grading"):
            assert word not in text, f"{path.name}: {word}"
    v = _validate(root)
    assert v.exit_code == 0, v.output
    assert ": error[" not in v.output


def test_publisher_comes_from_the_framework(tmp_path: Path) -> None:
    root = _real(tmp_path)
    assert _new(root, "suffolk", "--framework", "2007").exit_code == 0
    force = (root / "evidence/suffolk-2007/force.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(force)
    assert "publisher" not in data, "Norfolk's publisher is the framework's: the new force inherits it"
    assert "the framework's publisher, Her Majesty's Inspectorate of Constabulary" in force


def _new_framework(root: Path, *args: str):
    return runner.invoke(app, ["new", "framework", *args, "--root", str(root)])


def test_new_framework_from_2007_validates(tmp_path: Path) -> None:
    root = _real(tmp_path)
    r = _new_framework(root, "peel-2016", "--from", "2007", "--title", "PEEL 2016")
    assert r.exit_code == 0, r.output
    folder = root / "criteria/peel-2016"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml")) == sorted(
        p.relative_to(REPO / "criteria/2007").as_posix()
        for p in (REPO / "criteria/2007").rglob("*.yaml")
        if p.name != "national-results.yaml"
    )
    text = (folder / "framework.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/framework.schema.json\n# Started from criteria/2007/")
    data = yaml.safe_load(text)
    assert (data["year"], data["title"]) == (2016, "PEEL 2016")
    assert data["grades"] == yaml.safe_load((REPO / "criteria/2007/framework.yaml").read_text(encoding="utf-8"))["grades"]
    assert "# The grade scale, best first." in text, "comments are kept"
    assert "national-results.yaml was not copied" in r.output
    v = _validate(root, "--strict")
    assert v.exit_code == 0, v.output
    # Its own schemas are written, and each file points at its own, as `hmic schema --annotate` would.
    assert sorted(p.name for p in (root / "schemas/peel-2016").iterdir()) == sorted(p.name for p in (root / "schemas/2007").iterdir())
    criteria = (folder / "areas/child-abuse.yaml").read_text(encoding="utf-8")
    assert criteria.startswith("# yaml-language-server: $schema=../../../schemas/peel-2016/area-criteria.child-abuse.schema.json\n")
    assert "schemas/peel-2016/" in r.output
    c = _schema_check(root)
    assert c.exit_code == 0, c.output
    # and a force can be started from it straight away
    assert _new(root, "suffolk", "--framework", "peel-2016").exit_code == 0
    v = _validate(root)
    assert v.exit_code == 0 and ": error[" not in v.output, v.output
    c = _schema_check(root)
    assert c.exit_code == 0, c.output
    force = (root / "evidence/suffolk-2016/force.yaml").read_text(encoding="utf-8")
    assert force.startswith("# yaml-language-server: $schema=../../schemas/peel-2016/force.schema.json\n")


def test_new_framework_in_a_project_without_schemas_writes_no_modelines(tmp_path: Path) -> None:
    root = _real(tmp_path)
    shutil.rmtree(root / "schemas")
    assert _new_framework(root, "peel-2016", "--from", "2007").exit_code == 0
    assert not (root / "schemas").exists()
    for path in (root / "criteria/peel-2016").rglob("*.yaml"):
        assert "yaml-language-server" not in path.read_text(encoding="utf-8"), path  # the source's point at its schemas
    assert _validate(root, "--strict").exit_code == 0


def test_new_framework_refuses_a_schemas_folder_of_its_name(tmp_path: Path) -> None:
    root = _real(tmp_path)
    (root / "schemas/peel-2016").symlink_to(tmp_path)
    r = _new_framework(root, "peel-2016", "--from", "2007")
    assert r.exit_code == 1, r.output
    assert "error: schemas/peel-2016 already exists; nothing was written" in r.output
    assert not (root / "criteria/peel-2016").exists()
    assert sorted(p.name for p in (root / "criteria").iterdir()) == ["2007"]


def test_new_framework_takes_its_year_from_its_name_or_year(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    assert _new_framework(root, "peel-2016", "--from", "2024").exit_code == 0
    assert yaml.safe_load((root / "criteria/peel-2016/framework.yaml").read_text(encoding="utf-8"))["year"] == 2016
    assert _new_framework(root, "vem", "--from", "2024", "--year", "2019").exit_code == 0
    data = yaml.safe_load((root / "criteria/vem/framework.yaml").read_text(encoding="utf-8"))
    assert (data["year"], data["title"]) == (2019, "Vem")
    assert _validate(root).exit_code == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["peel", "--from", "2024"], 2, "error: 'peel' does not end with a year"),
        (["Peel 2016", "--from", "2024"], 2, "is not a framework name hmic can use as a folder"),
        (["peel-2016", "--from", "2007"], 1, "error: no framework '2007'"),
        (["2024", "--from", "2024"], 1, "error: criteria/2024 already exists; nothing was written"),
    ],
)
def test_new_framework_errors(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    root = _mini(tmp_path)
    r = _new_framework(root, *args)
    assert r.exit_code == code, r.output
    assert message in r.output
    assert sorted(p.name for p in (root / "criteria").iterdir()) == ["2024"], "nothing written, no temporary folder left"
