"""Each framework's own schemas: they refuse what hmic refuses about grades, levels, factors, areas and
criteria, accept every real file, and every field says what it is (the editor's hover)."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.inputs import models as m
from hmic_compile.tools import schema as sch
from hmic_compile.tools import schema_framework as sf

from .conftest import REPO
from .test_schema import yaml12

MINI = REPO / "tests" / "fixtures" / "mini"
MODELS = [
    c for c in vars(m).values() if inspect.isclass(c) and issubclass(c, BaseModel) and c.__module__.startswith("hmic_compile.inputs.model")
]


@pytest.mark.parametrize("model", MODELS, ids=lambda c: c.__name__)
def test_every_field_of_every_model_has_a_description(model: type[BaseModel]) -> None:
    assert len(MODELS) > 30
    missing = [name for name, f in model.model_fields.items() if not (f.description or "").strip()]
    assert not missing, f"{model.__name__}: give these fields a docstring: {missing}"


def _properties(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            out.append((f"{path}/{name}", sub))
        for key, sub in node.items():
            out += _properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            out += _properties(sub, f"{path}/{i}")
    return out


@pytest.mark.parametrize("kind", sch.KINDS, ids=lambda k: k.name)
def test_every_key_of_every_schema_is_described(kind: sch.Kind) -> None:
    undescribed = [p for p, node in _properties(sch.generate(kind)) if "description" not in node]
    assert not undescribed


@pytest.fixture(scope="module")
def mini() -> dict[str, dict[str, Any]]:
    (fb,) = sf.sound_frameworks(MINI).values()
    return sf.framework_schemas(fb)


def test_each_framework_schema_is_a_valid_json_schema(mini: dict[str, dict[str, Any]]) -> None:
    assert sorted(mini) == sorted(
        ["force.schema.json", "national-results.schema.json"]
        + [f"area-{k}.{a}.schema.json" for k in ("evidence", "criteria") for a in ("force-overview", "public-contact", "vulnerable-people")]
    )
    for schema in mini.values():
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft7Validator.check_schema(schema)


def _errors(schema: dict[str, Any], text: str) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(yaml12(text))
    ]


JUDGED = "area: public-contact\ngrade: {grade}\njudgements:\n  - {{criterion: {criterion}, judgement: met, evidence: [x]}}\n"


@pytest.mark.parametrize(
    ("file", "text", "refused_at"),
    [
        ("area-evidence.public-contact", JUDGED.format(grade="Good", criterion="pc-g1"), None),
        ("area-evidence.public-contact", JUDGED.format(grade="Goood", criterion="pc-g1"), "grade"),
        ("area-evidence.public-contact", JUDGED.format(grade="Good", criterion="pc-g9"), "judgements/0/criterion"),
        ("area-evidence.public-contact", JUDGED.format(grade="Good", criterion="vp-g1"), "judgements/0/criterion"),  # another area's
        ("area-evidence.public-contact", "area: vulnerable-people\n", "area"),
        ("area-evidence.force-overview", "area: force-overview\ncontextual_factors: [One control room.]\n", None),
        ("area-evidence.force-overview", "area: force-overview\ngrade: Good\n", ""),  # not graded: no grade (E313)
        ("area-criteria.public-contact", "area: public-contact\ncriteria:\n  - {id: pc-g1, level: Good, text: T}\n", None),
        ("area-criteria.public-contact", "area: public-contact\ncriteria:\n  - {id: pc-g1, level: Goodish, text: T}\n", "criteria/0/level"),
        ("force", "name: N\nyear: 2024\nframework: 2024\npublisher: P\ntitle: T\nmonth: May\noverview: {title: O}\n", None),
        ("force", 'name: N\nyear: 2024\nframework: "2023"\npublisher: P\ntitle: T\nmonth: May\noverview: {title: O}\n', "framework"),
        (
            "force",
            "name: N\nyear: 2024\nframework: '2024'\npublisher: P\ntitle: T\nmonth: May\noverview: {title: O}\n"
            "previous_grades:\n  public-contact: {grade: Fair, assessment: A}\n",
            "previous_grades/public-contact/grade",
        ),
        (
            "force",
            "name: N\nyear: 2024\nframework: '2024'\npublisher: P\ntitle: T\nmonth: May\noverview: {title: O}\n"
            "previous_grades:\n  publik-contact: {grade: Good, assessment: A}\n",
            "previous_grades",
        ),
        ("national-results", "source: S\nforces:\n  testshire: {public-contact: Good}\n", None),
        ("national-results", "source: S\nforces:\n  testshire: {public-contact: Goood}\n", "forces/testshire/public-contact"),
        ("national-results", "source: S\nforces:\n  testshire: {force-overview: Good}\n", "forces/testshire"),  # not graded
        ("national-results", "source: S\ntotals:\n  public-contact: {Good: 3, Inadequate: 2}\n", None),
        ("national-results", "source: S\ntotals:\n  public-contact: {Goood: 3}\n", "totals/public-contact"),
        # Forces not inspected in an area: a totals key and a per-force value, never an area file's grade (E321, E323).
        ("national-results", "source: S\ntotals:\n  public-contact: {Good: 3, not inspected: 2}\n", None),
        ("national-results", "source: S\nforces:\n  testshire: {public-contact: not inspected}\n", None),
        ("area-evidence.public-contact", "area: public-contact\ninspected: false\nstrengths: [S]\n", None),
        ("area-evidence.public-contact", "area: public-contact\ninspected: false\ngrade: Good\n", "grade"),
        ("area-evidence.public-contact", JUDGED.format(grade="not inspected", criterion="pc-g1"), "grade"),
        (
            "area-evidence.public-contact",
            "area: public-contact\ninspected: false\njudgements:\n  - {criterion: pc-g1, judgement: met}\n",
            "judgements",
        ),
        ("area-evidence.force-overview", "area: force-overview\ninspected: false\n", ""),
    ],
)
def test_the_framework_schema_refuses_what_hmic_refuses(
    mini: dict[str, dict[str, Any]], file: str, text: str, refused_at: str | None
) -> None:
    errors = _errors(mini[f"{file}.schema.json"], text)
    if refused_at is None:
        assert errors == []
    else:
        assert errors and all(e.startswith(f"{refused_at}:") for e in errors), errors


def test_criteria_come_with_their_level_and_text(mini: dict[str, dict[str, Any]]) -> None:
    node = mini["area-evidence.vulnerable-people.schema.json"]["$defs"]["CriterionJudgement"]["properties"]["criterion"]
    assert node["enum"] == ["vp-g1", "vp-g2", "vp-g3", "vp-o1"]
    assert node["markdownEnumDescriptions"][0] == "**Good**: Risk to every domestic abuse victim is assessed at first contact."
    assert node["description"].startswith("The id of one of the area's criteria.")


def test_a_framework_with_errors_has_no_schemas_of_its_own_until_it_is_fixed(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(MINI, root)
    fw = root / "criteria" / "2024" / "framework.yaml"
    fw.write_text(fw.read_text(encoding="utf-8").replace("number_of_forces: 5", "number_of_forces: five"), encoding="utf-8")
    r = CliRunner().invoke(app, ["schema", "--root", str(root), "--out", str(tmp_path / "out"), "--annotate"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "out" / "2024").exists()
    first = (root / "evidence" / "testshire-2024" / "public-contact.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first.endswith("/out/area-evidence.schema.json")


def test_factors_are_the_frameworks_own() -> None:
    fb = sf.sound_frameworks(REPO)["2007"]
    schema = sf.area_evidence(fb, "child-abuse")
    base = "area: child-abuse\ngrade: Good\nfactors:\n  - {factor: %s, judgement: met}\n"
    assert _errors(schema, base % "beacon") == []
    errors = _errors(schema, base % "beacn")
    assert errors and all(e.startswith("factors/0/factor:") for e in errors)
    assert _errors(schema, "area: child-abuse\ngrade: Goood\n") and _errors(schema, "area: child-abuse\ngrade: Excellent\n") == []
