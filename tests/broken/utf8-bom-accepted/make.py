"""A glossary saved with a UTF-8 byte-order mark (as some Windows editors do): accepted."""

from pathlib import Path


def make(root: Path) -> None:
    path = root / "evidence/testshire-2024/glossary.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
