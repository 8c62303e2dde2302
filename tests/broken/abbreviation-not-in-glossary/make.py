"""Abbreviations the glossary does not explain: one in the force's own evidence (QRT, twice: reported
once, at its first use), one in the framework's introduction that every report prints (NCA), one
plural (ARCs, reported as ARC), and one the glossary lists as deliberately unexpanded (CCTV: fine)."""

from pathlib import Path


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def make(root: Path) -> None:
    force = root / "evidence/testshire-2024"
    _replace(force / "public-contact.yaml", "on average.", "on average, by the QRT. The QRT also sees CCTV.")
    _replace(force / "public-contact.yaml", "if it changes.", "if it changes, through the ARCs.")
    _replace(force / "glossary.yaml", "terms:\n", "unexpanded: [CCTV]\nterms:\n")
    _replace(root / "criteria/2024/introduction.yaml", "used by hmic's tests.", "used by hmic's tests and the NCA.")
