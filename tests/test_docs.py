"""The documentation keeps up with the code."""

from __future__ import annotations

import re

from .conftest import REPO


def test_every_diagnostic_code_is_documented() -> None:
    used = set()
    for path in (REPO / "src" / "hmic_compile").rglob("*.py"):
        used |= set(re.findall(r'"([EW]\d{3})"', path.read_text(encoding="utf-8")))
    documented = set(re.findall(r"^\| ([EW]\d{3}) \|", (REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8"), re.M))
    assert sorted(used - documented) == [], "codes used but not in docs/diagnostics.md"
    assert sorted(documented - used) == [], "codes documented but no longer used"


def test_readme_quickstart_is_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make report", "make test"]
