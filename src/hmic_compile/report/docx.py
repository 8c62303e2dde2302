"""Word output (`hmic build --format docx`): the report from its view model, for the force's factual-accuracy
check, where reviewers comment and suggest changes in Word. python-docx loads only when a docx is asked for.

No Pandoc and no template: report/docx_body.py lays out the same view model the Jinja templates do, in
report.md's order and words; report/docx_style.py holds the styles, report/docx_package.py the pages,
fields, properties and the zip, which is the same bytes for the same report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .draft import DraftMark

if TYPE_CHECKING:
    from .view import Report

PIP_PACKAGES = "pip install 'hmic-compile[docx]'"
INSTALL_HINT = f"install python-docx with: {PIP_PACKAGES}"


def unavailable() -> str | None:
    """Why no Word document can be made here (python-docx missing), or None when it can."""
    try:
        import docx  # noqa: F401
    except ImportError as e:
        return f"Word output needs python-docx, which is not installed ({e})"
    return None


def report_docx(report: Report, draft: DraftMark | None, source_date_epoch: int | None) -> bytes:
    """The report as a Word document: the same report, draft mark and numbers give the same bytes."""
    import docx

    from .docx_body import BodyWriter, clear_body
    from .docx_package import package, set_pages, set_settings, when
    from .docx_style import LANGUAGE, set_styles

    doc = docx.Document()
    clear_body(doc)
    set_styles(doc, report.styles)
    set_settings(doc)
    running = f"{report.force.name} – {report.labels['running_title']}"
    set_pages(doc, running, report.published, draft)
    BodyWriter(doc, report).write(draft)
    time = when(source_date_epoch)
    props = doc.core_properties
    props.title = report.force.title
    about = f"inspection report on {report.force.name}, {report.published}"  # as the HTML's description
    props.subject = f"{report.publisher}: {about}" if report.publisher else about[0].upper() + about[1:]
    props.author = props.last_modified_by = report.publisher or ""
    props.language = LANGUAGE
    props.identifier = f"ISBN {report.force.isbn}" if report.force.isbn else ""
    props.content_status = draft.text if draft else ""
    props.comments = props.keywords = props.category = ""
    props.created = props.modified = time.replace(tzinfo=None)
    props.revision = 1
    return package(doc, time)
