"""Every problem in one run: a schema error in one file never hides the problems of any other, and what
rests on a file that cannot be read at all is said once."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app

from .conftest import REPO

MINI = REPO / "tests" / "fixtures" / "mini"
FORCE = "evidence/testshire-2024"

# (file, text as it is, text with the mistake): each a different kind of problem, in different files.
MISTAKES = {
    "schema error in an area file (a judgement value)": (
        f"{FORCE}/public-contact.yaml",
        "    judgement: partly met\n",
        "    judgement: partly-met\n",
    ),
    "schema error in a criteria file (a misspelt key)": (
        "criteria/2024/areas/vulnerable-people.yaml",
        "    significant: true\n    dominant: true\n",
        "    signifcant: true\n    dominant: true\n",
    ),
    "schema error in force.yaml (a required key missing)": (
        f"{FORCE}/force.yaml",
        "month: March\n",
        "",
    ),
    "unknown criterion": (f"{FORCE}/vulnerable-people.yaml", "  - criterion: vp-g3\n", "  - criterion: vp-g9\n"),
    "dangling citation": (f"{FORCE}/vulnerable-people.yaml", "evidence: [vp-missing-searches]", "evidence: [vp-missing-search]"),
    "misspelt grade": (f"{FORCE}/vulnerable-people.yaml", "grade: Requires improvement\n", "grade: Requires improvment\n"),
    "national mismatch": (
        "criteria/2024/national-results.yaml",
        "testshire: {public-contact: Good,",
        "testshire: {public-contact: Outstanding,",
    ),
    "glossary miss": (
        f"{FORCE}/force.yaml",
        "    - Testshire is a small, mostly rural county with one city.\n",
        "    - Testshire is a small, mostly rural county with one city.\n    - ANPR cameras watch every main road.\n",
    ),
}

# What each mistake must produce, as (file, code) — found on the first run, all together.
EXPECTED = {
    (f"{FORCE}/public-contact.yaml", "E106"),
    ("criteria/2024/areas/vulnerable-people.yaml", "E104"),
    (f"{FORCE}/force.yaml", "E103"),
    (f"{FORCE}/vulnerable-people.yaml", "E403"),
    (f"{FORCE}/vulnerable-people.yaml", "E401"),  # vp-g3, no longer judged
    (f"{FORCE}/vulnerable-people.yaml", "E404"),
    (f"{FORCE}/vulnerable-people.yaml", "E302"),
    ("criteria/2024/national-results.yaml", "E507"),
    (f"{FORCE}/force.yaml", "E603"),
}


def _project(tmp_path: Path, names: list[str], name: str = "p") -> Path:
    root = tmp_path / name
    shutil.copytree(MINI, root)
    for key in names:
        rel, old, new = MISTAKES[key]
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{key}: the mini project changed"
        path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def _validate(root: Path, *args: str) -> tuple[int, list[str]]:
    r = CliRunner().invoke(app, ["validate", "--root", str(root), *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, r.stderr.splitlines()[:-2]  # the summary line and what was checked aside


def _file_and_code(line: str) -> tuple[str, str]:
    m = re.match(r"^(.+?)(?::\d+:\d+)?: (?:error|warning)\[(\w+)\]", line)
    assert m, line
    return m.group(1), m.group(2)


def test_every_planted_mistake_is_reported_on_the_first_run(tmp_path: Path) -> None:
    code, lines = _validate(_project(tmp_path, list(MISTAKES)))
    assert code == 1
    found = {_file_and_code(line) for line in lines}
    assert found == EXPECTED, "\n".join(lines)


def test_together_they_give_exactly_what_each_gives_alone(tmp_path: Path) -> None:
    """No mistake hides another, and none makes another look worse than it is."""

    def unplaced(lines: list[str]) -> list[str]:  # one mistake can move another's column
        return sorted(re.sub(r":\d+:\d+: ", ": ", line, count=1) for line in lines)

    alone: set[str] = set()
    for i, key in enumerate(MISTAKES):
        code, lines = _validate(_project(tmp_path, [key], f"alone{i}"))
        assert code == 1 and lines, key
        alone |= set(unplaced(lines))
    _, together = _validate(_project(tmp_path, list(MISTAKES), "together"))
    assert unplaced(together) == sorted(alone)


def test_a_misspelt_key_is_read_as_the_key_it_was_meant_to_be(tmp_path: Path) -> None:
    root = _project(tmp_path, [])
    path = root / FORCE / "vulnerable-people.yaml"
    text = path.read_text(encoding="utf-8").replace("strengths:", "strenghts:").replace("[vp-missing-searches]", "[vp-missing-serches]")
    path.write_text(text, encoding="utf-8")
    _, lines = _validate(root)
    # The items under the misspelt key still count: the only citation reported is the one really dangling.
    assert [_file_and_code(line) for line in lines] == [
        (f"{FORCE}/vulnerable-people.yaml", "E104"),
        (f"{FORCE}/vulnerable-people.yaml", "E404"),
    ]
    assert "unknown key 'strenghts' (did you mean 'strengths'?)" in lines[0]
    assert ":24:" in lines[1] and "did you mean 'vp-missing-searches'?" in lines[1], lines[1]


def test_an_entry_in_error_still_counts_as_there(tmp_path: Path) -> None:
    """A strength whose text is missing is still cited; a judgement whose value is misspelt is still a judgement."""
    root = _project(tmp_path, [])
    path = root / FORCE / "vulnerable-people.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    text: Call handlers assess risk on every domestic abuse call.\n", "")
    text = text.replace(
        "    judgement: not met\n    evidence: [vp-no-evaluation]", "    judgement: not-met\n    evidence: [vp-no-evaluation]"
    )
    path.write_text(text, encoding="utf-8")
    _, lines = _validate(root)
    assert [_file_and_code(line)[1] for line in lines] == ["E103", "E106"], "\n".join(lines)


def test_an_unreadable_area_file_is_said_once_and_the_rest_is_checked(tmp_path: Path) -> None:
    root = _project(tmp_path, ["dangling citation", "misspelt grade", "glossary miss"])
    (root / FORCE / "public-contact.yaml").write_text("area: public-contact\njudgements: [\n", encoding="utf-8")
    _, lines = _validate(root)
    codes = [_file_and_code(line) for line in lines]
    assert (f"{FORCE}/public-contact.yaml", "E002") in codes
    assert (f"{FORCE}/vulnerable-people.yaml", "E302") in codes and (f"{FORCE}/force.yaml", "E603") in codes
    # The citation that is not found may be of an item in the unreadable file: said once, not called dangling.
    notes = [line for line in lines if "[W802]" in line]
    assert len(notes) == 1 and "'vp-missing-search'" in notes[0] and "public-contact.yaml could not be read" in notes[0]
    assert not any("[E404]" in line for line in lines)


def test_an_unreadable_criteria_file_leaves_the_citations_checked(tmp_path: Path) -> None:
    root = _project(tmp_path, ["dangling citation"])
    (root / "criteria/2024/areas/vulnerable-people.yaml").write_text("criteria:\n\t- id: x\n", encoding="utf-8")
    _, lines = _validate(root)
    codes = [_file_and_code(line) for line in lines]
    assert codes == [
        ("criteria/2024/areas/vulnerable-people.yaml", "E002"),
        (f"{FORCE}/vulnerable-people.yaml", "W801"),
        (f"{FORCE}/vulnerable-people.yaml", "E404"),
    ], "\n".join(lines)


@pytest.mark.parametrize("broken", ["unreadable", "schema"])
def test_a_broken_framework_leaves_each_force_file_checked_against_its_schema(tmp_path: Path, broken: str) -> None:
    root = _project(tmp_path, ["schema error in an area file (a judgement value)"])
    fw = root / "criteria/2024/framework.yaml"
    if broken == "unreadable":
        fw.write_text("year: [2024\n", encoding="utf-8")
    else:
        fw.write_text(re.sub(r"(?m)^number_of_forces: .*\n", "", fw.read_text(encoding="utf-8")), encoding="utf-8")
    _, lines = _validate(root)
    codes = [_file_and_code(line) for line in lines]
    assert (f"{FORCE}/public-contact.yaml", "E106") in codes, "\n".join(lines)
    notes = [line for line in lines if "[W800]" in line]
    assert len(notes) == 1 and "checked against the schema only: criteria/2024/framework.yaml has errors" in notes[0]


def test_an_unreadable_force_file_takes_the_framework_from_the_folder_name(tmp_path: Path) -> None:
    root = _project(tmp_path, ["dangling citation"])
    (root / FORCE / "force.yaml").write_text("name: [Testshire\n", encoding="utf-8")
    _, lines = _validate(root)
    codes = [_file_and_code(line) for line in lines]
    assert (f"{FORCE}/force.yaml", "E002") in codes and (f"{FORCE}/vulnerable-people.yaml", "E404") in codes, "\n".join(lines)


def test_a_hint_lists_a_handful_of_choices(tmp_path: Path) -> None:
    root = _project(tmp_path, ["dangling citation"])
    path = root / FORCE / "public-contact.yaml"
    many = "".join(f"  - id: pc-extra-{i}\n    text: Item {i}.\n" for i in range(300))
    path.write_text(path.read_text(encoding="utf-8").replace("work_in_progress:\n", "work_in_progress:\n" + many), encoding="utf-8")
    _, lines = _validate(root)
    (line,) = [line for line in lines if "[E404]" in line]
    assert line.endswith("expected one of: vp-missing-searches, vp-risk-assessment, vp-no-evaluation and 304 more"), line
    assert len(line) < 300


def test_a_key_in_error_is_not_taken_for_one_left_out(tmp_path: Path) -> None:
    """'inspected' and 'publisher' written but in error: their files' errors say so, not a missing grade or publisher."""
    root = _project(tmp_path, [])
    area = root / FORCE / "public-contact.yaml"
    area.write_text(area.read_text(encoding="utf-8").replace("grade: Good\n", "inspected: nope\n"), encoding="utf-8")
    force = root / FORCE / "force.yaml"
    text = re.sub(r"(?m)^publisher: .*$", "publisher: [a, b]", force.read_text(encoding="utf-8"))
    force.write_text(text, encoding="utf-8")
    _, lines = _validate(root)
    assert [_file_and_code(line) for line in lines] == [(f"{FORCE}/force.yaml", "E102"), (f"{FORCE}/public-contact.yaml", "E105")], (
        "\n".join(lines)
    )


def test_a_force_not_inspected_is_checked_against_the_national_results_in_a_file_with_errors(tmp_path: Path) -> None:
    root = _project(tmp_path, ["schema error in an area file (a judgement value)"])
    area = root / FORCE / "vulnerable-people.yaml"
    text = area.read_text(encoding="utf-8")
    area.write_text(text[: text.index("judgements:")].replace("grade: Requires improvement\n", "inspected: false\n"), encoding="utf-8")
    _, lines = _validate(root)
    codes = [_file_and_code(line) for line in lines]
    assert (f"{FORCE}/public-contact.yaml", "E106") in codes
    (e510,) = [line for line in lines if "[E510]" in line]
    assert "give 'testshire' Requires improvement for 'vulnerable-people', but its evidence says not inspected" in e510


def test_a_near_miss_national_key_is_found_when_force_yaml_gave_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path, [])
    (root / FORCE / "force.yaml").write_text("name: [Testshire\n", encoding="utf-8")
    national = root / "criteria/2024/national-results.yaml"
    national.write_text(national.read_text(encoding="utf-8").replace("  testshire: {", "  testshire-2024: {"), encoding="utf-8")
    _, lines = _validate(root)
    (e512,) = [line for line in lines if "[E512]" in line]
    assert "this key is 'testshire-2024'; did you mean 'testshire'?" in e512, "\n".join(lines)
