"""Grade derivation: the framework's rules applied to the judgements on each criterion. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from msgspec import Struct

from ..inputs.models import AreaEvidence, Conditions, Criterion, Framework, Grading, Judgement


class LevelTally(Struct, frozen=True):
    level: str
    total: int
    met: int
    partly: int
    not_met: int
    significant: int
    significant_met: int

    def share(self, partly_weight: float) -> Fraction:
        if not self.total:
            return Fraction(1)
        return (self.met + Fraction(partly_weight).limit_denominator(1000) * self.partly) / self.total


class Check(Struct, frozen=True):
    """One condition of a rule, as evaluated: what it asks and whether it held."""

    text: str
    held: bool


class RuleTrial(Struct, frozen=True):
    grade: str
    explanation: str
    checks: tuple[Check, ...]

    @property
    def held(self) -> bool:
        return all(c.held for c in self.checks)


class Derivation(Struct, frozen=True):
    grade: str
    explanation: str
    decided_by: int | None  # index of the rule that decided; None when no rule held ("otherwise")
    tallies: tuple[LevelTally, ...]
    trials: tuple[RuleTrial, ...]


def tally(levels: Sequence[str], criteria: Sequence[Criterion], judged: Mapping[str, Judgement]) -> tuple[LevelTally, ...]:
    out = []
    for level in levels:
        at = [c for c in criteria if c.level == level]
        js = [judged.get(c.id) for c in at]
        sig = [c for c in at if c.significant]
        out.append(
            LevelTally(
                level=level,
                total=len(at),
                met=sum(j is Judgement.MET for j in js),
                partly=sum(j is Judgement.PARTLY_MET for j in js),
                not_met=sum(j is not Judgement.MET and j is not Judgement.PARTLY_MET for j in js),
                significant=len(sig),
                significant_met=sum(judged.get(c.id) is Judgement.MET for c in sig),
            )
        )
    return tuple(out)


def _pct(x: float | Fraction) -> str:
    return f"{float(x) * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _checks(
    when: Conditions,
    grading: Grading,
    criteria: Sequence[Criterion],
    judged: Mapping[str, Judgement],
    tallies: Mapping[str, LevelTally],
    factors: Mapping[str, Judgement],
) -> list[Check]:
    checks: list[Check] = []
    if when.dominant_not_met is not None:
        # Unjudged counts as not met, as in `tally` (validation refuses unjudged criteria anyway).
        failed = [c.id for c in criteria if c.dominant and judged.get(c.id) not in (Judgement.MET, Judgement.PARTLY_MET)]
        held = bool(failed) == when.dominant_not_met
        detail = f" ({', '.join(failed)})" if failed else ""
        checks.append(Check(f"a dominant criterion not met{detail}" if when.dominant_not_met else "no dominant criterion failed", held))
    if when.not_met_at_least is not None:
        n = when.not_met_at_least
        pool = [c for c in criteria if c.level == n.level and (c.significant or not n.significant_only)]
        count = sum(judged.get(c.id) not in (Judgement.MET, Judgement.PARTLY_MET) for c in pool)
        kind = "significant " if n.significant_only else ""
        checks.append(Check(f"{count} {kind}{n.level} criteria not met (rule: at least {n.count})", count >= n.count))
    for level in when.all_met:
        t = tallies[level]
        checks.append(Check(f"all {level} criteria met ({t.met} of {t.total})", t.met == t.total))
    for level in when.all_significant_met:
        t = tallies[level]
        checks.append(
            Check(f"all significant {level} criteria met ({t.significant_met} of {t.significant})", t.significant_met == t.significant)
        )
    for s in when.share_met:
        t = tallies[s.level]
        share = t.share(grading.partly_met_weight)
        if s.at_least is not None:
            checks.append(
                Check(f"{_pct(share)} of {s.level} criteria met (rule: at least {_pct(s.at_least)})", share >= Fraction(str(s.at_least)))
            )
        if s.more_than is not None:
            checks.append(
                Check(f"{_pct(share)} of {s.level} criteria met (rule: more than {_pct(s.more_than)})", share > Fraction(str(s.more_than)))
            )
    for f in when.factors:
        j = factors.get(f)
        checks.append(Check(f"factor '{f}' {j.value if j else 'not judged'}", j is Judgement.MET))
    return checks


def derive(
    grading: Grading,
    levels: Sequence[str],
    criteria: Sequence[Criterion],
    judged: Mapping[str, Judgement],
    factors: Mapping[str, Judgement] | None = None,
) -> Derivation:
    """Try each rule in order; the first whose conditions all hold gives the grade."""
    tallies = tally(levels, criteria, judged)
    by_level = {t.level: t for t in tallies}
    trials: list[RuleTrial] = []
    for i, rule in enumerate(grading.rules):
        trial = RuleTrial(rule.grade, rule.explanation, tuple(_checks(rule.when, grading, criteria, judged, by_level, factors or {})))
        trials.append(trial)
        if trial.held:
            return Derivation(rule.grade, rule.explanation, i, tallies, tuple(trials))
    return Derivation(grading.otherwise, grading.otherwise_explanation, None, tallies, tuple(trials))


def derive_area(framework: Framework, criteria: Sequence[Criterion], evidence: AreaEvidence) -> Derivation | None:
    """The derived grade for one force's area, or None when there is nothing to derive it from."""
    if not criteria or not (evidence.judgements or evidence.factors):
        return None  # nothing to derive from (no criteria, or a draft area not judged yet)
    judged = {j.criterion: j.judgement for j in evidence.judgements}
    factors = {f.factor: f.judgement for f in evidence.factors}
    return derive(framework.grading, framework.levels, criteria, judged, factors)
