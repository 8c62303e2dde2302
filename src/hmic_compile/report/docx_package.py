"""The Word document's frame and package: page setup, running header and page numbers, the draft mark and
watermark on every page, fields Word updates on opening, document properties, and a zip that is the same
bytes for the same report.

python-docx writes the package with the clock's time on every zip entry, so the package is written anew
here: entries in a fixed order, each with one fixed time (SOURCE_DATE_EPOCH's, or 1980-01-01) and the same
compression; the core properties are dated the same way.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from xml.sax.saxutils import escape, quoteattr

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm
from docx.text.paragraph import Paragraph

from .docx_style import DRAFT_MARK, DRAFT_RED, LANGUAGE
from .draft import DraftMark

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
WATERMARK_ID = "PowerPlusWaterMarkObject"  # the name Word gives its own watermarks
_VML = (
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w10="urn:schemas-microsoft-com:office:word"'
)

# Word's own shape type for WordArt text along a path (VML type 136), as Word writes it for a watermark.
_TEXT_PATH_TYPE = (
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" path="m@7,l@8,m@5,21600l@6,21600e">'
    "<v:formulas>"
    + "".join(
        f'<v:f eqn="{e}"/>'
        for e in (
            "sum #0 0 10800",
            "prod #0 2 1",
            "sum 21600 0 @1",
            "sum 0 0 @2",
            "sum 21600 0 @3",
            "if @0 @3 0",
            "if @0 21600 @1",
            "if @0 0 @2",
            "if @0 @4 21600",
            "mid @5 @6",
            "mid @8 @5",
            "mid @7 @8",
            "mid @6 @7",
            "sum @6 0 @5",
        )
    )
    + "</v:formulas>"
    '<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" o:connectangles="270,180,90,0"/>'
    '<v:textpath on="t" fitshape="t"/><v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>'
    '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
)


def when(source_date_epoch: int | None) -> dt.datetime:
    """The one time the document carries: SOURCE_DATE_EPOCH's, or 1980-01-01, never the clock's."""
    if source_date_epoch is None:
        return dt.datetime(*ZIP_EPOCH, tzinfo=dt.UTC)
    return max(dt.datetime.fromtimestamp(source_date_epoch, dt.UTC), dt.datetime(*ZIP_EPOCH, tzinfo=dt.UTC))


def add_field(paragraph: Paragraph, instruction: str, shown: str = "") -> None:
    """A complete field (PAGE, ...) at the end of `paragraph`, showing `shown` until Word updates it."""
    begin_field(paragraph, instruction)
    if shown:
        paragraph.add_run(shown)
    end_field(paragraph)


def begin_field(paragraph: Paragraph, instruction: str) -> None:
    """The start of a field whose result follows (and may run over several paragraphs, as a contents field's does)."""
    w = nsdecls("w")
    p = paragraph._p
    p.append(parse_xml(f'<w:r {w}><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'))
    p.append(parse_xml(f'<w:r {w}><w:instrText xml:space="preserve"> {escape(instruction)} </w:instrText></w:r>'))
    p.append(parse_xml(f'<w:r {w}><w:fldChar w:fldCharType="separate"/></w:r>'))


def end_field(paragraph: Paragraph) -> None:
    paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="end"/></w:r>'))


def _watermark(text: str, description: str) -> str:
    """A run holding the watermark: `text` across the page behind the text, as Word draws its own (VML in the header)."""
    style = (
        "position:absolute;margin-left:0;margin-top:0;width:460pt;height:115pt;rotation:315;z-index:-251657216;"
        "mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
        "mso-position-vertical:center;mso-position-vertical-relative:margin"
    )
    return (
        f"<w:r {nsdecls('w')} {_VML}><w:pict>{_TEXT_PATH_TYPE}"
        f'<v:shape id="{WATERMARK_ID}" o:spid="_x0000_s2049" type="#_x0000_t136" alt={quoteattr(description)} style="{style}"'
        f' o:allowincell="f" fillcolor="#{DRAFT_RED}" stroked="f"><v:fill opacity=".15"/>'
        f'<v:textpath style="font-family:&quot;Arial&quot;;font-size:1pt" string={quoteattr(text)}/>'
        '<w10:wrap anchorx="margin" anchory="margin"/></v:shape></w:pict></w:r>'
    )


def _draft(paragraph: Paragraph, mark: DraftMark) -> None:
    paragraph.style = DRAFT_MARK
    paragraph.add_run(mark.text)
    paragraph._p.append(parse_xml(_watermark(mark.watermark, mark.text)))


def set_pages(doc: Document, running: str, published: str, mark: DraftMark | None) -> None:
    """A4 pages; from the second page on, the running title and date above and the page number below; the title
    page bare but for a draft's mark. A draft's mark and watermark are in both headers, so on every page."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(24), Mm(22)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    if mark is not None:
        _draft(header, mark)
        header = section.header.add_paragraph()
    header.style = "Header"
    header.add_run(f"{running}\t{published}")
    footer = section.footer.paragraphs[0]
    footer.style = "Footer"
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_field(footer, "PAGE", "1")
    first = section.first_page_header.paragraphs[0]
    if mark is not None:
        _draft(first, mark)


def set_settings(doc: Document) -> None:
    """Word updates every field when it opens the document (the contents field gets its page numbers), in British English."""
    settings = doc.settings.element
    settings.find(qn("w:themeFontLang")).set(qn("w:val"), LANGUAGE)
    update = parse_xml(f'<w:updateFields {nsdecls("w")} w:val="true"/>')
    # w:updateFields sits after w:proofState and before w:defaultTabStop in the settings' sequence.
    settings.find(qn("w:defaultTabStop")).addprevious(update)


_APP = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>hmic</Application><DocSecurity>0</DocSecurity></Properties>"
)


def package(doc: Document, time: dt.datetime) -> bytes:
    """The document's bytes: python-docx's package without the template's thumbnail, its parts rewritten into a zip
    with a fixed entry order ([Content_Types].xml first, the rest by name), one time and one compression."""
    pkg = doc.part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del pkg.rels[rid]
    raw = io.BytesIO()
    doc.save(raw)
    stamp = time.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w") as dst:
        names = sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
        for name in names:
            data = _APP.encode("utf-8") if name == "docProps/app.xml" else src.read(name)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, data, compresslevel=6)
    return out.getvalue()
