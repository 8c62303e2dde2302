"""Places in an open document, for the language server: hmic's (1-based line, column in characters) as the
editor's (0-based line, UTF-16 character), the token written at a place, and what the cursor is on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from msgspec import Struct

from ..inputs.loader import Document, Path_

_PLAIN = re.compile(r"[^\s,\[\]{}#]+")  # a plain scalar in a flow or block context, up to a comment
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"\\]|\\.)*\"")


def utf16(text: str, index: int) -> int:
    """The UTF-16 offset of character `index` of a line (what LSP positions count by default)."""
    return len(text[:index].encode("utf-16-le")) // 2


def from_utf16(text: str, offset: int) -> int:
    """The character index of a line's UTF-16 `offset`."""
    units = 0
    for i, c in enumerate(text):
        if units >= offset:
            return i
        units += 2 if ord(c) > 0xFFFF else 1
    return len(text)


class Span(Struct, frozen=True):
    """A run of characters on one line: 0-based line, start and end character indices."""

    line: int
    start: int
    end: int

    def lsp(self, lines: list[str]) -> dict[str, Any]:
        text = lines[self.line] if self.line < len(lines) else ""
        return {
            "start": {"line": self.line, "character": utf16(text, self.start)},
            "end": {"line": self.line, "character": utf16(text, self.end)},
        }

    def covers(self, line: int, char: int) -> bool:
        return line == self.line and self.start <= char <= self.end


def lines_of(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def span_at(lines: list[str], line: int, col: int, named: Iterable[str] = ()) -> Span:
    """The token written at hmic's place (`line`, `col`, 1-based; 0 for a whole file): one of the `named`
    values when it stands there (a message quotes what is wrong), else the scalar there."""
    if line < 1 or line > len(lines):
        return Span(0, 0, 0)
    text, start = lines[line - 1], max(col - 1, 0)
    rest = text[start:]
    named = sorted((v for v in named if v), key=len, reverse=True)
    for value in named:
        for lead in ("", "'", '"'):
            if rest.startswith(lead + value):
                s = start + len(lead)
                return Span(line - 1, s, s + len(value))
    for value in named:  # a word inside the text there (an abbreviation in a paragraph)
        m = re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", rest)
        if m:
            return Span(line - 1, start + m.start(), start + m.end())
    m = _QUOTED.match(rest) or _PLAIN.match(rest)
    if m is None:
        return Span(line - 1, start, start)
    end = start + len(m.group().rstrip(":")) if not m.group().startswith(("'", '"')) else start + m.end()
    return Span(line - 1, start, end)


def quoted(message: str) -> list[str]:
    """The values a message quotes ('x')."""
    return re.findall(r"'([^']+)'", message)


def node_at(doc: Document, lines: list[str], line: int, char: int) -> tuple[Path_, str] | None:
    """The text value under the cursor (0-based `line`, character index `char`), with its path in the data."""
    best: tuple[Path_, str] | None = None
    for path, (ln, col) in doc.locs.items():
        if ln != line + 1:
            continue
        value = _value(doc.data, path)
        if isinstance(value, str) and span_at(lines, ln, col, [value]).covers(line, char):
            best = (path, value)
    return best


def _value(data: Any, path: Path_) -> Any:
    for el in path:
        if isinstance(data, dict) and el in data or isinstance(data, list) and isinstance(el, int) and 0 <= el < len(data):
            data = data[el]  # type: ignore[index]
        else:
            return None
    return data


_EVIDENCE_FLOW = re.compile(r"\bevidence:\s*\[[^\]]*$")
_CRITERION = re.compile(r"(?:^\s*(?:-\s+)?|[{,]\s*)criterion:\s*[\w-]*$")
_LIST_ENTRY = re.compile(r"^(\s*)-\s+[\w-]*$")
_KEY = re.compile(r"^(\s*)(?:-\s+)?([\w-]+):")


def list_context(lines: list[str], line: int, char: int) -> str | None:
    """What is being typed at the cursor: 'evidence' (an entry of an evidence list), 'criterion' (a
    judgement's criterion), or None."""
    before = lines[line][:char] if line < len(lines) else ""
    if _EVIDENCE_FLOW.search(before):
        return "evidence"
    if _CRITERION.search(before):
        return "criterion"
    entry = _LIST_ENTRY.match(before)
    if entry is None:
        return None
    indent = len(entry.group(1))
    for above in reversed(lines[:line]):
        stripped = above.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        lead = len(above) - len(stripped)
        if lead == indent and stripped.startswith("- "):
            continue  # an earlier entry of the same list
        key = _KEY.match(above)
        if key and lead <= indent and above.rstrip().endswith(":"):
            return "evidence" if key.group(2) == "evidence" else None
        return None
    return None
