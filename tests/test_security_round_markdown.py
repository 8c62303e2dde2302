"""The round's Markdown pages keep their structure in every dialect whatever the evidence's prose holds (issue 13,
item 5, for the pages of issue 16): case-study titles and outcomes, recommendations and titles reach them.

The hostile prose of tests/test_security_markdown.py goes into the mini project; its round is built; each
Markdown page is rendered by markdown-it, cmark-gfm and pandoc, and must have the headings, list items and
tables of the same page made from plain words, only the tags a report may have, only safe links, and as many
links more than its HTML page as the plain page has (the prose's own links show in both).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from hmic_compile.checks.project import check_project
from hmic_compile.inputs.project import load_project
from hmic_compile.report.build import BuildOptions
from hmic_compile.report.render import make_environment
from hmic_compile.report.round_record import force_record
from hmic_compile.report.site import round_files
from hmic_compile.report.view import build_report

from .test_security_markdown import ALLOWED, EVERY_FRAGMENT, FUZZ, MINI, RENDERERS, Hostile, hostile, outline, require_pandoc

PAGES = ("index", "by-grade", "good-practice", "recommendations")
SAFE = re.compile(r"^(?:https?:|mailto:|(?![a-z][a-z0-9+.-]*:))", re.I)  # a link of the web or mail, or within the site
PLAIN = Hostile(*["Plain words"] * 9)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("round-markdown") / "mini"
    shutil.copytree(MINI, dest)
    return dest


def round_pages(root: Path, h: Hostile) -> dict[str, bytes]:
    h.write(root)
    project, diags = load_project(root)
    check_project(project, diags)
    assert not diags.errors, [d.text() for d in diags.errors]
    forces = sorted(project.forces.values(), key=lambda fo: fo.key)
    records = [force_record(fo, project.framework_for(fo), build_report(project, fo)) for fo in forces]
    return round_files(project.frameworks["2024"], records, make_environment(None, root), BuildOptions(("md", "html")))


def shape(md: str, html: str, render) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    got, page = outline(render(md)), outline(html[html.index("<main") :])
    assert set(got.tags) <= ALLOWED | {"colgroup", "col"}, set(got.tags) - ALLOWED
    bad = [href for href, _ in got.links if not SAFE.match(href)] + [a for a in got.autolinks if not SAFE.match(a)]
    assert not bad, bad
    return [n for n, _ in got.headings], got.items, got.tags["table"], len(got.links) - len(page.links)


@settings(
    max_examples=80 if FUZZ else 8,
    deadline=None,
    derandomize=not FUZZ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(hostile())
@example(Hostile(*[EVERY_FRAGMENT] * 7, EVERY_FRAGMENT.replace("\n", " "), EVERY_FRAGMENT))
@example(Hostile(*["x\n\n```\n<script>alert(1)</script>\n```\n[x]: javascript:alert(1)\n[x]"] * 7, "[x] ##", "a | b\n--- | ---"))
def test_hostile_prose_keeps_the_round_pages_structure_in_every_dialect(root: Path, h: Hostile) -> None:
    require_pandoc()
    plain, files = round_pages(root, PLAIN), round_pages(root, h)
    assert b"Plain words" in plain["good-practice.md"] and b"Plain words" in plain["recommendations.md"]
    for page in PAGES:
        md, html = files[f"{page}.md"].decode("utf-8"), files[f"{page}.html"].decode("utf-8")
        clean_md, clean_html = plain[f"{page}.md"].decode("utf-8"), plain[f"{page}.html"].decode("utf-8")
        for name, render in RENDERERS.items():
            assert shape(md, html, render) == shape(clean_md, clean_html, render), f"{name} rendering of {page}.md"
