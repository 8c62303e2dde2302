"""A strengths list whose text holds more Markdown punctuation than the renderer can take in good time (E030)."""

from pathlib import Path


def make(root: Path) -> None:
    lines = ["area: force-overview", "strengths:"]
    lines += [f"  - 'Item {i}: [' " for i in range(3)]
    lines += ["  - '" + "*[" * 30_000 + "'", "  - 'The end.'"]
    (root / "evidence" / "testshire-2024" / "force-overview.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
