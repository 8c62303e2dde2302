"""evidence/leakshire-2024 is a symbolic link to a folder outside the project: refused, never listed or read."""

import os
import shutil
from pathlib import Path


def make(root: Path) -> None:
    outside = root.parent / "outside-evidence"
    shutil.copytree(root / "evidence/testshire-2024", outside)
    (outside / "passwd.yaml").write_text("secret: not to be listed\n", encoding="utf-8")
    os.symlink(outside, root / "evidence/leakshire-2024")
