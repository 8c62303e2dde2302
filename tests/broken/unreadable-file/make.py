"""glossary.yaml has no read permission (chmod 000).

root reads any file whatever its permissions, so the case cannot be set up when the tests run as
root: it is skipped there (socket-for-file and dangling-symlink cover unreadable files for root).
"""

import os
from pathlib import Path

import pytest


def make(root: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip(
            "running as root, which can read a chmod 000 file; run the tests as another user (or under `unshare -U`) to check this case"
        )
    (root / "evidence/testshire-2024/glossary.yaml").chmod(0)
