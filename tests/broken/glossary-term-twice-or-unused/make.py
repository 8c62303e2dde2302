"""A glossary term listed twice (an error) and one the report never uses (a warning), with an
'unexpanded' entry that is never used either (a warning)."""

from pathlib import Path


def make(root: Path) -> None:
    path = root / "evidence/testshire-2024/glossary.yaml"
    text = path.read_text(encoding="utf-8")
    extra = (
        "  - term: MASH\n    meaning: Multi-agency safeguarding hub, again\n"
        "  - term: ZZTOP\n    meaning: Not used anywhere in the report\n"
        "unexpanded: [QQQ]\n"
    )
    path.write_text(text + extra, encoding="utf-8")
