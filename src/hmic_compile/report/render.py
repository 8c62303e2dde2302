"""Render stage: the report's view of the model, laid out by Jinja templates into Markdown and HTML (and HTML for print)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..derive.explain import area_derivations
from ..derive.national import Distribution, distribution
from ..diagnostics import Diagnostic, HmicError, Loc
from ..inputs import models as m
from ..inputs.project import ForceBundle, FrameworkBundle, Project
from .prose import Prose, ProseError, Renderer, md_cell, md_escape

FORMATS = ("md", "html", "pdf")
# The PDF is the HTML template rendered with medium="pdf", which adds the paged-media stylesheet.
TEMPLATE_NAMES = {"md": "report.md.j2", "html": "report.html.j2", "pdf": "report.html.j2"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def packaged_templates() -> Path:
    """The default templates: inside the installed package, or the repository's top-level templates/."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent.parent / "templates"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- the view model ---------------------------------------------------------------------


@dataclass
class BlockView:
    kind: str  # paragraph | bullets | numbered | table | grades
    text: Prose | None = None
    items: list[ItemView] = field(default_factory=list)
    header: list[Prose] = field(default_factory=list)
    rows: list[list[Prose]] = field(default_factory=list)
    grades: list[GradeView] = field(default_factory=list)


@dataclass
class ItemView:
    text: Prose
    id: str | None = None
    items: list[Prose] = field(default_factory=list)


@dataclass
class GradeView:
    name: str
    anchor: str
    definition: list[BlockView]


@dataclass
class SectionView:
    title: str
    anchor: str
    body: list[BlockView]
    sections: list[SectionView]


@dataclass
class ListView:
    key: str
    anchor: str
    label: str
    items: list[ItemView]


@dataclass
class CaseStudyView:
    inspection_area: Prose
    title: Prose
    problem: list[BlockView]
    solution: list[BlockView]
    outcomes: list[Prose]
    contact: Prose


@dataclass
class AreaView:
    id: str
    anchor: str
    name: str
    title: str
    graded: bool
    grade: str | None
    grade_shown: str  # the grade, or the "not yet graded" label for a draft area
    rank: int | None  # the grade's place on the scale, 1 = best (for styling that knows no grade names)
    derived: str | None
    rationale: Prose | None
    previous: m.PreviousGrade | None
    travel: str  # e.g. "improved from Poor (2006 baseline assessment)"
    distribution: Distribution | None
    chart: list[Bar]
    labels: dict[str, str]
    national_context: list[BlockView]
    contextual_factors: list[BlockView]
    lists: list[ListView]
    developing_practice: list[CaseStudyView]
    recommendations: list[Prose]


@dataclass
class SummaryRow:
    area: AreaView
    group: str
    first_in_group: bool


@dataclass
class ContentsEntry:
    title: str
    anchor: str
    children: list[ContentsEntry] = field(default_factory=list)


@dataclass
class Report:
    force: m.Force
    key: str
    labels: dict[str, str]
    grades: list[str]
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

    def blocks(self, blocks: list[Any]) -> list[BlockView]:
        out = []
        for b in blocks:
            if isinstance(b, str):
                out.append(BlockView("paragraph", text=self.prose(b)))
            elif isinstance(b, m.Bullets):
                out.append(BlockView("bullets", items=[self.item(i) for i in b.bullets]))
            elif isinstance(b, m.Numbered):
                out.append(BlockView("numbered", items=[self.item(i) for i in b.numbered]))
            elif isinstance(b, m.Table):
                out.append(
                    BlockView(
                        "table", header=[self.prose(h) for h in b.table.header], rows=[[self.prose(c) for c in row] for row in b.table.rows]
                    )
                )
            elif isinstance(b, m.Insert):
                out.append(
                    BlockView(
                        "grades",
                        grades=[
                            GradeView(g.name, self.anchor("grade-" + g.name), self.blocks(g.definition)) for g in self.fb.framework.grades
                        ],
                    )
                )
        return out

    def section(self, s: m.Section | m.Introduction, prefix: str = "") -> SectionView:
        anchor = self.anchor(prefix + s.title)
        return SectionView(s.title, anchor, self.blocks(s.body), [self.section(c, anchor + "-") for c in s.sections])


def _glossary_index(glossary: m.Glossary) -> list[tuple[str, list[tuple[str, str]]]]:
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for t in glossary.terms:
        letter = t.term[:1].upper()
        if not out or out[-1][0] != letter:
            out.append((letter, []))
        out[-1][1].append((t.term, t.meaning))
    return out


@dataclass(frozen=True)
class Bar:
    grade: str
    count: int
    x: int
    y: int
    width: int
    height: int
    highlight: bool

    label: tuple[str, ...]  # the grade name in lines short enough to sit under the bar

    @property
    def cx(self) -> int:
        return self.x + self.width // 2


CHART_W, CHART_H, BAR_GAP, AXIS_H = 320, 140, 16, 34
LABEL_CHARS = 11  # at 11px, about what fits under a bar


def _label_lines(text: str) -> tuple[str, ...]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= LABEL_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines[:2]) if len(lines) <= 2 else (lines[0], " ".join(lines[1:]))


def chart(dist: Distribution | None) -> list[Bar]:
    """Bar geometry for the inline SVG distribution chart (computed here so templates only lay out)."""
    if dist is None or not dist.cells:
        return []
    top = max(c.count for c in dist.cells) or 1
    width = (CHART_W - BAR_GAP * (len(dist.cells) + 1)) // len(dist.cells)
    bars = []
    for i, c in enumerate(dist.cells):
        h = round((CHART_H - AXIS_H - 20) * c.count / top)
        bars.append(
            Bar(c.grade, c.count, BAR_GAP + i * (width + BAR_GAP), CHART_H - AXIS_H - h, width, h, c.is_force, _label_lines(c.grade))
        )
    return bars


# Headings the templates use; a framework's `labels` (then an area's, then a force's area file) override them.
DEFAULT_LABELS = {
    "grade": "Grade",
    "national_grade_distribution": "National grade distribution",
    "national_context": "National contextual factors",
    "contextual_factors": "Contextual factors",
    "strengths": "Strengths",
    "work_in_progress": "Work in progress",
    "areas_for_improvement": "Areas for improvement",
    "developing_practice": "Developing Practice",
    "recommendation": "Recommendation",
    "recommendations": "Recommendations",
    "findings": "Findings",
    "national_summary": "National summary of judgements",
    "force_summary": "Force summary of judgements",
    "glossary": "Glossary of Terms and Abbreviations",
    "contents": "Contents",
    "forces": "Forces",
    "percent_of_forces": "Per cent of forces",
    "direction_of_travel": "Direction of travel",
    "professional_judgement": "Professional judgement",
    "source": "Source",
    "running_title": "HMIC Inspection Report",  # after the force's name at the head of each page
    "draft": "DRAFT — for factual accuracy check",
    "draft_watermark": "DRAFT",
    "not_graded": "Not yet graded",
}


def _labels(fb: FrameworkBundle, ad: m.AreaDef, ev: m.AreaEvidence) -> dict[str, str]:
    return {**DEFAULT_LABELS, **fb.framework.labels, **ad.labels, **ev.labels}


def _travel(previous: m.PreviousGrade | None, grade: str | None, grades: list[str]) -> str:
    if previous is None or grade is None or previous.grade not in grades or grade not in grades:
        return ""
    before, now = grades.index(previous.grade), grades.index(grade)
    verb = "improved from" if now < before else "declined from" if now > before else "unchanged from"
    return f"{verb} {previous.grade} ({previous.assessment})"


def build_report(project: Project, fo: ForceBundle) -> Report:
    """Gather everything the templates show, computed here so that templates only lay out."""
    fb = project.framework_for(fo)
    fw = fb.framework
    abbreviations = {t.term: t.meaning for t in fo.glossary.terms}
    b = _Builder(fb, fo, Renderer(abbreviations))
    grades = [g.name for g in fw.grades]
    derivations = {ad.id: d for ad, _, d in area_derivations(project, fo)}
    areas: list[AreaView] = []
    for ad in fw.areas:
        ev = fo.areas[ad.id]
        labels = _labels(fb, ad, ev)
        labels["recommendations_heading"] = labels["recommendation"] if len(ev.recommendations) == 1 else labels["recommendations"]
        crit = fb.areas.get(ad.id)
        previous = fo.force.previous_grades.get(ad.id)
        d = derivations.get(ad.id)
        areas.append(
            AreaView(
                id=ad.id,
                anchor=b.anchor(ad.id),
                name=ad.name,
                title=ad.title,
                graded=ad.graded,
                grade=ev.grade,
                grade_shown=ev.grade or labels["not_graded"],
                rank=grades.index(ev.grade) + 1 if ev.grade in grades else None,
                derived=d.grade if d else None,
                rationale=b.prose(ev.grade_rationale) if ev.grade_rationale else None,
                previous=previous,
                travel=_travel(previous, ev.grade, grades),
                distribution=distribution(fw, fb.national, ad.id, ev.grade) if fb.national and ad.graded else None,
                chart=[],
                labels=labels,
                national_context=b.blocks(crit.national_context) if crit else [],
                contextual_factors=b.blocks(ev.contextual_factors),
                lists=[
                    ListView(k, f"{ad.id}-{k.replace('_', '-')}", labels[k], [b.item(i) for i in getattr(ev, k)])
                    for k in m.EVIDENCE_LISTS
                    if getattr(ev, k)
                ],
                developing_practice=[
                    CaseStudyView(
                        b.prose(c.inspection_area),
                        b.prose(c.title),
                        b.blocks(c.problem),
                        b.blocks(c.solution),
                        [b.prose(o) for o in c.outcomes],
                        b.prose(c.contact),
                    )
                    for c in ev.developing_practice
                ],
                recommendations=[b.prose(r.text) for r in ev.recommendations],
            )
        )
    for a in areas:
        a.chart = chart(a.distribution)
    by_id = {a.id: a for a in areas}
    groups = [(g.title, [by_id[a] for a in g.areas]) for g in fw.groups]
    summary = []
    for title, members in groups:
        graded = [a for a in members if a.graded]
        summary += [SummaryRow(a, title, i == 0) for i, a in enumerate(graded)]
    recommendations = [r for a in areas for r in a.recommendations]
    labels = {**DEFAULT_LABELS, **fw.labels}
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
    contents.append(ContentsEntry(labels["glossary"], "glossary"))
    return Report(
        force=fo.force,
        key=fo.key,
        labels=labels,
        grades=grades,
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
    )


# --- templates --------------------------------------------------------------------------


def css_string(text: str) -> str:
    """`text` for the inside of a double-quoted CSS string, safe inside an HTML <style> element too."""
    return "".join(f"\\{ord(c):06x}" if c in '"\\<>&' or ord(c) < 32 or ord(c) == 127 else c for c in text)


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs (keyed by each template's source); a cache that cannot be
    read or written is simply not used."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def make_environment(user_templates: Path | None, root: Path, cache_dir: Path | None = None) -> jinja2.Environment:
    """One environment: the user's templates first, then the project's, then the defaults (also as 'default/...')."""
    default = packaged_templates()
    search: list[str] = []
    if user_templates is not None:
        search.append(str(user_templates))
    if (root / "templates").is_dir() and (root / "templates").resolve() != default.resolve():
        search.append(str(root / "templates"))
    search.append(str(default))
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(search),
            jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(default))}),
        ]
    )
    # A template from --templates or the project's own templates/ runs in Jinja's immutable sandbox:
    # it cannot reach Python internals or change the report. hmic's own templates are trusted code
    # and skip the sandbox's per-attribute checks.
    sandboxed = len(search) > 1
    env_class = ImmutableSandboxedEnvironment if sandboxed else jinja2.Environment
    cache = None
    if cache_dir is not None:
        # Compiled code differs with and without the sandbox, and the cache keys only on the template:
        # each kind keeps its own folder, so trusted code is never loaded into a sandbox.
        folder = cache_dir / ("sandboxed" if sandboxed else "trusted")
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            cache = _QuietBytecodeCache(str(folder))
        except OSError:
            cache = None
    env = env_class(
        loader=loader,
        bytecode_cache=cache,
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["cell"] = md_cell
    env.filters["mdlink"] = lambda text: md_escape(text).replace("[", "\\[").replace("]", "\\]")
    env.filters["css_string"] = css_string
    return env


def _template_frame(e: BaseException, name: str) -> tuple[str, int]:
    """The innermost template file and line in an exception's traceback."""
    filename, line = name, 0
    tb = e.__traceback__
    while tb is not None:
        co = tb.tb_frame.f_code
        if co.co_filename.endswith(".j2"):
            filename, line = co.co_filename, tb.tb_lineno
        tb = tb.tb_next
    return filename, line


def _template_error(e: jinja2.TemplateError, env: jinja2.Environment, name: str) -> Diagnostic:
    filename = getattr(e, "filename", None) or name
    line = getattr(e, "lineno", None) or 0
    if isinstance(e, jinja2.UndefinedError) or not getattr(e, "lineno", None):
        # Find the template frame in the traceback for the line of an error raised while rendering.
        tb = e.__traceback__
        while tb is not None:
            co = tb.tb_frame.f_code
            if co.co_filename.endswith(".j2"):
                filename = co.co_filename
                line = tb.tb_lineno
            tb = tb.tb_next
    hint = "check the variable's spelling against docs/templates.md" if isinstance(e, jinja2.UndefinedError) else "fix the template"
    return Diagnostic(Loc(filename, line, 1 if line else 0), "E601", f"template error: {e.message or e}", hint=hint)


@dataclass(frozen=True)
class Draft:
    """What marks a draft build: the build date (read from the clock or SOURCE_DATE_EPOCH by the CLI) and the git commit."""

    date: dt.date
    commit: str | None


@dataclass(frozen=True)
class DraftMark:
    """The draft mark as the templates show it on every page."""

    label: str  # "DRAFT — for factual accuracy check"
    watermark: str  # "DRAFT"
    date: str  # "1 November 2026"
    commit: str  # the commit's first 12 hex digits, or "none" outside git
    text: str  # the whole line: label, date and commit


def long_date(d: dt.date) -> str:
    """'1 November 2026', the same whatever the locale."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def draft_mark(draft: Draft, labels: dict[str, str]) -> DraftMark:
    date = long_date(draft.date)
    commit = draft.commit[:12] if draft.commit else "none"
    return DraftMark(labels["draft"], labels["draft_watermark"], date, commit, f"{labels['draft']} · built {date} · commit {commit}")


def render(report: Report, env: jinja2.Environment, fmt: str, draft: Draft | None = None, source_date_epoch: int | None = None) -> str:
    """One output format's text (for "pdf", the HTML that pdf.py lays out on pages).

    `source_date_epoch` dates the PDF's metadata; without it the PDF carries no date.
    """
    name = TEMPLATE_NAMES[fmt]
    created = None
    if fmt == "pdf" and source_date_epoch is not None:
        created = dt.datetime.fromtimestamp(source_date_epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        template = env.get_template(name)
        return template.render(
            report=report,
            labels=report.labels,
            chart_width=CHART_W,
            chart_height=CHART_H,
            axis_y=CHART_H - AXIS_H + 14,
            medium=fmt,
            created=created,
            draft=draft_mark(draft, report.labels) if draft else None,
        )
    except jinja2.TemplateError as e:
        raise HmicError([_template_error(e, env, name)]) from None
    except ProseError as e:
        raise HmicError([Diagnostic(Loc(report.key), "E602", str(e), hint="flatten the nested lists")]) from None
    except (OverflowError, RecursionError, MemoryError) as e:
        # A template that asks for too much (range(10**9), a macro calling itself): a diagnostic, not a crash.
        filename, line = _template_frame(e, name)
        what = {RecursionError: "recursion too deep", OverflowError: "a number too large", MemoryError: "out of memory"}[type(e)]
        raise HmicError(
            [
                Diagnostic(
                    Loc(filename, line, 1 if line else 0),
                    "E601",
                    f"template error: {what} ({e})",
                    hint="fix the template: a macro calling itself, or a loop or string far too large",
                )
            ]
        ) from None
