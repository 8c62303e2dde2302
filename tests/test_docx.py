"""report.docx (`hmic build --format docx`), read back as Word and assistive technology read it: the report's text
as report.md has it, Word's heading styles (their outline is report.html's: tests/test_docx_outline.py), header rows
that repeat, grades as styled text, the contents and page fields, properties and language, a draft marked on every
page, the same bytes for the same inputs, and a file LibreOffice opens."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import zipfile
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree
from markdown_it import MarkdownIt

from hmic_compile.checks.project import load_checked
from hmic_compile.diagnostics import CommandError
from hmic_compile.report import palette
from hmic_compile.report.build import BuildOptions, build_force, output_formats
from hmic_compile.report.draft import Draft
from hmic_compile.report.prose import ProseError, Renderer
from hmic_compile.report.render import make_environment
from hmic_compile.report.view import build_report

from .conftest import REPO

GOLDEN = REPO / "tests" / "golden"
FIXTURES = REPO / "tests" / "fixtures" / "frameworks"
ROOTS = {
    "norfolk-2007": REPO,
    "testshire-2024": REPO / "tests" / "fixtures" / "mini",
    **{f.name: fw for fw in sorted(FIXTURES.iterdir()) if fw.is_dir() for f in sorted((fw / "evidence").iterdir()) if f.is_dir()},
}
EPOCH = 1700000000
DRAFT = Draft(dt.date(2023, 11, 14), "f1006a4fcf67aa00")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NS = {
    "w": W[1:-1],
    "v": "urn:schemas-microsoft-com:vml",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
}


@cache
def _build(force: str, draft: bool = False, numbered: bool = False) -> dict[str, bytes]:
    root = ROOTS[force]
    project, diags = load_checked(root, [force])
    assert not [d for d in diags if d.is_error]
    options = BuildOptions(("md", "html", "docx"), source_date_epoch=EPOCH, draft=DRAFT if draft else None, numbered=numbered)
    return build_force(project, project.forces[force], make_environment(None, root), options)


def _part(data: bytes, name: str) -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read(name))


def md_words(text: str) -> list[str]:
    """The words a reader of report.md sees, in order: every heading, paragraph, list item and table cell."""
    out = []
    for t in MarkdownIt("commonmark").enable("table").parse(text):
        for c in t.children or ():
            out.append(c.content if c.type in ("text", "code_inline") else " " if c.type in ("softbreak", "hardbreak") else "")
        out.append(" ")
    return "".join(out).split()


def docx_words(data: bytes) -> list[str]:
    """The words of the document's body, in order, as Word shows them (a field's code is not text)."""
    out = []
    for el in _part(data, "word/document.xml").iter(W + "t", W + "tab", W + "br", W + "p"):
        out.append(el.text or "" if el.tag == W + "t" else " ")
    return "".join(out).split()


@pytest.mark.parametrize("force", sorted(ROOTS))
def test_the_docx_says_what_the_markdown_says(force: str) -> None:
    files = _build(force)
    assert files["report.docx"][:2] == b"PK"
    md, words = md_words(files["report.md"].decode()), docx_words(files["report.docx"])
    assert len(words) > 200
    assert words == md, next(
        (f"first difference at word {n}: {a!r} / {b!r}" for n, (a, b) in enumerate(zip(md, words, strict=False)) if a != b), "lengths"
    )


@pytest.mark.parametrize(("draft", "numbered"), [(True, False), (False, True), (True, True)])
def test_the_docx_of_a_draft_or_numbered_build_says_what_its_markdown_says(draft: bool, numbered: bool) -> None:
    files = _build("norfolk-2007", draft, numbered)
    assert docx_words(files["report.docx"]) == md_words(files["report.md"].decode())


def test_a_dropped_paragraph_is_noticed() -> None:
    """The comparison can fail: a body less one paragraph differs from the Markdown."""
    data = _build("testshire-2024")["report.docx"]
    root = _part(data, "word/document.xml")
    paragraphs = [p for p in root.iter(W + "p") if "".join(p.itertext()).strip()]
    paragraphs[len(paragraphs) // 2].getparent().remove(paragraphs[len(paragraphs) // 2])
    words = "".join(el.text or "" if el.tag == W + "t" else " " for el in root.iter(W + "t", W + "p")).split()
    assert words != md_words(_build("testshire-2024")["report.md"].decode())


class _Shown(HTMLParser):
    """The text an HTML fragment shows (a line break and a paragraph's end are spaces), and each link's target and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.text.append(" ")
        elif tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.links.append((self.href, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.text.append(" ")
        elif tag == "a":
            self.href = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.href is not None:
            self.links[-1] = (self.href, self.links[-1][1] + data)


def _joined(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Links side by side to one target as one (Word's runs do not say where one ends and the next begins)."""
    out: list[tuple[str, str]] = []
    for target, text in links:
        if out and out[-1][0] == target:
            out[-1] = (target, out[-1][1] + text)
        else:
            out.append((target, text))
    return [(t, " ".join(x.split())) for t, x in out]


# Pieces of prose that Markdown reads as marks, links, breaks and escapes, and plain words between them.
PIECES = ["a", "b ", " ", "*", "**", "_", "`", "[", "]", "(", ")", "(#a)", "(http://x.test/?b=1&c=2)", "(mailto:a@x.test)",
          "(javascript:x)", "\\", "\n", "  \n", "\n\n", "&amp;", "&", "<", ">", "!", "#", "1.", "[a](#a)", "[b *a*](http://x.test/)",
          "[`c`](mailto:a@x.test)"]  # fmt: skip


@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join))
@example("[&amp;\\[b *a*](http://x.test/)")  # an entity in a link's text: the HTML escapes it, Word shows the character
def test_word_shows_the_words_and_links_the_html_shows(text: str) -> None:
    """Any prose, Markdown marks and all: the runs Word is given hold the words of the HTML's paragraph, and a link
    wherever the HTML has one, to the same target, over the same words."""
    r = Renderer()
    try:
        html = r.html_block(text)
    except ProseError:
        return
    shown = _Shown()
    shown.feed(str(html))  # plain text: data sliced from Markup would escape what is added to it
    runs = r.runs(text)
    assert "".join(x.text for x in runs).split() == "".join(shown.text).split()
    assert _joined([(x.link, x.text) for x in runs if x.link is not None]) == _joined(shown.links)


@pytest.mark.parametrize("force", ["norfolk-2007", "testshire-2024"])
def test_document_xml_matches_golden(force: str, golden) -> None:
    """word/document.xml, indented: reviewed and committed (pytest --update-golden)."""
    root = _part(_build(force)["report.docx"], "word/document.xml")
    etree.indent(root, space=" ")
    golden.check(GOLDEN / force / "report.docx.document.xml", etree.tostring(root, encoding="unicode") + "\n")


def test_headings_tables_language_and_properties() -> None:
    data = _build("norfolk-2007")["report.docx"]
    d = docx.Document(io.BytesIO(data))
    styles = [p.style.name for p in d.paragraphs]
    headings = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert styles[0] == "Title" and d.paragraphs[0].text.startswith("HMIC Inspection Report")
    assert ("Heading 1", "Neighbourhood Policing") in headings and ("Heading 2", "National grade distribution") in headings
    assert ("Heading 1", "Appendix: Glossary of Terms and Abbreviations") in headings
    levels = [int(name.split()[1]) for name, _ in headings]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), "no heading level is skipped"
    assert ("Heading 3", "PROBLEM:") in headings, "a case study's parts are headings under its own, as in report.html"
    assert not {"Excellent", "Good", "Fair", "Poor"} & {t for _, t in headings}, "a grade's name is no heading"
    assert len(d.tables) >= 10
    for t in d.tables:
        first = t.rows[0]._tr
        assert first.find(f"{W}trPr/{W}tblHeader") is not None, "the header row repeats on every page"
        assert all(r._tr.find(f"{W}trPr/{W}tblHeader") is None for r in t.rows[1:])
        caption = t._tbl.tblPr.find(W + "tblCaption")
        assert caption is not None and caption.get(W + "val"), "each table has a title for assistive technology"
    props = d.core_properties
    assert props.title == "HMIC Inspection Report Norfolk Constabulary October 2007"
    assert props.author == "Her Majesty's Inspectorate of Constabulary" and props.language == "en-GB"
    assert props.subject == "Her Majesty's Inspectorate of Constabulary: inspection report on Norfolk Constabulary, October 2007"
    assert props.created == props.modified == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    lang = _part(data, "word/styles.xml").find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert lang.get(W + "val") == "en-GB"
    settings = _part(data, "word/settings.xml")
    assert settings.find(W + "updateFields").get(W + "val") == "true", "Word updates the contents field on opening"
    assert "docProps/thumbnail.jpeg" not in zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_contents_field_running_header_and_page_numbers() -> None:
    data = _build("norfolk-2007")["report.docx"]
    body = _part(data, "word/document.xml")
    instructions = [t.text.strip() for t in body.iter(W + "instrText")]
    assert instructions == ['TOC \\o "1-2" \\h \\z \\u']
    bookmarks = {b.get(W + "name") for b in body.iter(W + "bookmarkStart")}
    anchors = [h.get(W + "anchor") for h in body.iter(W + "hyperlink") if h.get(W + "anchor")]
    assert len(anchors) == 23 and set(anchors) <= bookmarks, "each contents entry links to its heading"
    d = docx.Document(io.BytesIO(data))
    section = d.sections[0]
    assert section.different_first_page_header_footer, "the title page has no running header or page number"
    assert section.header.paragraphs[0].text == "Norfolk Constabulary – HMIC Inspection Report\tOctober 2007"
    footer = section.footer._element
    assert [t.text.strip() for t in footer.iter(W + "instrText")] == ["PAGE"]
    assert "".join(section.first_page_header._element.itertext()).strip() == ""


def test_a_draft_is_marked_on_every_page_with_a_described_watermark() -> None:
    data = _build("norfolk-2007", draft=True)["report.docx"]
    mark = "DRAFT — for factual accuracy check · built 14 November 2023 · commit f1006a4fcf67"
    d = docx.Document(io.BytesIO(data))
    section = d.sections[0]
    for header in (section.header, section.first_page_header):
        assert header.paragraphs[0].text == mark and header.paragraphs[0].style.name == "Draft Mark"
        shapes = header._element.findall(".//v:shape", NS)
        assert [(s.get("id"), s.find("v:textpath", NS).get("string"), s.get("alt")) for s in shapes] == [
            ("PowerPlusWaterMarkObject", "DRAFT", mark)
        ]
    assert d.paragraphs[0].text == mark
    assert d.core_properties.content_status == mark
    assert "DRAFT" not in docx_words(_build("norfolk-2007")["report.docx"]), "only a draft is marked"


def test_every_image_and_shape_has_alt_text() -> None:
    for force in sorted(ROOTS):
        for draft in (False, True):
            data = _build(force, draft)["report.docx"]
            package = zipfile.ZipFile(io.BytesIO(data))
            for name in package.namelist():
                if name.endswith(".xml") and name.startswith("word/"):
                    root = etree.fromstring(package.read(name))
                    assert all(p.get("descr") for p in root.iter("{" + NS["wp"] + "}docPr")), f"{force} {name}: an image without alt text"
                    assert all(s.get("alt") for s in root.iterfind(".//v:shape", NS)), f"{force} {name}: a shape without alt text"
            assert not [n for n in package.namelist() if n.startswith("word/media/")], "the report has no pictures: charts are tables"


@pytest.mark.parametrize("force", ["norfolk-2007", "highmoor-2019", "eastvale-2015"])
def test_grades_are_styled_text_in_the_palettes_colours(force: str) -> None:
    data = _build(force)["report.docx"]
    styles = _part(data, "word/styles.xml")
    d = docx.Document(io.BytesIO(data))
    grades = [s.name for s in d.styles if s.name.startswith("Grade ") and s.name != "Grade Not Given"]
    ranks = sorted(int(n.split()[1]) for n in grades)
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 3
    for s in palette.styles([f"g{n}" for n in ranks]):
        rpr = styles.find(f"{W}style[@{W}styleId='Grade{s.rank}']/{W}rPr")
        colour = s.colour.lstrip("#").upper()
        edge = rpr.find(W + "shd").get(W + "fill") if s.filled else rpr.find(W + "bdr").get(W + "color")
        assert edge == colour, f"grade {s.rank}: {edge} is not {colour}"
    shown = [
        (r.text, r.style.name)
        for t in d.tables
        for row in t.rows
        for c in row.cells
        for p in c.paragraphs
        for r in p.runs
        if r.style.name.startswith("Grade")
    ]
    assert shown, "the force summary's grades are in their styles"


@pytest.mark.parametrize("force", ["norfolk-2007", "highmoor-2019", "wessex-2021"])
def test_the_forces_own_count_is_bold_in_the_national_tables(force: str) -> None:
    """As the HTML marks the force's own cell: in the national summary and each area's distribution, the count of the
    grade the force was given, and that alone, is bold."""
    project, _ = load_checked(ROOTS[force], [force])
    report = build_report(project, project.forces[force])
    d = docx.Document(io.BytesIO(_build(force)["report.docx"]))

    def bold(t: docx.table.Table, name: str) -> list[str]:
        header = [c.text for c in t.rows[0].cells]
        row = [r for r in t.rows if r.cells[0].text == name][-1]  # the area's row, after a group row of its name
        return [header[k] for k, c in enumerate(row.cells) if k and any(x.bold for p in c.paragraphs for x in p.runs)]

    tables = {t._tbl.tblPr.find(W + "tblCaption").get(W + "val"): t for t in d.tables}
    checked = 0
    for a in report.areas:
        dist = a.distribution
        if dist is None:
            continue
        own = [c.grade for c in dist.cells if c.is_force] + ([a.labels["not_inspected"]] if dist.own_not_inspected else [])
        assert len(own) == 1
        assert bold(tables[f"{a.labels['national_grade_distribution']}, {a.name}"], a.labels["forces"]) == own
        if a.graded:
            assert bold(tables[report.labels["national_summary"]], a.name) == own
            checked += 1
    assert checked >= 3


def test_same_inputs_same_bytes_whatever_the_hash_seed_and_time_zone(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from hmic_compile.checks.project import load_checked;"
        "from hmic_compile.report.build import BuildOptions, build_force; from hmic_compile.report.render import make_environment;"
        f"p, _ = load_checked(Path({str(REPO)!r}), ['norfolk-2007']);"
        "o = BuildOptions(('docx',), source_date_epoch=1700000000);"
        "f = build_force(p, p.forces['norfolk-2007'], make_environment(None, p.root), o);"
        "sys.stdout.buffer.write(f['report.docx'])"
    )
    outs = []
    for seed, tz in (("1", "UTC"), ("4242", "Pacific/Kiritimati")):
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz}
        outs.append(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True, timeout=300).stdout)
    assert outs[0] == outs[1] == _build("norfolk-2007")["report.docx"]
    entries = zipfile.ZipFile(io.BytesIO(outs[0])).infolist()
    assert entries[0].filename == "[Content_Types].xml"
    assert [e.filename for e in entries[1:]] == sorted(e.filename for e in entries[1:])
    assert {e.date_time for e in entries} == {(2023, 11, 14, 22, 13, 20)}


def test_without_source_date_epoch_the_date_is_fixed_not_the_clock() -> None:
    project, _ = load_checked(REPO / "tests" / "fixtures" / "mini", None)
    fo = project.forces["testshire-2024"]
    one = build_force(project, fo, make_environment(None, project.root), BuildOptions(("docx",)))["report.docx"]
    entries = zipfile.ZipFile(io.BytesIO(one)).infolist()
    assert {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert docx.Document(io.BytesIO(one)).core_properties.created == dt.datetime(1980, 1, 1, tzinfo=dt.UTC)


def test_without_python_docx_the_format_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docx", None)  # import docx now raises ImportError
    with pytest.raises(CommandError) as e:
        output_formats("md,docx")
    assert e.value.usage and "Word output needs python-docx" in e.value.message and "hmic-compile[docx]" in (e.value.hint or "")


def libreoffice_convert(data: bytes, to: str, tmp_path: Path) -> Path:
    """report.docx converted by LibreOffice (`to`: its filter, e.g. "txt:Text"), in a profile of its own; the file it
    wrote. Skipped where LibreOffice is not installed, unless HMIC_REQUIRE_LIBREOFFICE is set."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("HMIC_REQUIRE_LIBREOFFICE"):
            pytest.fail(
                "LibreOffice is required here (HMIC_REQUIRE_LIBREOFFICE is set) but not installed: apt-get install libreoffice-writer-nogui"
            )
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui); .ci/run installs it")
    source = tmp_path / "report.docx"
    source.write_bytes(data)
    profile = (tmp_path / "profile").as_uri()
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", to, "--outdir", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tmp_path / f"report.{to.split(':')[0]}"


def test_libreoffice_opens_it(tmp_path: Path) -> None:
    txt = libreoffice_convert(_build("norfolk-2007", draft=True, numbered=True)["report.docx"], "txt:Text", tmp_path)
    text = txt.read_text(encoding="utf-8-sig")
    assert "Neighbourhood Policing" in text and "1.1.1 The national Neighbourhood Policing programme" in text
    assert " ".join(text.split()).count("Appendix: Glossary of Terms and Abbreviations") >= 2, "the contents and the heading"
