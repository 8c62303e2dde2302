"""A round's view model: everything the round's pages show (index, by grade, good practice, recommendations), computed.

A round is a framework's forces published together (docs/round.md). Its rows are every force the round
knows: those with evidence (and so a report, linked) and those the national results list per force. The
national picture comes from derive.national.picture(fb), as in each force's report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from msgspec import Struct, field

from ..derive.national import AreaResults, Distribution, distribution, picture
from ..inputs.models import NOT_INSPECTED
from ..inputs.project import FrameworkBundle
from .chart import Chart, chart
from .labels import report_labels
from .palette import GradeStyle, styles
from .prose import Prose, Renderer
from .renderings import Renderings
from .round_record import ForceRecord

PAGES = (
    ("index", "Grades by force"),
    ("by-grade", "Forces by grade"),
    ("good-practice", "Good practice"),
    ("recommendations", "Recommendations"),
)
DATA_FILES = ("grades", "distributions", "judgements")


def report_file(medium: str, formats: Sequence[str]) -> str:
    """The report a round's page in `medium` links to: the same medium's, else the HTML, the PDF, the Markdown or
    the Word document (a build makes at least one)."""
    if medium in formats:
        return f"report.{medium}"
    return next(f"report.{f}" for f in ("html", "pdf", "md", "docx") if f in formats)


def page_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The round's pages are made in Markdown and HTML as asked; a PDF-only build still gets the HTML landing page."""
    return tuple(f for f in ("md", "html") if f in formats) or ("html",)


class GradeCell(Struct, frozen=True):
    area: str
    shown: str  # the grade, "Not inspected", or "–" when nothing is known
    badge: str  # the badge's classes; "" when nothing is known
    rank: int | None  # the grade's place on the scale, 1 = best
    href: Mapping[str, str]  # by medium: the area in the force's report ({} for a force without a report)
    travel: str  # "improved from Fair", "declined from Good", "unchanged from Good", or ""
    known: bool  # whether the round knows the force's grade for the area
    inspected: bool | None  # None: not known


class ForceRow(Struct, frozen=True):
    key: str  # the force's key in the national results, e.g. norfolk
    name: str  # its name, or its key when the round has no report of it
    folder: str | None  # the evidence folder (and report folder) when the round has its report
    href: Mapping[str, str]  # by medium: the force's report
    cells: tuple[GradeCell, ...]  # every graded area, in the framework's order


class AreaSummary(Struct, frozen=True):
    id: str
    name: str
    results: AreaResults | None  # None: the national results give nothing for the area
    distribution: Distribution | None
    chart: Chart | None
    counted_from: str  # how the results were published
    improved: int  # forces of the round, against their previous grades
    unchanged: int
    declined: int
    untracked: int  # forces of the round with a grade but no previous grade
    said: str  # under the chart: how many forces were graded, how the results were published, what they leave out


class GradeGroup(Struct, frozen=True):
    grade: str
    badge: str
    forces: tuple[ForceRow, ...]  # by name


class AreaByGrade(Struct, frozen=True):
    id: str
    name: str
    index: int  # the area's place among the graded areas: its cell in each row
    groups: tuple[GradeGroup, ...]  # best grade first, then "not inspected"; only groups with forces
    unknown: int  # forces of the round's rows whose grade for the area is not known


class CaseEntry(Struct, frozen=True):
    force: ForceRow
    href: Mapping[str, str]
    title: Prose
    inspection_area: Prose
    outcomes: tuple[Prose, ...]


class RecommendationEntry(Struct, frozen=True):
    force: ForceRow
    href: Mapping[str, str]
    items: tuple[Prose, ...]


class AreaSection(Struct, frozen=True):
    """An area's part of the catalogue or the recommendations index."""

    id: str
    name: str
    title: str  # its heading, as in the reports (e.g. "Protecting Vulnerable People – Overview")
    anchor: str
    entries: tuple[CaseEntry, ...] | tuple[RecommendationEntry, ...]


class RoundView(Struct):
    key: str  # the framework's folder
    title: str
    year: int
    publisher: str | None
    number_of_forces: int
    labels: dict[str, str]
    grades: list[str]
    styles: tuple[GradeStyle, ...]
    areas: tuple[AreaSummary, ...]  # every graded area
    rows: tuple[ForceRow, ...]  # by name
    by_grade: tuple[AreaByGrade, ...]
    good_practice: tuple[AreaSection, ...]
    recommendations: tuple[AreaSection, ...]
    national_source: str | None
    holds: list[str]  # what the data holds, and what it cannot say, as sentences
    reports: int  # forces with a report in the round
    any_not_inspected: bool
    pages: tuple[tuple[str, str], ...] = PAGES
    data_files: tuple[str, ...] = DATA_FILES
    formats: tuple[str, ...] = field(default=("md", "html"))
    of: int | None = None  # the framework's force folders in evidence/, when the round holds only some of them

    @property
    def national_columns(self) -> int:
        return len(self.grades) + (1 if self.any_not_inspected else 0)

    @property
    def complete(self) -> bool:
        """Whether the round knows a grade (or "not inspected") of every force of the framework."""
        return len(self.rows) >= self.number_of_forces

    @property
    def partial(self) -> str:
        """Said where the round lists fewer forces than the framework has."""
        return f"Only the forces whose grades the round knows are listed: {len(self.rows)} of the {self.number_of_forces}."

    @property
    def any_national(self) -> bool:
        return any(a.results for a in self.areas)

    @property
    def any_unknown(self) -> bool:
        """Whether the grade table has a cell whose grade the round does not know (shown "–", explained under it)."""
        return any(not c.known for r in self.rows for c in r.cells)

    @property
    def any_travel(self) -> bool:
        """Whether any force of the round has a previous grade to compare with."""
        return any(a.improved or a.unchanged or a.declined for a in self.areas)


def _travel(previous: tuple[str, str] | None, grade: str | None, grades: list[str]) -> str:
    if previous is None or grade is None or previous[0] not in grades or grade not in grades:
        return ""
    before, now = grades.index(previous[0]), grades.index(grade)
    return f"{'improved' if now < before else 'declined' if now > before else 'unchanged'} from {previous[0]}"


def _links(rec: ForceRecord | None, anchor: str, formats: Sequence[str]) -> dict[str, str]:
    """By medium, the link to `anchor` (the HTML's) in the force's report: report.md's headings have the ids GitHub
    and pandoc give them; a Word document is linked without one."""
    if rec is None:
        return {}
    out = {}
    for medium in ("md", "html"):
        target = report_file(medium, formats)
        shown = rec.md_id(anchor) if target == "report.md" else anchor
        out[medium] = f"../{rec.key}/{target}" + (f"#{shown}" if shown and target != "report.docx" else "")
    return out


def _holds(fb: FrameworkBundle, rows: Sequence[ForceRow], reports: int, of: int | None) -> list[str]:
    """What the round's grade table holds, and what the national results cannot say, in sentences; first, when
    the round holds only `reports` of the framework's `of` forces in evidence/, which."""
    n = fb.framework.number_of_forces
    listed = len(picture(fb).forces)
    names = ", ".join(r.name for r in rows if r.folder is not None)
    out = [f"This round covers {reports} of the {of} forces whose evidence is held for this framework: {names}."] if of else []
    out.append(f"This round holds the reports of {reports} of the {n} forces.")
    from_national = sum(1 for r in rows if r.folder is None)
    if from_national:
        out.append(
            f"The table shows {len(rows)} forces: {reports} with a report, and {from_national} from the national results alone, "
            "named by their key there, without a report to link to."
        )
    if len(rows) < n:
        missing = n - len(rows)
        if fb.national is None:
            out.append(f"The framework has no national results, so the grades of the other {missing} forces cannot be shown.")
        elif listed == 0:
            out.append(
                "The national results are published as totals only: they say how many forces had each grade, "
                f"not which, so the grades of the other {missing} forces cannot be shown."
            )
        else:
            out.append(f"The national results do not list the grades of the other {missing} forces.")
    return out


def round_view(
    fb: FrameworkBundle,
    records: Sequence[ForceRecord],
    formats: Sequence[str] = ("md", "html"),
    of: int | None = None,
    kept: Renderings | None = None,
) -> RoundView:
    """The round of framework `fb` for the forces of `records` (each built), with links for `formats`; `of`, the
    number of the framework's force folders in evidence/ when `records` are only some of them (hmic build --round);
    `kept`, prose renderings remembered between runs (report/prose.py)."""
    fw = fb.framework
    national = picture(fb)
    grades = [g.name for g in fw.grades]
    grade_styles = styles(grades)
    labels = report_labels(fw)
    graded = [a for a in fw.areas if a.graded]
    by_key = {r.national_key: r for r in sorted(records, key=lambda r: r.key)}
    keys = sorted(set(by_key) | set(national.forces))

    def cell(key: str, area: str) -> GradeCell:
        rec = by_key.get(key)
        ar = rec.area(area) if rec else None
        inspected: bool | None
        if ar is not None:
            grade, inspected, previous = ar.grade, ar.inspected, ar.previous
            href = _links(rec, ar.anchor, formats)
        else:
            value = national.forces.get(key, {}).get(area)
            grade = value if value in grades else None
            inspected = None if value is None else value != NOT_INSPECTED
            previous, href = None, {}
        rank = grades.index(grade) + 1 if grade in grades else None
        if inspected is False:
            return GradeCell(area, labels["not_inspected"], "grade not-inspected", None, href, "", True, False)
        if rank is None:
            known = ar is not None
            return GradeCell(
                area, labels["not_graded"] if known else "–", "grade not-graded" if known else "", None, href, "", known, inspected
            )
        return GradeCell(area, grade or "", f"grade grade-{rank}", rank, href, _travel(previous, grade, grades), True, True)

    rows = []
    for key in keys:
        rec = by_key.get(key)
        rows.append(
            ForceRow(
                key,
                rec.name if rec else key,
                rec.key if rec else None,
                _links(rec, "", formats),
                tuple(cell(key, a.id) for a in graded),
            )
        )
    rows.sort(key=lambda r: (r.name.casefold(), r.key))
    scope = kept.scope(f"round/{fb.key}") if kept is not None else None  # one for the round; each force's prose with its own glossary
    renderers = {rec.key: Renderer(dict(rec.abbreviations), scope) for rec in records}
    return RoundView(
        key=fb.key,
        title=fw.title,
        year=fw.year,
        publisher=fw.publisher,
        number_of_forces=fw.number_of_forces,
        labels=labels,
        grades=grades,
        styles=grade_styles,
        areas=tuple(_summary(fb, a.id, a.name, rows, grade_styles, i) for i, a in enumerate(graded)),
        rows=tuple(rows),
        by_grade=tuple(_by_grade(a.id, a.name, rows, grades, i, labels) for i, a in enumerate(graded)),
        good_practice=_catalogue(fb, records, rows, formats, renderers),
        recommendations=_recommendations(fb, records, rows, formats, renderers),
        national_source=fb.national.source if fb.national else None,
        holds=_holds(fb, rows, len(by_key), of),
        reports=len(by_key),
        any_not_inspected=national.any_not_inspected,
        formats=tuple(formats),
        of=of,
    )


def _summary(fb: FrameworkBundle, area: str, name: str, rows: Sequence[ForceRow], st: tuple[GradeStyle, ...], i: int) -> AreaSummary:
    results = picture(fb).area(area)
    dist = distribution(results, None)
    axis = {g.name: g.short or g.name for g in fb.framework.grades}
    travel = [r.cells[i].travel.split(" ", 1)[0] for r in rows if r.cells[i].travel]
    said = ""
    if results is not None and dist is not None:
        n = results.inspected
        said = f"{n} {'force' if n == 1 else 'forces'} graded, counted from {results.shape.value}." + (f" {dist.note}" if dist.note else "")
    return AreaSummary(
        area,
        name,
        results,
        dist,
        chart(dist, st, axis),
        results.shape.value if results else "",
        travel.count("improved"),
        travel.count("unchanged"),
        travel.count("declined"),
        sum(1 for r in rows if r.folder and r.cells[i].rank and not r.cells[i].travel),
        said,
    )


def _by_grade(area: str, name: str, rows: Sequence[ForceRow], grades: list[str], i: int, labels: dict[str, str]) -> AreaByGrade:
    groups = []
    for rank, grade in enumerate(grades, 1):
        members = tuple(r for r in rows if r.cells[i].rank == rank)
        if members:
            groups.append(GradeGroup(grade, f"grade grade-{rank}", members))
    absent = tuple(r for r in rows if r.cells[i].inspected is False)
    if absent:
        groups.append(GradeGroup(labels["not_inspected"], "grade not-inspected", absent))
    ungraded = tuple(r for r in rows if r.cells[i].known and r.cells[i].inspected and r.cells[i].rank is None)
    if ungraded:
        groups.append(GradeGroup(labels["not_graded"], "grade not-graded", ungraded))
    return AreaByGrade(area, name, i, tuple(groups), sum(1 for r in rows if not r.cells[i].known))


def _row_of(rows: Sequence[ForceRow], rec: ForceRecord) -> ForceRow:
    return next(r for r in rows if r.folder == rec.key)


def _catalogue(
    fb: FrameworkBundle,
    records: Sequence[ForceRecord],
    rows: Sequence[ForceRow],
    formats: Sequence[str],
    renderers: Mapping[str, Renderer],
) -> tuple[AreaSection, ...]:
    ordered = sorted(records, key=lambda r: (r.name.casefold(), r.key))
    out = []
    for ad in fb.framework.areas:
        entries = []
        for rec in ordered:
            ar = rec.area(ad.id)
            if ar is None:
                continue
            r = renderers[rec.key]
            for cs in ar.case_studies:
                entries.append(
                    CaseEntry(
                        _row_of(rows, rec),
                        _links(rec, cs.anchor, formats),
                        Prose(cs.title, r),
                        Prose(cs.inspection_area, r),
                        tuple(Prose(o, r) for o in cs.outcomes),
                    )
                )
        if entries:
            out.append(AreaSection(ad.id, ad.name, ad.title, f"practice-{ad.id}", tuple(entries)))
    return tuple(out)


def _recommendations(
    fb: FrameworkBundle,
    records: Sequence[ForceRecord],
    rows: Sequence[ForceRow],
    formats: Sequence[str],
    renderers: Mapping[str, Renderer],
) -> tuple[AreaSection, ...]:
    ordered = sorted(records, key=lambda r: (r.name.casefold(), r.key))
    out = []
    for ad in fb.framework.areas:
        entries = []
        for rec in ordered:
            ar = rec.area(ad.id)
            if ar is None or not ar.recommendations:
                continue
            r = renderers[rec.key]
            entries.append(
                RecommendationEntry(
                    _row_of(rows, rec),
                    _links(rec, ar.recommendations_anchor, formats),
                    tuple(Prose(t, r) for _, t in ar.recommendations),
                )
            )
        if entries:
            out.append(AreaSection(ad.id, ad.name, ad.title, f"recommendations-{ad.id}", tuple(entries)))
    return tuple(out)
