"""Every golden diagnostic reads as a sentence for a person: no Python None, repr or object address leaks into it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BROKEN = Path(__file__).resolve().parent / "broken"
GOLDEN = sorted(BROKEN.glob("*/expected*.txt"))

# What Python shows of itself: None, a repr's quotes and escapes, an object's address, a class or a container.
LEAKS = {
    "None": re.compile(r"\bNone\b"),
    # A placeholder in a hint, '<force>-<year>', is a lower-case word in angle brackets; a repr never is.
    "an object or class": re.compile(r"<(?![a-z][a-z_-]*>)|object at 0x|\bclass '"),
    # A name that is not UTF-8 shows each undecodable byte as safe_line does, '\udce9' (E212): that is hmic's
    # escaping of what it prints, not a repr; any other escape is.
    "a repr's escape": re.compile(r"\\(?!udc[89a-f][0-9a-f])[xuUnrt]"),
    "a container's repr": re.compile(r"\['|\{'[^']*': |\(\)|\[\]|\{\}"),
    "a traceback": re.compile(r"Traceback|Error\(|Exception\("),
}


def test_there_are_golden_diagnostics() -> None:
    assert len(GOLDEN) >= 50


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_python_leaks_into_a_message(path: Path) -> None:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for what, pattern in LEAKS.items():
            assert not pattern.search(line), f"{path.parent.name}/{path.name}:{n} shows {what}: {line}"


@pytest.mark.parametrize(
    "line",
    [
        "x.yaml:1:1: error[E507]: gives 'a' None for 'b'",
        "x.yaml:1:1: error[E100]: <hmic_compile.inputs.models.Grade object at 0x7f>",
        "x.yaml:1:1: error[E106]: expected <Judgement.MET: 'met'>",
        "x.yaml:1:1: error[E012]: key 'grade\\u200b' contains invisible characters",
        "x.yaml:1:1: error[E104]: expected one of ['a', 'b']",
        "x.yaml:1:1: error[E104]: unknown key 'a\\x1b'",
    ],
)
def test_the_check_catches_what_it_looks_for(line: str) -> None:
    assert any(p.search(line) for p in LEAKS.values())


def test_the_check_lets_a_name_not_utf8_through() -> None:
    line = "evidence/t\\udce9stshire-2024: error[E212]: the folder's name is not valid UTF-8, so it is not read"
    assert not any(p.search(line) for p in LEAKS.values())


def test_the_check_lets_a_placeholder_through() -> None:
    line = "evidence/x.yaml: warning[W211]: 'x.yaml' is not read: a force is a folder evidence/<force>-<year>/"
    assert not any(p.search(line) for p in LEAKS.values())
