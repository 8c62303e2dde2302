"""The distribution chart: label widths are upper bounds of the real fonts, and no two labels ever overlap, on any scale."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmic_compile.derive.chart_text import FONT_PX, MAX_GRADES, MAX_LABEL_PX, char_width, text_width
from hmic_compile.derive.national import Cell, Distribution
from hmic_compile.report.chart import BASELINE, CHART_W, LINE_H, Chart, chart, label_boxes, turned_corners
from hmic_compile.report.palette import styles

FONTS = Path("/usr/share/fonts/truetype")
FACES = [
    FONTS / "liberation" / "LiberationSans-Regular.ttf",
    FONTS / "liberation" / "LiberationSans-Bold.ttf",
    FONTS / "dejavu" / "DejaVuSans.ttf",
    FONTS / "dejavu" / "DejaVuSans-Bold.ttf",
]


def _fonts() -> list[Path]:
    try:
        import fontTools  # noqa: F401  (WeasyPrint's dependency)
    except ImportError:
        pytest.skip("fontTools is not installed (it comes with WeasyPrint)")
    have = [f for f in FACES if f.exists()]
    if len(have) < len(FACES):
        if os.environ.get("HMIC_REQUIRE_PDF") == "1":
            pytest.fail(f"fonts missing: {sorted(str(f) for f in set(FACES) - set(have))} (fonts-liberation, fonts-dejavu-core)")
        pytest.skip("the Liberation and DejaVu fonts are not installed")
    return have


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_widths_are_upper_bounds_of_the_real_faces(face: Path) -> None:
    _fonts()
    from fontTools.ttLib import TTFont

    font = TTFont(face)
    cmap, hmtx, upem = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    sample = [chr(c) for c in range(32, 127)] + list("–—’‘“”éèàçñüöÅ…")
    for c in sample:
        if ord(c) in cmap:
            real = hmtx[cmap[ord(c)]][0] * 1000 / upem
            assert real <= char_width(c), f"{face.stem}: {c!r} is {real:.0f}/1000 em, more than the {char_width(c)} allowed"


def test_text_width_scales_with_size() -> None:
    assert text_width("Good") == pytest.approx(sum(char_width(c) for c in "Good") * FONT_PX / 1000)
    assert text_width("Good", 22) == pytest.approx(2 * text_width("Good"))


# --- geometry ---------------------------------------------------------------------------------


def _dist(grades: list[str], counts: list[int], own: int | None = None) -> Distribution:
    total = sum(counts) or 1
    cells = tuple(Cell(g, n, round(100 * n / total), i == own) for i, (g, n) in enumerate(zip(grades, counts, strict=True)))
    return Distribution("x", cells, 0, False, sum(counts), "", "", "published totals")


def _polygons(ch: Chart) -> list[list[tuple[float, float]]]:
    """Every label line as a polygon (a rectangle, turned or not)."""
    if ch.turned:
        return [list(turned_corners(b, ch.axis_y)) for b in ch.bars]
    return [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for boxes in label_boxes(ch.bars) for x0, y0, x1, y1 in boxes]


def _separated(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    """Separating axis theorem for two convex polygons: True when some edge's normal separates them."""
    for poly in (a, b):
        for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
            nx, ny = y2 - y1, x1 - x2
            pa = [nx * x + ny * y for x, y in a]
            pb = [nx * x + ny * y for x, y in b]
            if max(pa) <= min(pb) or max(pb) <= min(pa):
                return True
    return False


def check_geometry(ch: Chart) -> None:
    minx, miny, w, h = ch.view_box
    polys = _polygons(ch)
    owners = list(range(len(ch.bars))) if ch.turned else [i for i, boxes in enumerate(label_boxes(ch.bars)) for _ in boxes]
    for p in polys:  # every label inside the chart
        for x, y in p:
            assert minx <= x <= minx + w and miny <= y <= miny + h, f"label corner {x:.1f},{y:.1f} outside {ch.view_box}"
    for (i, a), (j, b) in itertools.combinations(zip(owners, polys, strict=True), 2):
        if i != j:
            assert _separated(a, b), f"the labels of {ch.bars[i].grade!r} and {ch.bars[j].grade!r} overlap"
    for p in polys:  # labels sit below the bars
        assert min(y for _, y in p) > BASELINE
    for b, c in itertools.pairwise(ch.bars):  # bars and their counts side by side, never touching
        assert b.x + b.width < c.x
        assert text_width(str(b.count)) / 2 + text_width(str(c.count)) / 2 < c.cx - b.cx
    for b in ch.bars:
        assert b.y >= 20 and b.y + b.height == BASELINE


SCALES = {
    2: ["Pass", "Fail"],
    3: ["Effective", "Requires improvement", "Ineffective"],
    4: ["Excellent", "Good", "Fair", "Poor"],
    5: ["Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate"],
    6: ["Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate", "Failing"],
    7: ["Exceptional", "Outstanding", "Very good", "Good", "Requires significant improvement", "Serious concerns", "Inadequate"],
}


@pytest.mark.parametrize("n", sorted(SCALES))
def test_real_scales_chart_without_overlap(n: int) -> None:
    grades = SCALES[n]
    ch = chart(_dist(grades, [3] * n, own=1), styles(grades), {g: g for g in grades})
    assert ch is not None
    check_geometry(ch)
    assert [b.grade for b in ch.bars] == grades


def test_norfolk_s_chart_keeps_its_geometry() -> None:
    grades = SCALES[4]
    ch = chart(_dist(grades, [6, 14, 21, 2], own=2), styles(grades), {g: g for g in grades})
    assert ch is not None and not ch.turned
    assert ch.view_box == (0, 0, CHART_W, 140) and ch.axis_y == 120
    assert [(b.x, b.y, b.width, b.height) for b in ch.bars] == [
        (16, 81, 60, 25),
        (92, 49, 60, 57),
        (168, 20, 60, 86),
        (244, 98, 60, 8),
    ]  # as in tests/golden/norfolk-2007


def test_long_names_wrap_under_their_bars_when_they_can() -> None:
    grades = ["Outstanding", "Good", "Requires improvement", "Inadequate"]
    ch = chart(_dist(grades, [1, 2, 1, 1]), styles(grades), {g: g for g in grades})
    assert ch is not None and not ch.turned
    assert ch.bars[2].label == ("Requires", "improvement")


def test_labels_turn_when_they_cannot_sit_side_by_side() -> None:
    grades = SCALES[7]
    ch = chart(_dist(grades, [1, 2, 3, 4, 3, 2, 1]), styles(grades), {g: g for g in grades})
    assert ch is not None and ch.turned
    assert ch.view_box[0] < 0, "the first label hangs to the left of the first bar: the chart widens to hold it"
    assert ch.height > 140


def test_a_short_name_labels_the_bar() -> None:
    grades = ["Good", "Serious concerns about the service", "Inadequate"]
    ch = chart(_dist(grades, [1, 1, 1]), styles(grades), {"Serious concerns about the service": "Serious concerns"})
    assert ch is not None
    assert " ".join(ch.bars[1].label) == "Serious concerns"


def test_no_distribution_no_chart() -> None:
    assert chart(None, styles(["A", "B"]), {}) is None


WORD = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-'éW"), min_size=1, max_size=14)
NAME = st.lists(WORD, min_size=1, max_size=4).map(" ".join).filter(lambda s: text_width(s) <= MAX_LABEL_PX)


@settings(max_examples=400, deadline=None)
@given(
    names=st.lists(NAME, min_size=2, max_size=MAX_GRADES, unique=True),
    data=st.data(),
)
def test_no_scale_validation_allows_gives_overlapping_labels(names: list[str], data: st.DataObject) -> None:
    counts = data.draw(st.lists(st.integers(0, 60), min_size=len(names), max_size=len(names)))
    own = data.draw(st.none() | st.integers(0, len(names) - 1))
    ch = chart(_dist(names, counts, own), styles(names), {g: g for g in names})
    assert ch is not None
    check_geometry(ch)
    if not ch.turned:
        assert all(len(b.label) <= 3 for b in ch.bars)
        assert ch.height >= 120 + (max(len(b.label) for b in ch.bars) - 1) * LINE_H
