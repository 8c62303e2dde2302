"""A document's printed text: the strings a report prints of it (not its ids, codes or title-page lines).

The walk over a file's data shared by the checks of its text (checks/limits.py: Markdown punctuation;
checks/glossary.py: abbreviations), and what they take from a whole file's text (`Printed`): worked
out once for each content of a file and kept in the cache (inputs/cache.py `Facts`) by its SHA-256 and
the source of this module and checks/words.py, which alone decide it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from .. import __version__
from ..inputs.loader import Document
from .words import candidates

if TYPE_CHECKING:
    from ..inputs.cache import Facts

MARKUP_CHARACTERS = "\n!#$%&*+-:<=>@[\\]^_`{}~"
_MARKUP_BYTES = MARKUP_CHARACTERS.encode("ascii")


def markup_count(text: str) -> int:
    """How many of markdown-it's stopping characters `text` holds (bytes.translate: one pass in C)."""
    raw = text.encode("utf-8", "surrogatepass")
    return len(raw) - len(raw.translate(None, _MARKUP_BYTES))


# Keys whose values are identifiers, codes or title-page lines, not prose to scan for abbreviations.
NOT_PROSE = frozenset(
    {
        "id",
        "area",
        "criterion",
        "judgement",
        "evidence",
        "factor",
        "level",
        "grade",
        "framework",
        "labels",
        "isbn",
        "year",
        "term",
        "insert",
        "month",
        "copyright",
        "first_published",
        "unexpanded",
        "meaning",
    }
)


def printed_strings(data: object, path: tuple = ()) -> Iterable[tuple[tuple, str]]:
    """Each printed string in data with its path (values under NOT_PROSE keys are not printed prose)."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k not in NOT_PROSE:
                yield from printed_strings(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from printed_strings(v, path + (i,))
    elif isinstance(data, str):
        yield path, data


def printed_texts(data: object, out: list[str]) -> None:
    """The strings printed_strings yields, without their paths, appended to `out`: the fast path of the checks."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k not in NOT_PROSE:
                printed_texts(v, out)
    elif isinstance(data, list):
        for v in data:
            printed_texts(v, out)
    elif isinstance(data, str):
        out.append(data)


class Printed(Struct, frozen=True):
    """What the checks take from the whole of a file's printed text."""

    markup: int  # Markdown punctuation characters (checks/limits.py)
    words: frozenset[tuple[str, str]]  # candidate abbreviations, as (word, whole) pairs (checks/words.py candidates)


@functools.lru_cache(maxsize=1)
def version() -> str:
    """What decides a Printed besides the file: this module's and checks/words.py's source, and hmic's version."""
    here = Path(__file__).parent
    h = hashlib.sha256(__version__.encode() + b"\0")
    for name in ("printed.py", "words.py"):
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(f"{name} unreadable".encode())
    return h.hexdigest()


def printed(doc: Document, kept: Facts | None = None) -> Printed:
    """The whole of `doc`'s printed text, as the checks see it; from `kept` when it holds the file's bytes' (an
    editor's unsaved text has no SHA-256, and is worked out every time)."""
    if kept is not None and doc.sha256:
        got = kept.get(doc.sha256)
        if type(got) is tuple and len(got) == 2 and type(got[0]) is int and type(got[1]) is frozenset:
            return Printed(got[0], got[1])
    texts: list[str] = []
    printed_texts(doc.data, texts)
    found = Printed(markup_count("".join(texts)), frozenset(candidates("\n".join(texts))))
    if kept is not None and doc.sha256:
        kept.put(doc.sha256, (found.markup, found.words))
    return found
