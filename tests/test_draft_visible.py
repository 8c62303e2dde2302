"""Drafts are marked where the reader looks (docs/security.md): a house style that hides the draft mark, in the
HTML by markup or CSS, or in the PDF on some pages, fails the --draft build with E604; one that shows it passes.
The PDF check, made on WeasyPrint's laid-out pages, is cross-checked against the text pypdf extracts.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.report.visible import shows, visible_text

from .test_pdf import _require_weasyprint

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
EPOCH = "1700000000"
MARK = "DRAFT — for factual accuracy check · built 14 November 2023 · commit none"


def _draft_build(tmp_path: Path, fmt: str, **templates: str) -> tuple[int, str]:
    mine = tmp_path / "mine"
    mine.mkdir(exist_ok=True)
    for name, text in templates.items():
        (mine / name.replace("_", ".")).write_text(textwrap.dedent(text), encoding="utf-8")
    root = tmp_path / "project"  # outside git, so the mark says "commit none"
    if not root.exists():
        shutil.copytree(MINI, root)
    args = ["build", "--root", str(root), "--out", str(tmp_path / "out"), "--format", fmt, "--draft"]
    result = CliRunner().invoke(app, args + (["--templates", str(mine)] if templates else []), env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def _html_with(style: str) -> str:
    """A report.html.j2 that adds `style` to the draft's CSS."""
    return '{% extends "default/report.html.j2" %}\n{% block draft_style %}{{ super() }}\n' + style + "\n{% endblock %}\n"


HIDE_HTML = {
    "class-display-none": ".draft-mark { display: none }",
    "important-beats-later": ".draft-mark { display: none !important } body .draft-mark { display: block }",
    "attribute-selector": "div[role=region] { display: none }",
    "structural-selector": "body > :first-child { display: none }",
    "visibility-hidden": ".draft-mark { visibility: hidden }",
    "opacity-zero": "body { opacity: 0 }",
    "font-size-zero": ".draft-mark { font-size: 0 }",
    "transparent": ".draft-mark { color: transparent }",
    "rgba-alpha-zero": ".draft-mark { color: rgba(255, 0, 0, 0) }",
    "screen-media": "@media screen and (min-width: 1px) { .draft-mark { display: none } }",
    "supports": "@supports (display: grid) { .draft-mark { content-visibility: hidden } }",
}

SHOW_HTML = {
    "print-only": "@media print { .draft-mark { display: none } }",
    "overridden-later": ".draft-mark { display: none } .draft-mark { display: block }",
    "overridden-by-specificity": "body div.draft-mark { display: block } .draft-mark { display: none }",
    "visible-again": "body { visibility: hidden } .draft-mark { visibility: visible }",
    "font-size-reset": "body { font-size: 0 } .draft-mark { font-size: 12px }",
    "pseudo-element-only": ".draft-mark::before { display: none }",
}


@pytest.mark.parametrize("style", list(HIDE_HTML.values()), ids=list(HIDE_HTML))
def test_css_that_hides_the_mark_fails_the_html_draft(tmp_path: Path, style: str) -> None:
    code, output = _draft_build(tmp_path, "html", report_html_j2=_html_with(style))
    assert code == 1, output
    assert "report.html.j2: error[E604]: the html output of a --draft build does not show the draft mark where a reader sees it" in output
    assert not (tmp_path / "out" / "testshire-2024").exists()


@pytest.mark.parametrize("style", list(SHOW_HTML.values()), ids=list(SHOW_HTML))
def test_css_that_leaves_the_mark_seen_passes(tmp_path: Path, style: str) -> None:
    code, output = _draft_build(tmp_path, "html", report_html_j2=_html_with(style))
    assert code == 0, output


HIDING_MARKUP = {
    "comment": "<!-- {{ draft.text }} -->",
    "title": "<title>{{ draft.text }}</title>",
    "attribute": '<p data-note="{{ draft.text }}" title="{{ draft.text }}">report</p>',
    "hidden-attribute": "<p hidden>{{ draft.text }}</p>",
    "aria-hidden": '<p aria-hidden="true">{{ draft.text }}</p>',
    "inline-style": '<p style="display:none">{{ draft.text }}</p>',
    "closed-details": "<details><p>{{ draft.text }}</p></details>",
    "template": "<template>{{ draft.text }}</template>",
    "script": "<script>/* {{ draft.text }} */</script>",
}


@pytest.mark.parametrize("markup", list(HIDING_MARKUP.values()), ids=list(HIDING_MARKUP))
def test_markup_that_hides_the_mark_fails_the_html_draft(tmp_path: Path, markup: str) -> None:
    body = f"{markup}\n<h1>{{{{ report.force.title }}}}</h1>"
    page = f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'></head><body>\n{body}\n</body></html>\n"
    code, output = _draft_build(tmp_path, "html", report_html_j2=page)
    assert code == 1, output
    assert "error[E604]: the html output of a --draft build does not show the draft mark where a reader sees it" in output


def test_a_house_style_of_its_own_that_shows_the_mark_passes(tmp_path: Path) -> None:
    page = "<!DOCTYPE html>\n<html><body><header><details open><summary>{{ draft.text }}</summary></details></header></body></html>\n"
    assert _draft_build(tmp_path, "html", report_html_j2=page)[0] == 0


def test_visible_text_follows_what_a_browser_shows() -> None:
    html = """<!DOCTYPE html><html><head><title>T</title><style>
        .a { display: none } #b { visibility: hidden } #b span { visibility: visible } @media print { .c { display: none } }
        [hidden] { display: block }
    </style></head><body>
    <p class="a">one</p><p id="b">two <span>three</span></p><p class="c">four</p><!-- five --><p hidden>six</p>
    <details><summary>seven</summary>eight</details><img alt="nine">ten&amp;eleven<br>twelve
    </body></html>"""
    assert visible_text(html) == "three four six seven ten&eleven twelve"
    assert shows(html, "ten&eleven\n  twelve") and not shows(html, "one")


# --- the PDF: every page ---------------------------------------------------------------------------------


def _pdf_pages(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def test_the_default_pdf_shows_the_mark_on_every_page_as_pypdf_reads_it(tmp_path: Path) -> None:
    _require_weasyprint()
    code, output = _draft_build(tmp_path, "pdf")
    assert code == 0, output
    pages = _pdf_pages(tmp_path / "out" / "testshire-2024" / "report.pdf")
    assert len(pages) > 3
    assert all(MARK in text for text in pages), [n for n, text in enumerate(pages, start=1) if MARK not in text]


HIDE_PDF = {
    "display-none": (".draft-mark { display: none }", "all"),
    "first-page-only": (".draft-mark { position: absolute }", "after the first"),
    "clipped": (".draft-mark { height: 0; padding: 0; overflow: hidden }", "all"),
    "off-the-page": (".draft-mark { top: -200mm }", "all"),
    "visibility-hidden": (".draft-mark { visibility: hidden }", "all"),
    "opacity-zero": (".draft-mark { opacity: 0 }", "all"),
    "transparent": (".draft-mark { color: transparent }", "all"),
}


@pytest.mark.parametrize(("style", "pages"), list(HIDE_PDF.values()), ids=list(HIDE_PDF))
def test_css_that_hides_the_mark_on_any_page_fails_the_pdf_draft(tmp_path: Path, style: str, pages: str) -> None:
    _require_weasyprint()
    template = '{% extends "default/report.html.j2" %}\n{% block pdf_style %}{{ super() }}\n' + style + "\n{% endblock %}\n"
    code, output = _draft_build(tmp_path, "pdf", report_html_j2=template)
    assert code == 1, output
    m = re.search(
        r"report\.html\.j2: error\[E604\]: the pdf output of a --draft build does not show the draft mark on pages? ([\d, ]+) of (\d+);",
        output,
    )
    assert m, output
    missing, total = [int(n) for n in m.group(1).split(", ")], int(m.group(2))
    expected = list(range(1, total + 1)) if pages == "all" else list(range(2, total + 1))
    assert missing == expected[:10]
    assert not (tmp_path / "out" / "testshire-2024").exists()


def test_the_pdf_check_agrees_with_pypdf_on_a_mark_shown_on_the_first_page_only(tmp_path: Path) -> None:
    """The same house style without --draft's check (a plain build of the same HTML) really lacks the mark after page 1."""
    _require_weasyprint()
    from hmic_compile.report.pdf import html_to_pdf

    html = f"<html><body><div style='position:absolute'>{MARK}</div>" + "<p style='break-after:page'>page</p>" * 3 + "</body></html>"
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(html_to_pdf(html))
    assert [MARK in text for text in _pdf_pages(pdf)] == [True, False, False]
    from hmic_compile.report.pdf import NotOnEveryPage

    with pytest.raises(NotOnEveryPage) as e:
        html_to_pdf(html, on_every_page=MARK)
    assert (e.value.pages, e.value.total) == ([2, 3], 3)
    fixed = html.replace("position:absolute", "position:fixed")
    pdf.write_bytes(html_to_pdf(fixed, on_every_page=MARK))
    assert all(MARK in text for text in _pdf_pages(pdf))
