"""A force overview whose sections nest exactly to loader.MAX_DEPTH: accepted (too-deep goes one further).

Depth counts the file's own mapping (1), overview's mapping (2), then a list and a mapping per section.
"""

from pathlib import Path

from hmic_compile.inputs.loader import MAX_DEPTH


def make(root: Path) -> None:
    assert MAX_DEPTH % 2 == 0, "this case reaches the cap with a section mapping; adjust it for an odd cap"
    path = root / "evidence/testshire-2024/force.yaml"
    head = path.read_text(encoding="utf-8").split("overview:")[0]
    lines = ["overview:", "  title: Force overview"]
    indent = "  "
    depth, n = 2, 0
    while depth + 2 <= MAX_DEPTH:
        lines.append(f"{indent}sections:")
        lines.append(f"{indent}  - title: Level {n + 1}")
        indent += "    "
        depth += 2
        n += 1
    assert depth == MAX_DEPTH
    path.write_text(head + "\n".join(lines) + "\n", encoding="utf-8")
