"""The national picture: each graded area's results counted once per framework, and a force's place in them. Pure.

The national results come in three shapes per area (docs/format.md, "national-results.yaml"): published
totals, per-force grades, or both (then the totals are what the report shows, and validation has checked
the per-force grades against them). A force not inspected in an area is counted apart from the grades.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType

from msgspec import Struct

from ..inputs.models import NOT_INSPECTED, Framework, NationalResults
from ..inputs.project import FrameworkBundle


class Shape(str, Enum):
    """How an area's national results were published."""

    TOTALS = "published totals"
    FORCES = "per-force grades"
    BOTH = "published totals, checked against per-force grades"


class AreaResults(Struct, frozen=True):
    """One graded area's national results: forces per grade of the scale, and those not inspected."""

    area: str
    counts: tuple[tuple[str, int], ...]  # every grade of the scale, best first, with its count of forces
    not_inspected: int  # forces not inspected in the area
    shape: Shape
    listed: int  # forces the per-force grades give for the area (0 when only totals are published)
    number_of_forces: int  # the framework's

    @property
    def inspected(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def accounted(self) -> int:
        """Forces the results account for: inspected or not. Fewer than number_of_forces only in thin per-force data."""
        return self.inspected + self.not_inspected

    def count(self, grade: str) -> int:
        return dict(self.counts).get(grade, 0)


class NationalPicture(Struct, frozen=True):
    """A framework's national results, counted once: per graded area, and per force as published."""

    number_of_forces: int
    grades: tuple[str, ...]  # the scale, best first
    areas: Mapping[str, AreaResults]  # graded areas that have any national results
    forces: Mapping[str, Mapping[str, str]]  # force key -> area -> grade or NOT_INSPECTED, as published

    def area(self, area: str) -> AreaResults | None:
        return self.areas.get(area)

    @property
    def any_not_inspected(self) -> bool:
        return any(a.not_inspected for a in self.areas.values())


def tally_forces(national: NationalResults) -> dict[str, dict[str, int]]:
    """Per area, how many forces the per-force rows give each value (a grade, NOT_INSPECTED or anything else): one pass."""
    tally: dict[str, dict[str, int]] = {}
    for row in national.forces.values():
        for area, value in row.items():
            per = tally.setdefault(area, {})
            per[value] = per.get(value, 0) + 1
    return tally


def national_picture(framework: Framework, national: NationalResults | None) -> NationalPicture:
    """Every graded area's results, counting the per-force rows once (not once per force or per area)."""
    grades = tuple(g.name for g in framework.grades)
    nat = national or NationalResults(source="-")
    tally = tally_forces(nat)
    areas: dict[str, AreaResults] = {}
    for ad in framework.areas:
        if not ad.graded:
            continue
        totals, rows = nat.totals.get(ad.id), tally.get(ad.id)
        if totals is None and rows is None:
            continue
        source = totals if totals is not None else rows
        assert source is not None
        shape = Shape.BOTH if totals is not None and rows else Shape.TOTALS if totals is not None else Shape.FORCES
        areas[ad.id] = AreaResults(
            ad.id,
            tuple((g, source.get(g, 0)) for g in grades),
            source.get(NOT_INSPECTED, 0),
            shape,
            sum(rows.values()) if rows else 0,
            framework.number_of_forces,
        )
    return NationalPicture(
        framework.number_of_forces,
        grades,
        MappingProxyType(areas),
        MappingProxyType({k: MappingProxyType(dict(v)) for k, v in nat.forces.items()}),
    )


def picture(fb: FrameworkBundle) -> NationalPicture:
    """The framework's national picture, computed on first use and kept with the framework."""
    return fb.once("national-picture", lambda: national_picture(fb.framework, fb.national))


# --- a force's place ------------------------------------------------------------------------


class Cell(Struct, frozen=True):
    grade: str
    count: int
    percent: int  # rounded, of the forces inspected
    is_force: bool  # the force's own grade


class Distribution(Struct, frozen=True):
    """One area's national distribution as a force's report shows it."""

    area: str
    cells: tuple[Cell, ...]  # every grade, best first
    not_inspected: int
    own_not_inspected: bool  # the force itself was not inspected in the area
    total: int  # forces inspected (the percentages' base)
    position: str  # e.g. "graded Fair, as were 21 of 43 forces; 20 were graded higher; 2 lower"
    note: str  # what the counts leave out: forces not inspected, or thin per-force data; "" when nothing
    counted_from: str  # how the results were published (a Shape's value)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _forces(n: int) -> str:
    return f"{n} {_plural(n, 'force', 'forces')}"


def position(results: AreaResults, grade: str | None, not_inspected: bool = False) -> str:
    """Where the force stands: its grade among the forces inspected, or that it was not inspected."""
    if not_inspected:
        others = results.not_inspected - 1
        if others < 1:
            return "the only force not inspected in this area"
        return f"not inspected in this area, like {others} other {_plural(others, 'force', 'forces')}"
    row = dict(results.counts)
    if grade is None or grade not in row:
        return ""
    grades = [g for g, _ in results.counts]  # best first
    i = grades.index(grade)
    higher = sum(row[g] for g in grades[:i])
    lower = sum(row[g] for g in grades[i + 1 :])
    n, total = row[grade], results.inspected
    if results.not_inspected:
        among = f"the {total} forces inspected"
    elif results.accounted < results.number_of_forces:
        among = f"the {total} forces listed"
    else:
        among = f"{total} forces"
    if n > 1:
        parts = [f"graded {grade}, as were {n} of {among}"]
    elif n == 1 and total == 1:
        parts = [f"graded {grade}, the only force"]
    elif n == 1:
        parts = [f"graded {grade}, the only one of {among}"]
    else:  # inconsistent data (validate reports it): say so rather than miscount
        parts = [f"graded {grade}, though the national results count no force at {grade}"]
    if higher:
        parts.append(f"{higher} {_plural(higher, 'was', 'were')} graded higher")
    if lower:
        parts.append(f"{lower} lower")
    return "; ".join(parts)


def note(results: AreaResults) -> str:
    """What a reader of the distribution should know it leaves out, as a sentence (or "")."""
    out = []
    if results.accounted < results.number_of_forces:
        out.append(f"The national results list {results.accounted} of the {results.number_of_forces} forces.")
    if results.not_inspected:
        verb = _plural(results.not_inspected, "was", "were")
        out.append(f"{results.not_inspected} of the {results.accounted} forces {verb} not inspected in this area.")
    return " ".join(out)


def distribution(results: AreaResults | None, grade: str | None, not_inspected: bool = False) -> Distribution | None:
    """The distribution of one area's results with the force's own grade marked; None when nothing is published."""
    if results is None:
        return None
    base = results.inspected or 1
    own = None if not_inspected else grade
    cells = tuple(Cell(g, n, round(100 * n / base), g == own) for g, n in results.counts)
    return Distribution(
        results.area,
        cells,
        results.not_inspected,
        not_inspected,
        results.inspected,
        position(results, grade, not_inspected),
        note(results),
        results.shape.value,
    )
