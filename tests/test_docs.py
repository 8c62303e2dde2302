"""The documentation keeps up with the code."""

from __future__ import annotations

import re
from pathlib import Path

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


def _anchor(heading: str) -> str:
    """A Markdown heading's anchor, as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_anchor(h) for h in re.findall(r"(?m)^#+ (.*)$", page.read_text(encoding="utf-8"))}


def test_every_local_link_of_the_docs_leads_somewhere() -> None:
    broken = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = page.parent / path if path else page
            if not linked.is_file():
                broken.append(f"{page.name}: {target}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{page.name}: {target}: no such heading")
    # The code and templates name the page that documents them (docs/round.md): it must exist.
    for source in [*(REPO / "src").rglob("*.py"), *(REPO / "templates").rglob("*.j2")]:
        for ref in sorted(set(re.findall(r"docs/[a-z-]+\.md", source.read_text(encoding="utf-8")))):
            if not (REPO / ref).is_file():
                broken.append(f"{source.relative_to(REPO)}: {ref}: no such file")
    assert broken == []
