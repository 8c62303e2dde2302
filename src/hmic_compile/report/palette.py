"""How each grade of a scale of 2 to 7 looks: its colour by its place from best to worst, its badge and its chart pattern.

Colours come from one ramp, dark green (best) to red (worst), each at least 4.5:1 against white and the
report's tint, so that a grade's name in its colour, a badge's border and a chart bar all read (WCAG 2:
text 4.5:1, graphics 3:1). Print has no colour to rely on, so each grade also has its own badge (border
style and weight) and its own bar pattern, by rank: two grades of a scale never look alike in black and white.
"""

from __future__ import annotations

from msgspec import Struct

from ..derive.chart_text import MAX_GRADES

# Best to worst. A scale of n grades takes n of them spread evenly, the ends always included: a 4-grade
# scale takes the 1st, 3rd, 5th and 7th.
RAMP = ("#0b5d1e", "#00695c", "#2e7d32", "#5c6300", "#8a5a00", "#b03a00", "#a4161a")
ON_FILL = "#ffffff"  # text on a filled badge

# By rank, best first: how the badge is drawn (templates/grades.css), and how its chart bar is filled.
BADGES = ("filled", "double", "solid", "dashed", "dotted", "tab", "framed")
PATTERNS = ("solid", "rising", "horizontal", "falling", "vertical", "grid", "dots")

assert len(RAMP) == len(BADGES) == len(PATTERNS) == MAX_GRADES


class GradeStyle(Struct, frozen=True):
    rank: int  # 1 = best
    grade: str
    colour: str  # text, border and bar colour
    badge: str  # one of BADGES
    pattern: str  # one of PATTERNS

    @property
    def filled(self) -> bool:
        """Whether the badge is the colour with white text on it (else the colour on the page)."""
        return self.badge in ("filled", "framed")


def colour(rank: int, n: int) -> str:
    """The colour of the grade at `rank` (1 = best) on a scale of `n` grades."""
    if n == 1:
        return RAMP[0]
    return RAMP[int((rank - 1) * (len(RAMP) - 1) / (n - 1) + 0.5)]


def styles(grades: list[str]) -> tuple[GradeStyle, ...]:
    """Each grade's style, best first; a scale longer than MAX_GRADES is refused by validation (E620) before this."""
    n = len(grades)
    assert 1 <= n <= MAX_GRADES, f"a scale of {n} grades"
    return tuple(GradeStyle(i + 1, g, colour(i + 1, n), BADGES[i], PATTERNS[i]) for i, g in enumerate(grades))
