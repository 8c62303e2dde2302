"""PDF stage: the report's print HTML laid out on A4 pages by WeasyPrint, loaded only when a PDF is asked for."""

from __future__ import annotations

import contextlib
import io
from types import ModuleType
from typing import Any

# What `hmic build --format pdf` needs beyond hmic itself; the Debian names hold for Debian 12 and 13.
PIP_PACKAGES = "pip install 'hmic-compile[pdf]'"
APT_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-liberation", "fonts-dejavu-core")
INSTALL_HINT = f"install WeasyPrint with: {PIP_PACKAGES}; and its libraries and fonts, on Debian: apt-get install {' '.join(APT_PACKAGES)}"

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
    """The PDF of `html` (the report rendered with medium="pdf"): same HTML, same bytes.

    Nothing is fetched: the report is self-contained, and a house style's templates cannot make the PDF
    read local files or the network (only data: URLs load).
    """
    wp = _weasyprint()
    fetcher: Any = wp.URLFetcher(allowed_protocols=("data",))
    document = wp.HTML(string=html, url_fetcher=fetcher)
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    assert isinstance(pdf, bytes)
    return pdf
