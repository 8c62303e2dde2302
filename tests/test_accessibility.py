"""Every page a build writes, as a reader's browser shows it, meets WCAG 2.2 AA: axe-core (pinned in
.ci/node/package.json) run in Debian's chromium at 320, 390 and 1280 CSS pixels, with zero violations.

Built and checked: Norfolk 2007 and every fixture framework's forces (tests/fixtures/frameworks/), each as
published, as a --draft and --numbered; every .html file under the output folder is checked, so pages a
build adds (a framework's national pages) are checked too. Beside axe: no horizontal scrolling at any
width (WCAG 1.4.10), chart bars and grade badges at 3:1 against what is around them (1.4.11), a caption
on every table, landmarks each named apart, and no request leaving the page.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app

from .cdp import Browser, Page
from .conftest import REPO

pytestmark = pytest.mark.chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = REPO / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
WIDTHS = (320, 390, 1280)
FIXTURES = REPO / "tests" / "fixtures" / "frameworks"
PROJECTS = {"norfolk-2007": REPO, **{p.name: p for p in sorted(FIXTURES.iterdir()) if p.is_dir()}}
VARIANTS = {"published": [], "draft": ["--draft"], "numbered": ["--numbered"]}


def _required(why: str) -> None:
    if os.environ.get("HMIC_REQUIRE_CHROMIUM"):
        pytest.fail(f"{why}, but the browser checks are required here (HMIC_REQUIRE_CHROMIUM is set)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def axe() -> str:
    if not AXE.is_file():
        _required("axe-core is not installed: npm ci --prefix .ci/node (as .ci/run does)")
    pinned = json.loads((REPO / ".ci" / "node" / "package.json").read_text(encoding="utf-8"))["dependencies"]["axe-core"]
    installed = json.loads((AXE.parent / "package.json").read_text(encoding="utf-8"))["version"]
    assert installed == pinned, f"axe-core {installed} is installed, {pinned} pinned: npm ci --prefix .ci/node"
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if CHROMIUM is None:
        _required("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    tmp = tmp_path_factory.mktemp("chromium")
    b = Browser(str(CHROMIUM), tmp / "profile", tmp / "chromium.log")
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def page(browser: Browser) -> Page:
    return browser.page()


def built_pages(project: str, variant: str, out: Path) -> list[Path]:
    """Build every force of `project` as `variant`, and every HTML page the build wrote."""
    args = ["build", "--root", str(PROJECTS[project]), "--out", str(out), "--format", "html", *VARIANTS[variant]]
    if project == "norfolk-2007":
        args.insert(1, "norfolk-2007")
    result = CliRunner().invoke(app, args, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert result.exit_code == 0, result.output
    pages = sorted(out.rglob("*.html"))
    assert pages, f"the build of {project} wrote no HTML page"
    rounds = {p.parent.name for p in pages if p.name == "by-grade.html"}  # the framework's round (OUT/<framework>/)
    assert len(rounds) == 1 and {p.name for p in pages if p.parent.name in rounds} >= {"index.html", "good-practice.html"}, pages
    return pages


RUN_AXE = (
    "axe.run(document, %s).then(r => JSON.stringify(r.violations.map("
    "v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))))"
)

CHECKS = (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8")  # wider(), contrast(), tables()


def _check(page: Page, name: str) -> Any:
    return page.evaluate(f"{CHECKS}; hmicChecks.{name}()")


# Each landmark's role and name, from the accessibility tree the browser gives assistive technology.
LANDMARK_ROLES = {"banner", "complementary", "contentinfo", "form", "main", "navigation", "region", "search"}


def _landmarks(page: Page) -> list[tuple[str, str]]:
    nodes = page.send("Accessibility.getFullAXTree")["nodes"]
    out = []
    for n in nodes:
        role = n.get("role", {}).get("value")
        if role in LANDMARK_ROLES and not n.get("ignored"):
            out.append((role, n.get("name", {}).get("value", "")))
    return out


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_every_page_passes_axe_at_every_width(project: str, variant: str, page: Page, axe: str, tmp_path: Path) -> None:
    problems = []
    options = json.dumps({"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    for path in built_pages(project, variant, tmp_path / "out"):
        shown = path.relative_to(tmp_path / "out").as_posix()
        for width in WIDTHS:
            requests = page.load(path, width)
            page.evaluate(axe + ";0")
            violations = json.loads(page.evaluate(RUN_AXE % options, wait=True))
            problems += [f"{shown} at {width}px: {v['id']} ({v['help']}): {'; '.join(v['nodes'][:3])}" for v in violations]
            size = _check(page, "wider")
            if size["scroll"] > size["window"]:
                problems.append(f"{shown} at {width}px scrolls sideways: {size['scroll']}px wide, by {size['wider']}")
            outside = [u for u in [*requests, *page.requests()] if u != path.as_uri() and not u.startswith("data:")]
            if outside:
                problems.append(f"{shown} at {width}px requested {outside}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("variant", ["published", "numbered"])
@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_graphics_contrast_captions_and_landmarks(project: str, variant: str, page: Page, tmp_path: Path) -> None:
    problems = []
    for path in built_pages(project, variant, tmp_path / "out"):
        shown = path.relative_to(tmp_path / "out").as_posix()
        page.load(path, 1280)
        graphics, tables = _check(page, "contrast"), _check(page, "tables")
        if path.name == "report.html":
            assert any(g["what"].startswith("badge") for g in graphics), f"{shown}: no grade badge found"
        if tables["charts"]:
            assert any(g["what"].startswith("chart bar") for g in graphics), f"{shown}: no chart bar found"
        problems += [f"{shown}: {g['what']} is {g['ratio']:.2f}:1 against its background, under 3:1" for g in graphics if g["ratio"] < 3]
        if tables["uncaptioned"]:
            problems.append(f"{shown}: {tables['uncaptioned']} tables without a caption")
        if tables["unreachable"]:
            problems.append(f"{shown}: {tables['unreachable']} table boxes the keyboard cannot reach or that are not named")
        landmarks = _landmarks(page)
        assert ("main", "") in landmarks or any(r == "main" for r, _ in landmarks), f"{shown}: no main landmark"
        repeated = sorted({lm for lm in landmarks if landmarks.count(lm) > 1})
        if repeated:
            problems.append(f"{shown}: landmarks not told apart: {repeated}")
    assert not problems, "\n".join(problems)


def test_a_page_that_breaks_the_rules_is_caught(page: Page, axe: str, tmp_path: Path) -> None:
    """The checks can fail: a page with an unlabelled image, a wide line and two landmarks of one name fails each."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
        '<section aria-label="x"><p>a</p></section><section aria-label="x"><p>b</p></section>'
        '<div style="width: 600px">wide</div><svg role="img" width="10" height="10"></svg>'
        '<span class="grade" style="border: 2px solid #ddd">Good</span><table><tr><td>1</td></tr></table></main></body></html>',
        encoding="utf-8",
    )
    page.load(bad, 320)
    page.evaluate(axe + ";0")
    ids = {v["id"] for v in json.loads(page.evaluate(RUN_AXE % json.dumps({"runOnly": {"type": "tag", "values": AXE_TAGS}}), wait=True))}
    assert {"landmark-unique", "svg-img-alt"} <= ids, ids
    assert _check(page, "wider")["scroll"] > 320
    assert [g for g in _check(page, "contrast") if g["ratio"] < 3], "a pale badge border passes the contrast check"
    assert _check(page, "tables")["uncaptioned"] == 1
    assert len(set(_landmarks(page))) < len(_landmarks(page))
