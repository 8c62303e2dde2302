"""A second framework whose folder has the name of a force folder: the round and the report would share OUT/testshire-2024/."""

import shutil
from pathlib import Path


def make(root: Path) -> None:
    shutil.copytree(root / "criteria/2024", root / "criteria/testshire-2024")
