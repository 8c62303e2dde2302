"""The Word document's body, from the view model (report/view.py) in the order and words of report.md:
title page, contents field, sections under Word's heading styles at report.html's levels (its h2 is Heading 1),
lists, tables with header rows that repeat on every page, grades as styled text, and each paragraph's number in
a --numbered build."""

from __future__ import annotations

from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run as DocxRun
from msgspec import Struct

from .docx_package import begin_field, end_field
from .docx_style import GLOSSARY, HYPERLINK, PARA_NUMBER, TABLE, grade_style
from .draft import DraftMark
from .prose import Prose, Run
from .view import AreaView, BlockView, ItemView, Report, SectionView

# The contents field: Headings 1 and 2 (report.html's h2 and h3), the levels its own entries are written at, as
# hyperlinks, page numbers hidden on screen. Not Heading 3, where a case study's parts are: the PDF's bookmarks
# leave them out too.
CONTENTS_FIELD = 'TOC \\o "1-2" \\h \\z \\u'


class Cell(Struct, frozen=True):
    """A table cell's text and how it is set."""

    text: str | Prose
    bold: bool = False
    italic: bool = False
    style: str | None = None  # a character style (a grade's)
    span: int = 1  # columns it spans


class BodyWriter:
    """Writes one report into a python-docx Document."""

    def __init__(self, doc: Document, report: Report):
        self.doc, self.report = doc, report
        entries = [e for top in report.contents for e in (top, *top.children)]
        # Each contents entry's heading is a bookmark the contents field's entries link to, as Word's own are.
        self.bookmarks = {e.anchor: f"_Toc{n:06d}" for n, e in enumerate(entries, start=1)}
        self.ids = 0
        numbering = doc.part.numbering_part.element
        style_num = doc.styles["List Number"].element.pPr.numPr.numId.val
        self.list_number = numbering.num_having_numId(style_num).abstractNumId.val

    # --- paragraphs and runs ---

    def para(self, style: str | None = None) -> Paragraph:
        return self.doc.add_paragraph(style=style)

    def runs(self, p: Paragraph, runs: list[Run], bold: bool = False, italic: bool = False) -> None:
        for r in runs:
            if r.link is None:
                self._run(p, r, bold, italic)
                continue
            if r.link.startswith("#"):
                if r.link[1:] not in self.bookmarks:
                    self._run(p, r, bold, italic)  # an anchor the document has no bookmark for: its text alone
                    continue
                link = parse_xml(f'<w:hyperlink {nsdecls("w")} w:anchor="{self.bookmarks[r.link[1:]]}" w:history="1"/>')
            else:
                rid = p.part.relate_to(r.link, RT.HYPERLINK, is_external=True)
                link = parse_xml(f'<w:hyperlink {nsdecls("w", "r")} r:id="{rid}" w:history="1"/>')
            p._p.append(link)
            run = self._run(p, r, bold, italic)
            run.style = HYPERLINK
            link.append(run._r)

    def _run(self, p: Paragraph, r: Run, bold: bool, italic: bool) -> DocxRun:
        run = p.add_run(r.text)
        if bold or "strong" in r.marks:
            run.bold = True
        if italic or "em" in r.marks:
            run.italic = True
        if "code" in r.marks:
            run.font.name = "Courier New"
        return run

    def prose(self, p: Paragraph, prose: Prose, bold: bool = False, italic: bool = False) -> Paragraph:
        """`prose` at the end of `p`, after its number in a --numbered build (as report.md and report.html show it)."""
        if prose.number is not None:
            p.add_run(prose.number, style=PARA_NUMBER)
            p.add_run(" ")
        self.runs(p, prose.runs(), bold, italic)
        return p

    def text(self, text: str, style: str | None = None, bold: bool = False, italic: bool = False) -> Paragraph:
        p = self.para(style)
        run = p.add_run(text)
        run.bold, run.italic = bold or None, italic or None
        return p

    def labelled(self, label: str, prose: Prose) -> None:
        """A labelled line: "Title: ...", the label in bold."""
        p = self.para()
        p.add_run(label, style=None).bold = True
        p.add_run(" ")
        self.prose(p, prose)

    def heading(self, text: str, level: int, anchor: str = "") -> None:
        """A heading at report.md's and report.html's `level` (## and h2 are Heading 1: the title is the Title style)."""
        p = self.para(f"Heading {min(max(level - 1, 1), 9)}")
        name = self.bookmarks.get(anchor)
        if name is not None:
            self.ids += 1
            p._p.append(parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="{self.ids}" w:name="{name}"/>'))
        p.add_run(text)
        if name is not None:
            p._p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{self.ids}"/>'))

    # --- blocks ---

    def blocks(self, blocks: list[BlockView]) -> None:
        for b in blocks:
            if b.kind == "paragraph" and b.text is not None:
                self.prose(self.para(), b.text)
            elif b.kind == "bullets":
                self.items(b.items)
            elif b.kind == "numbered":
                self.numbered([i.text for i in b.items])
            elif b.kind == "table":
                self.table([Cell(h) for h in b.header], [[Cell(c) for c in row] for row in b.rows], b.caption)
            elif b.kind == "grades":
                for rank, g in enumerate(b.grades, start=1):
                    self.grade_name(g.name, rank)
                    self.blocks(g.definition)

    def grade_name(self, name: str, rank: int) -> None:
        """A grade's name over its definition: a bold line in the grade's style, as report.md's **name** and
        report.html's badge in a <dt> are, not a heading (it is no section of the report); kept with the definition
        it names, as a heading would be."""
        p = self.para()
        p.paragraph_format.keep_with_next = True
        p.add_run(name, style=grade_style(rank)).bold = True

    def items(self, items: list[ItemView]) -> None:
        for i in items:
            self.prose(self.para("List Bullet"), i.text)
            for s in i.items:
                self.prose(self.para("List Bullet 2"), s)

    def numbered(self, items: list[Prose]) -> None:
        """A numbered list that starts again at 1 (its own numbering instance of the List Number style's)."""
        num = self.doc.part.numbering_part.element.add_num(self.list_number)
        num.add_lvlOverride(ilvl=0).add_startOverride(1)
        for prose in items:
            p = self.para("List Number")
            numpr = p._p.get_or_add_pPr().get_or_add_numPr()
            numpr.get_or_add_ilvl().val = 0
            numpr.get_or_add_numId().val = num.numId
            self.prose(p, prose)

    def table(self, header: list[Cell], rows: list[list[Cell]], caption: str) -> Table:
        """A table whose first row is its header, repeated on every page it runs over; `caption` is its title for
        assistive technology (Word's table alt text)."""
        columns = sum(c.span for c in header)
        table = self.doc.add_table(rows=0, cols=columns)
        table.style = TABLE
        tblpr = table._tbl.tblPr
        tblpr.append(parse_xml(f'<w:tblCaption {nsdecls("w")} w:val="{_attr(caption)}"/>'))
        for n, cells in enumerate([header, *rows]):
            row = table.add_row()
            trpr = row._tr.get_or_add_trPr()
            trpr.append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))
            if n == 0:
                trpr.append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
            col = 0
            for c in cells:
                cell = row.cells[col]
                if c.span > 1:
                    cell = cell.merge(row.cells[col + c.span - 1])
                p = cell.paragraphs[0]
                bold = c.bold or n == 0
                if isinstance(c.text, Prose):
                    self.prose(p, c.text, bold, c.italic)
                elif c.text:
                    run = p.add_run(c.text, style=c.style)
                    run.bold, run.italic = bold or None, c.italic or None
                col += c.span
        return table

    # --- the report ---

    def title_page(self, draft: DraftMark | None) -> None:
        r, force = self.report, self.report.force
        if draft is not None:
            self.text(draft.text, "Draft Mark")
        self.text(force.title, "Title")
        if r.publisher:
            self.text(r.publisher, "Subtitle")
        for fact in (f"ISBN: {force.isbn}" if force.isbn else "", force.copyright or "", force.first_published or ""):
            if fact:
                self.text(fact)

    def contents(self) -> None:
        self.text(self.report.labels["contents"], "TOC Heading")
        entries = [(e, level) for top in self.report.contents for e, level in ((top, 1), *((c, 2) for c in top.children))]
        for n, (e, level) in enumerate(entries):
            p = self.para(f"toc {level}")
            if n == 0:
                begin_field(p, CONTENTS_FIELD)
            self.runs(p, [Run(e.title, link="#" + e.anchor)])
            if n == len(entries) - 1:
                end_field(p)

    def section(self, s: SectionView, level: int) -> None:
        self.heading(s.title, level, s.anchor)
        self.blocks(s.body)
        for c in s.sections:
            self.section(c, level + 1)

    def findings(self) -> None:
        r, labels = self.report, self.report.labels
        self.heading(labels["findings"], 2, "findings")
        self.heading(labels["national_summary"], 3, "national-summary")
        if r.any_national:
            with_ni = r.national_columns > len(r.grades)
            header = [Cell(""), *(Cell(g) for g in r.grades), *([Cell(labels["not_inspected"])] if with_ni else [])]
            rows: list[list[Cell]] = []
            for row in r.summary:
                if row.first_in_group:
                    rows.append([Cell(row.group, bold=True, span=r.national_columns + 1)])
                dist = row.area.distribution
                if dist is None:
                    rows.append(
                        [Cell(row.area.name), Cell(row.area.labels["no_national_comparison"], italic=True, span=r.national_columns)]
                    )
                else:
                    counts = [Cell(str(c.count), bold=c.is_force) for c in dist.cells]  # the force's own grade, as the HTML marks it
                    counts += [Cell(str(dist.not_inspected), bold=dist.own_not_inspected)] if with_ni else []
                    rows.append([Cell(row.area.name), *counts])
            self.table(header, rows, labels["national_summary"])
        else:
            self.text(labels["no_national_results"])
        if r.national_source and r.any_national:
            self.text(f"{labels['source']}: {r.national_source}")
        self.heading(labels["force_summary"], 3, "force-summary")
        groups: list[list[list[Cell]]] = []
        for row in r.summary:
            if row.first_in_group:
                groups.append([[Cell(row.group), Cell(labels["grade"])]])
            groups[-1].append([Cell(row.area.name), Cell(row.area.grade_shown, style=grade_style(row.area.rank))])
        for table in groups:
            self.table(table[0], table[1:], f"{labels['force_summary']}: {table[0][0].text}")

    def area(self, a: AreaView) -> None:
        lb = a.labels
        self.heading(a.title, 2, a.anchor)
        if a.graded:
            p = self.para()
            p.add_run(f"{lb['grade']}: ").bold = True
            p.add_run(a.grade_shown, style=grade_style(a.rank)).bold = True
            if a.travel:
                self.text(f"{lb['direction_of_travel']}: {a.travel}.")
            if a.rationale is not None:
                self.labelled(f"{lb['professional_judgement']}:", a.rationale)
            self.distribution(a)
        if a.national_context:
            self.heading(lb["national_context"], 3)
            self.blocks(a.national_context)
        if a.contextual_factors:
            self.heading(lb["contextual_factors"], 3)
            self.blocks(a.contextual_factors)
        for lst in a.lists:
            self.heading(lst.label, 3)
            self.items(lst.items)
        for cs in a.developing_practice:
            self.heading(lb["developing_practice"], 3)
            self.labelled(lb["case_study_area"], cs.inspection_area)
            self.labelled(lb["case_study_title"], cs.title)
            # Its parts are headings under the case study's, as report.md's #### and report.html's <h4>.
            self.heading(lb["case_study_problem"], 4)
            self.blocks(cs.problem)
            self.heading(lb["case_study_solution"], 4)
            self.blocks(cs.solution)
            self.heading(lb["case_study_outcomes"], 4)
            self.numbered(cs.outcomes)
            self.labelled(lb["case_study_contact"], cs.contact)
        if a.recommendations:
            self.heading(lb["recommendations_heading"], 3)
            for rec in a.recommendations:
                self.prose(self.para(), rec)

    def distribution(self, a: AreaView) -> None:
        lb, dist = a.labels, a.distribution
        if dist is None:
            self.text(lb["no_national_comparison"], italic=True)
            return
        self.heading(lb["national_grade_distribution"], 3)
        ni = [Cell(lb["not_inspected"])] if dist.not_inspected else []
        header = [Cell(""), *(Cell(c.grade) for c in dist.cells), *ni]
        counts = [Cell(str(c.count), bold=c.is_force) for c in dist.cells]
        percents = [Cell(f"{c.percent}%") for c in dist.cells]
        if dist.not_inspected:
            counts.append(Cell(str(dist.not_inspected), bold=dist.own_not_inspected))
            percents.append(Cell("–"))
        percent_label = lb["percent_of_forces_inspected" if dist.not_inspected else "percent_of_forces"]
        self.table(
            header, [[Cell(lb["forces"]), *counts], [Cell(percent_label), *percents]], f"{lb['national_grade_distribution']}, {a.name}"
        )
        self.text(f"{self.report.force.name}: {dist.position}." + (f" {dist.note}" if dist.note else ""))

    def closing(self) -> None:
        r, labels = self.report, self.report.labels
        if r.recommendations:
            self.heading(labels["closing_recommendations"], 2, "recommendations")
            for rec in r.recommendations:
                self.prose(self.para(), rec)
        if r.glossary:
            self.heading(labels["glossary"], 2, "glossary")
            for letter, terms in r.glossary:
                self.heading(letter, 3)
                for term, meaning in terms:
                    p = self.para(GLOSSARY)
                    p.add_run(term).bold = True
                    p.add_run(f"\t{meaning}")

    def write(self, draft: DraftMark | None) -> None:
        self.title_page(draft)
        self.contents()
        self.section(self.report.introduction, 2)
        self.section(self.report.overview, 2)
        self.findings()
        for a in self.report.areas:
            self.area(a)
        self.closing()


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def clear_body(doc: Document) -> None:
    """The template's body holds one empty paragraph: gone, so that the document opens with its own first line."""
    body = doc.element.body
    for p in body.findall(qn("w:p")):
        body.remove(p)
