"""The inline SVG chart of a national grade distribution: bars, and labels that never overlap (computed here, so templates only lay out).

Labels sit under their bars, wrapped to the bar's slot, when every line clears its neighbours; when one
cannot (long grade names, a long scale) every label is turned 45 degrees and the chart grows to hold them.
Widths are upper bounds (derive/chart_text.py), so what is computed clear is clear in any sans-serif face.
"""

from __future__ import annotations

import math

from msgspec import Struct

from ..derive.chart_text import FONT_PX, MAX_GRADES, MAX_LABEL_PX, text_width
from ..derive.national import Distribution
from .palette import GradeStyle

CHART_W, CHART_H, BAR_GAP, AXIS_H = 320, 140, 16, 34
PRINT_MM = 75  # CHART_W on the printed page
PLOT_TOP = 20  # room above the tallest bar for its count
BASELINE = CHART_H - AXIS_H  # where the bars stand
FIRST_LINE = BASELINE + 14  # the baseline of a label's first line
LINE_H = 13  # between a label's lines
ASCENT, DESCENT = 0.8 * FONT_PX, 0.25 * FONT_PX  # a line of text above and below its baseline
CLEAR = 4  # the least space between two labels, and between a label and the chart's edge
MAX_LINES = 3
TURN = math.sqrt(0.5)  # cos 45° = sin 45°


class Bar(Struct, frozen=True):
    grade: str
    count: int
    x: int
    y: int
    width: int
    height: int
    highlight: bool  # the force's own grade
    label: tuple[str, ...]  # the grade's name (or its short name) in lines
    style: GradeStyle

    @property
    def cx(self) -> int:
        return self.x + self.width // 2


class Chart(Struct, frozen=True):
    bars: tuple[Bar, ...]
    turned: bool  # labels turned 45 degrees, each ending under its bar
    view_box: tuple[int, int, int, int]  # min x, min y, width, height
    axis_y: int  # the baseline of the labels' first line (of a turned label: its end, under the bar)
    line_height: int = LINE_H

    @property
    def view_box_text(self) -> str:
        return " ".join(str(v) for v in self.view_box)

    @property
    def width(self) -> int:
        return self.view_box[2]

    @property
    def height(self) -> int:
        return self.view_box[3]

    @property
    def print_width(self) -> str:
        """The chart's width on the printed page: 75mm for the usual width, wider when turned labels need room."""
        return f"{self.width * PRINT_MM / CHART_W:.1f}mm"


Box = tuple[float, float, float, float]  # left, top, right, bottom


def wrap(text: str, width: float) -> tuple[str, ...]:
    """`text` in lines of at most `width` pixels, breaking between words (a word wider than that has its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines) or ("",)


def label_boxes(bars: tuple[Bar, ...]) -> list[list[Box]]:
    """Each bar's label lines as boxes, set level under the bar (upper bounds of the text's extent)."""
    out = []
    for b in bars:
        boxes = []
        for k, line in enumerate(b.label):
            w, y = text_width(line), FIRST_LINE + k * LINE_H
            boxes.append((b.cx - w / 2, y - ASCENT, b.cx + w / 2, y + DESCENT))
        out.append(boxes)
    return out


def turned_corners(b: Bar, axis_y: int) -> tuple[tuple[float, float], ...]:
    """The four corners of a label turned 45 degrees, its text ending at (cx, axis_y) and running down to the left."""
    w = text_width(b.label[0])
    ax, ay = float(b.cx), float(axis_y)
    sx, sy = ax - w * TURN, ay + w * TURN  # where the text starts
    ux, uy = -TURN, -TURN  # "up" from the turned baseline
    return (
        (sx + ux * ASCENT, sy + uy * ASCENT),
        (ax + ux * ASCENT, ay + uy * ASCENT),
        (ax - ux * DESCENT, ay - uy * DESCENT),
        (sx - ux * DESCENT, sy - uy * DESCENT),
    )


def _overlap(a: Box, b: Box, gap: float) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] and b[1] < a[3]


def _level_fits(bars: tuple[Bar, ...]) -> bool:
    if any(len(b.label) > MAX_LINES for b in bars):
        return False
    boxes = label_boxes(bars)
    flat = [(i, box) for i, bs in enumerate(boxes) for box in bs]
    if any(box[0] < CLEAR or box[2] > CHART_W - CLEAR for _, box in flat):
        return False
    return not any(_overlap(a, b, CLEAR) for n, (i, a) in enumerate(flat) for j, b in flat[n + 1 :] if i != j)


def chart(dist: Distribution | None, styles: tuple[GradeStyle, ...], labels: dict[str, str]) -> Chart | None:
    """The chart of `dist`, or None when there is no distribution. `labels` gives each grade's axis text.

    The scale's length and each label's width were checked by validation (E620, E621), so a chart can
    always be drawn: a label that still could not be placed is a bug, and fails loudly.
    """
    if dist is None or not dist.cells:
        return None
    n = len(dist.cells)
    assert n <= MAX_GRADES, f"a scale of {n} grades reached the chart (validation refuses it: E620)"
    top = max(c.count for c in dist.cells) or 1
    width = (CHART_W - BAR_GAP * (n + 1)) // n
    slot = width + BAR_GAP - CLEAR
    by_grade = {s.grade: s for s in styles}
    bars = []
    for i, c in enumerate(dist.cells):
        h = round((BASELINE - PLOT_TOP) * c.count / top)
        text = labels.get(c.grade, c.grade)
        bars.append(
            Bar(c.grade, c.count, BAR_GAP + i * (width + BAR_GAP), BASELINE - h, width, h, c.is_force, wrap(text, slot), by_grade[c.grade])
        )
    level = tuple(bars)
    if _level_fits(level):
        lines = max(len(b.label) for b in level)
        height = max(CHART_H, math.ceil(FIRST_LINE + (lines - 1) * LINE_H + DESCENT + CLEAR))
        return Chart(level, False, (0, 0, CHART_W, height), FIRST_LINE)
    turned = tuple(Bar(b.grade, b.count, b.x, b.y, b.width, b.height, b.highlight, (labels.get(b.grade, b.grade),), b.style) for b in bars)
    axis_y = BASELINE + 10
    assert all(text_width(b.label[0]) <= MAX_LABEL_PX for b in turned), "a label wider than validation allows (E621)"
    corners = [p for b in turned for p in turned_corners(b, axis_y)]
    left = min(0, math.floor(min(x for x, _ in corners) - CLEAR))
    bottom = max(CHART_H, math.ceil(max(y for _, y in corners) + CLEAR))
    return Chart(turned, True, (left, 0, CHART_W - left, bottom), axis_y)
