"""report.pdf for assistive technology, read back with pikepdf: the tag tree has the headings in order, tables
with header cells that carry their scope, figures with alt text; every link annotation is described by its
link's text; the bookmarks are the real headings; the document's language is British English.

veraPDF, which checks the whole of PDF/UA-1, is packaged by neither Debian nor PyPI nor npm, so it is not run."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from functools import cache

import pikepdf
import pytest

from hmic_compile.checks.project import load_checked
from hmic_compile.report.build import BuildOptions, build_force
from hmic_compile.report.render import make_environment

from .conftest import REPO
from .test_frameworks import FIXTURES, FORCES, _require_weasyprint

ROOTS = {"norfolk-2007": REPO, **{force: FIXTURES / fw for fw, force in FORCES}}


@cache
def _pdf(force: str, numbered: bool = False) -> pikepdf.Pdf:
    _require_weasyprint()
    root = ROOTS[force]
    project, _ = load_checked(root, [force])
    files = build_force(project, project.forces[force], make_environment(None, root), BuildOptions(("pdf",), numbered=numbered))
    return pikepdf.open(io.BytesIO(files["report.pdf"]))


def elements(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every structure element, in document order."""

    def walk(node: object) -> Iterator[pikepdf.Dictionary]:
        if isinstance(node, pikepdf.Array):
            for child in node:
                yield from walk(child)
        elif isinstance(node, pikepdf.Dictionary) and node.get("/Type") != "/OBJR" and "/S" in node:
            yield node
            if "/K" in node:
                yield from walk(node.K)

    yield from walk(pdf.Root.StructTreeRoot.K)


def outline(pdf: pikepdf.Pdf) -> list[tuple[int, str]]:
    out = []

    def walk(item: pikepdf.Dictionary | None, depth: int) -> None:
        while item is not None:
            out.append((depth, str(item.Title)))
            if "/First" in item:
                walk(item.First, depth + 1)
            item = item.get("/Next")

    walk(pdf.Root.Outlines.First, 0)
    return out


@pytest.mark.parametrize("force", sorted(ROOTS))
def test_tag_tree_headings_tables_and_figures(force: str) -> None:
    pdf = _pdf(force)
    assert pdf.Root.MarkInfo.Marked and str(pdf.Root.Lang) == "en-GB"
    tags = list(elements(pdf))
    kinds = [str(e.S) for e in tags]
    headings = [int(k[2]) for k in kinds if re.fullmatch(r"/H[1-6]", k)]
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(headings, headings[1:], strict=False)), f"a heading level skipped: {headings}"
    tables = [e for e in tags if e.S == "/Table"]
    assert tables
    header_cells = [e for e in tags if e.S == "/TH"]
    assert len(header_cells) >= 2 * len(tables)
    assert {str(e.A.Scope) for e in header_cells} <= {"/Column", "/Row"} and all("/Scope" in e.A for e in header_cells)
    assert any(str(e.A.Scope) == "/Row" for e in header_cells) and any(str(e.A.Scope) == "/Column" for e in header_cells)
    figures = [e for e in tags if e.S == "/Figure"]
    assert figures, "each national grade distribution's chart is a figure"
    assert all(str(e.get("/Alt", "")).startswith("National grade distribution") for e in figures)


@pytest.mark.parametrize("force", sorted(ROOTS))
def test_links_are_described_by_their_text(force: str) -> None:
    pdf = _pdf(force)
    annotations = [a for page in pdf.pages for a in page.get("/Annots", []) if a.Subtype == "/Link"]
    assert annotations
    names = {str(a.Dest) for a in annotations if "/Dest" in a}
    described = [str(a.get("/Contents", "")) for a in annotations]
    assert all(described), "a link annotation without a description"
    assert not names & set(described), "a link described by its target's name, not its text"
    if force == "norfolk-2007":
        assert "Protecting Vulnerable People – Child Abuse" in described and "Child abuse" in described


@pytest.mark.parametrize("force", sorted(ROOTS))
def test_bookmarks_are_the_real_headings(force: str) -> None:
    pdf = _pdf(force)
    marks = outline(pdf)
    titles = [t for _, t in marks]
    assert "Contents" in titles
    labels = {"PROBLEM:", "SOLUTION:", "OUTCOME(S):", "Problem", "Solution", "Outcomes"}
    assert not labels & set(titles), "a case study's labels are no bookmarks"
    assert not [t for t in titles if re.fullmatch(r"[A-Z]", t)], "nor the glossary's index letters"
    assert max(d for d, _ in marks) <= 2, "bookmarks: the title, its parts, and their sections"
