"""Bar geometry for the inline SVG chart of a national grade distribution (computed here so templates only lay out)."""

from __future__ import annotations

from dataclasses import dataclass

from ..derive.national import Distribution


@dataclass(frozen=True)
class Bar:
    grade: str
    count: int
    x: int
    y: int
    width: int
    height: int
    highlight: bool

    label: tuple[str, ...]  # the grade name in lines short enough to sit under the bar

    @property
    def cx(self) -> int:
        return self.x + self.width // 2


CHART_W, CHART_H, BAR_GAP, AXIS_H = 320, 140, 16, 34
LABEL_CHARS = 11  # at 11px, about what fits under a bar


def _label_lines(text: str) -> tuple[str, ...]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= LABEL_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines[:2]) if len(lines) <= 2 else (lines[0], " ".join(lines[1:]))


def chart(dist: Distribution | None) -> list[Bar]:
    """Bar geometry for the inline SVG distribution chart (computed here so templates only lay out)."""
    if dist is None or not dist.cells:
        return []
    top = max(c.count for c in dist.cells) or 1
    width = (CHART_W - BAR_GAP * (len(dist.cells) + 1)) // len(dist.cells)
    bars = []
    for i, c in enumerate(dist.cells):
        h = round((CHART_H - AXIS_H - 20) * c.count / top)
        bars.append(
            Bar(c.grade, c.count, BAR_GAP + i * (width + BAR_GAP), CHART_H - AXIS_H - h, width, h, c.is_force, _label_lines(c.grade))
        )
    return bars
