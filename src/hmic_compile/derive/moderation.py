"""Moderation across a round's forces: like judged alike, grades against the rules, criteria's national rates. Pure.

What the Inspectorate looks at before it publishes (docs/moderation.md): grades awarded that differ from
the grade the rules derive; forces whose judgements for an area are the same, or differ only in
criteria no rule looks at, but whose awarded grades differ; each criterion's national rate of met,
partly met and not met; and, per force and area, the smallest changes of judgement that would move the
derived grade up or down (derive/paths.py), one change away first.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec import Struct

from ..inputs import models as m
from ..inputs.project import ForceBundle, FrameworkBundle
from .grading import derive_area
from .paths import Path, looked_at, paths


class Graded(Struct, frozen=True):
    """One force's graded area as moderation sees it."""

    force: str  # the evidence folder, e.g. norfolk-2007
    name: str  # the force's name
    area: str
    inspected: bool
    awarded: str | None
    derived: str | None  # None: nothing to derive from
    rationale: str | None
    judged: tuple[tuple[str, m.Judgement], ...]  # (criterion, judgement), in the framework's order of criteria
    factors: tuple[tuple[str, m.Judgement], ...]  # (factor, judgement), in the framework's order of factors
    up: Path | None  # the smallest changes moving the derived grade up (None: no derived grade)
    down: Path | None


class Alike(Struct, frozen=True):
    """Forces whose judgements for an area agree on everything a rule looks at, yet whose awarded grades differ."""

    area: str
    forces: tuple[tuple[str, str | None], ...]  # (force, awarded grade), by force
    identical: bool  # every judgement the same, not only those a rule looks at
    differing: tuple[str, ...]  # the criteria (no rule looks at them) whose judgements differ between the forces


class Rate(Struct, frozen=True):
    """One criterion's judgements across the forces that judged it."""

    area: str
    criterion: str
    level: str
    met: int
    partly: int
    not_met: int
    looked_at: bool  # some grading rule looks at it

    @property
    def judged(self) -> int:
        return self.met + self.partly + self.not_met

    def percent(self, n: int) -> int:
        return round(100 * n / self.judged) if self.judged else 0


class Moderation(Struct, frozen=True):
    framework: str
    forces: tuple[str, ...]  # every force moderated, by key
    graded: tuple[Graded, ...]  # by area (the framework's order), then force
    alike: tuple[Alike, ...]
    rates: tuple[Rate, ...]  # by area, then the framework's order of criteria

    @property
    def differing(self) -> tuple[Graded, ...]:
        """Awarded grades that differ from the derived grade."""
        return tuple(g for g in self.graded if g.awarded and g.derived and g.awarded != g.derived)

    @property
    def one_away(self) -> tuple[Graded, ...]:
        """Areas one changed judgement away from another derived grade, up or down."""
        return tuple(g for g in self.graded if any(p is not None and p.size == 1 for p in (g.up, g.down)))


_Memo = dict[tuple[object, ...], "tuple[Path, Path] | None"]


def _graded(fb: FrameworkBundle, fo: ForceBundle, ad: m.AreaDef, memo: _Memo) -> Graded | None:
    ev = fo.areas.get(ad.id)
    if ev is None:
        return None
    criteria = fb.areas[ad.id].criteria if ad.id in fb.areas else []
    d = derive_area(fb.framework, criteria, ev) if ev.inspected else None
    order = {c.id: i for i, c in enumerate(criteria)}
    judged = tuple(sorted(((j.criterion, j.judgement) for j in ev.judgements), key=lambda p: (order.get(p[0], len(order)), p[0])))
    forder = {f.id: i for i, f in enumerate(fb.framework.factors)}
    factors = tuple(sorted(((f.factor, f.judgement) for f in ev.factors), key=lambda p: (forder.get(p[0], len(forder)), p[0])))
    key = (ad.id, judged, factors)  # forces judged alike share their paths: each is searched once
    if d is not None and key not in memo:
        memo[key] = paths(fb.framework, criteria, ev)
    found = memo.get(key) if d is not None else None
    return Graded(
        fo.key,
        fo.force.name,
        ad.id,
        ev.inspected,
        ev.grade,
        d.grade if d else None,
        ev.grade_rationale,
        judged,
        factors,
        found[0] if found else None,
        found[1] if found else None,
    )


def _alike(fb: FrameworkBundle, area: str, graded: Sequence[Graded]) -> list[Alike]:
    criteria = fb.areas[area].criteria if area in fb.areas else []
    crit, factors = looked_at(fb.framework, criteria)
    groups: dict[tuple[object, ...], list[Graded]] = {}
    for g in graded:
        if not g.inspected or not g.judged:
            continue
        key = (tuple(p for p in g.judged if p[0] in crit), tuple(p for p in g.factors if p[0] in factors))
        groups.setdefault(key, []).append(g)
    out = []
    for members in groups.values():
        if len({g.awarded for g in members}) < 2:
            continue
        differing = [c.id for c in criteria if c.id not in crit and len({dict(g.judged).get(c.id) for g in members}) > 1]
        identical = not differing and len({g.factors for g in members}) == 1
        out.append(Alike(area, tuple((g.force, g.awarded) for g in sorted(members, key=lambda g: g.force)), identical, tuple(differing)))
    return sorted(out, key=lambda a: a.forces)


def _rates(fb: FrameworkBundle, ad: m.AreaDef, graded: Sequence[Graded]) -> list[Rate]:
    criteria = fb.areas[ad.id].criteria if ad.id in fb.areas else []
    crit, _ = looked_at(fb.framework, criteria)
    out = []
    for c in criteria:
        got = [dict(g.judged).get(c.id) for g in graded]
        out.append(
            Rate(
                ad.id,
                c.id,
                c.level,
                sum(j is m.Judgement.MET for j in got),
                sum(j is m.Judgement.PARTLY_MET for j in got),
                sum(j is m.Judgement.NOT_MET for j in got),
                c.id in crit,
            )
        )
    return out


def moderate(fb: FrameworkBundle, forces: Sequence[ForceBundle]) -> Moderation:
    """Moderation of the framework's forces (each loaded whole and checked), in a stable order."""
    ordered = sorted(forces, key=lambda fo: fo.key)
    graded: list[Graded] = []
    alike: list[Alike] = []
    rates: list[Rate] = []
    memo: _Memo = {}
    for ad in fb.framework.areas:
        if not ad.graded:
            continue
        here = [g for fo in ordered if (g := _graded(fb, fo, ad, memo)) is not None]
        graded += here
        alike += _alike(fb, ad.id, here)
        rates += _rates(fb, ad, here)
    return Moderation(fb.key, tuple(fo.key for fo in ordered), tuple(graded), tuple(alike), tuple(rates))
