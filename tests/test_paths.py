"""The path to another grade (derive/paths.py): the smallest sets of changes, found from the rules, bounded."""

from __future__ import annotations

from hmic_compile.derive.grading import derive
from hmic_compile.derive.paths import DOWN, UP, looked_at, path, paths
from hmic_compile.inputs.models import (
    AreaEvidence,
    Conditions,
    Criterion,
    CriterionJudgement,
    Factor,
    FactorJudgement,
    Framework,
    Grade,
    Grading,
    Group,
    Judgement,
    Rule,
    ShareMet,
)

MET, PARTLY, NOT = Judgement.MET, Judgement.PARTLY_MET, Judgement.NOT_MET


def framework(rules: list[Rule], factors: list[Factor] | None = None) -> Framework:
    return Framework(
        year=2024,
        title="t",
        number_of_forces=3,
        grades=[Grade(name="Top"), Grade(name="Mid"), Grade(name="Low")],
        levels=["Base", "High"],
        factors=factors or [],
        grading=Grading(rules=rules, otherwise="Low", otherwise_explanation="otherwise"),
        groups=[Group(title="g", areas=["a"])],
        areas=[{"id": "a", "name": "A", "title": "A"}],  # type: ignore[list-item]
    )


CRITERIA = [
    Criterion(id="b1", level="Base", text="b1", significant=True),
    Criterion(id="b2", level="Base", text="b2"),
    Criterion(id="h1", level="High", text="h1"),
    Criterion(id="h2", level="High", text="h2"),
    Criterion(id="x1", level="Extra", text="no rule looks at it"),
]
RULES = [
    Rule(grade="Top", when=Conditions(all_met=["Base"], share_met=[ShareMet(level="High", at_least=1.0)]), explanation="all"),
    Rule(grade="Mid", when=Conditions(all_met=["Base"]), explanation="base"),
]


def evidence(**judged: Judgement) -> AreaEvidence:
    return AreaEvidence(area="a", grade="Mid", judgements=[CriterionJudgement(criterion=c, judgement=j) for c, j in judged.items()])


def test_looked_at_is_what_the_rules_name() -> None:
    crit, factors = looked_at(framework(RULES), CRITERIA)
    assert crit == {"b1", "b2", "h1", "h2"} and factors == set()


def test_up_is_the_smallest_set_of_raises_to_met() -> None:
    fw = framework(RULES)
    ev = evidence(b1=MET, b2=MET, h1=PARTLY, h2=NOT, x1=NOT)
    up = path(fw, CRITERIA, ev, UP)
    assert up is not None and up.grade == "Mid" and up.size == 2 and up.found == 1 and not up.stopped
    (step,) = up.steps
    assert step.grade == "Top"
    assert [(c.item, c.before, c.after) for c in step.changes] == [("h1", PARTLY, MET), ("h2", NOT, MET)]
    # x1 is never a candidate: no rule looks at it, so no change of it moves the grade


def test_down_is_the_smallest_set_of_lowerings_and_counts_every_way() -> None:
    fw = framework(RULES)
    down = path(fw, CRITERIA, evidence(b1=MET, b2=MET, h1=PARTLY, h2=NOT, x1=MET), DOWN)
    assert down is not None and down.size == 1 and down.found == 2
    assert [(s.changes[0].item, s.grade) for s in down.steps] == [("b1", "Low"), ("b2", "Low")]
    # the sets found really do move the grade
    for s in down.steps:
        judged = {"b1": MET, "b2": MET, "h1": PARTLY, "h2": NOT, **{c.item: c.after for c in s.changes}}
        assert derive(fw.grading, fw.levels, CRITERIA, judged).grade == s.grade


def test_the_ends_of_the_scale_say_so() -> None:
    fw = framework(RULES)
    top = paths(fw, CRITERIA, evidence(b1=MET, b2=MET, h1=MET, h2=MET, x1=MET))
    assert top is not None
    assert top[0].reason == "already the best grade of the scale" and top[0].steps == ()
    low = path(fw, CRITERIA, evidence(b1=NOT, b2=NOT, h1=NOT, h2=NOT, x1=NOT), DOWN)
    assert low is not None and low.reason == "already the lowest grade of the scale"


def test_factors_are_judgements_a_rule_looks_at() -> None:
    rules = [Rule(grade="Top", when=Conditions(all_met=["Base"], factors=["beacon"]), explanation="beacon"), *RULES[1:]]
    fw = framework(rules, [Factor(id="beacon", text="a beacon")])
    ev = AreaEvidence(
        area="a",
        judgements=[CriterionJudgement(criterion=c.id, judgement=MET) for c in CRITERIA],
        factors=[FactorJudgement(factor="beacon", judgement=PARTLY)],
    )
    up = path(fw, CRITERIA, ev, UP)
    assert up is not None and up.size == 1
    change = up.steps[0].changes[0]
    assert (change.item, change.factor, change.level, change.after) == ("beacon", True, "", MET)


def test_no_set_within_the_limit_and_the_trial_cap() -> None:
    # Top needs all four High criteria met, from none: four changes, past a limit of three.
    crit = [*CRITERIA[:2], *(Criterion(id=f"h{i}", level="High", text="h") for i in range(1, 5))]
    fw = framework(RULES)
    ev = AreaEvidence(area="a", judgements=[CriterionJudgement(criterion=c.id, judgement=MET if c.level == "Base" else NOT) for c in crit])
    up = path(fw, crit, ev, UP, max_changes=3)
    assert up is not None and up.steps == () and up.searched == 3 and not up.stopped
    assert path(fw, crit, ev, UP, max_changes=4).size == 4  # type: ignore[union-attr]
    capped = path(fw, crit, ev, UP, max_changes=4, max_trials=5)
    assert capped is not None and capped.stopped and capped.steps == () and capped.searched == 1


def test_nothing_to_derive_gives_no_path() -> None:
    fw = framework(RULES)
    assert path(fw, CRITERIA, AreaEvidence(area="a"), UP) is None
    assert path(fw, [], evidence(b1=MET), UP) is None
    assert paths(fw, CRITERIA, AreaEvidence(area="a", inspected=False)) is None
