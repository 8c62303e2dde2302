"""The HTML report as a reader's browser shows it: Debian's chromium, headless."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.inputs.project import load_project

from .conftest import REPO
from .test_coverage import html_text

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

pytestmark = pytest.mark.chromium


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("HMIC_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required (HMIC_REQUIRE_CHROMIUM is set) but not installed: apt-get install chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    return CHROMIUM


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    result = CliRunner().invoke(app, ["build", "norfolk-2007", "--root", str(REPO), "--out", str(out), "--format", "html"])
    assert result.exit_code == 0, result.output
    return out / "norfolk-2007" / "report.html"


def _run(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_rendered_text_holds_every_area_and_grade(chromium: str, report: Path, tmp_path: Path) -> None:
    proc = _run(chromium, tmp_path, "--dump-dom", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "<main" in proc.stdout, "chromium did not load the report"
    text = " ".join(html_text(proc.stdout).split())
    project, _ = load_project(REPO, ["norfolk-2007"])
    fo = project.forces["norfolk-2007"]
    fw = project.framework_for(fo).framework
    for area in fw.areas:
        ev = fo.areas[area.id]
        if area.graded:
            assert re.search(re.escape(area.title) + r" Grade " + re.escape(ev.grade), text), f"{area.title}: grade {ev.grade} not shown"
        else:
            assert area.title in text


@pytest.mark.parametrize(("name", "size"), [("desktop", "1280,2000"), ("phone", "390,1600")])
def test_screenshot_renders(chromium: str, report: Path, tmp_path: Path, name: str, size: str) -> None:
    png = tmp_path / f"{name}.png"
    proc = _run(chromium, tmp_path, f"--window-size={size}", f"--screenshot={png}", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert width == int(size.split(",")[0])
    assert len(data) > 20_000, "the screenshot is (nearly) blank"


# --- the round's pages (templates/round/) ----------------------------------------------------------

ROUND_PAGES = ["index.html", "by-grade.html", "good-practice.html", "recommendations.html"]
MEASURE = (
    '<script>addEventListener("load", function () { var d = document.documentElement;'
    ' document.body.setAttribute("data-fits",'
    ' d.scrollWidth <= innerWidth ? "yes" : "no " + d.scrollWidth + " > " + innerWidth); });</script>'
)


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("rounds")
    projects = {"2007": REPO, "quality-2019": REPO / "tests" / "fixtures" / "frameworks" / "seven-grade"}
    for key, root in projects.items():
        result = CliRunner().invoke(app, ["build", "--root", str(root), "--out", str(out / key), "--format", "html"])
        assert result.exit_code == 0, result.output
    return {key: out / key / key for key in projects}


@pytest.mark.parametrize("width", [320, 390, 1280])
@pytest.mark.parametrize("key", ["2007", "quality-2019"])
def test_round_pages_never_scroll_sideways(chromium: str, rounds: dict[str, Path], tmp_path: Path, key: str, width: int) -> None:
    # A copy of each page with a measuring script (the pages themselves carry none, and their CSP forbids one).
    for name in ROUND_PAGES:
        page = rounds[key] / name
        probe = page.with_name(f".probe-{width}-{name}")
        text = page.read_text(encoding="utf-8").replace('<meta http-equiv="Content-Security-Policy"', '<meta name="was-csp"')
        probe.write_text(text.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
        proc = _run(chromium, tmp_path, f"--window-size={width},900", "--virtual-time-budget=2000", "--dump-dom", probe.as_uri())
        probe.unlink()
        assert proc.returncode == 0, proc.stderr[-2000:]
        measured = re.findall(r'data-fits="([^"]*)"', proc.stdout) or ["not measured"]
        assert 'data-fits="yes"' in proc.stdout, f"{name} at {width}px: {measured[0]}"


@pytest.mark.parametrize(("name", "size"), [("desktop", "1280,2400"), ("phone", "390,2400")])
def test_round_screenshot_renders(chromium: str, rounds: dict[str, Path], tmp_path: Path, name: str, size: str) -> None:
    png = tmp_path / f"round-{name}.png"
    proc = _run(chromium, tmp_path, f"--window-size={size}", f"--screenshot={png}", (rounds["2007"] / "index.html").as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == int(size.split(",")[0])
    assert len(data) > 40_000, "the screenshot is (nearly) blank"
