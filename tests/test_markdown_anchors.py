"""report.md navigates: every link of its contents, and each summary table's link to an area, lands on
its heading, on GitHub and in pandoc.

Neither renderer reads ids written in the Markdown, so each derives them from the headings' text
(report/md_anchors.py). Resolved here two ways: markdown-it-py with its anchors plugin given GitHub's own
algorithm (html-pipeline's TableOfContentsFilter: a repeated id gets -1, -2, ... by count), written apart from
hmic's, and `pandoc -f gfm` itself."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

from hmic_compile.checks.project import load_checked
from hmic_compile.report.build import BuildOptions, build_force
from hmic_compile.report.md_anchors import Ids, github_id, headings
from hmic_compile.report.render import make_environment
from hmic_compile.report.view import build_report

from .conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "frameworks"
ROOTS = {
    "norfolk-2007": REPO,
    "testshire-2024": REPO / "tests" / "fixtures" / "mini",
    **{f.name: fw for fw in sorted(FIXTURES.iterdir()) if fw.is_dir() for f in sorted((fw / "evidence").iterdir()) if f.is_dir()},
}
PANDOC = shutil.which("pandoc")
LINK = re.compile(r"\]\(#([^)\s]+)\)")


@cache
def _md(force: str, numbered: bool = False) -> str:
    root = ROOTS[force]
    project, _ = load_checked(root, [force])
    files = build_force(project, project.forces[force], make_environment(None, root), BuildOptions(("md",), numbered=numbered))
    return files["report.md"].decode("utf-8")


def _contents_links(md: str) -> list[str]:
    contents = md.split("\n## Contents\n", 1)[1].split("\n## ", 1)[0]
    links = LINK.findall(contents)
    assert links, "the contents has links"
    return links


def _in_page_links(md: str) -> list[str]:
    """Every in-page link of report.md: the contents, and the summary tables' areas (each table row's first cell)."""
    links = LINK.findall(md)
    rows = re.findall(r"^\| \[[^\n]*?\]\(#([^)\s]+)\)", md, re.M)
    assert rows and set(rows) <= set(links), "the summary tables link their areas"
    return links


def github_ids(md: str) -> list[str]:
    """The ids GitHub gives the headings (html-pipeline's TableOfContentsFilter): by count, no look at earlier ids."""
    seen: dict[str, int] = {}

    def slug(text: str) -> str:
        base = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(base, 0)
        seen[base] = n + 1
        return f"{base}-{n}" if n else base

    parser = MarkdownIt("commonmark").enable("table")
    anchors_plugin(parser, min_level=1, max_level=6, slug_func=slug)
    return [t.attrGet("id") for t in parser.parse(md) if t.type == "heading_open"]  # type: ignore[misc]


@pytest.mark.parametrize("force", sorted(ROOTS))
def test_every_contents_link_lands_on_a_heading(force: str) -> None:
    md = _md(force)
    links = _contents_links(md)
    ids = github_ids(md)
    assert len(set(ids)) == len(ids), "two headings with one id: a link to it would land on the first"
    missing = [link for link in links if link not in ids]
    assert not missing, f"contents links to no heading: {missing}"
    if force == "norfolk-2007":
        assert len(links) == 23


@pytest.mark.parametrize("force", sorted(ROOTS))
def test_the_headings_walked_are_the_headings_written(force: str) -> None:
    """md_anchors walks report.md's headings as the template writes them (a grade's name is a bold line, a case
    study's parts are headings): the ids it gives are GitHub's for every heading, in order, none left out."""
    project, _ = load_checked(ROOTS[force], [force])
    ids = Ids()
    ours = [ids.next(text) for _, text in headings(build_report(project, project.forces[force]))]
    assert ours == github_ids(_md(force))


@pytest.mark.parametrize("force", sorted(ROOTS))
def test_every_summary_link_lands_on_its_areas_heading(force: str) -> None:
    """The national and force summaries link each area to the heading the contents links it to."""
    md = _md(force)
    ids = github_ids(md)
    links = _in_page_links(md)
    missing = [link for link in links if link not in ids]
    assert not missing, f"links to no heading: {missing}"
    summary = re.findall(r"^\| \[[^\n]*?\]\(#([^)\s]+)\)", md, re.M)
    assert set(summary) <= set(_contents_links(md)), "an area's summary link is its contents link"


def _require_pandoc() -> str:
    if PANDOC is None:
        if os.environ.get("HMIC_REQUIRE_PANDOC"):
            pytest.fail("pandoc is required here (HMIC_REQUIRE_PANDOC is set) but not installed: apt-get install pandoc")
        pytest.skip("pandoc is not installed (apt-get install pandoc); .ci/run installs it")
    return PANDOC


@pytest.mark.parametrize(("force", "numbered"), [(f, False) for f in sorted(ROOTS)] + [("norfolk-2007", True)])
def test_pandoc_resolves_every_contents_link(force: str, numbered: bool, tmp_path: Path) -> None:
    pandoc = _require_pandoc()
    md = _md(force, numbered)
    source = tmp_path / "report.md"
    source.write_text(md, encoding="utf-8")
    html = subprocess.run([pandoc, "-f", "gfm", "-t", "html", str(source)], capture_output=True, text=True, check=True, timeout=120).stdout
    ids = set(re.findall(r'<h[1-6] id="([^"]+)"', html))
    missing = [link for link in _in_page_links(md) if link not in ids]
    assert not missing, f"pandoc gives no heading these ids: {missing}"


# Headings that try the rules: punctuation dropped (an en dash leaves two hyphens), marks and letters of any
# alphabet kept, repeats numbered, a heading whose own text looks like a repeat's id.
TRICKY = [
    "Protecting Vulnerable People – Child Abuse",
    "Über Café: naïve façade",
    "A & B (v2.0)",
    "Strengths",
    "Strengths",
    "Strengths 1",
    "snake_case here",
    "1. First",
]


def test_ids_of_tricky_headings_are_pandocs(tmp_path: Path) -> None:
    pandoc = _require_pandoc()
    ids = Ids()
    ours = [ids.next(t) for t in TRICKY]
    assert ours[:4] == ["protecting-vulnerable-people--child-abuse", "über-café-naïve-façade", "a--b-v20", "strengths"]
    assert ours[4:6] == ["strengths-1", "strengths-1"], "repeats are counted per id, as GitHub and pandoc count them"
    source = tmp_path / "h.md"
    # Each heading written as report.md writes it (md_escape: a line-leading "1." escaped).
    source.write_text("".join(f"## {t.replace('1. ', '1' + chr(92) + '. ')}\n\n" for t in TRICKY), encoding="utf-8")
    html = subprocess.run([pandoc, "-f", "gfm", "-t", "html", str(source)], capture_output=True, text=True, check=True, timeout=120).stdout
    assert re.findall(r'<h2 id="([^"]+)"', html) == ours


def test_the_check_can_fail() -> None:
    """A contents link to a heading's HTML anchor (what report.md linked to before) is found missing."""
    md = _md("norfolk-2007")
    broken = md.replace("](#protecting-vulnerable-people--child-abuse)", "](#child-abuse)")
    assert "child-abuse" not in github_ids(broken) and "child-abuse" in _contents_links(broken)
    assert github_id("Findings") == "findings"
