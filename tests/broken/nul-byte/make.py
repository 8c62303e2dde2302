"""A NUL byte in the middle of a glossary entry (a corrupted save)."""

from pathlib import Path


def make(root: Path) -> None:
    text = b"# Glossary, in the order printed.\nterms:\n  - term: PEEL\n    meaning: Police effectiveness,\x00 efficiency and legitimacy\n"
    (root / "evidence/testshire-2024/glossary.yaml").write_bytes(text)
