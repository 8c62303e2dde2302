"""`hmic schema`: committed schemas match the models, every YAML file points at its schema, and the editor agrees with hmic."""

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
from hmic_compile.inputs import models as m
from hmic_compile.inputs.loader import parse
from hmic_compile.tools import schema as sch

from .conftest import REPO

runner = CliRunner()
SCHEMAS = REPO / "schemas"
MINI = REPO / "tests" / "fixtures" / "mini"
# The repository, the mini project and the frameworks after 2007 (tests/fixtures/frameworks/): each has its schemas/.
PROJECTS = (REPO, MINI, *sorted(p for p in (REPO / "tests" / "fixtures" / "frameworks").iterdir() if p.is_dir()))
PROJECT_IDS = ["repository", "mini", *(p.name for p in PROJECTS[2:])]
FILES = [(root, p, kind) for root in PROJECTS for p, kind in sch.yaml_files(root)]


def _id(item: tuple[Path, Path, sch.Kind]) -> str:
    return item[1].relative_to(REPO).as_posix()


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 core schema, as the YAML language server (and so VS Code) reads a file: `NO` and dates stay text."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, regexp, first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(regexp), list(first))
Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", lambda loader, node: loader.construct_scalar(node).lower() == "true")
Yaml12Loader.add_constructor(
    "tag:yaml.org,2002:int",
    lambda loader, node: (
        int(loader.construct_scalar(node), 0)
        if loader.construct_scalar(node)[:2] in ("0o", "0x")
        else int(loader.construct_scalar(node), 10)
    ),
)
Yaml12Loader.add_constructor(
    "tag:yaml.org,2002:float",
    lambda loader, node: float(
        loader.construct_scalar(node).lower().replace(".", "", 1)
        if loader.construct_scalar(node).lower().lstrip("+-") in (".inf", ".nan")
        else loader.construct_scalar(node)
    ),
)


def yaml12(text: str) -> object:
    return yaml.load(text, Loader=Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


def validator(kind: sch.Kind, draft: type = jsonschema.Draft202012Validator) -> jsonschema.protocols.Validator:
    return draft(sch.generate(kind))


# --- the committed schemas --------------------------------------------------------------


@pytest.mark.parametrize("root", PROJECTS, ids=PROJECT_IDS)
def test_committed_schemas_are_what_hmic_schema_generates(root: Path) -> None:
    expected = sch.plan(root, root / "schemas", annotate=False).schemas
    committed = sorted(p for p in (root / "schemas").rglob("*") if p.is_file())
    assert committed == sorted(expected), "schemas/ holds one file per kind, and each framework's own in schemas/<framework>/"
    for path, text in expected.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.relative_to(REPO)} is stale: run hmic schema"
    frameworks = sorted(p.name for p in (root / "criteria").iterdir())
    assert sorted(p.name for p in (root / "schemas").iterdir() if p.is_dir()) == frameworks


def test_hmic_schema_check_passes_on_the_repository() -> None:
    for root in PROJECTS:
        r = runner.invoke(app, ["schema", "--root", str(root), "--annotate", "--check"])
        assert r.exit_code == 0, r.output


@pytest.mark.parametrize("kind", sch.KINDS, ids=lambda k: k.name)
def test_each_schema_is_a_valid_json_schema_for_both_drafts(kind: sch.Kind) -> None:
    s = sch.generate(kind)
    jsonschema.Draft202012Validator.check_schema(s)
    jsonschema.Draft7Validator.check_schema(s)  # editors that only know draft 7 read it the same way
    assert s["$schema"] == sch.DRAFT
    assert s["additionalProperties"] is False


def test_output_is_deterministic_sorted_and_ends_with_one_newline(tmp_path: Path) -> None:
    for out in (tmp_path / "a", tmp_path / "b"):
        r = runner.invoke(app, ["schema", "--root", str(tmp_path), "--out", str(out)])
        assert r.exit_code == 0, r.output
    for k in sch.KINDS:
        a = (tmp_path / "a" / k.filename).read_bytes()
        assert a == (tmp_path / "b" / k.filename).read_bytes()
        assert a.endswith(b"}\n") and not a.endswith(b"\n\n")
        assert b"\r" not in a


def test_default_output_is_schemas_at_the_root_and_check_fails_when_missing(tmp_path: Path) -> None:
    r = runner.invoke(app, ["schema", "--root", str(tmp_path), "--check"])
    assert r.exit_code == 1
    assert "7 files out of date; run: hmic schema" in r.output
    r = runner.invoke(app, ["schema", "--root", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "schemas").iterdir()) == sorted(k.filename for k in sch.KINDS)
    assert runner.invoke(app, ["schema", "--root", str(tmp_path), "--check"]).exit_code == 0


# --- modelines --------------------------------------------------------------------------


@pytest.mark.parametrize("item", FILES, ids=_id)
def test_every_yaml_file_points_at_its_schema(item: tuple[Path, Path, sch.Kind]) -> None:
    root, path, kind = item
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first.startswith(sch.MODELINE_PREFIX), f"{_id(item)}: first line should be the modeline; run hmic schema --annotate"
    target = (path.parent / first[len(sch.MODELINE_PREFIX) :]).resolve()
    assert target.is_file()
    specific = kind.name in ("area-evidence", "area-criteria", "force", "national-results")
    top, folder = path.relative_to(root).parts[:2]
    framework = folder if top == "criteria" else _framework_named(path.parent / "force.yaml")
    expected = f"{framework}/{kind.name}.{path.stem}.schema.json" if kind.name.startswith("area-") else f"{framework}/{kind.filename}"
    assert target == (root / "schemas" / (expected if specific else kind.filename)).resolve()


def _framework_named(force_yaml: Path) -> str:
    """The framework a force's force.yaml names (`framework: "2007"`, `framework: peel-2021`)."""
    found = re.search(r"^framework: *[\"']?([^\"'\n]+)", force_yaml.read_text(encoding="utf-8"), re.MULTILINE)
    assert found, force_yaml
    return found.group(1)


def test_every_file_hmic_reads_has_a_kind() -> None:
    seen = {p for _, p, _ in FILES}
    for root in PROJECTS:
        for top in ("criteria", "evidence"):
            for p in (root / top).rglob("*.y*ml"):
                assert p in seen, p
    assert len(FILES) == 90  # 19 in the repository, 11 in mini, 25 + 16 + 19 in the three frameworks


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        ("criteria/2007/framework.yaml", "framework"),
        ("criteria/2007/introduction.yaml", "introduction"),
        ("criteria/2007/national-results.yaml", "national-results"),
        ("criteria/2007/areas/child-abuse.yaml", "area-criteria"),
        ("evidence/norfolk-2007/force.yaml", "force"),
        ("evidence/norfolk-2007/glossary.yml", "glossary"),
        ("evidence/norfolk-2007/child-abuse.yaml", "area-evidence"),
        ("criteria/2007/notes.yaml", None),
        ("criteria/readme.yaml", None),
        ("evidence/norfolk-2007/notes.txt", None),
        ("evidence/norfolk-2007/sub/x.yaml", None),
        ("templates/x.yaml", None),
    ],
)
def test_kind_of(rel: str, kind: str | None) -> None:
    k = sch.kind_of(rel)
    assert (k.name if k else None) == kind


def test_annotate_is_idempotent_keeps_line_endings_and_byte_order_mark(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(MINI, root)
    ev = root / "evidence" / "testshire-2024"
    crlf = ev / "force-overview.yaml"
    crlf.write_bytes(b"area: force-overview\r\ncontextual_factors:\r\n  - One control room.\r\n")
    bom = ev / "glossary.yaml"
    bom.write_bytes(
        b"\xef\xbb\xbf" + b"terms:\n  - {term: PEEL, meaning: 'Police effectiveness, efficiency and legitimacy'}\n"
        b"  - {term: MASH, meaning: Multi-agency safeguarding hub}\n"
    )
    r = runner.invoke(app, ["schema", "--root", str(root), "--annotate"])
    assert r.exit_code == 0, r.output
    assert crlf.read_bytes() == (
        b"# yaml-language-server: $schema=../../schemas/2024/area-evidence.force-overview.schema.json\r\n"
        b"area: force-overview\r\ncontextual_factors:\r\n  - One control room.\r\n"
    )
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf# yaml-language-server: $schema=../../schemas/glossary.schema.json\nterms:")
    snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    r = runner.invoke(app, ["schema", "--root", str(root), "--annotate"])
    assert r.exit_code == 0 and "wrote" not in r.output
    assert snapshot == {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    # A stale modeline is replaced, not stacked.
    (root / "schemas").rename(root / "json")
    r = runner.invoke(app, ["schema", "--root", str(root), "--out", str(root / "json"), "--annotate"])
    assert r.exit_code == 0
    text = crlf.read_text(encoding="utf-8")
    assert text.count("yaml-language-server") == 1 and "../../json/2024/area-evidence.force-overview.schema.json" in text
    r = runner.invoke(app, ["validate", "--root", str(root), "--strict"])
    assert r.exit_code == 0, r.output


# --- the editor and hmic agree ----------------------------------------------------------


@pytest.mark.parametrize("item", FILES, ids=_id)
def test_every_real_file_is_valid_for_its_schema(item: tuple[Path, Path, sch.Kind]) -> None:
    _, path, kind = item
    text = path.read_text(encoding="utf-8")
    own = json.loads((path.parent / text.split("\n", 1)[0][len(sch.MODELINE_PREFIX) :]).read_text(encoding="utf-8"))
    for loaded in (yaml.safe_load(text), yaml12(text)):
        for draft in (jsonschema.Draft202012Validator, jsonschema.Draft7Validator):
            for schema in (sch.generate(kind), own):
                errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in draft(schema).iter_errors(loaded)]
                assert not errors, f"{_id(item)} ({draft.__name__}, {schema['title']}): {errors[:5]}"


def _hmic_accepts(model: type[m.Model], text: str) -> bool:
    try:
        model.model_validate(parse(text, "f.yaml").data)
    except Exception:  # noqa: BLE001 - any refusal counts
        return False
    return True


def _schema_accepts(kind: str, text: str) -> bool:
    return validator(sch.BY_NAME[kind]).is_valid(yaml12(text))


GLOSSARY = "terms:\n  - term: PEEL\n    meaning: Police effectiveness\n"


@pytest.mark.parametrize(
    ("kind", "text", "accepted"),
    [
        ("glossary", GLOSSARY, True),
        ("glossary", GLOSSARY + "unexpanded: [NO, 2007-10-01]\n", True),  # YAML 1.1 would make these a bool and a date
        ("glossary", "terms: []\n", True),  # no glossary printed (W341)
        ("glossary", "terms: {}\n", False),
        ("glossary", GLOSSARY + "termz: []\n", False),
        ("glossary", "terms:\n  - term: PEEL\n", False),
        ("glossary", "terms:\n  - term: 43\n    meaning: forty-three\n", True),  # an unquoted number is text to hmic
        ("area-evidence", "area: child-abuse\ngrade: Good\n", True),
        ("area-evidence", "area: Child Abuse\n", False),
        ("area-evidence", "area: ca\ncontextual_factors:\n  - table: {header: [Grade, Forces], rows: [[Good, 14]]}\n", True),
        ("area-evidence", "area: ca\ncontextual_factors:\n  - tabel: {header: [Grade]}\n", False),
        ("area-evidence", "area: ca\njudgements:\n  - {criterion: ca-f1, judgement: met, evidence: [x]}\n", True),
        ("area-evidence", "area: ca\njudgements:\n  - {criterion: ca-f1, judgement: mostly}\n", False),
        ("area-evidence", "area: ca\nstrengths:\n  - id: Bad Id\n    text: x\n", False),
        ("force", 'name: N\nyear: 2007\nframework: "2007"\npublisher: P\ntitle: T\nmonth: May\noverview: {title: O}\n', True),
        ("force", "name: N\nyear: 2007\nframework: 2007\npublisher: P\ntitle: T\nmonth: May\noverview: {title: O}\n", True),
        ("force", 'name: N\nyear: 2007\nframework: "2007"\npublisher: P\ntitle: T\noverview: {title: O}\n', False),
        ("national-results", "source: S\ntotals:\n  child-abuse: {Good: 17, Fair: 21}\n", True),
        ("national-results", "source: S\ntotals:\n  child-abuse: {Good: many}\n", False),
    ],
)
def test_the_editor_and_hmic_agree(kind: str, text: str, accepted: bool) -> None:
    model = sch.BY_NAME[kind].model
    assert _hmic_accepts(model, text) is accepted
    assert _schema_accepts(kind, text) is accepted
