"""The valid parts of a file that fails its schema, so that one mistake never hides the checks of everything else.

Each entry in error is dropped (the list entry, or the key and its value), a key that misses a required
key of its own is dropped whole, and a misspelt key is read as the key it was meant to be; then the file
is validated again, until what is left is valid. The data keeps its map back to the source: every
location still points at the line it came from.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .loader import Document, Path_
from .schema_errors import data_path, model_at

M = TypeVar("M", bound=BaseModel)

MAX_ROUNDS = 50  # each round drops at least one entry; nesting is at most 40 levels


def salvage(model: type[M], doc: Document, err: ValidationError) -> tuple[M, Document] | None:
    """The model of what is valid in `doc`, with a Document whose paths match it; None when nothing
    can be kept (the file's own required keys are missing or wrong)."""
    data, locs, key_locs = doc.data, doc.locs, doc.key_locs
    for _ in range(MAX_ROUNDS):
        drops: set[Path_] = set()
        renames: dict[Path_, str] = {}
        taken: set[Path_] = set()  # two misspellings of one key: the first is read as it, the second dropped
        errors = err.errors(include_url=False)
        for e in errors:
            loc = tuple(e["loc"])
            if e["type"] == "extra_forbidden":
                path, _ = data_path(data, loc)
                meant = _meant(model, data, loc, path)
                if meant and (*path[:-1], meant) not in taken:
                    renames[path] = meant
                    taken.add((*path[:-1], meant))
                else:
                    drops.add(path)
        for e in errors:
            loc = tuple(e["loc"])
            if e["type"] == "missing":
                owner = data_path(data, loc[:-1])[0]
                if (*owner, loc[-1]) not in taken:  # unless a misspelling of it is read as it
                    drops.add(owner)  # what lacks a required key goes whole
            elif e["type"] != "extra_forbidden":
                drops.add(data_path(data, loc)[0])
        if () in drops or not (drops or renames):
            return None
        data, moved = _rebuilt(data, drops, renames)
        locs = {moved[p]: pos for p, pos in locs.items() if p in moved}
        key_locs = {moved[p]: pos for p, pos in key_locs.items() if p in moved}
        try:
            return model.model_validate(data), Document(doc.rel, data, doc.sha256, locs, key_locs)
        except ValidationError as again:
            err = again
    return None


def _meant(model: type[BaseModel], data: Any, loc: tuple[Any, ...], path: Path_) -> str | None:
    """The key an unknown key was meant to be: the closest allowed key that the mapping does not have yet."""
    owner = model_at(model, loc[:-1])
    parent = _at(data, path[:-1])
    if owner is None or not isinstance(parent, dict) or not path:
        return None
    free = [f for f in owner.model_fields if f not in parent]
    close = difflib.get_close_matches(str(path[-1]), free, n=1)
    return close[0] if close else None


def _at(data: Any, path: Path_) -> Any:
    for el in path:
        data = data[el]
    return data


def _rebuilt(data: Any, drops: set[Path_], renames: dict[Path_, str]) -> tuple[Any, dict[Path_, Path_]]:
    """A copy of `data` without the paths dropped and with keys renamed; and where each old path went."""
    moved: dict[Path_, Path_] = {}

    def walk(node: Any, old: Path_, new: Path_) -> Any:
        moved[old] = new
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                p = (*old, k)
                if p not in drops:
                    name = renames.get(p, str(k))
                    out[name] = walk(v, p, (*new, name))
            return out
        if isinstance(node, list):
            kept: list[Any] = []
            for i, v in enumerate(node):
                p = (*old, i)
                if p not in drops:
                    kept.append(walk(v, p, (*new, len(kept))))
            return kept
        return node

    return walk(data, (), ()), moved


def as_written(kept: Document, written: Document, path: Path_) -> Any:
    """The value in `written` (the file as read) that stands where `path` of `kept` (its valid parts) does."""
    pos = kept.locs.get(path)
    for p, at in written.locs.items():
        if at == pos:
            return _at(written.data, p)
    return None


def strings_at(doc: Document | None, pattern: Iterable[str]) -> set[str]:
    """The text values at `pattern` in a file's data ('*' stands for any key or entry): what a file
    holds as read, entries in error included."""
    nodes = [doc.data] if doc is not None else []
    for el in pattern:
        nxt: list[Any] = []
        for n in nodes:
            if isinstance(n, dict):
                nxt += list(n.values()) if el == "*" else [n[el]] if el in n else []
            elif isinstance(n, list) and el == "*":
                nxt += n
        nodes = nxt
    return {n for n in nodes if isinstance(n, str)}
