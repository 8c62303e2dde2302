"""The report's view of the model: everything the templates show, computed here so that templates only lay out."""

from __future__ import annotations

import re
from typing import Any

from msgspec import Struct, field

from ..derive.explain import area_derivations
from ..derive.national import Distribution, distribution, picture
from ..inputs import models as m
from ..inputs.project import ForceBundle, FrameworkBundle, Project
from .chart import Chart, chart
from .labels import area_labels, report_labels
from .md_anchors import assign_md_anchors
from .numbering import number_findings
from .palette import GradeStyle, styles
from .prose import Prose, Renderer
from .renderings import Renderings


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class BlockView(Struct):
    kind: str  # paragraph | bullets | numbered | table | grades
    text: Prose | None = None
    items: list[ItemView] = field(default_factory=list)
    header: list[Prose] = field(default_factory=list)
    rows: list[list[Prose]] = field(default_factory=list)
    grades: list[GradeView] = field(default_factory=list)
    caption: str = ""  # a table's caption: what it is, from where it stands in the report
    caption_id: str = ""  # the caption's in-page anchor, unique, for the table's scroll region to be named by


class ItemView(Struct):
    text: Prose
    id: str | None = None
    items: list[Prose] = field(default_factory=list)


class GradeView(Struct):
    name: str
    anchor: str
    definition: list[BlockView]


class SectionView(Struct):
    title: str
    anchor: str
    body: list[BlockView]
    sections: list[SectionView]


class ListView(Struct):
    key: str
    anchor: str
    label: str
    items: list[ItemView]


class CaseStudyView(Struct):
    inspection_area: Prose
    title: Prose
    problem: list[BlockView]
    solution: list[BlockView]
    outcomes: list[Prose]
    contact: Prose


class AreaView(Struct):
    id: str
    anchor: str
    name: str
    title: str
    graded: bool
    inspected: bool  # false: the force was not inspected in this area
    grade: str | None
    grade_shown: str  # the grade, or the "not inspected" or "not yet graded" label
    rank: int | None  # the grade's place on the scale, 1 = best (for styling that knows no grade names)
    badge: str  # the grade badge's classes: "grade grade-<rank>", "grade not-inspected" or "grade not-graded"
    derived: str | None
    rationale: Prose | None
    previous: m.PreviousGrade | None
    travel: str  # e.g. "improved from Poor (2006 baseline assessment)"
    distribution: Distribution | None  # None: no national comparison is published for the area
    chart: Chart | None
    labels: dict[str, str]
    national_context: list[BlockView]
    contextual_factors: list[BlockView]
    lists: list[ListView]
    developing_practice: list[CaseStudyView]
    recommendations: list[Prose]
    md_anchor: str = ""  # the id GitHub and pandoc give its heading in report.md (report/md_anchors.py)


class SummaryRow(Struct):
    area: AreaView
    group: str
    first_in_group: bool


class ContentsEntry(Struct):
    title: str
    anchor: str  # the HTML's anchor
    children: list[ContentsEntry] = field(default_factory=list)
    md_anchor: str = ""  # the id GitHub and pandoc give the heading in report.md (report/md_anchors.py)


class Report(Struct):
    force: m.Force
    key: str
    publisher: str | None  # the force's, or its framework's
    published: str  # the month and year of publication, e.g. "March 2017"
    labels: dict[str, str]
    grades: list[str]
    styles: tuple[GradeStyle, ...]  # each grade's colour, badge and chart pattern, best first
    national_columns: int  # the national summary's columns of counts: the grades, and "not inspected" when any area has it
    wide: bool  # whether the grade tables have so many columns that they are set smaller
    any_national: bool  # whether any area has a national comparison
    contents: list[ContentsEntry]
    introduction: SectionView
    overview: SectionView
    areas: list[AreaView]
    summary: list[SummaryRow]
    groups: list[tuple[str, list[AreaView]]]
    national_source: str | None
    recommendations: list[Prose]
    glossary: list[tuple[str, list[tuple[str, str]]]]  # (index letter, [(term, meaning)]) in the data's order
    abbreviations: dict[str, str]
    numbered: bool = False  # a --numbered build: every paragraph and list item of the findings has its number
    paragraphs: int = 0  # how many were numbered
    md_ids: dict[str, str] = field(default_factory=dict)  # an HTML anchor: its heading's id in report.md (md_anchors.py)


WIDE_TABLE = 5  # columns of counts past which a grade table is set smaller, so that it fits a page

# Anchors the templates use for fixed parts of the report.
RESERVED_ANCHORS = ("main", "contents", "findings", "national-summary", "force-summary", "recommendations", "glossary")


class _Builder:
    def __init__(self, fb: FrameworkBundle, fo: ForceBundle, renderer: Renderer):
        self.fb, self.fo, self.r = fb, fo, renderer
        self.used: set[str] = set(RESERVED_ANCHORS)

    def anchor(self, text: str) -> str:
        """A unique in-page anchor for `text` (a later duplicate gets -2, -3, ...)."""
        base = slug(text) or "section"
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}-{n}"
        self.used.add(candidate)
        return candidate

    def prose(self, text: str) -> Prose:
        return Prose(text, self.r)

    def item(self, it: m.Item | str) -> ItemView:
        if isinstance(it, str):
            return ItemView(self.prose(it))
        return ItemView(self.prose(it.text), it.id, [self.prose(s) for s in it.items])

    def blocks(self, blocks: list[Any], context: str) -> list[BlockView]:
        """The view of prose blocks; `context` says where they stand (e.g. a section's title), for tables' captions."""
        out = []
        tables = sum(isinstance(b, m.Table) for b in blocks)
        for b in blocks:
            if isinstance(b, str):
                out.append(BlockView("paragraph", text=self.prose(b)))
            elif isinstance(b, m.Bullets):
                out.append(BlockView("bullets", items=[self.item(i) for i in b.bullets]))
            elif isinstance(b, m.Numbered):
                out.append(BlockView("numbered", items=[self.item(i) for i in b.numbered]))
            elif isinstance(b, m.Table):
                n = sum(v.kind == "table" for v in out) + 1
                caption = context if tables == 1 else f"{context}, table {n} of {tables}"
                out.append(
                    BlockView(
                        "table",
                        header=[self.prose(h) for h in b.table.header],
                        rows=[[self.prose(c) for c in row] for row in b.table.rows],
                        caption=caption,
                        caption_id=self.anchor("table-" + caption),
                    )
                )
            elif isinstance(b, m.Insert):
                out.append(
                    BlockView(
                        "grades",
                        grades=[
                            GradeView(g.name, self.anchor("grade-" + g.name), self.blocks(g.definition, f"{context}: {g.name}"))
                            for g in self.fb.framework.grades
                        ],
                    )
                )
        return out

    def section(self, s: m.Section | m.Introduction, prefix: str = "") -> SectionView:
        anchor = self.anchor(prefix + s.title)
        return SectionView(s.title, anchor, self.blocks(s.body, s.title), [self.section(c, anchor + "-") for c in s.sections])


def _glossary_index(glossary: m.Glossary) -> list[tuple[str, list[tuple[str, str]]]]:
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for t in glossary.terms:
        letter = t.term[:1].upper()
        if not out or out[-1][0] != letter:
            out.append((letter, []))
        out[-1][1].append((t.term, t.meaning))
    return out


def _travel(previous: m.PreviousGrade | None, grade: str | None, grades: list[str]) -> str:
    if previous is None or grade is None or previous.grade not in grades or grade not in grades:
        return ""
    before, now = grades.index(previous.grade), grades.index(grade)
    verb = "improved from" if now < before else "declined from" if now > before else "unchanged from"
    return f"{verb} {previous.grade} ({previous.assessment})"


def build_report(project: Project, fo: ForceBundle, numbered: bool = False, kept: Renderings | None = None) -> Report:
    """Gather everything the templates show, computed here so that templates only lay out.

    `numbered`: give every paragraph and list item of the findings its number (report/numbering.py);
    `kept`: prose renderings remembered between runs (report/prose.py)."""
    fb = project.framework_for(fo)
    fw = fb.framework
    abbreviations = {t.term: t.meaning for t in fo.glossary.terms}
    b = _Builder(fb, fo, Renderer(abbreviations, kept.scope(f"report/{fo.key}") if kept is not None else None))
    grades = [g.name for g in fw.grades]
    grade_styles = styles(grades)
    axis = {g.name: g.short or g.name for g in fw.grades}
    national = picture(fb)
    derivations = {ad.id: d for ad, _, d in area_derivations(project, fo)}
    areas: list[AreaView] = []
    for ad in fw.areas:
        ev = fo.areas[ad.id]
        labels = area_labels(fw, ad, ev)
        labels["recommendations_heading"] = labels["recommendation"] if len(ev.recommendations) == 1 else labels["recommendations"]
        crit = fb.areas.get(ad.id)
        previous = fo.force.previous_grades.get(ad.id)
        d = derivations.get(ad.id)
        rank = grades.index(ev.grade) + 1 if ev.grade in grades else None
        dist = distribution(national.area(ad.id), ev.grade, not ev.inspected) if ad.graded else None
        areas.append(
            AreaView(
                id=ad.id,
                anchor=b.anchor(ad.id),
                name=ad.name,
                title=ad.title,
                graded=ad.graded,
                inspected=ev.inspected,
                grade=ev.grade,
                grade_shown=ev.grade or labels["not_graded" if ev.inspected else "not_inspected"],
                rank=rank,
                badge=f"grade grade-{rank}" if rank else "grade not-graded" if ev.inspected else "grade not-inspected",
                derived=d.grade if d else None,
                rationale=b.prose(ev.grade_rationale) if ev.grade_rationale else None,
                previous=previous,
                travel=_travel(previous, ev.grade, grades),
                distribution=dist,
                chart=chart(dist, grade_styles, axis),
                labels=labels,
                national_context=b.blocks(crit.national_context, f"{ad.title}: {labels['national_context']}") if crit else [],
                contextual_factors=b.blocks(ev.contextual_factors, f"{ad.title}: {labels['contextual_factors']}"),
                lists=[
                    ListView(k, f"{ad.id}-{k.replace('_', '-')}", labels[k], [b.item(i) for i in getattr(ev, k)])
                    for k in m.EVIDENCE_LISTS
                    if getattr(ev, k)
                ],
                developing_practice=[
                    CaseStudyView(
                        b.prose(c.inspection_area),
                        b.prose(c.title),
                        b.blocks(c.problem, f"{ad.title}: {c.title}: {labels['case_study_problem'].rstrip(':')}"),
                        b.blocks(c.solution, f"{ad.title}: {c.title}: {labels['case_study_solution'].rstrip(':')}"),
                        [b.prose(o) for o in c.outcomes],
                        b.prose(c.contact),
                    )
                    for c in ev.developing_practice
                ],
                recommendations=[b.prose(r.text) for r in ev.recommendations],
            )
        )
    by_id = {a.id: a for a in areas}
    groups = [(g.title, [by_id[a] for a in g.areas]) for g in fw.groups]
    summary = []
    for title, members in groups:
        graded = [a for a in members if a.graded]
        summary += [SummaryRow(a, title, i == 0) for i, a in enumerate(graded)]
    recommendations = [r for a in areas for r in a.recommendations]
    labels = report_labels(fw)
    intro = b.section(fb.introduction)
    overview = b.section(fo.force.overview)
    closing = labels["recommendation"] if len(recommendations) == 1 else labels["recommendations"]
    labels["closing_recommendations"] = closing
    contents = [
        ContentsEntry(intro.title, intro.anchor, [ContentsEntry(s.title, s.anchor) for s in intro.sections]),
        ContentsEntry(overview.title, overview.anchor, [ContentsEntry(s.title, s.anchor) for s in overview.sections]),
        ContentsEntry(
            labels["findings"],
            "findings",
            [ContentsEntry(labels["national_summary"], "national-summary"), ContentsEntry(labels["force_summary"], "force-summary")],
        ),
        *[ContentsEntry(a.title, a.anchor) for a in areas],
    ]
    if recommendations:
        contents.append(ContentsEntry(closing, "recommendations"))
    if fo.glossary.terms:
        contents.append(ContentsEntry(labels["glossary"], "glossary"))
    shown = [a for a in areas if a.graded and a.distribution]
    report = Report(
        force=fo.force,
        key=fo.key,
        publisher=fo.force.publisher or fw.publisher,
        published=f"{fo.force.month} {fo.force.publication_year or fo.force.year}",
        labels=labels,
        grades=grades,
        styles=grade_styles,
        national_columns=len(grades) + (1 if national.any_not_inspected else 0),
        wide=len(grades) + (1 if national.any_not_inspected else 0) > WIDE_TABLE,
        any_national=bool(shown),
        contents=contents,
        introduction=intro,
        overview=overview,
        areas=areas,
        summary=summary,
        groups=groups,
        national_source=fb.national.source if fb.national else None,
        recommendations=recommendations,
        glossary=_glossary_index(fo.glossary),
        abbreviations=abbreviations,
        numbered=numbered,
    )
    if numbered:
        report.paragraphs = number_findings(report.areas)
    assign_md_anchors(report)
    return report
