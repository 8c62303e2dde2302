"""Every scale of 2 to 7 grades styled by position: contrast by WCAG's formula, computed from the CSS and SVG hmic writes,
and every grade told apart in black and white (its badge's border, its bar's pattern)."""

from __future__ import annotations

import itertools
import re
from types import SimpleNamespace

import pytest

from hmic_compile.checks.project import load_checked
from hmic_compile.report.build import BuildOptions, build_force
from hmic_compile.report.palette import BADGES, PATTERNS, RAMP, colour, styles
from hmic_compile.report.render import make_environment

from .conftest import REPO


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of #rrggbb (or #rgb)."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_formula() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)  # the grey that just fails 4.5:1


CSS = (REPO / "templates" / "report.css").read_text(encoding="utf-8")
ROOT_VARS = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-f]{3,6})", CSS.split(":root", 1)[1].split("}", 1)[0]))
BACKGROUNDS = {"paper": ROOT_VARS["paper"], "tint": ROOT_VARS["tint"]}  # what badges and charts sit on


def grades_css(n: int) -> str:
    env = make_environment(None, REPO)
    names = [f"Grade {i}" for i in range(1, n + 1)]
    return env.get_template("report.grades.css").render(report=SimpleNamespace(styles=styles(names)))


def rules(css: str, media_print: bool = False) -> dict[int, dict[str, str]]:
    """`.grade-N { ... }` declarations, on screen or in print."""
    screen, _, printed = css.partition("@media print")
    out: dict[int, dict[str, str]] = {}
    for rank, body in re.findall(r"\.grade-(\d+) \{([^}]*)\}", printed if media_print else screen):
        decls = dict((k.strip(), v.replace("!important", "").strip()) for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d))
        out.setdefault(int(rank), {}).update(decls)
    return out


@pytest.mark.parametrize("n", range(2, 8))
def test_badge_text_and_borders_meet_wcag(n: int) -> None:
    rs = rules(grades_css(n))
    assert sorted(rs) == list(range(1, n + 1)), "a rule for every grade"
    for rank, d in rs.items():
        ink = d["color"]
        fill = d.get("background")
        if fill:
            assert contrast(ink, fill) >= 4.5, f"scale of {n}, grade {rank}: text {ink} on {fill}"
            for where, bg in BACKGROUNDS.items():
                assert contrast(fill, bg) >= 3, f"scale of {n}, grade {rank}: badge {fill} on the {where}"
        else:
            for where, bg in BACKGROUNDS.items():
                assert contrast(ink, bg) >= 4.5, f"scale of {n}, grade {rank}: text {ink} on the {where}"
                assert contrast(d.get("border-color", ink), bg) >= 3, f"scale of {n}, grade {rank}: border on the {where}"


@pytest.mark.parametrize("n", range(2, 8))
def test_every_grade_has_its_own_colour_and_its_own_badge_in_black_and_white(n: int) -> None:
    rs = rules(grades_css(n))
    printed = rules(grades_css(n), media_print=True)
    colours = [d["color"] if "background" not in d else d["background"] for d in rs.values()]
    assert len(set(colours)) == n, f"scale of {n}: two grades share a colour"

    def shape(rank: int) -> tuple[str, ...]:
        d = rs[rank]
        filled = rank in printed and "#000" in printed[rank].get("background", "")
        return (d.get("border-style", "solid"), d.get("border-width", "2px"), d.get("border", ""), str(filled))

    shapes = [shape(r) for r in rs]
    assert len(set(shapes)) == n, f"scale of {n}: two badges look alike in black and white: {shapes}"
    for rank in printed:  # a filled badge prints white on black
        if "background" in printed[rank]:
            assert contrast(printed[rank]["background"], printed[rank]["color"]) >= 4.5


def test_colours_run_from_best_to_worst() -> None:
    assert [colour(r, 4) for r in range(1, 5)] == ["#0b5d1e", "#2e7d32", "#8a5a00", "#a4161a"], "2007's four colours, kept"
    for n in range(2, 8):
        assert colour(1, n) == RAMP[0] and colour(n, n) == RAMP[-1], "the best and the worst at the ends of the ramp"
        ranks = [RAMP.index(colour(r, n)) for r in range(1, n + 1)]
        assert ranks == sorted(set(ranks)), "in order, never repeated"
    assert len(set(BADGES)) == len(BADGES) and len(set(PATTERNS)) == len(PATTERNS)


def _built_html(root, force: str) -> str:
    project, _ = load_checked(root, [force])
    return build_force(project, project.forces[force], make_environment(None, root), BuildOptions(("html",)))["report.html"].decode()


@pytest.mark.parametrize(
    ("root", "force"),
    [
        (REPO, "norfolk-2007"),
        (REPO / "tests/fixtures/frameworks/three-grade", "northfield-2015"),
        (REPO / "tests/fixtures/frameworks/peel-2021", "wessex-2021"),
        (REPO / "tests/fixtures/frameworks/seven-grade", "riverside-2019"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_chart_bars_stand_out_from_the_chart_and_differ_by_pattern(root, force: str) -> None:
    html = _built_html(root, force)
    svgs = re.findall(r"(?s)<svg class=\"chart\".*?</svg>", html)
    assert svgs
    figure_background = ROOT_VARS["tint"]  # figure.distribution, on screen; white in print and the PDF
    assert "figure.distribution {" in html and "background: var(--tint)" in html
    for svg in svgs:
        bars = re.findall(r'<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="(#[0-9a-f]{6})"', svg)
        assert bars, "each bar filled with its grade's own colour"
        assert len(set(bars)) == len(bars)
        for fill in bars:
            for bg in (figure_background, BACKGROUNDS["paper"]):
                assert contrast(fill, bg) >= 3, f"{force}: bar {fill} on {bg}"
        for stroke in re.findall(r'stroke="(#[0-9a-f]{6})"', svg):
            assert contrast(stroke, figure_background) >= 3
        patterns = re.findall(r'fill="url\(#[a-z0-9-]+-([a-z]+)\)"', svg)
        assert len(patterns) == len(bars) - 1, "every bar but the best has a pattern of white marks"
        assert len(set(patterns)) == len(patterns)
        assert all(contrast("#ffffff", fill) >= 3 for fill in bars), "the marks show on every bar"


def test_a_scale_gets_as_many_styles_as_grades() -> None:
    for n in range(2, 8):
        ss = styles([f"g{i}" for i in range(n)])
        assert [s.rank for s in ss] == list(range(1, n + 1))
        assert all(a.colour != b.colour and a.pattern != b.pattern for a, b in itertools.combinations(ss, 2))
