"""National comparison: grade distributions per area and a force's place in them. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from ..inputs.models import Framework, NationalResults


@dataclass(frozen=True)
class Cell:
    grade: str
    count: int
    percent: int  # rounded, of all forces
    is_force: bool  # the force's own grade


@dataclass(frozen=True)
class Distribution:
    area: str
    cells: tuple[Cell, ...]
    total: int
    position: str  # e.g. "graded Fair, as were 21 of 43 forces; 20 were graded higher"
    counted_from: str  # "published totals" or "per-force grades"


def counts(framework: Framework, national: NationalResults, area: str) -> dict[str, int] | None:
    grades = [g.name for g in framework.grades]
    if national.forces:
        listed = [row[area] for row in national.forces.values() if area in row]
        if not listed:
            return None
        return {g: listed.count(g) for g in grades}
    row = national.totals.get(area)
    if row is None:
        return None
    return {g: row.get(g, 0) for g in grades}


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def position(framework: Framework, row: dict[str, int], grade: str | None) -> str:
    total = sum(row.values())
    if grade is None or grade not in row:
        return ""
    grades = [g.name for g in framework.grades]  # best first
    i = grades.index(grade)
    higher = sum(row[g] for g in grades[:i])
    lower = sum(row[g] for g in grades[i + 1 :])
    n = row[grade]
    if n > 1:
        parts = [f"graded {grade}, as were {n} of {total} forces"]
    elif n == 1:
        parts = [f"graded {grade}, the only one of {total} forces"]
    else:  # inconsistent data (validate reports it): say so rather than miscount
        parts = [f"graded {grade}, though the national results count no force at {grade}"]
    if higher:
        parts.append(f"{higher} {_plural(higher, 'was', 'were')} graded higher")
    if lower:
        parts.append(f"{lower} lower")
    return "; ".join(parts)


def distribution(framework: Framework, national: NationalResults, area: str, grade: str | None) -> Distribution | None:
    row = counts(framework, national, area)
    if row is None:
        return None
    total = sum(row.values()) or 1
    cells = tuple(Cell(g, n, round(100 * n / total), g == grade) for g, n in row.items())
    return Distribution(
        area, cells, sum(row.values()), position(framework, row, grade), "per-force grades" if national.forces else "published totals"
    )
