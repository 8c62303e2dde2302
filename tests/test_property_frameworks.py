"""Property: what `validate` passes, `build` builds. Many frameworks are generated (scales of 2 to 7 grades, areas with
and without national results in every shape, forces not inspected, thin per-force data); each is validated, and one
that validates clean must build in every format without a template error (and its Word document say what its
Markdown says)."""

from __future__ import annotations

import functools
import json
import os
import shutil
from pathlib import Path

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmic_compile.checks.project import load_checked
from hmic_compile.derive.chart_text import MAX_LABEL_PX, text_width
from hmic_compile.inputs.models import NOT_INSPECTED
from hmic_compile.report import pdf
from hmic_compile.report.build import BuildOptions, build_force
from hmic_compile.report.render import make_environment

from .test_docx import docx_words, md_words
from .test_docx_outline import assert_same_headings

NAMES = [
    "Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate", "Excellent", "Fair", "Poor", "Exceptional",
    "Very good", "Requires significant improvement", "Serious concerns", "Effective", "Ineffective", "Pass", "Fail",
    "Strong", "Weak", "Secure", "At risk", "Sound", "Partly effective", "Ein gutes Ergebnis", "Très bien",
]  # fmt: skip
assert all(text_width(n) <= MAX_LABEL_PX for n in NAMES)
SHAPES = ("none", "totals", "forces", "both", "thin", "both-partial")


def _dump(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")  # JSON is YAML


@st.composite
def projects(draw: st.DrawFn) -> dict:
    grades = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=7, unique=True))
    n_forces = draw(st.integers(1, 30))
    n_areas = draw(st.integers(1, 4))
    areas = []
    for i in range(n_areas):
        shape = draw(st.sampled_from(SHAPES)) if n_forces > 1 else draw(st.sampled_from(("none", "totals", "forces", "both")))
        partial = draw(st.booleans())  # some forces not inspected in the area
        own_inspected = draw(st.booleans()) if partial else True
        others = draw(
            st.lists(st.sampled_from([*grades, NOT_INSPECTED] if partial else grades), min_size=n_forces - 1, max_size=n_forces - 1)
        )
        areas.append(
            {
                "id": f"area-{i + 1}",
                "shape": shape,
                "own_inspected": own_inspected,
                "grade": draw(st.sampled_from(grades)),
                "criteria": draw(st.integers(0, 3)),
                "all_met": draw(st.booleans()),
                "others": others,
                "listed": draw(st.integers(1, max(1, n_forces - 1))),
            }
        )
    return {
        "grades": grades,
        "n_forces": n_forces,
        "areas": areas,
        "ungraded": draw(st.booleans()),
        "labels": draw(st.booleans()),
        "publisher": draw(st.booleans()),
        "published_later": draw(st.booleans()),
    }


def write_project(root: Path, p: dict) -> None:
    grades, fw_dir, ev = p["grades"], root / "criteria" / "gen-2020", root / "evidence" / "home-2020"
    areas = [{"id": a["id"], "name": f"Area {a['id'][-1]}", "title": f"Question {a['id'][-1]}"} for a in p["areas"]]
    if p["ungraded"]:
        areas.insert(0, {"id": "context", "name": "Context", "title": "The force", "graded": "false"})
    framework = {
        "year": 2020,
        "title": "A generated framework",
        "number_of_forces": p["n_forces"],
        "grades": [{"name": g, "definition": [f"The grade {g}."]} for g in grades],
        "levels": ["Core", "Advanced"],
        "grading": {
            "rules": [{"grade": grades[0], "when": {"all_met": ["Core"]}, "explanation": "every core criterion met"}],
            "otherwise": grades[-1],
            "otherwise_explanation": "some core criterion not met",
        },
        "groups": [{"title": "All", "areas": [a["id"] for a in areas]}],
        "areas": areas,
    }
    if p["publisher"]:
        framework["publisher"] = "A publisher"
    if p["labels"]:
        framework["labels"] = {"running_title": "Generated inspection", "not_inspected": "Not looked at", "forces": "Number"}
    _dump(fw_dir / "framework.yaml", framework)
    _dump(fw_dir / "introduction.yaml", {"title": "About", "body": ["A generated inspection.", {"insert": "grade-definitions"}]})
    totals: dict[str, dict[str, int]] = {}
    rows: dict[str, dict[str, str]] = {}
    others = [f"force-{k}" for k in range(1, p["n_forces"])]
    if p["ungraded"]:
        _dump(fw_dir / "areas" / "context.yaml", {"area": "context", "national_context": ["Context."]})
    for a in p["areas"]:
        crit = [{"id": f"{a['id']}-c{k}", "level": "Core", "text": f"Criterion {k}."} for k in range(a["criteria"])]
        _dump(fw_dir / "areas" / f"{a['id']}.yaml", {"area": a["id"], "national_context": ["National context."], "criteria": crit})
        own = a["grade"] if a["own_inspected"] else NOT_INSPECTED
        values = dict(zip(others, a["others"], strict=True)) | {"home": own}
        if a["shape"] in ("totals", "both", "both-partial"):
            counts: dict[str, int] = {}
            for v in values.values():
                counts[v] = counts.get(v, 0) + 1
            totals[a["id"]] = counts
        listed = {"forces": others, "both": others, "thin": others[: a["listed"]], "both-partial": others[: a["listed"]]}
        for f in listed.get(a["shape"], []) + (["home"] if a["shape"] in listed else []):
            rows.setdefault(f, {})[a["id"]] = values[f]
        # the force's own evidence
        if not a["own_inspected"]:
            _dump(ev / f"{a['id']}.yaml", {"area": a["id"], "inspected": "false"})
            continue
        met = a["all_met"] or not crit
        strengths = [{"id": f"{c['id']}-s", "text": "A strength."} for c in crit]
        afis = [{"id": f"{c['id']}-a", "text": "An area for improvement."} for c in crit]
        judgements = [
            {"criterion": c["id"], "judgement": "met" if met else "not met", "evidence": [f"{c['id']}-{'s' if met else 'a'}"]} for c in crit
        ]
        derived = grades[0] if met else grades[-1]
        evidence = {"area": a["id"], "grade": a["grade"], "judgements": judgements}
        evidence["strengths" if met else "areas_for_improvement"] = strengths if met else afis
        if crit and a["grade"] != derived:
            evidence["grade_rationale"] = "The inspectors' judgement."
        _dump(ev / f"{a['id']}.yaml", evidence)
    if totals or rows:
        _dump(fw_dir / "national-results.yaml", {"source": "Generated.", "totals": totals, "forces": rows})
    force = {"name": "Home Police", "year": 2020, "framework": "gen-2020", "title": "Home Police 2020", "month": "May"}
    force["overview"] = {"title": "Home", "body": ["Home has an ABC."]}
    if p["published_later"]:
        force["publication_year"] = 2021
    _dump(ev / "force.yaml", force)
    if p["ungraded"]:
        _dump(ev / "context.yaml", {"area": "context", "contextual_factors": ["Some context."]})
    _dump(ev / "glossary.yaml", {"terms": [{"term": "ABC", "meaning": "A better community"}]})


@functools.cache
def _environment() -> jinja2.Environment:
    return make_environment(None, Path(__file__).parent)  # hmic's own templates, compiled once for every example


def _build(root: Path, formats: tuple[str, ...]) -> tuple[dict[str, bytes], list]:
    project, diags = load_checked(root, None)
    errors = [d.text() for d in diags if d.is_error]
    assert errors == [], errors  # the generator writes valid projects: an error here is a check too eager
    fo = project.forces["home-2020"]
    return build_force(project, fo, _environment(), BuildOptions(formats)), diags


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("frameworks")


def _fresh(workspace: Path) -> Path:
    root = workspace / "project"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir()
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(p=projects())
def test_what_validates_builds_in_markdown_and_html(workspace: Path, p: dict) -> None:
    root = _fresh(workspace)
    write_project(root, p)
    files, diags = _build(root, ("md", "html"))
    md, html = files["report.md"].decode(), files["report.html"].decode()
    codes = {d.code for d in diags}
    for a in p["areas"]:
        section = md.split(f"## Question {a['id'][-1]}", 1)[1].split("\n## ", 1)[0]
        if a["shape"] == "none":
            assert "No national comparison is published for this area." in section
        else:
            assert "National grade distribution" in section
            mine = section.split("Home Police: ", 1)[1].split(". ", 1)[0]  # the position, without the note after it
            assert ("not inspected in this area" in mine) == (not a["own_inspected"])
            if a["own_inspected"]:
                assert f"graded {a['grade']}" in section
        if a["shape"] == "thin" and a["listed"] + 1 < p["n_forces"]:
            assert "W530" in codes
    assert html.count('<svg class="chart"') == sum(1 for a in p["areas"] if a["shape"] != "none")
    published = "May 2021" if p["published_later"] else "May 2020"
    assert f"· {published}</p>" in html


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(p=projects())
def test_what_validates_builds_as_a_pdf(workspace: Path, p: dict) -> None:
    why = pdf.unavailable()
    if why is not None:
        if os.environ.get("HMIC_REQUIRE_PDF") == "1":
            pytest.fail(why)
        pytest.skip(why)
    root = _fresh(workspace)
    write_project(root, p)
    files, _ = _build(root, ("pdf",))
    assert files["report.pdf"].startswith(b"%PDF-")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(p=projects())
def test_what_validates_builds_as_a_word_document_that_says_what_the_markdown_says(workspace: Path, p: dict) -> None:
    """Its words report.md's, its headings report.html's."""
    root = _fresh(workspace)
    write_project(root, p)
    files, _ = _build(root, ("md", "html", "docx"))
    assert docx_words(files["report.docx"]) == md_words(files["report.md"].decode())
    assert_same_headings(files)


def test_the_generator_reaches_every_shape() -> None:
    """The strategy can make each shape, partial inspection and every scale length (hypothesis's `find` proves it)."""
    from hypothesis import find

    for shape in SHAPES:
        find(projects(), lambda p, s=shape: any(a["shape"] == s for a in p["areas"]))
    find(projects(), lambda p: any(not a["own_inspected"] for a in p["areas"]))
    for n in range(2, 8):
        find(projects(), lambda p, n=n: len(p["grades"]) == n)
