"""A glossary one byte over loader.MAX_BYTES (valid YAML: the padding is a comment)."""

from pathlib import Path

from hmic_compile.inputs.loader import MAX_BYTES


def make(root: Path) -> None:
    path = root / "evidence/testshire-2024/glossary.yaml"
    text = path.read_bytes()
    pad = MAX_BYTES + 1 - len(text) - 2
    path.write_bytes(text + b"#" + b"x" * pad + b"\n")
    assert path.stat().st_size == MAX_BYTES + 1
