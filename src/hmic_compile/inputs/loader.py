"""Strict YAML loading: every scalar a string, every node keeps its line and column."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from ..diagnostics import Diagnostic, HmicError, Loc
from .characters import line_col
from .files import NotRegular, TooLarge, inside, read_regular
from .snapshot import known_sha256

if TYPE_CHECKING:
    from .cache import ParseCache

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 40

Path_ = tuple[str | int, ...]


class Document(Struct):
    """One YAML file as plain data (dict / list / str / None) with a map back to the source."""

    rel: str
    data: Any
    sha256: str = ""
    locs: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_locs: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def loc(self, path: Path_ = (), *, key: bool = False) -> Loc:
        """The nearest known location for `path` (the key itself when `key`)."""
        p = tuple(path)
        while True:
            if key and p in self.key_locs:
                return Loc(self.rel, *self.key_locs[p])
            if p in self.locs:
                return Loc(self.rel, *self.locs[p])
            if not p:
                return Loc(self.rel, 1, 1)
            p = p[:-1]
            key = False


def parse(text: str, rel: str) -> Document:
    """Parse YAML text into a Document, raising HmicError with one located diagnostic (inputs/yaml_events.py).

    PyYAML is imported here, on the first file that is parsed: a run whose every file comes from the
    parse cache never loads it."""
    from .yaml_events import parse_text

    return parse_text(text, rel)


def _decode(raw: bytes, rel: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte-order mark is harmless; some editors add one
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start].decode("utf-8")  # valid up to the bad byte; columns count characters
        where = Loc(rel, *line_col(before, len(before)))
        message = f"byte 0x{raw[e.start]:02x} is not valid UTF-8"
        raise HmicError([Diagnostic(where, "E003", message, hint="save the file as UTF-8")]) from None


def load(path: Path, root: Path, cache: ParseCache | None = None) -> Document:
    """Read and parse one file, every failure reported as a diagnostic naming the file.

    Only a regular file inside the project is read: a symbolic link leading out of `root` is refused
    (E013), never followed, and a named pipe or device is named without being opened (docs/security.md).
    With a cache, a file whose bytes parsed before takes its data from there (see cache.py), without even
    being read again when a digest of the project (inputs/snapshot.py) read it and it is unchanged since."""
    real, prefix = os.path.realpath(path), os.path.realpath(root).rstrip(os.sep) + os.sep
    within_root = real.startswith(prefix)  # as files.inside says, each path resolved once
    # The path shown, as relpath gives it: a file inside the project by its path from the root, links resolved.
    rel = real[len(prefix) :].replace(os.sep, "/") if within_root else relpath(path, root)
    if not within_root and not inside(path, root):
        raise HmicError(
            [
                Diagnostic(
                    Loc(rel),
                    "E013",
                    "is a symbolic link leading outside the project; hmic reads only files inside it",
                    hint="replace the link with the file itself, or with a link to a file inside the project",
                )
            ]
        )
    if cache is not None and (known := _known(real, rel, cache)) is not None:
        return known
    try:
        raw = read_regular(real, MAX_BYTES)
    except NotRegular as e:
        if e.kind == "a directory":
            raise HmicError(
                [Diagnostic(Loc(rel), "E001", "is a directory, expected a YAML file", hint="remove the directory or rename it")]
            ) from None
        # reading would wait for a writer (a pipe) or never end (/dev/zero)
        raise HmicError(
            [Diagnostic(Loc(rel), "E001", f"is {e.kind}, expected a YAML file", hint="replace it with a regular file")]
        ) from None
    except TooLarge as e:
        raise HmicError(
            [
                Diagnostic(
                    Loc(rel),
                    "E011",
                    f"file is {e.size:,} bytes, over the {MAX_BYTES:,}-byte limit",
                    hint="split the content across files",
                )
            ]
        ) from None
    except OSError as e:
        raise HmicError(
            [Diagnostic(Loc(rel), "E001", f"cannot read file: {e.strerror or e}", hint="check the path and its permissions")]
        ) from None
    if b"\x00" in raw:
        before = raw[: raw.index(b"\x00")].decode("utf-8", "replace")
        where = Loc(rel, *line_col(before, len(before)))
        raise HmicError([Diagnostic(where, "E003", "NUL byte in file", hint="save the file as UTF-8 text")])
    digest = hashlib.sha256(raw).hexdigest()
    if cache is not None:
        hit = cache.get(digest)
        if hit is not None:
            data, locs, key_locs = hit
            return Document(rel, data, digest, locs, key_locs)
    doc = parse(_decode(raw, rel), rel)
    doc.sha256 = digest
    if cache is not None:
        cache.put(digest, (doc.data, doc.locs, doc.key_locs))
    return doc


def _known(real: str, rel: str, cache: ParseCache) -> Document | None:
    """The file at the real path `real` as the parse cache holds it, when a digest read it and it is unchanged since."""
    try:
        st = os.lstat(real)
    except OSError:
        return None
    sha = known_sha256(real, st) if st.st_size <= MAX_BYTES else None
    hit = cache.get(sha) if sha is not None else None
    if sha is None or hit is None:
        return None
    data, locs, key_locs = hit
    return Document(rel, data, sha, locs, key_locs)


def relpath(path: Path, root: Path) -> str:
    """The path shown in diagnostics: relative to the root, through symlinks when they resolve inside it."""
    for candidate in (path, path.parent):  # a symlink loop or a link out of the root: name the link itself
        try:
            resolved = candidate.resolve() if candidate is path else candidate.resolve() / path.name
            return resolved.relative_to(root.resolve()).as_posix()
        except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop on Python 3.11
            continue
    return path.as_posix()
