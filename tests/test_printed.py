"""checks/printed.py: what the checks take from a file's whole printed text, kept between runs by its content."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.checks import printed as printed_module
from hmic_compile.checks.printed import Printed, printed, version
from hmic_compile.cli import app
from hmic_compile.inputs.cache import Facts, ParseCache
from hmic_compile.inputs.loader import load, parse

from .conftest import MINI, REPO

runner = CliRunner()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each text whose capitalised words are worked out from now on."""
    seen: list[str] = []
    real = printed_module.candidates

    def counting(text: str):  # type: ignore[no-untyped-def]
        seen.append(text)
        return real(text)

    monkeypatch.setattr(printed_module, "candidates", counting)
    return seen


def test_a_files_facts_are_worked_out_once_for_its_content(tmp_path: Path, counted: list[str]) -> None:
    doc = load(REPO / "evidence" / "norfolk-2007" / "neighbourhood-policing.yaml", REPO, ParseCache(tmp_path))
    first = printed(doc, Facts(tmp_path, version()))
    assert first.markup > 0 and ("PCSO", "PCSOs") in first.words and len(counted) == 1
    again = printed(doc, Facts(tmp_path, version()))  # a later run: from the cache
    assert again == first == printed(doc) and len(counted) == 2  # the last one without the cache, worked out
    printed(doc, Facts(tmp_path, "another version"))  # another version of the code starts afresh
    assert len(counted) == 3


def test_a_text_with_no_file_behind_it_is_never_kept(tmp_path: Path, counted: list[str]) -> None:
    doc = parse("summary: 'The SNT met the PCSOs: all of them.'\n", "evidence/x-2024/force.yaml")  # an editor's unsaved text: no SHA-256
    facts = Facts(tmp_path, version())
    assert printed(doc, facts) == printed(doc, facts) == Printed(1, frozenset({("SNT", "SNT"), ("PCSO", "PCSOs")}))
    assert len(counted) == 2 and not (tmp_path / "facts").exists()


@pytest.mark.parametrize("kept", [("not", "facts"), (3, ["a", "list"]), 7, None])
def test_a_kept_value_of_another_shape_is_worked_out_again(tmp_path: Path, counted: list[str], kept: object) -> None:
    doc = load(MINI / "evidence" / "testshire-2024" / "force.yaml", MINI, ParseCache(tmp_path))
    facts = Facts(tmp_path, version())
    facts.put(doc.sha256, kept)
    assert printed(doc, facts) == printed(doc) and len(counted) == 2


def test_the_glossary_check_says_the_same_from_kept_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "p"
    shutil.copytree(MINI, root)
    glossary = root / "evidence" / "testshire-2024" / "glossary.yaml"
    terms = glossary.read_text(encoding="utf-8")
    monkeypatch.setenv("HMIC_CACHE_DIR", str(tmp_path / "cache"))
    said = []
    for extra in ("", "\n", "\n\n"):  # each run a new digest (nothing remembered of the last), the other files' facts kept
        glossary.write_text(terms.replace("terms:\n", "terms:\n  - term: ZZQ\n    meaning: never used\n", 1) + extra, encoding="utf-8")
        result = runner.invoke(app, ["validate", "--root", str(root), "--format", "json"])
        said.append((result.exit_code, [(d["code"], d["message"]) for d in json.loads(result.output)["diagnostics"]]))
    assert said[0] == said[1] == said[2]
    assert ("W604", "glossary term 'ZZQ' is never used in the report") in said[0][1]
    assert any((tmp_path / "cache" / "facts").iterdir())
