"""Every paragraph and bullet of the published Norfolk 2007 report appears, word for word, in the built report."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.inputs.project import load_project
from hmic_compile.report.view import build_report

from .conftest import REPO, SOURCE

FURNITURE = re.compile(r"^(Norfolk Constabulary [–-] HMIC Inspection Report( October 2007)?|October 2007)\s*$")
BULLET = re.compile(r"^[\s\-•>\uf0b7\u2022]*(?:\d+\.\s+)?")
END_OF_SENTENCE = re.compile(r"[.;:?!)'\"’]$")

# Deliberate corrections of extraction artefacts, each noted in a YAML comment where it was made.
CORRECTIONS = {
    "clear and wellwritten": "clear and well-written",  # evidence/norfolk-2007/domestic-violence.yaml: hyphen lost at a line break
    "AlUs are in the process": "AIUs are in the process",  # evidence/norfolk-2007/neighbourhood-policing.yaml: l for I glyph confusion
}

# Source lines that are layout rather than prose, each checked another way.
LAYOUT = [
    (re.compile(r"^GRADE\s+\w+$"), "the area's grade line: checked against the force summary by test_grades_match"),
    (re.compile(r"^-+\s*-+$"), "table rule under the grade line"),
    (re.compile(r"^\S$"), "glossary index letter: generated from the glossary's terms"),
    (
        re.compile(r"^(Geographical description of force area Demographic profile|National summary of judgements Force summary)"),
        "contents line run together by the extraction: contents are generated",
    ),
]


def _units(text: str) -> list[str]:
    """The source's paragraphs and bullets: furniture dropped, wrapped lines and page-split paragraphs joined."""
    lines = [ln for ln in text.splitlines() if not FURNITURE.match(ln.strip())]
    paragraphs: list[list[str]] = [[]]
    for ln in lines:
        if ln.strip():
            paragraphs[-1].append(ln)
        elif paragraphs[-1]:
            paragraphs.append([])
    units: list[tuple[str, bool]] = []  # (text, starts with a bullet glyph)
    for para in paragraphs:
        current: list[str] = []
        bullet = False
        for i, ln in enumerate(para):
            starts_item = bool(re.match(r"^\s*([-•>\uf0b7\u2022]\s|\uf0b7)", ln))
            continuation = i > 0 and not starts_item and (ln.startswith(" ") or ln[:1].islower())
            if current and not continuation:
                units.append((" ".join(current), bullet))
                current = []
            if not continuation:
                bullet = starts_item
            current.append(BULLET.sub("", ln, count=1).strip() if not continuation else ln.strip())
        if current:
            units.append((" ".join(current), bullet))
    # Rejoin a paragraph or bullet split by a page break: the second part carries no bullet glyph.
    joined: list[str] = []
    for u, bullet in units:
        if joined and not bullet and (joined[-1].endswith("-") or (not END_OF_SENTENCE.search(joined[-1]) and u[:1].islower())):
            sep = "" if joined[-1].endswith("-") else " "
            joined[-1] = joined[-1] + sep + u
        else:
            joined.append(u)
    return [u for u in joined if u]


def normalise(text: str) -> str:
    text = text.replace("**", "").replace("*", "").replace("\\", "").replace("|", " ").replace("\t", " ")
    return " ".join(text.split())


class _Text(HTMLParser):
    BLOCK = {
        "p",
        "li",
        "td",
        "th",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "div",
        "section",
        "tr",
        "br",
        "caption",
        "figcaption",
        "title",
        "header",
        "footer",
        "nav",
        "aside",
        "ol",
        "ul",
        "dl",
        "table",
        "text",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("style", "head"):
            self.skip += 1
        if tag in self.BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "head"):
            self.skip -= 1
        if tag in self.BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_text(markup: str) -> str:
    p = _Text()
    p.feed(markup)
    return html.unescape("".join(p.parts))


@pytest.fixture(scope="module")
def source() -> str:
    if not SOURCE.exists():
        pytest.skip(f"the Norfolk 2007 source text is not at {SOURCE} (it lives in ../shared beside the repository)")
    return SOURCE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    result = CliRunner().invoke(app, ["build", "norfolk-2007", "--root", str(REPO), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "norfolk-2007"


def _coverage(source: str, report_text: str, label: str) -> None:
    units = _units(source)
    layout = [u for u in units if any(rx.search(u) for rx, _ in LAYOUT)]
    prose = [u for u in units if u not in layout]
    haystack = normalise(report_text)
    missing = []
    for u in prose:
        for wrong, right in CORRECTIONS.items():
            u = u.replace(wrong, right)
        if normalise(u) not in haystack:
            missing.append(u)
    found = len(prose) - len(missing)
    print(
        f"\n{label}: {found}/{len(prose)} source paragraphs and bullets present ({100 * found / len(prose):.1f}%), "
        f"{len(layout)} layout lines checked separately, {len(CORRECTIONS)} deliberate correction(s)"
    )
    assert not missing, f"{len(missing)} source units missing from the {label}:\n" + "\n".join(f"  - {m[:160]}" for m in missing[:40])


def test_units_split_as_expected(source: str) -> None:
    units = _units(source)
    assert "Norfolk Constabulary – HMIC Inspection Report October 2007" not in units
    # A bullet split by a page break is one unit again.
    assert any(
        u.startswith("There is evidence of effective partnership work taking place around community safety. Since March 2006")
        for u in units
    )
    # Hard-wrapped bullet lines are joined.
    assert any(u.startswith("Communication, both internal and external, forms one of the seven new workstreams reporting") for u in units)
    assert len(units) > 500


def test_markdown_carries_every_word(source: str, built: Path) -> None:
    # What a reader of report.md sees: the Markdown rendered (its escapes, such as http\://, are not text).
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": False}).enable("table").render((built / "report.md").read_text(encoding="utf-8"))
    _coverage(source, html_text(rendered), "report.md")


def test_html_carries_every_word(source: str, built: Path) -> None:
    _coverage(source, html_text((built / "report.html").read_text(encoding="utf-8")), "report.html")


def _source_tables(source: str) -> tuple[dict[str, list[int]], dict[str, str]]:
    lines = source.splitlines()
    start = lines.index("National summary of judgements", 50)
    dist: dict[str, list[int]] = {}
    grades: dict[str, str] = {}
    for ln in lines[start : start + 30]:
        cells = [c.strip() for c in ln.split("\t")]
        if len(cells) == 5 and all(c.isdigit() for c in cells[1:]):
            dist[cells[0]] = [int(c) for c in cells[1:]]
        elif len(cells) == 2 and cells[1] in ("Excellent", "Good", "Fair", "Poor"):
            grades[cells[0]] = cells[1]
    return dist, grades


def test_grades_and_distributions_match(source: str) -> None:
    dist, grades = _source_tables(source)
    assert len(dist) == 6 and len(grades) == 6
    project, diags = load_project(REPO, ["norfolk-2007"])
    assert not diags.errors
    report = build_report(project, project.forces["norfolk-2007"])
    graded = [a for a in report.areas if a.graded]
    assert {a.name: a.grade for a in graded} == grades
    assert {a.name: [c.count for c in a.distribution.cells] for a in graded} == dist
    # Each area section's own "GRADE X" line agrees with the report, area by area. The extraction lost
    # Neighbourhood Policing's (its section opens with blank lines), so the lines start at the second area.
    lines = [m.group(1).title() for m in re.finditer(r"^GRADE\s+(\w+)$", source, re.M)]
    assert lines == [a.grade for a in graded][1:]


# Our own words, not the report's: the reconstructed criteria, judgements and their notes, headings
# chosen by key, and bookkeeping.
OURS = {
    "criteria",
    "note",
    "judgements",
    "factors",
    "labels",
    "unexpanded",
    "reconstructed",
    "grade_rationale",
    "id",
    "area",
    "grade",
    "framework",
    "year",
    "previous_grades",
    "isbn",
    "month",
    "levels",
    "grading",
    "groups",
    "areas",
    "number_of_forces",
    "insert",
}


def _report_strings(data: object, key: str = "") -> list[str]:
    if key in OURS:
        return []
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in _report_strings(v, str(k))]
    if isinstance(data, list):
        return [s for v in data for s in _report_strings(v, key)]
    return [data] if isinstance(data, str) else []


def test_nothing_in_the_yaml_that_the_report_does_not_say(source: str) -> None:
    """The other direction: every prose string transcribed from the report is the report's own text."""
    from hmic_compile.inputs.loader import load

    haystack = normalise(" ".join(_units(source)))
    for wrong, right in CORRECTIONS.items():
        haystack = haystack.replace(normalise(wrong), normalise(right))
    files = sorted((REPO / "evidence" / "norfolk-2007").glob("*.yaml")) + [
        REPO / "criteria" / "2007" / "introduction.yaml",
        REPO / "criteria" / "2007" / "framework.yaml",
        *sorted((REPO / "criteria" / "2007" / "areas").glob("*.yaml")),
    ]
    invented = []
    for path in files:
        doc = load(path, REPO)
        data = {"grades": doc.data["grades"]} if path.name == "framework.yaml" else doc.data  # the rest is configuration
        for text in _report_strings(data):
            if normalise(text) not in haystack:
                invented.append(f"{doc.rel}: {text[:120]}")
    assert not invented, "text in the YAML that the source does not have:\n" + "\n".join(invented)
