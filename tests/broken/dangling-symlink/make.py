"""glossary.yaml is a symbolic link to a file that does not exist (unreadable even for root)."""

import os
from pathlib import Path


def make(root: Path) -> None:
    path = root / "evidence/testshire-2024/glossary.yaml"
    path.unlink()
    os.symlink("../shared/glossary.yaml", path)
