"""A force overview whose sections nest one level past loader.MAX_DEPTH.

Each section is a mapping inside a list, so nesting n sections makes 2n+1 levels (with the file's
own mapping and 'overview'). The generated file is ordinary block-style YAML, as a person would write it.
"""

from pathlib import Path

from hmic_compile.inputs.loader import MAX_DEPTH


def make(root: Path) -> None:
    path = root / "evidence/testshire-2024/force.yaml"
    head = path.read_text(encoding="utf-8").split("overview:")[0]
    lines = ["overview:", "  title: Force overview"]
    indent = "  "
    # Depth so far: the document mapping (1) and overview's mapping (2); each further
    # section adds a list and a mapping. Go until the depth cap is passed.
    depth, n = 2, 0
    while depth <= MAX_DEPTH:
        lines.append(f"{indent}sections:")
        lines.append(f"{indent}  - title: Level {n + 1}")
        indent += "    "
        depth += 2
        n += 1
    path.write_text(head + "\n".join(lines) + "\n", encoding="utf-8")
