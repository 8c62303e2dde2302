"""Frameworks after 2007, of hmic's own making (tests/fixtures/frameworks/): a 3-grade, a 5-grade PEEL-2021-style and a
7-grade one, with national results in every shape. Each validates clean and builds md, html and pdf as its reviewed
goldens say (tests/golden/<force>/), and nothing of 2007 reaches their reports."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

from hmic_compile.checks.project import load_checked
from hmic_compile.report import pdf
from hmic_compile.report.build import BuildOptions, build_force
from hmic_compile.report.render import make_environment

from .conftest import REPO
from .test_coverage import html_text

FIXTURES = REPO / "tests" / "fixtures" / "frameworks"
GOLDEN = REPO / "tests" / "golden"
FRAMEWORKS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
FORCES = sorted((fw, p.name) for fw in FRAMEWORKS for p in (FIXTURES / fw / "evidence").iterdir() if p.is_dir())
EPOCH = 1700000000

# 2007's own words: its framework carries them (criteria/2007/framework.yaml), so no other framework's report may.
WORDS_OF_2007 = (
    "HMIC",
    "Her Majesty's Inspectorate of Constabulary",
    "Her Majesty&#39;s",
    "HMIC Inspection Report",
    "INSPECTION AREA:",
    "FORCE CONTACT:",
    "PROBLEM:",
    "SOLUTION:",
    "OUTCOME(S):",
    "TITLE:",
    "Specific Grading Criteria",
    "SGC",
    "Developing Practice",
    "National contextual factors",
    "National summary of judgements",
    "Force summary of judgements",
    "Glossary of Terms and Abbreviations",
    "baseline assessment",
    "2007",
    "Norfolk",
)


def test_the_frameworks_are_there() -> None:
    assert FRAMEWORKS == ["peel-2021", "seven-grade", "three-grade"]
    assert len(FORCES) >= 6


@cache
def _project(framework: str):
    project, diags = load_checked(FIXTURES / framework, None)
    return project, diags


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_fixture_framework_is_clean(framework: str) -> None:
    _, diags = _project(framework)
    assert diags == [], [d.text() for d in diags]


@cache
def _build(framework: str, force: str, formats: tuple[str, ...]) -> dict[str, bytes]:
    project, _ = _project(framework)
    root = FIXTURES / framework
    return build_force(project, project.forces[force], make_environment(None, root), BuildOptions(formats, source_date_epoch=EPOCH))


@pytest.mark.parametrize(("framework", "force"), FORCES)
def test_report_matches_golden(framework: str, force: str, golden) -> None:
    files = _build(framework, force, ("md", "html"))
    for name in ("report.md", "report.html", "manifest.json"):
        golden.check(GOLDEN / force / name, files[name].decode("utf-8"))


def _require_weasyprint() -> None:
    why = pdf.unavailable()
    if why is None:
        return
    if os.environ.get("HMIC_REQUIRE_PDF") == "1":
        pytest.fail(f"PDF output is required here (HMIC_REQUIRE_PDF=1), but: {why}")
    pytest.skip(why)


def pdf_text(data: bytes, tmp: Path) -> str:
    """The PDF's text, page by page, as a reader's tool extracts it: what the golden report.pdf.txt holds."""
    path = tmp / "report.pdf"
    path.write_bytes(data)
    pages = PdfReader(path).pages
    out = []
    for n, page in enumerate(pages, start=1):
        text = "\n".join(line.rstrip() for line in page.extract_text().splitlines())
        out.append(f"--- page {n} of {len(pages)} ---\n{text.strip()}\n")
    return "".join(out)


@pytest.mark.parametrize(("framework", "force"), FORCES)
def test_pdf_matches_golden(framework: str, force: str, golden, tmp_path: Path) -> None:
    _require_weasyprint()
    files = _build(framework, force, ("pdf",))
    assert files["report.pdf"].startswith(b"%PDF-")
    golden.check(GOLDEN / force / "report.pdf.txt", pdf_text(files["report.pdf"], tmp_path))


@pytest.mark.parametrize(("framework", "force"), FORCES)
def test_no_2007_wording_in_any_format(framework: str, force: str, tmp_path: Path) -> None:
    files = _build(framework, force, ("md", "html"))
    texts = {"report.md": files["report.md"].decode(), "report.html": files["report.html"].decode()}
    if pdf.unavailable() is None:
        texts["report.pdf"] = pdf_text(_build(framework, force, ("pdf",))["report.pdf"], tmp_path)
    for name, text in texts.items():
        for words in WORDS_OF_2007:
            assert words not in text, f"{force}/{name} says {words!r}"


def test_the_2007_words_are_in_2007s_report() -> None:
    """The check above can fail: Norfolk's report, built the same way, has 2007's words from its own framework."""
    project, _ = load_checked(REPO, ["norfolk-2007"])
    files = build_force(project, project.forces["norfolk-2007"], make_environment(None, REPO), BuildOptions(("md", "html")))
    html = files["report.html"].decode()
    for words in ("HMIC Inspection Report", "INSPECTION AREA:", "FORCE CONTACT:", "PROBLEM:", "OUTCOME(S):", "Developing Practice"):
        assert words in html


# --- what the reports say ---------------------------------------------------------------------


def _md(framework: str, force: str) -> str:
    return _build(framework, force, ("md", "html"))["report.md"].decode()


def _html_text(framework: str, force: str) -> str:
    return " ".join(html_text(_build(framework, force, ("md", "html"))["report.html"].decode()).split())


def test_forces_not_inspected_are_counted_apart() -> None:
    md = _md("peel-2021", "wessex-2021")
    assert "Wessex Police: graded Adequate, as were 16 of the 30 forces inspected; 8 were graded higher; 6 lower." in md
    assert "13 of the 43 forces were not inspected in this area." in md
    assert "| Per cent of forces inspected | 3% | 23% | 53% | 17% | 3% | – |" in md
    mercia = _md("peel-2021", "mercia-2021")
    assert "**Grade: Not inspected**" in mercia
    assert "Mercia Constabulary: not inspected in this area, like 12 other forces." in mercia
    eastvale = _md("three-grade", "eastvale-2015")
    assert "| [Protecting vulnerable people](#how-effective-is-the-force-at-protecting-vulnerable-people) | Not inspected |" in eastvale


def test_an_area_without_national_results_says_so() -> None:
    md = _md("peel-2021", "wessex-2021")
    section = md.split("## Disrupting serious and organised crime", 1)[1].split("\n## ", 1)[0]
    assert "*No national comparison is published for this area.*" in section
    assert "National grade distribution" not in section
    row = (
        "| [Serious and organised crime](#disrupting-serious-and-organised-crime) | *No national comparison is published for this area.* |"
    )
    assert row in md


def test_each_shape_is_counted_as_published() -> None:
    md = _md("peel-2021", "wessex-2021")
    # totals only; per-force grades for every force; totals with ten forces' grades checked against them
    assert "| [Responding to the public](#responding-to-the-public) | 2 | 14 | 15 | 10 | 2 | 0 |" in md
    assert "| [Investigating crime](#investigating-crime) | 1 | 13 | 14 | 12 | 3 | 0 |" in md
    assert "| [Protecting vulnerable people](#protecting-vulnerable-people) | 1 | 12 | 16 | 11 | 3 | 0 |" in md
    assert "| [Managing offenders](#managing-offenders-and-suspects) | 1 | 7 | 16 | 5 | 1 | 13 |" in md
    northfield = _md("three-grade", "northfield-2015")
    assert "| [Protecting vulnerable people](#how-effective-is-the-force-at-protecting-vulnerable-people) | 4 | 3 | 1 | 4 |" in northfield


@pytest.mark.parametrize(
    ("framework", "force", "published"),
    [
        ("peel-2021", "wessex-2021", "March 2022"),
        ("three-grade", "northfield-2015", "March 2016"),
        ("seven-grade", "riverside-2019", "November 2019"),
    ],
)
def test_the_publication_date_is_not_the_inspection_year(framework: str, force: str, published: str) -> None:
    html = _build(framework, force, ("md", "html"))["report.html"].decode()
    assert f"· {published}</p>" in html
    assert re.search(r"(January|February|March|April|May|June|July|August|September|October|November|December) \d{4}", html)
    inspected = force.rsplit("-", 1)[1]
    if not published.endswith(inspected):
        assert f"March {inspected}" not in html


def test_the_framework_s_own_headings_are_used() -> None:
    text = _html_text("three-grade", "northfield-2015")
    for heading in (
        "Practice worth sharing",
        "Where: Preventing crime",
        "What: Street pastors",
        "The problem",
        "What the force did",
        "What changed",
        "Ask: Inspector Ada Lane",
        "Words and abbreviations",
    ):
        assert heading in text
    assert "Innovative practice" in _html_text("peel-2021", "mercia-2021")
    # hmic's neutral defaults where a framework gives none
    for heading in (
        "Inspection area: Investigating crime",
        "Title: Video statements",
        "Problem",
        "Solution",
        "Outcomes",
        "Contact: Detective",
    ):
        assert heading in _html_text("peel-2021", "mercia-2021")


def _ppm_pixels(data: bytes) -> set[tuple[int, int, int]]:
    """The distinct colours of a binary PPM (P6) image."""
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6" and parts[3] == b"255"
    raster = parts[4]
    return {tuple(raster[i : i + 3]) for i in range(0, len(raster) - 2, 3)}  # type: ignore[misc]


def test_the_pdf_draws_every_grade_s_bar_in_its_own_colour(tmp_path: Path) -> None:
    """What a reader sees on the printed page, rasterised by poppler: each of the seven grades' colours is there."""
    import shutil
    import subprocess

    _require_weasyprint()
    if shutil.which("pdftoppm") is None:
        if os.environ.get("HMIC_REQUIRE_PDF") == "1":
            pytest.fail("pdftoppm is required here (HMIC_REQUIRE_PDF=1): apt-get install poppler-utils")
        pytest.skip("pdftoppm is not installed (poppler-utils)")
    from hmic_compile.report.palette import styles

    project, _ = _project("seven-grade")
    data = _build("seven-grade", "riverside-2019", ("pdf",))["report.pdf"]
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    page = next(n for n, p in enumerate(PdfReader(path).pages, start=1) if "National grade distribution" in p.extract_text())
    out = subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", "100", str(path)], capture_output=True, check=True, timeout=120
    ).stdout
    seen = _ppm_pixels(out)
    grades = [g.name for g in project.frameworks["quality-2019"].framework.grades]
    for s in styles(grades):
        want = tuple(int(s.colour[i : i + 2], 16) for i in (1, 3, 5))
        assert any(all(abs(a - b) <= 8 for a, b in zip(px, want, strict=True)) for px in seen), f"{s.grade}'s bar ({s.colour}) is not drawn"
