"""PDF stage: the report's print HTML laid out on A4 pages by WeasyPrint, loaded only when a PDF is asked for."""

from __future__ import annotations

import contextlib
import io
import re
from types import ModuleType
from typing import Any

# What `hmic build --format pdf` needs beyond hmic itself; the Debian names hold for Debian 12 and 13.
PIP_PACKAGES = "pip install 'hmic-compile[pdf]'"
APT_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-liberation", "fonts-dejavu-core")
INSTALL_HINT = f"install WeasyPrint with: {PIP_PACKAGES}; and its libraries and fonts, on Debian: apt-get install {' '.join(APT_PACKAGES)}"

# WeasyPrint lays a report out in time linear in its size, but slowly: about 5 ms for each element and
# 20 us for each character of text on the project's machine (Norfolk 2007: 2,135 elements, 129,000
# characters, some seconds). A report past these limits is refused (E730, E731) rather than left to
# run for minutes; the Markdown and HTML have no such limit.
MAX_ELEMENTS = 10_000
MAX_TEXT = 1_000_000
_TAGS = re.compile(r"<[^>]*>")


class PdfTooLarge(ValueError):
    def __init__(self, code: str, message: str, hint: str):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def check_size(html: str) -> None:
    """Refuse print HTML too large to lay out in good time (a count, before WeasyPrint loads)."""
    body = html[max(html.find("<body"), 0) :]
    elements = body.count("<") - body.count("</")  # autoescaped: every '<' of the text is '&lt;'
    if elements > MAX_ELEMENTS:
        raise PdfTooLarge(
            "E730",
            f"the report has {elements:,} elements (paragraphs, list items, table cells...), over the PDF limit of {MAX_ELEMENTS:,}",
            "build the Markdown and HTML only (--format md,html), or split the evidence",
        )
    text = len(_TAGS.sub("", body))
    if text > MAX_TEXT:
        raise PdfTooLarge(
            "E731",
            f"the report has {text:,} characters of text, over the PDF limit of {MAX_TEXT:,}",
            "build the Markdown and HTML only (--format md,html), or shorten the evidence",
        )


# Tagged PDF (PDF/UA-1): headings, lists and tables carry their structure for screen readers; no dates or
# random identifiers are written unless the HTML asks, so the same HTML gives the same bytes.
PDF_VARIANT = "pdf/ua-1"


def _weasyprint() -> ModuleType:
    # WeasyPrint prints its own advice to stdout when a system library is missing; hmic reports it instead.
    with contextlib.redirect_stdout(io.StringIO()):
        import weasyprint
    return weasyprint


def unavailable() -> str | None:
    """Why no PDF can be made here (WeasyPrint or its libraries missing), or None when it can."""
    try:
        _weasyprint()
    except ImportError as e:
        return f"PDF output needs WeasyPrint, which is not installed ({e})"
    except OSError as e:  # cffi could not load Pango, HarfBuzz or fontconfig
        return f"PDF output needs WeasyPrint's system libraries, and one is missing ({e})"
    return None


class NotOnEveryPage(Exception):
    """The text every page must show is missing from some pages (1-based numbers)."""

    def __init__(self, pages: list[int], total: int):
        super().__init__(f"pages {pages} of {total}")
        self.pages, self.total = pages, total


def html_to_pdf(html: str, on_every_page: str | None = None) -> bytes:
    """The PDF of `html` (the report rendered with medium="pdf"): same HTML, same bytes; PdfTooLarge past the limits.

    With `on_every_page` (a draft's mark), the pages are laid out first and each must show that text
    where a reader sees it (see page_text), or NotOnEveryPage is raised and no PDF made.

    Nothing is fetched: the report is self-contained, and a house style's templates cannot make the PDF
    read local files or the network (only data: URLs load).
    """
    check_size(html)
    wp = _weasyprint()
    fetcher: Any = wp.URLFetcher(allowed_protocols=("data",))
    document = wp.HTML(string=html, url_fetcher=fetcher).render(pdf_variant=PDF_VARIANT)
    if on_every_page is not None:  # a look at the laid-out pages before they are written
        wanted = " ".join(on_every_page.split())
        missing = [n for n, page in enumerate(document.pages, start=1) if wanted not in page_text(page)]
        if missing:
            raise NotOnEveryPage(missing, len(document.pages))
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, finisher=_describe)
    assert isinstance(pdf, bytes)
    return pdf


_SCOPES = {"col": "/Column", "colgroup": "/Column", "row": "/Row", "rowgroup": "/Row"}


def _describe(document: Any, pdf: Any) -> None:
    """What WeasyPrint's tagged PDF leaves out, added before the file is written (PDF/UA-1, 7.18.5 and 7.5):
    each link annotation described by its link's text (WeasyPrint writes the target's name), and each table
    header cell's scope (column or row), from the HTML's `scope`.

    WeasyPrint has no public API for this: the laid-out boxes it keeps the annotation (`link_annotation`)
    and the header cell's structure element (`mark`) on are read, as page_text reads them; tests/test_pdf_tags.py
    reads the written PDF back with pikepdf."""
    import pydyf

    def walk(box: Any) -> None:
        element = getattr(box, "element", None)
        annotation = getattr(box, "link_annotation", None)
        if annotation is not None and element is not None:
            text = " ".join("".join(element.itertext()).split())
            if text:
                annotation["Contents"] = pydyf.String(text)
        mark = getattr(box, "mark", None)
        if mark is not None and getattr(box, "element_tag", None) == "th" and element is not None:
            mark["A"]["Scope"] = _SCOPES.get(str(element.get("scope", "")).lower(), "/Column")
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)


def page_text(page: Any) -> str:
    """The text a reader sees on one laid-out page, white space collapsed: the text boxes WeasyPrint draws
    (visible, not transparent, under no element of opacity 0), each at least partly on the page and inside
    every box that clips it (overflow other than visible). Margin boxes (@top-center) count; text painted
    in the background's colour does not escape this check.

    WeasyPrint has no public API for a page's text; its page box (`Page._page_box`) is read, as the
    tests read the PDF's text with pypdf to check the two agree."""
    width, height = page.width, page.height
    out: list[str] = []

    def walk(box: Any, clip: tuple[float, float, float, float]) -> None:
        style = box.style
        if style["opacity"] <= 0:
            return
        if style["position"] == "fixed":
            clip = (0.0, 0.0, width, height)  # a fixed box is clipped by the page alone
        text = getattr(box, "text", None)
        if isinstance(text, str):
            x, y, w, h = box.position_x, box.position_y, box.width, box.height
            inside = x < clip[2] and x + w > clip[0] and y < clip[3] and y + h > clip[1] and w > 0 and h > 0
            if inside and style["visibility"] == "visible" and getattr(style["color"], "alpha", 1) > 0:
                out.append(text)
            return
        if style["overflow"] != "visible" and hasattr(box, "padding_box_x"):
            x, y = box.padding_box_x(), box.padding_box_y()
            clip = (max(clip[0], x), max(clip[1], y), min(clip[2], x + box.padding_width()), min(clip[3], y + box.padding_height()))
        for child in getattr(box, "children", ()):
            walk(child, clip)

    walk(page._page_box, (0.0, 0.0, width, height))
    return " ".join(" ".join(out).split())
