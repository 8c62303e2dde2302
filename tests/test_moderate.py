"""`hmic moderate`: grades against the rules, like judged alike, criteria's rates, paths; an internal page apart from the site."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.derive.moderation import moderate
from hmic_compile.inputs.project import load_project

from .conftest import REPO
from .test_round import NAMES, national_project

runner = CliRunner()


def _moderated(tmp_path: Path) -> Path:
    """Five forces judged alike; bravo awarded Outstanding for public contact (derived Good), with a rationale."""
    root = national_project(tmp_path)
    nat = root / "criteria" / "2024" / "national-results.yaml"
    text = nat.read_text(encoding="utf-8")
    nat.write_text(text.replace("bravo: {public-contact: Good", "bravo: {public-contact: Outstanding"), encoding="utf-8")
    bravo = root / "evidence" / "bravo-2024" / "public-contact.yaml"
    bravo.write_text(
        bravo.read_text(encoding="utf-8").replace(
            "grade: Good\n", "grade: Outstanding\ngrade_rationale: The force's call handling leads the country.\n"
        ),
        encoding="utf-8",
    )
    return root


def test_the_moderation_finds_each_thing_it_looks_for(tmp_path: Path) -> None:
    root = _moderated(tmp_path)
    project, _ = load_project(root)
    fb = project.frameworks["2024"]
    mod = moderate(fb, list(project.forces.values()))
    assert mod.forces == tuple(f"{n}-2024" for n in NAMES)
    assert [(g.force, g.area, g.awarded, g.derived) for g in mod.differing] == [("bravo-2024", "public-contact", "Outstanding", "Good")]
    assert mod.differing[0].rationale == "The force's call handling leads the country."
    (alike,) = [a for a in mod.alike if a.area == "public-contact"]
    assert alike.identical and dict(alike.forces) == {f"{n}-2024": "Good" for n in NAMES} | {"bravo-2024": "Outstanding"}
    rates = [r for r in mod.rates if r.area == "public-contact"]
    assert rates and all(r.judged == len(NAMES) for r in rates)
    assert {r.criterion for r in rates} == {c.id for c in fb.areas["public-contact"].criteria}


def test_text_json_and_the_internal_page(tmp_path: Path) -> None:
    root = _moderated(tmp_path)
    r = runner.invoke(app, ["moderate", "--root", str(root)])
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert text.startswith("Moderation of PEEL Inspection 2024 (test framework) (criteria/2024/): 5 forces\nINTERNAL — ")
    assert "  Bravo Police (bravo-2024), Public contact: awarded Outstanding, derived Good; rationale: The force's call handling" in text
    assert "  Public contact: Alpha Police (alpha-2024): Good, Bravo Police (bravo-2024): Outstanding," in text
    assert "(identical judgements)" in text
    assert "\nPath to another grade: the fewest changes (up to 3) of judgements a rule looks at, per force and area\n" in text

    r = runner.invoke(app, ["moderate", "2024", "--root", str(root), "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["differing"] == [
        {
            "force": "bravo-2024",
            "area": "public-contact",
            "awarded": "Outstanding",
            "derived": "Good",
            "rationale": "The force's call handling leads the country.",
        }
    ]
    area = next(a for a in data["areas"] if a["force"] == "alpha-2024" and a["area"] == "public-contact")
    assert (
        area["up"]["grade"] == "Good" and area["up"]["sets"] and all(c["after"] == "met" for s in area["up"]["sets"] for c in s["changes"])
    )
    assert data["limits"] == {"max_changes": 3, "max_trials": 20000}

    site = tmp_path / "build"
    assert runner.invoke(app, ["build", "--root", str(root), "--out", str(site)]).exit_code == 0
    internal = tmp_path / "internal"
    r = runner.invoke(app, ["moderate", "--root", str(root), "--format", "html", "--out", str(internal)])
    assert r.exit_code == 0, r.output
    assert "moderation.html: for the Inspectorate only, never to be published with the round" in r.output
    page = (internal / "2024" / "moderation.html").read_text(encoding="utf-8")
    assert '<meta name="robots" content="noindex, nofollow">' in page and "<script" not in page
    assert page.count("INTERNAL — for moderation by the Inspectorate, not for publication") == 2
    assert "The force&#39;s call handling leads the country." in page
    assert sorted(p.name for p in (internal / "2024").iterdir()) == ["manifest.json", "moderation.html"]
    for published in site.rglob("*.html"):
        assert "moderation" not in published.read_text(encoding="utf-8").lower(), published  # the site never links to it


@pytest.mark.parametrize("root", [REPO, REPO / "tests" / "fixtures" / "frameworks" / "peel-2021"], ids=["2007", "peel-2021"])
def test_the_published_round_never_shows_the_path_to_another_grade(tmp_path: Path, root: Path) -> None:
    out = tmp_path / "out"
    r = runner.invoke(app, ["build", "--root", str(root), "--out", str(out), "--format", "md,html"])
    assert r.exit_code == 0 and "(the round of " in r.output, r.output
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in (".html", ".md", ".csv", ".json"):
            text = f.read_text(encoding="utf-8")
            assert "another grade" not in text and "→" not in text and "derived" not in text.lower(), f


def test_usage_errors(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", root)
    r = runner.invoke(app, ["moderate", "2025", "--root", str(root)])
    assert r.exit_code == 2 and "error: unknown framework '2025'; expected one of: 2024" in r.output
    shutil.copytree(root / "criteria" / "2024", root / "criteria" / "other-2024")
    r = runner.invoke(app, ["moderate", "--root", str(root)])
    assert r.exit_code == 2 and "error: name the framework to moderate; one of: 2024, other-2024" in r.output
    r = runner.invoke(app, ["moderate", "other-2024", "--root", str(root)])
    assert r.exit_code == 1 and "error: the other-2024 framework has no force under evidence/ to moderate" in r.output
    r = runner.invoke(app, ["moderate", "2024", "--root", str(root), "--format", "html", "--out", str(root / "evidence")])
    assert r.exit_code == 2 and "lies inside" in r.output


def test_input_errors_stop_the_moderation(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", root)
    area = root / "evidence" / "testshire-2024" / "public-contact.yaml"
    area.write_text(area.read_text(encoding="utf-8").replace("grade: Good", "grade: Superb"), encoding="utf-8")
    r = runner.invoke(app, ["moderate", "--root", str(root)])
    assert r.exit_code == 1 and "error[E302]: grade 'Superb' is not on the scale" in r.output and "Moderation of" not in r.output


def test_alike_but_for_a_criterion_no_rule_looks_at() -> None:
    from hmic_compile.inputs.models import AreaCriteria, AreaEvidence, CriterionJudgement, Force, Section
    from hmic_compile.inputs.project import ForceBundle, FrameworkBundle

    from .test_paths import CRITERIA, MET, NOT, PARTLY, RULES, framework

    fb = FrameworkBundle("fw", framework(RULES), None, {"a": AreaCriteria(area="a", criteria=CRITERIA)}, None)

    def force(key: str, grade: str, x1: object) -> ForceBundle:
        judged = {"b1": MET, "b2": MET, "h1": PARTLY, "h2": NOT, "x1": x1}
        ev = {"area": "a", "grade": grade, "judgements": [CriterionJudgement(criterion=c, judgement=j) for c, j in judged.items()]}
        f = Force(name=key.title(), year=2024, framework="fw", title="t", month="May", overview=Section(title="o"))
        return ForceBundle(key, "fw", f, {"a": AreaEvidence(**ev)}, None)

    mod = moderate(fb, [force("one-2024", "Mid", MET), force("two-2024", "Top", NOT), force("three-2024", "Mid", MET)])
    (alike,) = mod.alike
    assert alike.forces == (("one-2024", "Mid"), ("three-2024", "Mid"), ("two-2024", "Top"))
    assert not alike.identical and alike.differing == ("x1",)
    x1 = next(r for r in mod.rates if r.criterion == "x1")
    assert (x1.met, x1.partly, x1.not_met, x1.looked_at, x1.percent(x1.met)) == (2, 0, 1, False, 67)
    assert [g.force for g in mod.differing] == ["two-2024"]  # derived Mid, awarded Top
    assert {g.force for g in mod.one_away} == {"one-2024", "two-2024", "three-2024"}  # b1 not met gives Low
