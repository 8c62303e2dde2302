"""The Word document's styles: Word's own heading, list and table styles set in the report's house style, the
document's language, and a character style for each grade by its place on the scale (report/palette.py).

Headings use Word's built-in Heading styles at report.html's levels (its h2 is Heading 1, h5 Heading 4), so that
the navigation pane and a contents field see them; grades are text in a character style ("Grade 1" is the best),
coloured and bordered as the HTML's badges are, a grade's name over its definition too.
"""

from __future__ import annotations

from docx.document import Document
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt, RGBColor, Twips

from .palette import ON_FILL, GradeStyle

LANGUAGE = "en-GB"
FONT = "Arial"
ACCENT = "1D3A6E"
MUTED = "555555"
DRAFT_RED = "A4161A"

# Word's run borders for each badge (templates/report.grades.css): the border's kind and width in eighths of a point.
_BORDERS = {"double": ("double", 4), "solid": ("single", 12), "dashed": ("dashed", 12), "dotted": ("dotted", 12), "tab": ("thick", 18)}

# Styles of hmic's own, beside Word's built-in ones.
GRADE_NONE = "Grade Not Given"  # not inspected, or not yet graded
PARA_NUMBER = "Paragraph Number"
DRAFT_MARK = "Draft Mark"
HYPERLINK = "Hyperlink"
GLOSSARY = "Glossary Entry"
TABLE = "Table Grid"
TEXT_WIDTH = 9638  # twips between the margins of an A4 page with 20mm margins (report/docx_package.py sets them)


def grade_style(rank: int | None) -> str:
    return f"Grade {rank}" if rank else GRADE_NONE


def _hex(colour: str) -> str:
    return colour.lstrip("#").upper()


def _style(kind: str, style_id: str, name: str, body: str, based_on: str | None = None, custom: bool = True) -> str:
    """A style's XML; `custom` False for one of Word's built-in styles that the template lacks (Hyperlink, toc 1)."""
    based = f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    flag = ' w:customStyle="1"' if custom else ""
    return (
        f'<w:style {nsdecls("w")} w:type="{kind}"{flag} w:styleId="{style_id}"><w:name w:val="{name}"/>{based}<w:qFormat/>{body}</w:style>'
    )


def _grade_rpr(s: GradeStyle) -> str:
    colour = _hex(s.colour)
    if s.filled:
        border = '<w:bdr w:val="dashed" w:sz="8" w:space="0" w:color="FFFFFF"/>' if s.badge == "framed" else ""
        fill = f'<w:shd w:val="clear" w:color="auto" w:fill="{colour}"/>'
        return f'<w:rPr><w:b/><w:bCs/><w:color w:val="{_hex(ON_FILL)}"/>{border}{fill}</w:rPr>'
    kind, size = _BORDERS[s.badge]
    return f'<w:rPr><w:b/><w:bCs/><w:color w:val="{colour}"/><w:bdr w:val="{kind}" w:sz="{size}" w:space="1" w:color="{colour}"/></w:rPr>'


def _custom_styles(styles: tuple[GradeStyle, ...]) -> list[str]:
    out = [_style("character", f"Grade{s.rank}", grade_style(s.rank), _grade_rpr(s)) for s in styles]
    out.append(
        _style(
            "character",
            "GradeNotGiven",
            GRADE_NONE,
            f'<w:rPr><w:color w:val="{MUTED}"/><w:bdr w:val="dashed" w:sz="4" w:space="1" w:color="{MUTED}"/></w:rPr>',
        )
    )
    out.append(
        _style(
            "character",
            "ParagraphNumber",
            PARA_NUMBER,
            f'<w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/><w:b/><w:color w:val="{MUTED}"/><w:sz w:val="18"/></w:rPr>',
        )
    )
    out.append(
        _style("character", "Hyperlink", HYPERLINK, f'<w:rPr><w:color w:val="{ACCENT}"/><w:u w:val="single"/></w:rPr>', custom=False)
    )
    out.append(
        _style(
            "paragraph",
            "DraftMark",
            DRAFT_MARK,
            f'<w:pPr><w:jc w:val="center"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val="{DRAFT_RED}"/><w:sz w:val="18"/></w:rPr>',
            "Normal",
        )
    )
    out.append(
        _style(
            "paragraph",
            "GlossaryEntry",
            GLOSSARY,
            '<w:pPr><w:tabs><w:tab w:val="left" w:pos="1701"/></w:tabs><w:ind w:left="1701" w:hanging="1701"/></w:pPr>',
            "Normal",
        )
    )
    for level in (1, 2):
        out.append(
            _style(
                "paragraph",
                f"TOC{level}",
                f"toc {level}",
                f'<w:pPr><w:spacing w:after="60"/><w:ind w:left="{(level - 1) * 360}"/></w:pPr>',
                "Normal",
                False,
            )
        )
    return out


def _plain_fonts(rpr: object) -> None:
    """Drop a style's theme fonts (which would win over its own) so that it is set in FONT."""
    fonts = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if fonts is not None:
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)


def set_styles(doc: Document, grades: tuple[GradeStyle, ...]) -> None:
    """The house style: Arial, the report's accent colour for headings, British English, each grade's character style."""
    styles = doc.styles
    root = styles.element
    defaults = root.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = parse_xml(f"<w:lang {nsdecls('w')}/>")
        rpr.append(lang)
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), LANGUAGE)
    normal = styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (
        ("Title", 28),
        ("Subtitle", 13),
        ("Heading 1", 18),
        ("Heading 2", 14),
        ("Heading 3", 12),
        ("Heading 4", 11),
        ("TOC Heading", 18),
    ):
        style = styles[name]
        style.font.name, style.font.size = FONT, Pt(size)
        style.font.color.rgb = RGBColor.from_string(ACCENT if name != "Heading 4" else "1B1B1B")
        _plain_fonts(style.element.get_or_add_rPr())
    styles["Heading 1"].paragraph_format.page_break_before = True
    styles["TOC Heading"].paragraph_format.page_break_before = True
    for name in ("Header", "Footer"):
        tabs = styles[name].paragraph_format.tab_stops
        tabs.clear_all()
        if name == "Header":  # the running title at the left margin, the date at the right
            tabs.add_tab_stop(Twips(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)
        styles[name].font.size = Pt(8.5)
        styles[name].font.color.rgb = RGBColor.from_string("444444")
    for xml in _custom_styles(grades):
        root.append(parse_xml(xml))
