"""The path to another grade: the smallest sets of judgement changes that move an area's derived grade up or down. Pure.

Only the judgements some grading rule looks at can change a grade (`looked_at`). Up, each change raises
one of them to met; down, each lowers one to not met: a set of n such changes is the strongest move n
changes can make, so when no set of n moves the grade, no n changes of any kind do (under rules that
never reward a worse judgement, as every framework hmic carries). The search tries every set of 1
change, then of 2, and so on up to MAX_CHANGES, and stops at the first size that moves the grade; it
tries at most MAX_TRIALS sets in all, and says so when it stops there (docs/moderation.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from msgspec import Struct

from ..inputs.models import AreaEvidence, Conditions, Criterion, Framework, Grading, Judgement
from .grading import derive

MAX_CHANGES = 3  # the largest set of changes searched
MAX_TRIALS = 20_000  # sets tried per direction, at most: a bound on the time, whatever the number of criteria
KEPT = 20  # smallest sets kept per direction (all are counted)

UP, DOWN = "up", "down"


class Change(Struct, frozen=True):
    """One judgement changed: a criterion's (with its level) or a factor's."""

    item: str  # the criterion's or factor's id
    factor: bool  # a factor of the framework, not a criterion
    level: str  # the criterion's level ("" for a factor)
    before: Judgement | None  # None: not judged
    after: Judgement


class Step(Struct, frozen=True):
    """A set of changes and the derived grade it gives."""

    changes: tuple[Change, ...]
    grade: str


class Path(Struct, frozen=True):
    """The smallest sets of changes that move the derived grade `grade` in `direction`."""

    direction: str  # UP or DOWN
    grade: str  # the derived grade now
    steps: tuple[Step, ...]  # the smallest sets found, in the framework's order of criteria (at most KEPT)
    found: int  # how many sets of that size move the grade (may be more than `steps`)
    searched: int  # the largest size whose every set was tried
    stopped: bool  # the search stopped at MAX_TRIALS before it had tried every set up to MAX_CHANGES
    reason: str = ""  # why there is nothing to search: already at the end of the scale, nothing a rule looks at

    @property
    def size(self) -> int | None:
        return len(self.steps[0].changes) if self.steps else None


def _criteria_of(when: Conditions, criteria: Sequence[Criterion]) -> set[str]:
    seen: set[str] = set()
    if when.dominant_not_met is not None:
        seen |= {c.id for c in criteria if c.dominant}
    n = when.not_met_at_least
    if n is not None:
        seen |= {c.id for c in criteria if c.level == n.level and (c.significant or not n.significant_only)}
    for level in when.all_met:
        seen |= {c.id for c in criteria if c.level == level}
    for level in when.all_significant_met:
        seen |= {c.id for c in criteria if c.level == level and c.significant}
    for s in when.share_met:
        seen |= {c.id for c in criteria if c.level == s.level}
    return seen


def looked_at(framework: Framework, criteria: Sequence[Criterion]) -> tuple[frozenset[str], frozenset[str]]:
    """The criteria and the factors that some grading rule's conditions look at: no other judgement changes a grade."""
    crit: set[str] = set()
    factors: set[str] = set()
    for rule in framework.grading.rules:
        crit |= _criteria_of(rule.when, criteria)
        factors |= set(rule.when.factors)
    return frozenset(crit), frozenset(factors)


def _better(grades: Sequence[str], a: str, b: str) -> bool:
    """Whether grade `a` is better than `b` (a grade off the scale is worse than any on it)."""
    rank = {g: i for i, g in enumerate(grades)}
    return rank.get(a, len(grades)) < rank.get(b, len(grades))


def path(
    framework: Framework,
    criteria: Sequence[Criterion],
    evidence: AreaEvidence,
    direction: str,
    max_changes: int = MAX_CHANGES,
    max_trials: int = MAX_TRIALS,
) -> Path | None:
    """The smallest sets of changes that move the area's derived grade in `direction`; None when there is no derived grade."""
    if not criteria or not evidence.inspected or not (evidence.judgements or evidence.factors):
        return None
    judged: dict[str, Judgement] = {j.criterion: j.judgement for j in evidence.judgements}
    factors: dict[str, Judgement] = {f.factor: f.judgement for f in evidence.factors}
    grades = [g.name for g in framework.grades]
    grading, levels = framework.grading, framework.levels
    now = derive(grading, levels, criteria, judged, factors).grade
    end = grades[0] if direction == UP else grades[-1]
    if now == end:
        return Path(direction, now, (), 0, 0, False, f"already the {'best' if direction == UP else 'lowest'} grade of the scale")
    target = Judgement.MET if direction == UP else Judgement.NOT_MET
    crit_ids, factor_ids = looked_at(framework, criteria)
    candidates = [
        Change(c.id, False, c.level, judged.get(c.id), target) for c in criteria if c.id in crit_ids and judged.get(c.id) is not target
    ]
    candidates += [
        Change(f.id, True, "", factors.get(f.id), target)
        for f in framework.factors
        if f.id in factor_ids and factors.get(f.id) is not target
    ]
    if not candidates:
        return Path(direction, now, (), 0, 0, False, "no judgement a rule looks at can move it")
    trials, searched = 0, 0
    for size in range(1, min(max_changes, len(candidates)) + 1):
        steps: list[Step] = []
        found = 0
        for combo in itertools.combinations(candidates, size):
            trials += 1
            if trials > max_trials:
                return Path(direction, now, tuple(steps), found, searched, True)
            grade = _with(combo, grading, levels, criteria, judged, factors)
            if grade != now and _better(grades, grade, now) == (direction == UP):
                found += 1
                if len(steps) < KEPT:
                    steps.append(Step(combo, grade))
        searched = size
        if found:
            return Path(direction, now, tuple(steps), found, searched, False)
    return Path(direction, now, (), 0, searched, False)


def _with(
    combo: Sequence[Change],
    grading: Grading,
    levels: Sequence[str],
    criteria: Sequence[Criterion],
    judged: Mapping[str, Judgement],
    factors: Mapping[str, Judgement],
) -> str:
    j, f = dict(judged), dict(factors)
    for c in combo:
        (f if c.factor else j)[c.item] = c.after
    return derive(grading, levels, criteria, j, f).grade


def paths(framework: Framework, criteria: Sequence[Criterion], evidence: AreaEvidence) -> tuple[Path, Path] | None:
    """Up and down, or None when the area has no derived grade (not inspected, no criteria, not judged)."""
    up = path(framework, criteria, evidence, UP)
    down = path(framework, criteria, evidence, DOWN)
    return (up, down) if up is not None and down is not None else None
