"""glossary.yaml has no read permission (chmod 000).

root reads any file whatever its permissions, so when the tests run as root the harness runs
`hmic validate` for this case as an unprivileged user in a user namespace (`unshare -U`); without
unshare it is skipped.
"""

from pathlib import Path

AS_UNPRIVILEGED_USER = True


def make(root: Path) -> None:
    (root / "evidence/testshire-2024/glossary.yaml").chmod(0)
