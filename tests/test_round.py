"""A framework's round (OUT/<framework>/): its pages, links and goldens, and how it is written (whole, the same every
time, with every force)."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.checks.project import check_project
from hmic_compile.cli import app
from hmic_compile.inputs.project import load_project
from hmic_compile.report import budget
from hmic_compile.report.build import BuildOptions
from hmic_compile.report.render import make_environment
from hmic_compile.report.round import page_formats, report_file
from hmic_compile.report.round_record import force_record
from hmic_compile.report.site import round_files
from hmic_compile.report.view import build_report

from .conftest import REPO
from .test_markdown_anchors import github_ids

GOLDEN = REPO / "tests" / "golden" / "rounds"
MINI = REPO / "tests" / "fixtures" / "mini"
FRAMEWORKS = REPO / "tests" / "fixtures" / "frameworks"
NAMES = ["alpha", "bravo", "charlie", "delta", "echo"]
PROJECTS = {
    "2007": REPO,
    "2024": MINI,
    "peel-2021": FRAMEWORKS / "peel-2021",
    "quality-2019": FRAMEWORKS / "seven-grade",
    "effectiveness-2015": FRAMEWORKS / "three-grade",
}


def national_project(tmp_path: Path) -> Path:
    """The mini project with five forces alike but for their names, every force's grades in the national results."""
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


def round_of(root: Path, key: str, formats: tuple[str, ...] = ("md", "html")) -> dict[str, bytes]:
    project, diags = load_project(root)
    check_project(project, diags)
    assert not diags.errors, [d.text() for d in diags.errors]
    fb = project.frameworks[key]
    forces = sorted((fo for fo in project.forces.values() if fo.framework_key == key), key=lambda fo: fo.key)
    records = [force_record(fo, project.framework_for(fo), build_report(project, fo)) for fo in forces]
    return round_files(fb, records, make_environment(None, root), BuildOptions(formats))


def _build(root: Path, out: Path, *extra: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["build", "--root", str(root), "--out", str(out), *extra])
    return r.exit_code, r.output


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("key", sorted(PROJECTS))
def test_round_matches_golden(key: str, golden) -> None:
    files = round_of(PROJECTS[key], key)
    shown = [n for n in files if n.endswith((".md", ".csv"))] if key != "2007" else list(files)
    for name in sorted(shown):
        golden.check(GOLDEN / key / name, files[name].decode("utf-8"))


def test_norfolk_round_says_what_published_totals_cannot() -> None:
    index = round_of(REPO, "2007")["index.md"].decode("utf-8")
    assert "This round holds the reports of 1 of the 43 forces." in index
    assert "published as totals only: they say how many forces had each grade, not which" in index
    assert (
        "| [Norfolk Constabulary](../norfolk-2007/report.md) |"
        " [Fair](../norfolk-2007/report.md#neighbourhood-policing) (improved from Poor) |" in index
    )


def test_per_force_results_fill_the_table_and_not_inspected_shows() -> None:
    files = round_of(FRAMEWORKS / "peel-2021", "peel-2021")
    index = files["index.md"].decode("utf-8")
    assert "The table shows 43 forces: 2 with a report, and 41 from the national results alone, named by their key there" in index
    assert "| anglia | – | Outstanding | Outstanding | – | – |" in index  # no report: no link, unknown cells say so
    assert "A dash (–) marks a grade the round does not know" in index
    assert "A dash (–)" not in round_of(REPO, "2007")["index.md"].decode("utf-8")  # every cell of Norfolk's row is known
    html = files["index.html"].decode("utf-8")
    assert 'class="grade not-inspected">Not inspected</span>' in html
    by_grade = files["by-grade.md"].decode("utf-8")
    crime = by_grade.split("## Investigating crime", 1)[1].split("\n## ", 1)[0]
    assert (
        crime.index("| Outstanding | anglia |") < crime.index("| Good | chiltern, ") < crime.index("| Inadequate | derwent, ouse, wharfe |")
    )


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"] or "")


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.mark.parametrize("key", ["2007", "peel-2021"])
def test_every_link_of_the_round_leads_to_a_file_and_an_anchor(key: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = _build(PROJECTS[key], out)
    assert code == 0, output
    pages = sorted((out / key).glob("*.html"))
    assert [p.name for p in pages] == ["by-grade.html", "good-practice.html", "index.html", "recommendations.html"]
    checked = 0
    for page in pages:
        for href in _parse(page).hrefs:
            if re.match(r"^[a-z]+:", href):
                continue  # no page of the round links outside it
            path, _, anchor = href.partition("#")
            target = (page.parent / path).resolve() if path else page
            assert target.is_file(), f"{page.name}: {href} leads nowhere"
            assert out.resolve() in target.parents, f"{page.name}: {href} leads out of the build"
            if anchor:
                assert anchor in _parse(target).ids, f"{page.name}: {href}: no such anchor"
            checked += 1
    assert checked > 10
    md_checked = 0
    for page in sorted((out / key).glob("*.md")):
        for path, anchor in re.findall(r"\]\(([^)#:]+)(?:#([^)]*))?\)", page.read_text(encoding="utf-8")):
            target = page.parent / path
            assert target.is_file(), f"{page.name}: {path} leads nowhere"
            if anchor and target.suffix == ".md":  # the id GitHub (and pandoc) give a heading of the report.md
                assert anchor in github_ids(target.read_text(encoding="utf-8")), f"{page.name}: {path}#{anchor}: no such heading"
                md_checked += 1
    assert md_checked > 5


def test_round_is_the_same_whatever_the_number_of_workers(tmp_path: Path) -> None:
    root = national_project(tmp_path)
    assert _build(root, tmp_path / "one", "--jobs", "1")[0] == 0
    assert _build(root, tmp_path / "two", "--jobs", "2")[0] == 0
    one, two = _tree(tmp_path / "one" / "2024"), _tree(tmp_path / "two" / "2024")
    assert one == two and "data/datapackage.json" in one and "manifest.json" in one


def test_a_round_template_error_leaves_the_previous_round_whole(tmp_path: Path) -> None:
    root = national_project(tmp_path)
    out = tmp_path / "out"
    assert _build(root, out)[0] == 0
    before = _tree(out / "2024")
    mine = tmp_path / "mine" / "round"
    mine.mkdir(parents=True)
    (mine / "by-grade.html.j2").write_text(
        '{% extends "default/round/by-grade.html.j2" %}{% block heading %}{{ round.nothing }}{% endblock %}'
    )
    code, output = _build(root, out, "--templates", str(tmp_path / "mine"))
    assert code == 1
    assert (
        "by-grade.html.j2:1:1: error[E601]: template error: 'hmic_compile.report.round.RoundView object' has no attribute 'nothing'"
        in output
    )
    assert "the round of 2024: not built; previous output left unchanged" in output
    # a round template is not in a report's manifest: the reports are left as they were (report/build.py)
    assert output.endswith("built 5 of 5 forces (5 unchanged); the round of 2024 not built\n")
    assert _tree(out / "2024") == before
    assert sorted(p.name for p in out.iterdir()) == ["2024", *(f"{n}-2024" for n in NAMES)]  # no temporary folder left


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("{% for a in range(10**4) %}{% for b in range(10**4) %}{% endfor %}{% endfor %}\n", "E610"),
        ('{{ "x" * 10**9 }}\n', "E611"),
        ('{% for i in range(100000) %}{{ "y" * 1000 }}{% endfor %}\n', "E612"),
    ],
)
def test_a_round_template_of_the_project_runs_counted_in_the_sandbox(tmp_path: Path, template: str, code: str) -> None:
    """The project's templates/round/ is untrusted like any house style: its cost is counted (E610-E612)."""
    root = national_project(tmp_path)
    (root / "templates" / "round").mkdir(parents=True)
    (root / "templates" / "round" / "index.md.j2").write_text(template, encoding="utf-8")
    exit_code, output = _build(root, tmp_path / "out")
    assert exit_code == 1
    assert f"templates/round/index.md.j2:1:1: error[{code}]: the template" in output, output
    assert "Traceback" not in output and output.endswith("built 5 of 5 forces; the round of 2024 not built\n")
    assert not (tmp_path / "out" / "2024").exists()


def test_a_house_style_extending_the_round_renders_it_in_the_sandbox_as_the_defaults_do(tmp_path: Path) -> None:
    house = tmp_path / "house" / "round"
    house.mkdir(parents=True)
    for page in ("index", "by-grade", "good-practice", "recommendations"):
        for medium in ("md", "html"):
            (house / f"{page}.{medium}.j2").write_text(f'{{% extends "default/round/{page}.{medium}.j2" %}}\n', encoding="utf-8")
    project, diags = load_project(REPO)
    records = [force_record(fo, project.framework_for(fo), build_report(project, fo)) for fo in project.forces.values()]
    env = make_environment(tmp_path / "house", REPO)
    assert isinstance(env, budget.CountedSandbox)
    files = round_files(project.frameworks["2007"], records, env, BuildOptions(("md", "html")))
    for name, data in files.items():
        if name.endswith((".md", ".html")):
            assert data == (GOLDEN / "2007" / name).read_bytes(), name


def test_naming_some_forces_leaves_the_round_as_it_was(tmp_path: Path) -> None:
    root = national_project(tmp_path)
    out = tmp_path / "out"
    assert _build(root, out)[0] == 0
    before = _tree(out / "2024")
    code, output = _build(root, out, "alpha-2024", "bravo-2024")
    assert code == 0, output
    assert (
        f"note: the round of 2024 ({out / '2024'}/) is rebuilt only when every force is built: run hmic build naming no force, "
        "or add --round for a round of only the forces named\n" in output
    )
    assert _tree(out / "2024") == before
    code, output = _build(root, out, "--rebuild", *(f"{n}-2024" for n in NAMES))  # every force named: the round too
    assert code == 0 and f"built {out / '2024'}/ (the round of 2024: " in output


def test_a_draft_round_is_marked_on_every_page(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = _build(MINI, out, "--draft")
    assert code == 0, output
    for page in sorted((out / "2024").glob("*.*")):
        if page.suffix in (".html", ".md"):
            assert "DRAFT — for factual accuracy check" in page.read_text(encoding="utf-8"), page.name
    assert '"title": "DRAFT — for factual accuracy check · built ' in (out / "2024" / "data" / "datapackage.json").read_text(
        encoding="utf-8"
    )
    assert '"draft": true' in (out / "2024" / "manifest.json").read_text(encoding="utf-8")


def test_the_round_manifest_names_every_input_and_output() -> None:
    import json

    files = round_of(MINI, "2024")
    m = json.loads(files["manifest.json"])
    assert m["framework"] == "2024" and m["forces"] == ["testshire-2024"]
    assert {i["path"] for i in m["inputs"]} >= {"criteria/2024/framework.yaml", "evidence/testshire-2024/force.yaml"}
    assert [o["path"] for o in m["outputs"]] == sorted(n for n in files if n != "manifest.json")
    assert any(t["path"] == "round/index.html.j2" for t in m["templates"])


def test_links_follow_the_formats_built() -> None:
    assert page_formats(("md", "html")) == ("md", "html") and page_formats(("pdf",)) == ("html",)
    assert report_file("html", ("md", "html")) == "report.html" and report_file("md", ("md", "html")) == "report.md"
    assert report_file("html", ("pdf",)) == "report.pdf" and report_file("html", ("md",)) == "report.md"
    assert report_file("html", ("docx",)) == "report.docx" and report_file("md", ("md", "docx")) == "report.md"
    docx = round_of(MINI, "2024", ("docx",))  # a Word-only build: the HTML landing page links each report.docx, whole
    index = docx["index.html"].decode("utf-8")
    assert 'href="../testshire-2024/report.docx"' in index and "report.docx#" not in index and "report.html" not in index
    files = round_of(MINI, "2024", ("html",))
    assert sorted(n for n in files if "/" not in n) == [
        "by-grade.html",
        "good-practice.html",
        "index.html",
        "manifest.json",
        "recommendations.html",
    ]


def test_out_may_not_put_a_round_where_the_build_reads(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    (root / "2024").mkdir()
    (root / "2024" / "criteria").symlink_to(root / "criteria")
    code, output = _build(root, root)
    assert code == 2 and "is the project folder itself" in output
