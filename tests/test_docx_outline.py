"""report.docx's headings are report.html's and report.md's: the same headings at the same levels, in the same order
(HTML's h2 is Word's Heading 1, its h1 the Title), read from each paragraph's outline level as Word's navigation pane
and a screen reader read it; a grade's name is a bold line in its grade's style, a case study's parts are headings."""

from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from lxml import etree
from markdown_it import MarkdownIt

from hmic_compile.checks.project import load_checked
from hmic_compile.report.docx_body import CONTENTS_FIELD
from hmic_compile.report.view import build_report

from .test_docx import NS, ROOTS, W, _build, _part, libreoffice_convert

BODY_TEXT = 9  # Word's outline level of a paragraph that is no heading
CASES = [(force, False, False) for force in sorted(ROOTS)] + [("norfolk-2007", True, True)]

Outline = list[tuple[int, str]]


class _Headings(HTMLParser):
    """An HTML page's h1 to h6, each as (level, the text it shows)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.outline: Outline = []
        self.open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.outline.append((int(tag[1]), ""))
            self.open = True

    def handle_endtag(self, tag: str) -> None:
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.open = False

    def handle_data(self, data: str) -> None:
        if self.open:
            level, text = self.outline[-1]
            self.outline[-1] = (level, text + data)


def _tidy(outline: Outline) -> Outline:
    return [(level, " ".join(text.split())) for level, text in outline]


def html_outline(html: bytes) -> Outline:
    parser = _Headings()
    parser.feed(html.decode())
    return _tidy(parser.outline)


def md_outline(md: bytes) -> Outline:
    tokens = MarkdownIt("commonmark").enable("table").parse(md.decode())
    return _tidy(
        [
            (int(t.tag[1]), "".join(c.content for c in tokens[n + 1].children or () if c.type in ("text", "code_inline")))
            for n, t in enumerate(tokens)
            if t.type == "heading_open"
        ]
    )


def _outline_levels(data: bytes) -> dict[str, int]:
    """Each paragraph style's outline level, its own or the one it is based on (Word's 9 when none)."""
    styles = _part(data, "word/styles.xml")
    own, based = {}, {}
    for s in styles.iter(W + "style"):
        sid = s.get(W + "styleId")
        level, parent = s.find(f"{W}pPr/{W}outlineLvl"), s.find(W + "basedOn")
        own[sid] = None if level is None else int(level.get(W + "val"))
        based[sid] = None if parent is None else parent.get(W + "val")

    def level(sid: str | None) -> int:
        seen = set()
        while sid is not None and sid not in seen:
            seen.add(sid)
            if own.get(sid) is not None:
                return own[sid]  # type: ignore[return-value]
            sid = based.get(sid)
        return BODY_TEXT

    return {sid: level(sid) for sid in own}


def docx_outline(data: bytes) -> tuple[list[tuple[str, str]], Outline]:
    """The body's paragraphs in the Title and TOC Heading styles, and its headings: each paragraph whose outline level
    (its own, else its style's) is a heading's, as (level, text) with Heading 1 at 2, where report.html has it."""
    levels = _outline_levels(data)
    named: list[tuple[str, str]] = []
    outline: Outline = []
    for p in _part(data, "word/document.xml").iter(W + "p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        sid = "Normal" if style is None else style.get(W + "val")
        direct = p.find(f"{W}pPr/{W}outlineLvl")
        level = int(direct.get(W + "val")) if direct is not None else levels.get(sid, BODY_TEXT)
        text = "".join(t.text or "" for t in p.iter(W + "t"))
        if sid in ("Title", "TOCHeading"):
            named.append((sid, " ".join(text.split())))
        if level < BODY_TEXT:
            outline.append((level + 2, text))
    return named, _tidy(outline)


def assert_same_headings(files: dict[str, bytes]) -> None:
    """report.docx, report.html and report.md have the same headings, at the same levels, in the same order; no level
    is skipped."""
    html, md = html_outline(files["report.html"]), md_outline(files["report.md"])
    assert md == html, "report.md's headings are report.html's"
    (title_level, title), (contents_level, contents), *sections = html
    assert (title_level, contents_level) == (1, 2)
    named, outline = docx_outline(files["report.docx"])
    assert named == [("Title", title), ("TOCHeading", contents)], "the title and the contents' heading, as Word marks them"
    assert outline == sections, (
        "\n".join(
            f"first difference at heading {n}: html {a} / docx {b}"
            for n, (a, b) in enumerate(zip(sections, outline, strict=False))
            if a != b
        )[:2000]
        or f"html has {len(sections)} headings, docx {len(outline)}"
    )
    levels = [1, 2] + [level for level, _ in outline]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), "no heading level is skipped"


@pytest.mark.parametrize(("force", "draft", "numbered"), CASES, ids=[f"{f}{'-draft-numbered' * d}" for f, d, _ in CASES])
def test_the_docx_has_the_headings_of_the_html_and_the_markdown(force: str, draft: bool, numbered: bool) -> None:
    assert_same_headings(_build(force, draft, numbered))


def test_libreoffice_reads_the_htmls_headings(tmp_path: Path) -> None:
    """Another reader of the document: the headings LibreOffice writes out as HTML (Heading 1 its h1) are report.html's,
    a level up, title and contents aside."""
    files = _build("norfolk-2007", draft=True, numbered=True)
    page = libreoffice_convert(files["report.docx"], "html:XHTML Writer File:UTF8", tmp_path)
    read = [(level + 1, text) for level, text in html_outline(page.read_bytes())]
    assert read == html_outline(files["report.html"])[2:]


def test_a_heading_made_body_text_or_a_bold_line_made_a_heading_is_noticed() -> None:
    """The comparison can fail both ways: a heading whose outline level is taken away, and a grade's name made one."""
    data = _build("testshire-2024")["report.docx"]
    html = html_outline(_build("testshire-2024")["report.html"])[2:]
    root = _part(data, "word/document.xml")
    headings = [p for p in root.iter(W + "p") if (s := p.find(f"{W}pPr/{W}pStyle")) is not None and s.get(W + "val") == "Heading2"]
    headings[0].find(W + "pPr").append(etree.fromstring(f'<w:outlineLvl xmlns:w="{NS["w"]}" w:val="9"/>'))
    grade = next(p for p in root.iter(W + "p") if p.find(f"{W}r/{W}rPr/{W}rStyle[@{W}val='Grade1']") is not None)
    grade.insert(0, etree.fromstring(f'<w:pPr xmlns:w="{NS["w"]}"><w:outlineLvl w:val="2"/></w:pPr>'))
    mutated = _rezip(data, "word/document.xml", etree.tostring(root))
    outline = docx_outline(mutated)[1]
    assert outline != html
    assert (3, headings[0].xpath("string(.)")) not in outline and (4, "".join(grade.itertext())) in outline


def _rezip(data: bytes, name: str, part: bytes) -> bytes:
    """The package with one part replaced."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            z.writestr(info, part if info.filename == name else src.read(info))
    return out.getvalue()


@pytest.mark.parametrize("force", sorted(ROOTS))
def test_a_grades_name_is_a_bold_line_in_its_grades_style(force: str) -> None:
    """The grade scale's names, as report.md's **name** and report.html's badge: each a body paragraph whose one run is
    bold in the grade's character style, kept with the definition under it; none of them a heading."""
    project, _ = load_checked(ROOTS[force], [force])
    report = build_report(project, project.forces[force])
    d = docx.Document(io.BytesIO(_build(force)["report.docx"]))
    lines = [p for p in d.paragraphs if p.runs and all(r.style.name.startswith("Grade ") for r in p.runs)]
    assert [p.text for p in lines] == report.grades, "the scale, best first, where the criteria put it"
    for rank, p in enumerate(lines, start=1):
        assert p.style.name == "Normal" and p.paragraph_format.keep_with_next
        assert [(r.style.name, r.bold) for r in p.runs] == [(f"Grade {rank}", True)]


@pytest.mark.parametrize("force", ["norfolk-2007", "mercia-2021", "northfield-2015"])
def test_a_case_studys_parts_are_headings_under_its_own(force: str) -> None:
    """Under each area's heading, each of its case studies: its heading, then its parts' one level below."""
    project, _ = load_checked(ROOTS[force], [force])
    report = build_report(project, project.forces[force])
    d = docx.Document(io.BytesIO(_build(force)["report.docx"]))
    headings = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert any(a.developing_practice for a in report.areas), "the fixture has a case study"
    for a in report.areas:
        start = headings.index(("Heading 1", a.title)) + 1
        under = headings[start : next((n for n in range(start, len(headings)) if headings[n][0] == "Heading 1"), len(headings))]
        study = [("Heading 2", a.labels["developing_practice"])]
        study += [("Heading 3", a.labels[k]) for k in ("case_study_problem", "case_study_solution", "case_study_outcomes")]
        assert sum(under[n : n + 4] == study for n in range(len(under))) == len(a.developing_practice), a.title
        assert sum(h == study[0] for h in under) == len(a.developing_practice)


def test_the_contents_field_lists_the_levels_its_entries_are_at() -> None:
    """Word's contents, when it updates the field, lists Headings 1 and 2, as the entries written in it are (toc 1
    and toc 2) and as report.html's contents lists its h2 and h3: not a case study's parts, as the PDF's bookmarks
    leave them out."""
    assert CONTENTS_FIELD == 'TOC \\o "1-2" \\h \\z \\u'
    d = docx.Document(io.BytesIO(_build("norfolk-2007")["report.docx"]))
    entries = {p.style.name for p in d.paragraphs if p.style.name.startswith("toc ")}
    assert entries == {"toc 1", "toc 2"}
    by_level = {p.style.name for p in d.paragraphs if p.style.name.startswith("Heading")}
    assert {"Heading 1", "Heading 2", "Heading 3"} <= by_level
    parts = {p.text for p in d.paragraphs if p.style.name == "Heading 3"}
    assert {"PROBLEM:", "SOLUTION:", "OUTCOME(S):"} <= parts
