"""National comparison: counts per grade, a force's position sentence, and the distribution cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from hmic_compile.derive.national import Cell, counts, distribution, position
from hmic_compile.inputs.loader import load
from hmic_compile.inputs.models import Framework, Grade, NationalResults

ROOT = Path(__file__).parent.parent

# The published 2007 totals (criteria/2007/national-results.yaml), restated here so the tests build their own data.
TOTALS = {
    "neighbourhood-policing": {"Excellent": 6, "Good": 14, "Fair": 21, "Poor": 2},
    "performance-management": {"Excellent": 6, "Good": 29, "Fair": 8, "Poor": 0},
    "domestic-violence": {"Excellent": 1, "Good": 13, "Fair": 27, "Poor": 2},
    "missing-persons": {"Excellent": 1, "Good": 21, "Fair": 21},  # Poor omitted: counts as 0
}


@pytest.fixture(scope="module")
def fw() -> Framework:
    return Framework.model_validate(load(ROOT / "criteria" / "2007" / "framework.yaml", ROOT).data)


@pytest.fixture(scope="module")
def four(fw: Framework) -> Framework:
    names = ["Outstanding", "Good", "Requires improvement", "Inadequate"]
    return fw.model_copy(update={"grades": [Grade(name=n) for n in names]})


# --- counts --------------------------------------------------------------------------------


def test_counts_from_totals_follow_the_scale_order(fw: Framework) -> None:
    nat = NationalResults(source="s", totals=TOTALS)
    row = counts(fw, nat, "neighbourhood-policing")
    assert row == {"Excellent": 6, "Good": 14, "Fair": 21, "Poor": 2}
    assert list(row) == ["Excellent", "Good", "Fair", "Poor"]


def test_counts_from_totals_fill_missing_grades_with_zero(fw: Framework) -> None:
    nat = NationalResults(source="s", totals=TOTALS)
    assert counts(fw, nat, "missing-persons") == {"Excellent": 1, "Good": 21, "Fair": 21, "Poor": 0}


def test_counts_for_an_area_without_totals_is_none(fw: Framework) -> None:
    nat = NationalResults(source="s", totals=TOTALS)
    assert counts(fw, nat, "child-abuse") is None
    assert distribution(fw, nat, "child-abuse", "Good") is None


def test_counts_from_per_force_grades(fw: Framework) -> None:
    forces = {
        "a": {"child-abuse": "Good", "missing-persons": "Fair"},
        "b": {"child-abuse": "Good", "missing-persons": "Excellent"},
        "c": {"child-abuse": "Poor", "missing-persons": "Fair"},
        "d": {"child-abuse": "Excellent"},
    }
    nat = NationalResults(source="s", forces=forces)
    assert counts(fw, nat, "child-abuse") == {"Excellent": 1, "Good": 2, "Fair": 0, "Poor": 1}
    assert counts(fw, nat, "missing-persons") == {"Excellent": 1, "Good": 0, "Fair": 2, "Poor": 0}


def test_per_force_grades_take_precedence_over_totals(fw: Framework) -> None:
    nat = NationalResults(source="s", totals=TOTALS, forces={"a": {"neighbourhood-policing": "Poor"}})
    assert counts(fw, nat, "neighbourhood-policing") == {"Excellent": 0, "Good": 0, "Fair": 0, "Poor": 1}


def test_counts_use_the_frameworks_own_grade_names(four: Framework) -> None:
    nat = NationalResults(
        source="s", forces={"a": {"x": "Outstanding"}, "b": {"x": "Requires improvement"}, "c": {"x": "Requires improvement"}}
    )
    assert counts(four, nat, "x") == {"Outstanding": 1, "Good": 0, "Requires improvement": 2, "Inadequate": 0}


# --- position ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "grade", "sentence"),
    [
        ("neighbourhood-policing", "Fair", "graded Fair, as were 21 of 43 forces; 20 were graded higher; 2 lower"),
        ("neighbourhood-policing", "Excellent", "graded Excellent, as were 6 of 43 forces; 37 lower"),  # best: no "higher"
        ("neighbourhood-policing", "Poor", "graded Poor, as were 2 of 43 forces; 41 were graded higher"),  # worst: no "lower"
        ("performance-management", "Good", "graded Good, as were 29 of 43 forces; 6 were graded higher; 8 lower"),
        ("performance-management", "Fair", "graded Fair, as were 8 of 43 forces; 35 were graded higher"),  # 0 Poor: no "lower"
        ("domestic-violence", "Excellent", "graded Excellent, the only one of 43 forces; 42 lower"),
        ("domestic-violence", "Good", "graded Good, as were 13 of 43 forces; 1 was graded higher; 29 lower"),  # singular
        ("missing-persons", "Good", "graded Good, as were 21 of 43 forces; 1 was graded higher; 21 lower"),
    ],
)
def test_position_sentence(fw: Framework, area: str, grade: str, sentence: str) -> None:
    row = {g.name: TOTALS[area].get(g.name, 0) for g in fw.grades}
    assert position(fw, row, grade) == sentence


def test_position_only_force_at_a_middle_grade(fw: Framework) -> None:
    row = {"Excellent": 2, "Good": 1, "Fair": 3, "Poor": 1}
    assert position(fw, row, "Good") == "graded Good, the only one of 7 forces; 2 were graded higher; 4 lower"


def test_position_only_force_of_all(fw: Framework) -> None:
    assert position(fw, {"Excellent": 0, "Good": 0, "Fair": 1, "Poor": 0}, "Fair") == "graded Fair, the only one of 1 forces"


@pytest.mark.parametrize("grade", [None, "Outstanding", "fair"])
def test_position_without_a_grade_on_the_scale_is_empty(fw: Framework, grade: str | None) -> None:
    assert position(fw, {"Excellent": 6, "Good": 14, "Fair": 21, "Poor": 2}, grade) == ""


def test_position_on_another_scale(four: Framework) -> None:
    row = {"Outstanding": 4, "Good": 20, "Requires improvement": 15, "Inadequate": 4}
    assert (
        position(four, row, "Requires improvement")
        == "graded Requires improvement, as were 15 of 43 forces; 24 were graded higher; 4 lower"
    )
    assert position(four, row, "Outstanding") == "graded Outstanding, as were 4 of 43 forces; 39 lower"


def test_position_for_a_grade_nobody_has(fw: Framework) -> None:
    assert "the only one" not in position(fw, {"Excellent": 0, "Good": 10, "Fair": 33, "Poor": 0}, "Excellent")


# --- distribution --------------------------------------------------------------------------


def test_distribution_from_totals(fw: Framework) -> None:
    nat = NationalResults(source="s", totals=TOTALS)
    d = distribution(fw, nat, "neighbourhood-policing", "Fair")
    assert d is not None
    assert d.area == "neighbourhood-policing"
    assert d.total == 43
    assert d.counted_from == "published totals"
    assert d.position == "graded Fair, as were 21 of 43 forces; 20 were graded higher; 2 lower"
    assert d.cells == (
        Cell("Excellent", 6, 14, False),  # 13.95%
        Cell("Good", 14, 33, False),  # 32.56%
        Cell("Fair", 21, 49, True),  # 48.84%
        Cell("Poor", 2, 5, False),  # 4.65%
    )


def test_distribution_percentages_performance_management(fw: Framework) -> None:
    d = distribution(fw, NationalResults(source="s", totals=TOTALS), "performance-management", "Good")
    assert d is not None
    assert [(c.grade, c.percent) for c in d.cells] == [("Excellent", 14), ("Good", 67), ("Fair", 19), ("Poor", 0)]
    assert [c.grade for c in d.cells if c.is_force] == ["Good"]


def test_distribution_without_a_force_grade(fw: Framework) -> None:
    d = distribution(fw, NationalResults(source="s", totals=TOTALS), "domestic-violence", None)
    assert d is not None
    assert d.position == ""
    assert not any(c.is_force for c in d.cells)
    assert [c.count for c in d.cells] == [1, 13, 27, 2]


def test_distribution_from_per_force_grades(fw: Framework) -> None:
    forces = {"a": {"x": "Good"}, "b": {"x": "Good"}, "c": {"x": "Fair"}, "d": {"x": "Excellent"}}
    d = distribution(fw, NationalResults(source="s", forces=forces), "x", "Fair")
    assert d is not None
    assert d.counted_from == "per-force grades"
    assert d.total == 4
    assert [(c.grade, c.count, c.percent, c.is_force) for c in d.cells] == [
        ("Excellent", 1, 25, False),
        ("Good", 2, 50, False),
        ("Fair", 1, 25, True),
        ("Poor", 0, 0, False),
    ]
    assert d.position == "graded Fair, the only one of 4 forces; 3 were graded higher"


def test_distribution_per_force_for_an_area_nobody_lists(fw: Framework) -> None:
    nat = NationalResults(source="s", forces={"a": {"x": "Good"}})
    assert distribution(fw, nat, "not-listed", "Good") is None
