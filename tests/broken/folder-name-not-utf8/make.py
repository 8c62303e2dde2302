"""A second force folder copied from a Latin-1 system: its name holds the byte 0xe9 ('é'), not valid UTF-8."""

import os
import shutil
from pathlib import Path


def make(root: Path) -> None:
    evidence = os.fsencode(root / "evidence")
    shutil.copytree(evidence + b"/testshire-2024", evidence + b"/t\xe9stshire-2024")
