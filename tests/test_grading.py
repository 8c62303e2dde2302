"""Grade derivation: each rule of the 2007 framework and each boundary, plus rules built here.

Every test builds its criteria and judgements in memory; only the 2007 rules are read from
criteria/2007/framework.yaml (so these tests also pin that data).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from hmic_compile.derive.grading import Check, Derivation, LevelTally, derive, derive_area, tally
from hmic_compile.inputs.loader import load
from hmic_compile.inputs.models import (
    AreaEvidence,
    Conditions,
    Criterion,
    CriterionJudgement,
    FactorJudgement,
    Framework,
    Grading,
    Judgement,
    NotMetAtLeast,
    Rule,
    ShareMet,
)

ROOT = Path(__file__).parent.parent
MET, PARTLY, NOT = Judgement.MET, Judgement.PARTLY_MET, Judgement.NOT_MET

# Indices of the 2007 rules, in framework order.
DOMINANT, WELL_SHORT, EXCELLENT, GOOD, FAIR = 0, 1, 2, 3, 4
OTHERWISE = None


@pytest.fixture(scope="module")
def fw2007() -> Framework:
    doc = load(ROOT / "criteria" / "2007" / "framework.yaml", ROOT)
    return Framework.model_validate(doc.data)


# --- builders ------------------------------------------------------------------------------


def crit(cid: str, level: str, *, significant: bool = False, dominant: bool = False) -> Criterion:
    return Criterion(id=cid, level=level, text=f"criterion {cid}", significant=significant, dominant=dominant)


def area(fair_sig: int = 3, fair_plain: int = 1, good: int = 4, excellent: int = 1) -> list[Criterion]:
    """fs1..: significant Fair; fp1..: other Fair; g1..: Good; e1..: Excellent."""
    return (
        [crit(f"fs{i}", "Fair", significant=True) for i in range(1, fair_sig + 1)]
        + [crit(f"fp{i}", "Fair") for i in range(1, fair_plain + 1)]
        + [crit(f"g{i}", "Good") for i in range(1, good + 1)]
        + [crit(f"e{i}", "Excellent") for i in range(1, excellent + 1)]
    )


def judge(criteria: list[Criterion], **overrides: Judgement) -> dict[str, Judgement]:
    """Every criterion met, except those named."""
    unknown = set(overrides) - {c.id for c in criteria}
    assert not unknown, f"test names unknown criteria {unknown}"
    return {c.id: overrides.get(c.id, MET) for c in criteria}


def good_judged(criteria: list[Criterion], met: int, partly: int) -> dict[str, Judgement]:
    """All Fair met; of the Good criteria, the first `met` met, the next `partly` partly met, the rest not met."""
    goods = [c.id for c in criteria if c.level == "Good"]
    assert met + partly <= len(goods)
    over = {g: (MET if i < met else PARTLY if i < met + partly else NOT) for i, g in enumerate(goods)}
    return judge(criteria, **over)


BOTH_FACTORS = {"beacon": MET, "innovation": MET}


def run(fw: Framework, criteria: list[Criterion], judged: dict[str, Judgement], factors: dict[str, Judgement] | None = None) -> Derivation:
    return derive(fw.grading, fw.levels, criteria, judged, factors)


def grading_2007_with(fw: Framework, **change: Any) -> Grading:
    """The 2007 grading as loaded, with thresholds changed: good_more_than, excellent_at_least, weight."""
    data = fw.grading.model_dump()
    if "weight" in change:
        data["partly_met_weight"] = change["weight"]
    if "good_more_than" in change:
        data["rules"][GOOD]["when"]["share_met"][0]["more_than"] = change["good_more_than"]
    if "excellent_at_least" in change:
        data["rules"][EXCELLENT]["when"]["share_met"][0]["at_least"] = change["excellent_at_least"]
    return Grading.model_validate(data)


# --- the 2007 rules as data ----------------------------------------------------------------


def test_2007_framework_rules_are_as_published(fw2007: Framework) -> None:
    g = fw2007.grading
    assert [gr.name for gr in fw2007.grades] == ["Excellent", "Good", "Fair", "Poor"]
    assert fw2007.levels == ["Fair", "Good", "Excellent"]
    assert [f.id for f in fw2007.factors] == ["beacon", "innovation"]
    assert g.partly_met_weight == 0.5
    assert [r.grade for r in g.rules] == ["Poor", "Poor", "Excellent", "Good", "Fair"]
    assert g.rules[DOMINANT].when.dominant_not_met is True
    assert g.rules[WELL_SHORT].when.not_met_at_least == NotMetAtLeast(level="Fair", count=3, significant_only=True)
    assert g.rules[EXCELLENT].when.all_met == ["Fair"]
    assert g.rules[EXCELLENT].when.share_met == [ShareMet(level="Good", at_least=0.8)]
    assert g.rules[EXCELLENT].when.factors == ["beacon", "innovation"]
    assert g.rules[GOOD].when.all_met == ["Fair"]
    assert g.rules[GOOD].when.share_met == [ShareMet(level="Good", more_than=0.5)]
    assert g.rules[FAIR].when.all_significant_met == ["Fair"]
    assert g.otherwise == "Poor"


# --- Good: "most" = more than 50% ----------------------------------------------------------


@pytest.mark.parametrize(
    ("good", "met", "partly", "grade", "decided_by"),
    [
        (4, 2, 0, "Fair", FAIR),  # exactly 50%: not "more than half"
        (4, 3, 0, "Good", GOOD),  # 75%
        (4, 2, 1, "Good", GOOD),  # 2 + 0.5 = 62.5%
        (4, 1, 2, "Fair", FAIR),  # 1 + 1 = 50%
        (4, 0, 4, "Fair", FAIR),  # four halves = 50%
        (4, 0, 0, "Fair", FAIR),  # 0%
        (6, 3, 0, "Fair", FAIR),  # 50%
        (7, 4, 0, "Good", GOOD),  # 57%: just above half
        (10, 5, 0, "Fair", FAIR),  # 50%
        (10, 5, 1, "Good", GOOD),  # 55%
        (11, 6, 0, "Good", GOOD),  # 54.5%
        (2, 1, 0, "Fair", FAIR),  # 50%
        (2, 1, 1, "Good", GOOD),  # 75%
        (1, 0, 1, "Fair", FAIR),  # a lone Good criterion partly met is 50%
    ],
)
def test_good_needs_more_than_half_of_good(fw2007: Framework, good: int, met: int, partly: int, grade: str, decided_by: int) -> None:
    cs = area(good=good)
    d = run(fw2007, cs, good_judged(cs, met, partly))  # no factors: Excellent is out of reach
    assert (d.grade, d.decided_by) == (grade, decided_by)


def test_share_counts_partly_met_at_the_framework_weight(fw2007: Framework) -> None:
    cs = area(good=4)
    d = run(fw2007, cs, good_judged(cs, 2, 1))
    good = {t.level: t for t in d.tallies}["Good"]
    assert (good.total, good.met, good.partly, good.not_met) == (4, 2, 1, 1)
    assert good.share(fw2007.grading.partly_met_weight) == Fraction(5, 8)
    assert d.trials[GOOD].checks[1] == Check("62.5% of Good criteria met (rule: more than 50%)", True)


# --- "all Fair met" and "all significant Fair met" -----------------------------------------


def test_one_fair_partly_met_is_not_all_fair_met(fw2007: Framework) -> None:
    cs = area()
    d = run(fw2007, cs, judge(cs, fp1=PARTLY), BOTH_FACTORS)  # every Good met, both factors
    assert (d.grade, d.decided_by) == ("Fair", FAIR)
    assert d.trials[GOOD].checks[0] == Check("all Fair criteria met (3 of 4)", False)
    assert d.trials[EXCELLENT].checks[0] == Check("all Fair criteria met (3 of 4)", False)


def test_non_significant_fair_not_met_allows_fair_but_not_good(fw2007: Framework) -> None:
    cs = area()
    d = run(fw2007, cs, judge(cs, fp1=NOT), BOTH_FACTORS)
    assert (d.grade, d.decided_by) == ("Fair", FAIR)
    assert d.trials[FAIR].checks == (Check("all significant Fair criteria met (3 of 3)", True),)


def test_significant_fair_partly_met_is_not_met_for_fair(fw2007: Framework) -> None:
    cs = area()
    d = run(fw2007, cs, judge(cs, fs2=PARTLY), BOTH_FACTORS)
    assert (d.grade, d.decided_by) == ("Poor", OTHERWISE)
    assert d.trials[FAIR].checks == (Check("all significant Fair criteria met (2 of 3)", False),)
    # partly met is not "not met": the well-short rule counts none
    assert d.trials[WELL_SHORT].checks == (Check("0 significant Fair criteria not met (rule: at least 3)", False),)


def test_all_met_everything_with_factors_is_excellent(fw2007: Framework) -> None:
    cs = area()
    d = run(fw2007, cs, judge(cs), BOTH_FACTORS)
    assert (d.grade, d.decided_by) == ("Excellent", EXCELLENT)
    assert [t.held for t in d.trials] == [False, False, True]


# --- dominant criteria ---------------------------------------------------------------------


@pytest.mark.parametrize("level", ["Fair", "Good", "Excellent"])
def test_dominant_not_met_is_poor_even_with_everything_else_met(fw2007: Framework, level: str) -> None:
    cs = area() + [crit("dom", level, dominant=True, significant=level == "Fair")]
    d = run(fw2007, cs, judge(cs, dom=NOT), BOTH_FACTORS)
    assert (d.grade, d.decided_by) == ("Poor", DOMINANT)
    assert d.explanation == fw2007.grading.rules[DOMINANT].explanation
    assert d.trials[DOMINANT].checks == (Check("a dominant criterion not met (dom)", True),)
    assert len(d.trials) == 1  # the first rule that holds stops the search


def test_dominant_failure_names_every_failed_dominant_criterion(fw2007: Framework) -> None:
    cs = [crit("d1", "Fair", dominant=True), crit("ok", "Fair", dominant=True), crit("d2", "Good", dominant=True)]
    d = run(fw2007, cs, {"d1": NOT, "ok": MET, "d2": NOT})
    assert d.trials[0].checks[0].text == "a dominant criterion not met (d1, d2)"


def test_dominant_partly_met_is_not_a_dominant_failure(fw2007: Framework) -> None:
    # a non-significant dominant Fair criterion, partly met: not all Fair met, so Fair (not Poor)
    cs = area() + [crit("dom", "Fair", dominant=True)]
    d = run(fw2007, cs, judge(cs, dom=PARTLY), BOTH_FACTORS)
    assert (d.grade, d.decided_by) == ("Fair", FAIR)
    assert d.trials[DOMINANT].checks == (Check("a dominant criterion not met", False),)


def test_dominant_good_criterion_partly_met_still_good(fw2007: Framework) -> None:
    cs = area(good=4)[:-1] + [crit("dom", "Good", dominant=True)]  # drop e1; Good = g1..g4 + dom
    d = run(fw2007, cs, judge(cs, g1=NOT, g2=NOT, dom=PARTLY))  # 2 + 0.5 of 5 = 50%: Fair
    assert (d.grade, d.decided_by) == ("Fair", FAIR)
    d = run(fw2007, cs, judge(cs, g1=NOT, dom=PARTLY))  # 3 + 0.5 of 5 = 70%: Good
    assert (d.grade, d.decided_by) == ("Good", GOOD)


# --- "well short": three or more significant Fair not met ----------------------------------


@pytest.mark.parametrize(
    ("not_met", "grade", "decided_by"),
    [
        (0, "Good", GOOD),
        (1, "Poor", OTHERWISE),
        (2, "Poor", OTHERWISE),  # Poor, but not by the well-short rule
        (3, "Poor", WELL_SHORT),
        (4, "Poor", WELL_SHORT),
    ],
)
def test_significant_fair_not_met(fw2007: Framework, not_met: int, grade: str, decided_by: int | None) -> None:
    cs = area(fair_sig=4)
    d = run(fw2007, cs, judge(cs, **{f"fs{i}": NOT for i in range(1, not_met + 1)}))
    assert (d.grade, d.decided_by) == (grade, decided_by)
    assert d.trials[WELL_SHORT].checks == (Check(f"{not_met} significant Fair criteria not met (rule: at least 3)", not_met >= 3),)


def test_three_significant_partly_met_is_not_well_short(fw2007: Framework) -> None:
    cs = area(fair_sig=4)
    d = run(fw2007, cs, judge(cs, fs1=PARTLY, fs2=PARTLY, fs3=PARTLY))
    assert (d.grade, d.decided_by) == ("Poor", OTHERWISE)
    assert d.explanation == "not all of the significant Fair criteria are met"


def test_well_short_counts_only_significant_criteria(fw2007: Framework) -> None:
    cs = area(fair_sig=2, fair_plain=3)
    d = run(fw2007, cs, judge(cs, fp1=NOT, fp2=NOT, fp3=NOT))
    assert (d.grade, d.decided_by) == ("Fair", FAIR)


@pytest.mark.parametrize(("significant_only", "grade"), [(True, "Fair"), (False, "Poor")])
def test_well_short_rule_built_to_count_every_criterion(significant_only: bool, grade: str) -> None:
    grading = Grading(
        rules=[
            Rule(
                grade="Poor",
                when=Conditions(not_met_at_least=NotMetAtLeast(level="Fair", count=2, significant_only=significant_only)),
                explanation="two Fair not met",
            ),
            Rule(grade="Fair", when=Conditions(all_significant_met=["Fair"]), explanation="significant met"),
        ],
        otherwise="Poor",
        otherwise_explanation="otherwise",
    )
    cs = [crit("s", "Fair", significant=True), crit("a", "Fair"), crit("b", "Fair")]
    d = derive(grading, ["Fair"], cs, {"s": MET, "a": NOT, "b": NOT})
    assert d.grade == grade
    kind = "significant " if significant_only else ""
    assert d.trials[0].checks[0].text == f"{0 if significant_only else 2} {kind}Fair criteria not met (rule: at least 2)"


# --- Excellent -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("good", "met", "partly", "grade"),
    [
        (5, 4, 0, "Excellent"),  # exactly 80% qualifies
        (4, 3, 0, "Good"),  # 75%
        (5, 3, 2, "Excellent"),  # 3 + 1 = 80%
        (5, 3, 1, "Good"),  # 70%
        (9, 7, 0, "Good"),  # 77.8%
        (10, 8, 0, "Excellent"),  # 80%
        (10, 7, 1, "Good"),  # 75%
        (10, 7, 2, "Excellent"),  # 80%
        (4, 4, 0, "Excellent"),
        (4, 3, 1, "Excellent"),  # 87.5%
    ],
)
def test_excellent_needs_at_least_80_percent_of_good(fw2007: Framework, good: int, met: int, partly: int, grade: str) -> None:
    cs = area(good=good)
    d = run(fw2007, cs, good_judged(cs, met, partly), BOTH_FACTORS)
    assert d.grade == grade
    assert d.decided_by == (EXCELLENT if grade == "Excellent" else GOOD)


@pytest.mark.parametrize(
    ("factors", "grade"),
    [
        ({"beacon": MET, "innovation": MET}, "Excellent"),
        ({"beacon": PARTLY, "innovation": MET}, "Good"),
        ({"beacon": MET, "innovation": PARTLY}, "Good"),
        ({"beacon": MET, "innovation": NOT}, "Good"),
        ({"beacon": MET}, "Good"),  # innovation not judged
        ({}, "Good"),
        (None, "Good"),
    ],
)
def test_excellent_needs_both_factors_met(fw2007: Framework, factors: dict[str, Judgement] | None, grade: str) -> None:
    cs = area()
    d = run(fw2007, cs, judge(cs), factors)
    assert d.grade == grade


def test_factor_checks_say_how_each_factor_was_judged(fw2007: Framework) -> None:
    cs = area()
    d = run(fw2007, cs, judge(cs), {"beacon": PARTLY})
    assert d.trials[EXCELLENT].checks[2:] == (Check("factor 'beacon' partly met", False), Check("factor 'innovation' not judged", False))


def test_excellent_still_needs_all_fair_met(fw2007: Framework) -> None:
    cs = area()
    d = run(fw2007, cs, judge(cs, fp1=PARTLY), BOTH_FACTORS)
    assert d.grade == "Fair"


# --- a different framework: other names, levels, thresholds -------------------------------

FOUR = ["Outstanding", "Good", "Requires improvement", "Inadequate"]


@pytest.fixture(scope="module")
def four_grade() -> Grading:
    return Grading(
        partly_met_weight=0.5,
        rules=[
            Rule(grade="Inadequate", when=Conditions(dominant_not_met=True), explanation="a critical expectation failed"),
            Rule(
                grade="Outstanding",
                when=Conditions(all_met=["Core", "Enhanced"], share_met=[ShareMet(level="Leading", at_least=0.75)], factors=["vision"]),
                explanation="core and enhanced in full, three quarters of leading, and a vision",
            ),
            Rule(
                grade="Good",
                when=Conditions(all_met=["Core"], share_met=[ShareMet(level="Enhanced", more_than=0.6)]),
                explanation="core in full and more than 60% of enhanced",
            ),
            Rule(grade="Requires improvement", when=Conditions(all_significant_met=["Core"]), explanation="significant core met"),
        ],
        otherwise="Inadequate",
        otherwise_explanation="significant core expectations not met",
    )


def four_area() -> list[Criterion]:
    return (
        [crit("c1", "Core", significant=True), crit("c2", "Core", significant=True), crit("c3", "Core", dominant=True)]
        + [crit(f"en{i}", "Enhanced") for i in range(1, 6)]
        + [crit(f"ld{i}", "Leading") for i in range(1, 5)]
    )


@pytest.mark.parametrize(
    ("overrides", "factors", "grade", "decided_by"),
    [
        ({}, {"vision": MET}, "Outstanding", 1),
        ({"ld1": NOT}, {"vision": MET}, "Outstanding", 1),  # 3 of 4 Leading = 75%: at least 75% holds
        ({"ld1": NOT, "ld2": PARTLY}, {"vision": MET}, "Good", 2),  # 62.5% Leading
        ({}, {"vision": PARTLY}, "Good", 2),
        ({"en1": PARTLY}, {"vision": MET}, "Good", 2),  # not all Enhanced met; 90% > 60%
        ({"en1": NOT, "en2": NOT}, {"vision": MET}, "Requires improvement", 3),  # exactly 60% is not more than 60%
        ({"en1": NOT, "en2": PARTLY}, {}, "Good", 2),  # 70%
        ({"c3": PARTLY}, {"vision": MET}, "Requires improvement", 3),  # dominant partly met: no failure
        ({"c3": NOT}, {"vision": MET}, "Inadequate", 0),
        ({"c1": NOT}, {"vision": MET}, "Inadequate", None),
    ],
)
def test_four_grade_scale_with_other_names(
    four_grade: Grading, overrides: dict[str, Judgement], factors: dict[str, Judgement], grade: str, decided_by: int | None
) -> None:
    cs = four_area()
    d = derive(four_grade, ["Core", "Enhanced", "Leading"], cs, judge(cs, **overrides), factors)
    assert (d.grade, d.decided_by) == (grade, decided_by)
    assert d.grade in FOUR
    expected = four_grade.otherwise_explanation if decided_by is None else four_grade.rules[decided_by].explanation
    assert d.explanation == expected
    assert [t.level for t in d.tallies] == ["Core", "Enhanced", "Leading"]


def test_four_grade_share_text_uses_its_own_levels_and_threshold(four_grade: Grading) -> None:
    cs = four_area()
    d = derive(four_grade, ["Core", "Enhanced", "Leading"], cs, judge(cs, ld1=NOT), {"vision": MET})
    assert d.trials[1].checks == (
        Check("all Core criteria met (3 of 3)", True),
        Check("all Enhanced criteria met (5 of 5)", True),
        Check("75% of Leading criteria met (rule: at least 75%)", True),
        Check("factor 'vision' met", True),
    )


# --- different thresholds, same judgements -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "good", "met", "partly", "factors", "grade"),
    [
        ({}, 4, 2, 1, None, "Good"),  # 62.5% > 50%
        ({"good_more_than": 0.625}, 4, 2, 1, None, "Fair"),  # 62.5% is not more than 62.5%
        ({"good_more_than": 0.6}, 4, 2, 1, None, "Good"),
        ({"weight": 0}, 4, 2, 1, None, "Fair"),  # partly met worth nothing: 50%
        ({"weight": 1}, 4, 1, 2, None, "Good"),  # partly met counted in full: 75% (Fair at 0.5)
        ({}, 4, 1, 2, None, "Fair"),
        ({}, 4, 3, 0, BOTH_FACTORS, "Good"),  # 75% < 80%
        ({"excellent_at_least": 0.75}, 4, 3, 0, BOTH_FACTORS, "Excellent"),
        ({"excellent_at_least": 0.9}, 5, 4, 0, BOTH_FACTORS, "Good"),
        ({"weight": 1, "excellent_at_least": 0.75}, 4, 2, 1, BOTH_FACTORS, "Excellent"),
    ],
)
def test_thresholds_come_from_the_framework(
    fw2007: Framework, change: dict[str, Any], good: int, met: int, partly: int, factors: dict[str, Judgement] | None, grade: str
) -> None:
    cs = area(good=good)
    d = derive(grading_2007_with(fw2007, **change), fw2007.levels, cs, good_judged(cs, met, partly), factors)
    assert d.grade == grade


def test_rule_order_decides(fw2007: Framework) -> None:
    """Moving the Good rule before Excellent means an all-met force with both factors is only Good."""
    data = fw2007.grading.model_dump()
    data["rules"][EXCELLENT], data["rules"][GOOD] = data["rules"][GOOD], data["rules"][EXCELLENT]
    cs = area()
    d = derive(Grading.model_validate(data), fw2007.levels, cs, judge(cs), BOTH_FACTORS)
    assert (d.grade, d.decided_by) == ("Good", 2)


# --- the derivation's record ---------------------------------------------------------------


def test_derivation_records_each_rule_tried(fw2007: Framework) -> None:
    cs = area()  # Fair: fs1..fs3 + fp1; Good: g1..g4; Excellent: e1
    d = run(fw2007, cs, judge(cs, g4=NOT), {"beacon": MET, "innovation": PARTLY})
    assert d.grade == "Good"
    assert d.decided_by == GOOD
    assert d.explanation == "all Fair criteria met in full and most (more than half) of the Good criteria met"
    assert [t.grade for t in d.trials] == ["Poor", "Poor", "Excellent", "Good"]
    assert [t.held for t in d.trials] == [False, False, False, True]
    assert [t.explanation for t in d.trials] == [r.explanation for r in fw2007.grading.rules[:4]]
    assert d.trials[DOMINANT].checks == (Check("a dominant criterion not met", False),)
    assert d.trials[WELL_SHORT].checks == (Check("0 significant Fair criteria not met (rule: at least 3)", False),)
    assert d.trials[EXCELLENT].checks == (
        Check("all Fair criteria met (4 of 4)", True),
        Check("75% of Good criteria met (rule: at least 80%)", False),
        Check("factor 'beacon' met", True),
        Check("factor 'innovation' partly met", False),
    )
    assert d.trials[GOOD].checks == (
        Check("all Fair criteria met (4 of 4)", True),
        Check("75% of Good criteria met (rule: more than 50%)", True),
    )
    assert d.tallies == (
        LevelTally("Fair", total=4, met=4, partly=0, not_met=0, significant=3, significant_met=3),
        LevelTally("Good", total=4, met=3, partly=0, not_met=1, significant=0, significant_met=0),
        LevelTally("Excellent", total=1, met=1, partly=0, not_met=0, significant=0, significant_met=0),
    )


def test_derivation_when_no_rule_holds(fw2007: Framework) -> None:
    cs = area()
    d = run(fw2007, cs, judge(cs, fs1=NOT))
    assert (d.grade, d.decided_by, d.explanation) == ("Poor", None, "not all of the significant Fair criteria are met")
    assert len(d.trials) == len(fw2007.grading.rules)
    assert not any(t.held for t in d.trials)
    assert d.trials[FAIR].checks == (Check("all significant Fair criteria met (2 of 3)", False),)


def test_trial_held_needs_every_check() -> None:
    from hmic_compile.derive.grading import RuleTrial

    assert RuleTrial("G", "e", (Check("a", True), Check("b", True))).held is True
    assert RuleTrial("G", "e", (Check("a", True), Check("b", False))).held is False


# --- tally -----------------------------------------------------------------------------------


def test_tally_counts_unjudged_as_not_met() -> None:
    cs = [
        crit("a", "Fair", significant=True),
        crit("b", "Fair", significant=True),
        crit("c", "Fair"),
        crit("d", "Fair", significant=True),
        crit("g", "Good"),
        crit("x", "Elsewhere"),  # a level not listed is not tallied
    ]
    fair, good, exc = tally(["Fair", "Good", "Excellent"], cs, {"a": MET, "b": PARTLY, "c": NOT})
    assert fair == LevelTally("Fair", total=4, met=1, partly=1, not_met=2, significant=3, significant_met=1)
    assert good == LevelTally("Good", total=1, met=0, partly=0, not_met=1, significant=0, significant_met=0)
    assert exc == LevelTally("Excellent", total=0, met=0, partly=0, not_met=0, significant=0, significant_met=0)


def test_unjudged_criteria_block_all_met(fw2007: Framework) -> None:
    cs = area()
    judged = judge(cs)
    del judged["fp1"]
    d = run(fw2007, cs, judged, BOTH_FACTORS)
    assert (d.grade, d.decided_by) == ("Fair", FAIR)
    del judged["fs1"]
    assert run(fw2007, cs, judged, BOTH_FACTORS).grade == "Poor"


@pytest.mark.parametrize(
    ("met", "partly", "total", "weight", "share"),
    [
        (2, 1, 4, 0.5, Fraction(5, 8)),
        (2, 1, 4, 0.0, Fraction(1, 2)),
        (2, 1, 4, 1.0, Fraction(3, 4)),
        (0, 3, 3, 0.5, Fraction(1, 2)),
        (1, 1, 3, 0.25, Fraction(5, 12)),
        (0, 0, 0, 0.5, Fraction(1)),  # an empty level counts as fully met
    ],
)
def test_level_share(met: int, partly: int, total: int, weight: float, share: Fraction) -> None:
    t = LevelTally("L", total=total, met=met, partly=partly, not_met=total - met - partly, significant=0, significant_met=0)
    assert t.share(weight) == share


# --- derive_area -----------------------------------------------------------------------------


def test_derive_area_reads_judgements_and_factors(fw2007: Framework) -> None:
    cs = area(good=4)
    ev = AreaEvidence(
        area="child-abuse",
        judgements=[CriterionJudgement(criterion=c.id, judgement=NOT if c.id == "g1" else MET) for c in cs],
        factors=[FactorJudgement(factor="beacon", judgement=MET), FactorJudgement(factor="innovation", judgement=MET)],
    )
    d = derive_area(fw2007, cs, ev)
    assert d is not None
    assert (d.grade, d.decided_by) == ("Good", GOOD)  # 75% of Good: short of Excellent's 80%
    ev2 = ev.model_copy(update={"judgements": [CriterionJudgement(criterion=c.id, judgement=MET) for c in cs]})
    d2 = derive_area(fw2007, cs, ev2)
    assert d2 is not None and d2.grade == "Excellent"


def test_derive_area_without_criteria_is_none(fw2007: Framework) -> None:
    assert derive_area(fw2007, [], AreaEvidence(area="pvp-overview")) is None
