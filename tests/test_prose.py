"""Prose rendering: the plain-text fast path gives exactly what markdown-it gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hmic_compile.checks.words import capitalised_words
from hmic_compile.inputs.project import load_project
from hmic_compile.report.prose import Abbreviations, Renderer, _needs_parser, make_markdown

from .conftest import REPO

PROJECTS = [(REPO, "norfolk-2007"), (REPO / "tests" / "fixtures" / "mini", "testshire-2024")]


def _strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data.strip()] if data.strip() else []
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return []


def _markdown_it(r: Renderer, text: str) -> str:
    md, env = make_markdown(), {"abbr": r.abbr}
    return md.renderer.render(md.parse(text, env), md.options, env).strip()


@pytest.mark.parametrize(("root", "key"), PROJECTS)
def test_fast_path_equals_markdown_it_on_every_real_string(root: Path, key: str) -> None:
    project, _ = load_project(root, [key])
    fo = project.forces[key]
    r = Renderer({t.term: t.meaning for t in fo.glossary.terms})
    strings = [s for d in project.documents() for s in _strings(d.data)]
    plain = [s for s in strings if not _needs_parser(s)]
    assert len(plain) > 0.9 * len(strings)  # the fast path is the common path
    for s in strings:
        assert str(r.html_block(s)) == _markdown_it(r, s), s
        full = _markdown_it(r, s)
        one_paragraph = full.startswith("<p>") and full.endswith("</p>") and full.count("<p>") == 1
        assert str(r.html_inline(s)) == (full[3:-4] if one_paragraph else full), s


@pytest.mark.parametrize(
    "text",
    [
        'He said "stop" & left',
        "Use <b>",
        "a **bold** move",
        "x_y_z",
        "tab\there",
        "two  spaces",
        "trailing ",
        "CPUs and CPU's and PCSOs",
        "ACPO-led",
        "pre-ACPO",
        "MoPI and ViSOR",
        "S",
        "SNTS",
    ],
)
def test_fast_path_equals_markdown_it_on_edge_cases(text: str) -> None:
    r = Renderer(
        {
            "CPU": "Child protection unit",
            "ACPO": 'Association of "Chief" Police Officers',
            "PCSO": "p",
            "MoPI": "m",
            "ViSOR": "v",
            "SNT": "s",
        }
    )
    assert str(r.html_block(text)) == _markdown_it(r, text)


def test_terms_that_are_not_plain_words_use_the_full_pattern() -> None:
    a = Abbreviations({"A1": "first", "B-2": "second", "CPU": "c"})
    assert a.rx is not None
    assert [t for _, _, t in a.find("A1 and B-2 and CPUs")] == ["A1", "B-2", "CPU"]


_REFERENCE_WORD = re.compile(r"(?<![\w-])[A-Z][a-z]*[A-Z][A-Za-z]*(?![\w-])")


@pytest.mark.parametrize(
    "text",
    ["SNT", "xSNT", "SNTx1", "SNT_", "_SNT", "-SNT", "SNT-led", "ÉSNT", "SNTé", "MoPI, ViSOR.", "AbC dEF GhIJk", "A B", "ABC1 ABC", ""],
)
def test_capitalised_words_equal_the_look_behind_pattern(text: str) -> None:
    assert list(capitalised_words(text)) == [m.span() for m in _REFERENCE_WORD.finditer(text)]


@given(st.text(alphabet="ABCabc_-1 .é\u00c9\n", max_size=40))
def test_capitalised_words_equal_the_look_behind_pattern_on_any_text(text: str) -> None:
    assert list(capitalised_words(text)) == [m.span() for m in _REFERENCE_WORD.finditer(text)]


@given(st.text(alphabet="ab \t\n*_[]&<>!\\\u00a0\u2003", max_size=12))
def test_needs_parser_equals_the_single_pattern(text: str) -> None:
    reference = re.compile(r"[\\*_`\[\]!<>&\n\r\t~|]|^\s|\s$|  ")
    assert _needs_parser(text) == bool(reference.search(text))
