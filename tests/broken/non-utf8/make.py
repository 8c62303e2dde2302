"""A glossary saved as Latin-1 by an old editor: 'é' is the single byte 0xe9, not valid UTF-8."""

from pathlib import Path


def make(root: Path) -> None:
    text = (
        "# Glossary, in the order printed.\n"
        "terms:\n"
        "  - term: PEEL\n"
        "    meaning: Police effectiveness, efficiency and legitimacy\n"
        "  - term: MASH\n"
        "    meaning: Multi-agency safeguarding hub (référral point)\n"
    )
    (root / "evidence/testshire-2024/glossary.yaml").write_bytes(text.encode("latin-1"))
