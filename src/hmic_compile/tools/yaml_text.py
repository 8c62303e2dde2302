"""Writing YAML for a person to edit: plain scalars where they are safe, wrapped comments, whole files from lines."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable

WIDTH = 100


_PLAIN = re.compile(r"^[A-Za-z][\w ,.'’()/&–-]*$")


_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def scalar(text: str) -> str:
    """A YAML scalar for `text`: plain when that is unambiguous, else double-quoted."""
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and not text.endswith((" ", ":")):
        return text
    return json.dumps(text, ensure_ascii=False)


def comment(text: str, indent: str = "", first: str = "", width: int = WIDTH) -> list[str]:
    """`text` as comment lines, wrapped."""
    lead = f"{indent}# "
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=lead + first,
        subsequent_indent=lead + ("  " if first else ""),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [lead.rstrip()]


def lines(*parts: str | list[str]) -> str:
    out: list[str] = []
    for p in parts:
        out.extend([p] if isinstance(p, str) else p)
    return "\n".join(out) + "\n"


def join(names: Iterable[str]) -> str:
    return ", ".join(names)
