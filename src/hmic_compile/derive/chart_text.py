"""What the national distribution chart can label: conservative widths of its text, and its limits. Pure.

A chart label must never overlap its neighbour, whatever sans-serif face a reader's browser or the PDF
uses, so widths here are upper bounds: per character, the widest of Liberation Sans (Arial's metrics) and
DejaVu Sans, regular and bold (tests/test_chart.py checks them against the installed fonts).
"""

from __future__ import annotations

FONT_PX = 11  # the chart's label size (templates/report.css, and the SVG's own style in the PDF)
MAX_GRADES = 7  # the longest scale hmic charts and styles, each grade with its own colour and pattern
MAX_LABEL_PX = 240  # the longest label a chart sets, turned 45 degrees when labels cannot sit side by side (about 30 letters)

# Advance widths in thousandths of an em for ASCII 32 (space) to 126 (~).
# fmt: off
_ASCII = (
    349, 457, 521, 838, 696, 1002, 873, 307, 458, 458, 523, 838, 380, 416, 380, 366, 696, 696, 696,
    696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 611, 1016, 774, 763, 734, 831, 684,
    684, 821, 837, 373, 557, 775, 638, 996, 837, 851, 733, 851, 771, 721, 683, 813, 774, 1104, 771,
    725, 726, 458, 366, 458, 838, 557, 500, 675, 716, 593, 716, 679, 436, 716, 712, 343, 343, 666,
    343, 1042, 712, 688, 716, 716, 494, 596, 479, 712, 652, 924, 646, 652, 583, 712, 366, 712, 838,
)
# fmt: on
_OTHER = 1000  # any other character: as wide as an em dash
_WIDE = 1300  # East Asian scripts and pictographs (from U+2E80), wider still in some faces


def char_width(c: str) -> int:
    """An upper bound of one character's advance, in thousandths of an em."""
    o = ord(c)
    if 32 <= o <= 126:
        return _ASCII[o - 32]
    return _WIDE if o >= 0x2E80 else _OTHER


def text_width(text: str, px: float = FONT_PX) -> float:
    """An upper bound of the width of `text` set at `px` pixels, in pixels."""
    return sum(char_width(c) for c in text) * px / 1000
