"""Paragraph numbers for citing (--numbered): every paragraph and list item of the findings, as area.section.n.

A reviewer's "para 3.2.14" means one thing in every format, because the numbers are given here, to the
view model's prose, and each format shows the number its prose carries (report/prose.py, report/docx.py).

- area: the area's place in the report's findings, 1 to the number of areas, in the framework's order;
- section: the place, within the area, of each part that holds prose, in the order the report shows
  them: the professional judgement, national context, contextual factors, each list of evidence
  (strengths, work in progress, areas for improvement), each case study, the recommendations;
- n: each paragraph and list item of that part in reading order, a list item's own items included
  (a case study's problem, solution and outcomes; its labelled fields are not paragraphs).

The closing recommendations repeat the areas' own, and so their numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .prose import Prose

if TYPE_CHECKING:
    from .view import AreaView, BlockView, ItemView


def _blocks(blocks: list[BlockView]) -> Iterator[Prose]:
    for b in blocks:
        if b.kind == "paragraph" and b.text is not None:
            yield b.text
        elif b.kind in ("bullets", "numbered"):
            yield from _items(b.items)
        elif b.kind == "grades":
            for g in b.grades:
                yield from _blocks(g.definition)


def _items(items: list[ItemView]) -> Iterator[Prose]:
    for i in items:
        yield i.text
        yield from i.items


def parts(area: AreaView) -> Iterator[list[Prose]]:
    """The prose of each of an area's parts that holds any, in the order the report shows them."""
    candidates: list[list[Prose]] = [
        [area.rationale] if area.rationale is not None and area.graded else [],
        list(_blocks(area.national_context)),
        list(_blocks(area.contextual_factors)),
        *(list(_items(lst.items)) for lst in area.lists),
        *([*_blocks(cs.problem), *_blocks(cs.solution), *cs.outcomes] for cs in area.developing_practice),
        list(area.recommendations),
    ]
    yield from (p for p in candidates if p)


def number_findings(areas: list[AreaView]) -> int:
    """Give each paragraph and list item of the findings its number; how many were numbered."""
    count = 0
    for a, area in enumerate(areas, start=1):
        for s, prose in enumerate(parts(area), start=1):
            for n, p in enumerate(prose, start=1):
                p.number = f"{a}.{s}.{n}"
                count += 1
    return count
