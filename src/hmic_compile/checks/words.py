"""Capitalised words: the candidate abbreviations that the glossary explains and the HTML marks up.

Shared by the validate stage (every abbreviation has a glossary entry) and the render stage (each use
gets an <abbr title>), with no import beyond `re`, so that `hmic validate` loads no renderer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Abbreviations have two capitals or more (SNT, MoPI, ViSOR): only such words need a lookup.
_WORD = re.compile(r"[A-Z][a-z]*+[A-Z][A-Za-z]*")  # possessive: a lower-case run is never given back


def capitalised_words(text: str) -> tuple[tuple[int, int], ...]:
    r"""Spans of the whole words with two capitals or more, not joined to other word characters or hyphens.

    The same as finditer(r"(?<![\w-])[A-Z][a-z]*[A-Z][A-Za-z]*(?![\w-])") but twice as fast: a pattern
    that starts with a look-behind cannot use the regex engine's scan for its first character.
    """
    out = []
    end_of_text = len(text)
    for m in _WORD.finditer(text):
        start, end = m.span()
        if start:  # part of a longer word? a match can neither start nor end inside one
            c = text[start - 1]
            if c.isalnum() or c == "_" or c == "-":
                continue
        if end < end_of_text:
            c = text[end]
            if c.isalnum() or c == "_" or c == "-":
                continue
        out.append((start, end))
    return tuple(out)


def candidates(text: str) -> Iterator[tuple[str, str]]:
    """Each capitalised word as (word, whole): the word without a plural 's' ('PCSOs' -> 'PCSO'), and as written."""
    for start, end in capitalised_words(text):
        whole = text[start:end]
        yield (whole[:-1] if whole.endswith("s") else whole), whole
