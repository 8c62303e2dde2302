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


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html` (the report rendered with medium="pdf"): same HTML, same bytes; PdfTooLarge past the limits.

    Nothing is fetched: the report is self-contained, and a house style's templates cannot make the PDF
    read local files or the network (only data: URLs load).
    """
    check_size(html)
    wp = _weasyprint()
    fetcher: Any = wp.URLFetcher(allowed_protocols=("data",))
    document = wp.HTML(string=html, url_fetcher=fetcher)
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    assert isinstance(pdf, bytes)
    return pdf
