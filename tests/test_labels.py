"""Labels are a closed, documented set with neutral defaults: 2007's words live in 2007's framework, not in hmic."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.inputs.loader import load
from hmic_compile.inputs.models import AreaLabels, Framework, Labels
from hmic_compile.report.labels import DEFAULT_LABELS

from .conftest import REPO

WORDS_OF_2007 = ("HMIC", "Her Majesty", "Specific Grading Criteria", "SGC", "INSPECTION AREA", "FORCE CONTACT", "PROBLEM:",
                 "SOLUTION:", "OUTCOME(S)", "TITLE:", "Developing Practice", "judgements", "baseline", "2007", "Norfolk")  # fmt: skip


def _documented() -> dict[str, tuple[str, str]]:
    """docs/format.md's table of labels: key -> (default, where it may be set)."""
    text = (REPO / "docs" / "format.md").read_text(encoding="utf-8")
    section = text.split("## Labels", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| .*? \| (.*?) \| (.*?) \|$", section, re.M)
    return {key: (default, where) for key, default, where in rows}


def test_every_label_has_a_default_and_every_default_a_label() -> None:
    assert set(Labels.model_fields) == set(DEFAULT_LABELS)
    assert set(AreaLabels.model_fields) < set(Labels.model_fields)


def test_docs_list_every_label_with_its_default_and_where_it_may_be_set() -> None:
    documented = _documented()
    assert set(documented) == set(DEFAULT_LABELS), "docs/format.md's Labels table and report/labels.py differ"
    for key, (default, where) in documented.items():
        assert default == DEFAULT_LABELS[key], f"{key}: documented default {default!r}, hmic's is {DEFAULT_LABELS[key]!r}"
        assert ("area" in where) == (key in AreaLabels.model_fields), f"{key}: documented as set in {where!r}"


def test_hmic_s_own_words_are_neutral() -> None:
    for key, text in DEFAULT_LABELS.items():
        for words in WORDS_OF_2007:
            assert words not in text, f"the default of {key} is 2007's: {text!r}"


def test_2007_s_framework_carries_its_own_words() -> None:
    fw = Framework.model_validate(load(REPO / "criteria" / "2007" / "framework.yaml", REPO).data)
    assert fw.labels.running_title == "HMIC Inspection Report"
    assert fw.labels.case_study_area == "INSPECTION AREA:" and fw.labels.case_study_contact == "FORCE CONTACT:"
    assert fw.publisher == "Her Majesty's Inspectorate of Constabulary"


@pytest.mark.parametrize("name", ["report.html.j2", "report.md.j2", "_blocks.html.j2", "_blocks.md.j2", "report.css", "report.grades.css"])
def test_templates_hold_no_2007_words(name: str) -> None:
    text = (REPO / "templates" / name).read_text(encoding="utf-8")
    for words in WORDS_OF_2007:
        assert words not in text, f"templates/{name} says {words!r}"


@pytest.mark.parametrize("command", [[], ["validate"], ["grade"], ["build"], ["new"], ["new", "force"], ["new", "framework"]])
def test_help_names_no_2007_grading_terms(command: list[str]) -> None:
    out = CliRunner().invoke(app, [*command, "--help"]).output
    for words in ("HMIC", "Specific Grading Criteria", "SGC", "Excellent factor"):
        assert words not in out, f"hmic {' '.join(command)} --help says {words!r}"


def test_a_misspelt_label_is_refused_with_a_suggestion() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="strenghts"):
        AreaLabels.model_validate({"strenghts": "Strengths"})
