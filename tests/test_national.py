"""The national picture: counts per grade in every shape the results come in, a force's position sentence, the cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from hmic_compile.derive.national import AreaResults, Cell, Shape, distribution, national_picture, note, picture, position
from hmic_compile.inputs.loader import load
from hmic_compile.inputs.models import NOT_INSPECTED, AreaDef, Framework, Grade, NationalResults
from hmic_compile.inputs.project import load_project

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


def with_areas(fw: Framework, *ids: str, grades: list[str] | None = None, forces: int | None = None) -> Framework:
    update: dict = {"areas": [AreaDef(id=i, name=i, title=i) for i in ids]}
    if grades:
        update["grades"] = [Grade(name=n) for n in grades]
    if forces:
        update["number_of_forces"] = forces
    return fw.model_copy(update=update)


@pytest.fixture(scope="module")
def four(fw: Framework) -> Framework:
    return with_areas(fw, "x", grades=["Outstanding", "Good", "Requires improvement", "Inadequate"])


def counts(framework: Framework, national: NationalResults, area: str) -> dict[str, int] | None:
    results = national_picture(framework, national).area(area)
    return dict(results.counts) if results else None


def area_results(row: dict[str, int], not_inspected: int = 0, number_of_forces: int | None = None) -> AreaResults:
    total = sum(row.values()) + not_inspected
    return AreaResults("x", tuple(row.items()), not_inspected, Shape.TOTALS, 0, number_of_forces or total)


# --- counts ------------------------------------------------------------------------------


def test_counts_from_totals_follow_the_scale_order(fw: Framework) -> None:
    nat = NationalResults(source="s", totals=TOTALS)
    row = counts(fw, nat, "neighbourhood-policing")
    assert row == {"Excellent": 6, "Good": 14, "Fair": 21, "Poor": 2}
    assert row is not None and list(row) == ["Excellent", "Good", "Fair", "Poor"]


def test_counts_from_totals_fill_missing_grades_with_zero(fw: Framework) -> None:
    nat = NationalResults(source="s", totals=TOTALS)
    assert counts(fw, nat, "missing-persons") == {"Excellent": 1, "Good": 21, "Fair": 21, "Poor": 0}


def test_an_area_without_national_results_has_none(fw: Framework) -> None:
    nat = NationalResults(source="s", totals=TOTALS)
    assert counts(fw, nat, "child-abuse") is None
    assert distribution(national_picture(fw, nat).area("child-abuse"), "Good") is None
    assert national_picture(fw, None).areas == {}


def test_an_ungraded_area_has_no_results(fw: Framework) -> None:
    nat = NationalResults(source="s", totals={"pvp-overview": {"Good": 43}})
    assert national_picture(fw, nat).area("pvp-overview") is None


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
    results = national_picture(fw, nat).area("missing-persons")
    assert results is not None and results.shape is Shape.FORCES and results.listed == 3


def test_each_area_has_its_own_shape(fw: Framework) -> None:
    """Totals for one area, per-force grades for another, both for a third: each area as it was published."""
    nat = NationalResults(
        source="s",
        totals={"neighbourhood-policing": TOTALS["neighbourhood-policing"], "child-abuse": {"Good": 2, "Fair": 41}},
        forces={"a": {"child-abuse": "Good", "domestic-violence": "Fair"}, "b": {"domestic-violence": "Poor"}},
    )
    areas = national_picture(fw, nat).areas
    assert {a: r.shape for a, r in areas.items()} == {
        "neighbourhood-policing": Shape.TOTALS,
        "child-abuse": Shape.BOTH,
        "domestic-violence": Shape.FORCES,
    }
    assert dict(areas["child-abuse"].counts) == {"Excellent": 0, "Good": 2, "Fair": 41, "Poor": 0}, "both: the totals are shown"
    assert areas["child-abuse"].listed == 1


def test_counts_use_the_frameworks_own_grade_names(four: Framework) -> None:
    nat = NationalResults(
        source="s", forces={"a": {"x": "Outstanding"}, "b": {"x": "Requires improvement"}, "c": {"x": "Requires improvement"}}
    )
    assert counts(four, nat, "x") == {"Outstanding": 1, "Good": 0, "Requires improvement": 2, "Inadequate": 0}


def test_not_inspected_is_counted_apart_from_the_grades(four: Framework) -> None:
    forces = {"a": {"x": "Good"}, "b": {"x": NOT_INSPECTED}, "c": {"x": "Good"}, "d": {"x": NOT_INSPECTED}, "e": {"x": "Inadequate"}}
    results = national_picture(four, NationalResults(source="s", forces=forces)).area("x")
    assert results is not None
    assert dict(results.counts) == {"Outstanding": 0, "Good": 2, "Requires improvement": 0, "Inadequate": 1}
    assert (results.inspected, results.not_inspected, results.accounted) == (3, 2, 5)
    totals = national_picture(four, NationalResults(source="s", totals={"x": {"Good": 16, "Inadequate": 14, NOT_INSPECTED: 13}})).area("x")
    assert totals is not None and (totals.inspected, totals.not_inspected) == (30, 13)


def test_the_picture_is_counted_once_per_framework() -> None:
    project, _ = load_project(ROOT, ["norfolk-2007"])
    fb = project.frameworks["2007"]
    assert picture(fb) is picture(fb)
    assert picture(fb).area("neighbourhood-policing") == national_picture(fb.framework, fb.national).area("neighbourhood-policing")


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
    assert position(area_results(row), grade) == sentence


def test_position_only_force_at_a_middle_grade() -> None:
    row = {"Excellent": 2, "Good": 1, "Fair": 3, "Poor": 1}
    assert position(area_results(row), "Good") == "graded Good, the only one of 7 forces; 2 were graded higher; 4 lower"


def test_position_only_force_of_all() -> None:
    assert position(area_results({"Excellent": 0, "Good": 0, "Fair": 1, "Poor": 0}), "Fair") == "graded Fair, the only force"


@pytest.mark.parametrize("grade", [None, "Outstanding", "fair"])
def test_position_without_a_grade_on_the_scale_is_empty(grade: str | None) -> None:
    assert position(area_results({"Excellent": 6, "Good": 14, "Fair": 21, "Poor": 2}), grade) == ""


def test_position_on_another_scale() -> None:
    row = {"Outstanding": 4, "Good": 20, "Requires improvement": 15, "Inadequate": 4}
    assert (
        position(area_results(row), "Requires improvement")
        == "graded Requires improvement, as were 15 of 43 forces; 24 were graded higher; 4 lower"
    )
    assert position(area_results(row), "Outstanding") == "graded Outstanding, as were 4 of 43 forces; 39 lower"


def test_position_for_a_grade_nobody_has() -> None:
    assert "the only one" not in position(area_results({"Excellent": 0, "Good": 10, "Fair": 33, "Poor": 0}), "Excellent")


def test_position_among_the_forces_inspected() -> None:
    """Some forces not inspected: the force is placed among those inspected, and the others are counted apart."""
    results = area_results({"Outstanding": 2, "Good": 16, "Requires improvement": 10, "Inadequate": 2}, not_inspected=13)
    assert position(results, "Good") == "graded Good, as were 16 of the 30 forces inspected; 2 were graded higher; 12 lower"
    assert position(results, "Inadequate") == "graded Inadequate, as were 2 of the 30 forces inspected; 28 were graded higher"
    assert note(results) == "13 of the 43 forces were not inspected in this area."


@pytest.mark.parametrize(
    ("not_inspected", "sentence"),
    [
        (13, "not inspected in this area, like 12 other forces"),
        (2, "not inspected in this area, like 1 other force"),
        (1, "the only force not inspected in this area"),
    ],
)
def test_position_of_a_force_not_inspected(not_inspected: int, sentence: str) -> None:
    results = area_results({"Good": 16, "Inadequate": 14}, not_inspected=not_inspected)
    assert position(results, None, not_inspected=True) == sentence


def test_thin_per_force_data_says_how_few_it_counts() -> None:
    results = area_results({"Good": 1, "Fair": 1}, number_of_forces=43)
    assert position(results, "Good") == "graded Good, the only one of the 2 forces listed; 1 lower"
    assert note(results) == "The national results list 2 of the 43 forces."
    assert note(area_results({"Good": 40, "Fair": 3})) == ""


# --- distribution --------------------------------------------------------------------------


def _dist(fw: Framework, nat: NationalResults, area: str, grade: str | None, not_inspected: bool = False):
    return distribution(national_picture(fw, nat).area(area), grade, not_inspected)


def test_distribution_from_totals(fw: Framework) -> None:
    d = _dist(fw, NationalResults(source="s", totals=TOTALS), "neighbourhood-policing", "Fair")
    assert d is not None
    assert d.area == "neighbourhood-policing"
    assert d.total == 43
    assert d.counted_from == "published totals"
    assert d.position == "graded Fair, as were 21 of 43 forces; 20 were graded higher; 2 lower"
    assert d.note == ""
    assert d.cells == (
        Cell("Excellent", 6, 14, False),  # 13.95%
        Cell("Good", 14, 33, False),  # 32.56%
        Cell("Fair", 21, 49, True),  # 48.84%
        Cell("Poor", 2, 5, False),  # 4.65%
    )


def test_distribution_percentages_performance_management(fw: Framework) -> None:
    d = _dist(fw, NationalResults(source="s", totals=TOTALS), "performance-management", "Good")
    assert d is not None
    assert [(c.grade, c.percent) for c in d.cells] == [("Excellent", 14), ("Good", 67), ("Fair", 19), ("Poor", 0)]
    assert [c.grade for c in d.cells if c.is_force] == ["Good"]


def test_distribution_without_a_force_grade(fw: Framework) -> None:
    d = _dist(fw, NationalResults(source="s", totals=TOTALS), "domestic-violence", None)
    assert d is not None
    assert d.position == ""
    assert not any(c.is_force for c in d.cells)
    assert [c.count for c in d.cells] == [1, 13, 27, 2]


def test_distribution_from_per_force_grades(fw: Framework) -> None:
    forces = {"a": {"x": "Good"}, "b": {"x": "Good"}, "c": {"x": "Fair"}, "d": {"x": "Excellent"}}
    d = _dist(with_areas(fw, "x", forces=4), NationalResults(source="s", forces=forces), "x", "Fair")
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


def test_distribution_percentages_are_of_the_forces_inspected(four: Framework) -> None:
    nat = NationalResults(source="s", totals={"x": {"Good": 3, "Inadequate": 1, NOT_INSPECTED: 4}})
    d = _dist(with_areas(four, "x", forces=8), nat, "x", "Good")
    assert d is not None
    assert [c.percent for c in d.cells] == [0, 75, 0, 25]
    assert (d.total, d.not_inspected, d.own_not_inspected) == (4, 4, False)
    mine = _dist(with_areas(four, "x", forces=8), nat, "x", None, not_inspected=True)
    assert mine is not None and mine.own_not_inspected and not any(c.is_force for c in mine.cells)
    assert mine.position == "not inspected in this area, like 3 other forces"


def test_distribution_per_force_for_an_area_nobody_lists(fw: Framework) -> None:
    nat = NationalResults(source="s", forces={"a": {"x": "Good"}})
    assert _dist(with_areas(fw, "x", "not-listed"), nat, "not-listed", "Good") is None
