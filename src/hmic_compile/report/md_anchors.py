"""The ids GitHub and pandoc give report.md's headings, so that its contents links and the summary tables'
links to each area resolve on both.

Neither renderer reads an id written in the Markdown (pandoc's `{#id}` is not GitHub's, and raw HTML is
escaped), so each derives one from the heading's text: lower case, every character that is not a letter,
a digit, a mark, `_`, `-` or a space dropped, spaces made `-`; the second heading with the same id gets `-1`,
the third `-2`, ... counted per id and never checked against the ids given (GitHub's renderer, and pandoc's
`gfm` reader, alike: a heading "Strengths 1" after two "Strengths" shares the second's id on both, as here).
The ids depend on every heading before,
so they are worked out here over the headings of report.md in the order the default template writes them
(a grade's name is a bold line, not a heading; a case study's problem, solution and outcomes are headings);
tests/test_markdown_anchors.py resolves every in-page link with both algorithms and with pandoc itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from .markdown import md_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

    from .view import Report, SectionView

_KEPT_CATEGORIES = ("Mn", "Mc", "Me", "Pc")  # marks and connector punctuation (`_`), as GitHub's \p{Word} keeps them


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # only for a heading whose Markdown differs from its text

    return MarkdownIt("commonmark", {"html": False})


def heading_text(text: str) -> str:
    """What a Markdown renderer shows of a heading that report.md writes `md_text(text)` (the `md` filter of a
    plain string: a title, a label): its plain text, from which the heading's id is made."""
    source = md_text(text)
    if source == text and "\n" not in text and "\r" not in text:
        return text  # nothing escaped: shown as written
    out: list[str] = []
    for block in _parser().parse(source):
        for tok in block.children or ():
            if tok.type in ("text", "code_inline"):
                out.append(tok.content)
            elif tok.type in ("softbreak", "hardbreak"):
                out.append(" ")
    return "".join(out)


_NOT_KEPT_ASCII = re.compile(r"[^a-z0-9_ -]")


def github_id(text: str) -> str:
    """The id a heading showing `text` gets before duplicates are told apart."""
    if text.isascii():  # the same, at once: of ASCII, letters, digits, '-', '_' and ' ' are kept
        return _NOT_KEPT_ASCII.sub("", text.lower()).replace(" ", "-")
    kept = (c for c in text.lower() if c.isalnum() or c in "-_ " or unicodedata.category(c) in _KEPT_CATEGORIES)
    return "".join(kept).replace(" ", "-")


class Ids:
    """Ids for headings in document order: the n-th heading with one id gets `-n` after the first (n = 1, 2, ...)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def next(self, text: str) -> str:
        """The id of the next heading, which shows `text` written as report.md writes it (md_text)."""
        return self.take(github_id(heading_text(text)))

    def take(self, base: str) -> str:
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        return f"{base}-{n}" if n else base


def _section(s: SectionView) -> Iterator[tuple[str, str]]:
    yield s.anchor, s.title  # its body holds no heading: a grade's name is a bold line, as the HTML has it
    for c in s.sections:
        yield from _section(c)


def headings(report: Report) -> Iterator[tuple[str, str]]:
    """Every heading of report.md in order, as (the HTML anchor of what it heads, or "", its text)."""
    labels = report.labels
    yield "", report.force.title
    yield "contents", labels["contents"]
    yield from _section(report.introduction)
    yield from _section(report.overview)
    yield "findings", labels["findings"]
    yield "national-summary", labels["national_summary"]
    yield "force-summary", labels["force_summary"]
    for a in report.areas:
        yield a.anchor, a.title
        if a.graded and a.distribution:
            yield "", a.labels["national_grade_distribution"]
        if a.national_context:
            yield "", a.labels["national_context"]
        if a.contextual_factors:
            yield "", a.labels["contextual_factors"]
        for lst in a.lists:
            yield lst.anchor, lst.label
        for i, _ in enumerate(a.developing_practice, 1):
            yield f"{a.anchor}-dp-{i}", a.labels["developing_practice"]  # the HTML's anchors (templates/report.html.j2)
            for part in ("case_study_problem", "case_study_solution", "case_study_outcomes"):
                yield "", a.labels[part]
        if a.recommendations:
            yield f"{a.anchor}-recommendation", a.labels["recommendations_heading"]
    if report.recommendations:
        yield "recommendations", labels["closing_recommendations"]
    if report.glossary:
        yield "glossary", labels["glossary"]
        for letter, _ in report.glossary:
            yield "", letter


def assign_md_anchors(report: Report) -> None:
    """Set each contents entry's and each area's `md_anchor` to its heading's id in report.md (the contents
    and the summary tables link to them), and `md_ids`: the id in report.md of each HTML anchor that heads a
    part of the report (a framework's round links into report.md with them)."""
    ids = Ids()
    by_anchor: dict[str, str] = {}
    for anchor, text in headings(report):
        found = ids.next(text)
        if anchor:
            by_anchor.setdefault(anchor, found)
    report.md_ids = by_anchor
    for area in report.areas:
        area.md_anchor = by_anchor[area.anchor]
    for entry in report.contents:
        entry.md_anchor = by_anchor[entry.anchor]
        for child in entry.children:
            child.md_anchor = by_anchor[child.anchor]
