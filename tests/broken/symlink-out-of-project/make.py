"""glossary.yaml is a symbolic link to a valid glossary outside the project: refused, never read (its text never shown)."""

import os
from pathlib import Path


def make(root: Path) -> None:
    outside = root.parent / "outside-glossary.yaml"
    outside.write_text("terms:\n  - term: LEAK\n    meening: the secret outside\n", encoding="utf-8")
    path = root / "evidence/testshire-2024/glossary.yaml"
    path.unlink()
    os.symlink(os.path.relpath(outside, path.parent), path)  # '../../../outside-glossary.yaml'
