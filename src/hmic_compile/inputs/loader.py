"""Strict YAML loading: every scalar a string, every node keeps its line and column."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..diagnostics import Diagnostic, HmicError, Loc
from .characters import BIDI, LINE_BREAK, BadValue, Refused, bad_value_at, check_characters, check_key, check_value, line_col
from .files import NotRegular, TooLarge, inside, read_regular

if TYPE_CHECKING:
    from .cache import ParseCache

try:  # libyaml's C parser is ~35x faster; the pure parser gives the same events.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 40

Path_ = tuple[str | int, ...]


@dataclass
class Document:
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


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


@contextmanager
def _events(text: str) -> Iterator[Iterator[Any]]:
    """libyaml's events, one C call each (yaml.parse makes two per event, and a generator one more)."""
    parser = _Loader(text)
    try:
        yield iter(parser.get_event, None)
    finally:
        parser.dispose()


_YAML_TAGS = "tag:yaml.org,2002:"  # what '!!' stands for
_SKIPPED = (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_ScalarEvent, _MappingStartEvent = yaml.ScalarEvent, yaml.MappingStartEvent


def _refuse_tag(tag: str, pos: tuple[int, int]) -> None:
    shown = "!!" + tag[len(_YAML_TAGS) :] if tag.startswith(_YAML_TAGS) else tag  # as it was written
    raise Refused(
        *pos, "E006", f"explicit tag '{shown}' is not allowed", "remove the tag; every value is text and the schema gives it its type"
    )


def _build(events: Any, doc: Document, raw_bidi: bool = False) -> Any:
    """Turn a libyaml event stream into plain data, refusing anything but plain YAML.

    `raw_bidi`: the file's text holds a direction override somewhere, so every value is searched for one.

    The hot loop of loading (one pass per event, ~4,000 events for a force): the innermost open
    collection, its path, its kind and a mapping's pending key live in locals, the enclosing ones on a stack.
    """
    locs, key_locs = doc.locs, doc.key_locs
    stack: list[tuple[Any, Path_, bool, Any, Any]] = []  # enclosing (container, path, is_map, key, key_pos)
    container: Any = None  # the innermost open list or dict; None at the top level
    cpath: Path_ = ()
    is_map = False
    key: str | None = None  # in a mapping: the key whose value comes next, or None when a key comes next
    key_pos: tuple[int, int] = (0, 0)
    root: Any = None
    have_root = False
    documents = 0

    for ev in events:
        cls = type(ev)  # dispatch on the exact class: libyaml gives nothing else
        if cls is _ScalarEvent:
            mark = ev.start_mark
            pos = (mark.line + 1, mark.column + 1)
            if ev.anchor is not None:
                raise Refused(
                    *pos, "E005", f"anchor '&{ev.anchor}' is not allowed", "remove the anchor; hmic files use no anchors or aliases"
                )
            if ev.tag is not None and ev.tag != "!":  # '!' is how a quoted scalar's style shows; any other tag was written
                _refuse_tag(ev.tag, pos)
            value: str = ev.value
            quoted = ev.style == '"'
            if (quoted or raw_bidi) and not (is_map and key is None):  # a value (keys are checked by check_key)
                check_value(value, pos, quoted, raw_bidi)
            if container is None:
                # `key:` with nothing after it is the empty text, whichever parser read it (libyaml gives a
                # plain scalar style '', the pure-Python parser None), so the schema says "must not be empty".
                if value == "" and not ev.style:
                    continue  # a document with no content ('---' alone): the file is empty
                root, have_root = value, True
                locs[()] = pos
            elif not is_map:
                p = (*cpath, len(container))
                container.append(value)
                locs[p] = pos
            elif key is not None:
                p = (*cpath, key)
                container[key] = value
                locs[p] = pos
                key_locs[p] = key_pos
                key = None
            else:  # the next key of a mapping
                if value == "":
                    raise Refused(*pos, "E007", "empty mapping key", "give the key a name")
                check_key(value, pos)
                if value in container:
                    first = key_locs.get((*cpath, value), (0, 0))
                    raise Refused(*pos, "E004", f"duplicate key '{value}' (first defined at line {first[0]})", "keep one of them")
                key, key_pos = value, pos
            continue
        if cls in _ENDS:
            container, cpath, is_map, key, key_pos = stack.pop()
            continue
        if cls in _SKIPPED:
            continue
        mark = ev.start_mark
        pos = (mark.line + 1, mark.column + 1)
        if cls is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise Refused(
                    *pos, "E008", "more than one YAML document in the file", "keep one document per file; remove the '---' separator"
                )
            continue
        if cls is yaml.AliasEvent:
            raise Refused(
                *pos, "E005", f"alias '*{ev.anchor}' is not allowed", "write the value out in full; hmic files use no anchors or aliases"
            )
        # a mapping or sequence starts
        if ev.anchor is not None:
            raise Refused(*pos, "E005", f"anchor '&{ev.anchor}' is not allowed", "remove the anchor; hmic files use no anchors or aliases")
        if ev.tag is not None:
            _refuse_tag(ev.tag, pos)
        if is_map and key is None:
            raise Refused(*pos, "E007", "a mapping or list cannot be used as a key", "use a plain text key")
        if len(stack) >= MAX_DEPTH:
            raise Refused(*pos, "E010", f"nesting deeper than {MAX_DEPTH} levels", "flatten the structure")
        new: Any = {} if cls is _MappingStartEvent else []
        if container is None:
            root, have_root = new, True
            p = ()
            locs[p] = pos
        elif not is_map:
            p = (*cpath, len(container))
            container.append(new)
            locs[p] = pos
        else:
            assert key is not None  # a collection in a key's place was refused above
            p = (*cpath, key)
            container[key] = new
            locs[p] = pos
            key_locs[p] = key_pos
        stack.append((container, cpath, is_map, None, key_pos))
        container, cpath, is_map, key = new, p, cls is _MappingStartEvent, None
    if not have_root:
        raise Refused(1, 1, "E009", "the file is empty", "every hmic file is a mapping of keys to values")
    return root


def _is_tab_at(text: str, mark: Any) -> bool:
    lines = LINE_BREAK.split(text)
    return 0 <= mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t"


def parse(text: str, rel: str) -> Document:
    """Parse YAML text into a Document, raising HmicError with one located diagnostic."""
    check_characters(text, rel)
    raw_bidi = BIDI.search(text)
    doc = Document(rel=rel, data=None)
    try:
        with _events(text) as events:
            doc.data = _build(events, doc, raw_bidi is not None)
        if raw_bidi is not None:  # in no key and no value: in a comment, where a reviewer reads it
            raise BadValue(line_col(text, raw_bidi.start()), raw_bidi.group(), False)
    except BadValue as e:
        where = Loc(rel, *bad_value_at(text, e))
        raise HmicError([Diagnostic(where, e.code, e.message, hint=e.hint)]) from None
    except Refused as e:
        raise HmicError([Diagnostic(Loc(rel, e.line, e.col), e.code, e.message, hint=e.hint)]) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = _pos(mark) if mark else (0, 0)
        what = str(e.problem or e.context or "")
        if e.context and e.problem:
            what = f"{e.problem} {e.context}"  # e.g. "did not find expected ',' or ']' while parsing a flow sequence"
            cm = e.context_mark
            if cm is not None and e.problem_mark is not None and (cm.line, cm.column) != (e.problem_mark.line, e.problem_mark.column):
                what += f" that starts at line {cm.line + 1}, column {cm.column + 1}"
        if "maximum nesting depth" in what:  # libyaml's own limit (1,000 levels), met while scanning ahead
            where = Loc(rel, line, col)
            raise HmicError([Diagnostic(where, "E010", f"nesting deeper than {MAX_DEPTH} levels", hint="flatten the structure")]) from None
        tab = "tab" in what.lower() or (mark is not None and _is_tab_at(text, mark))
        hint = "YAML indents with spaces, never tabs" if tab else "check the YAML syntax at this point"
        if not tab and "mapping values are not allowed" in what:
            hint = "a ': ' inside a value starts a mapping: put the whole value in quotes, or write it as a folded block (>-)"
        raise HmicError([Diagnostic(Loc(rel, line, col), "E002", f"YAML syntax error: {what}", hint=hint)]) from None
    except yaml.YAMLError as e:  # reader errors that check_characters did not foresee
        position = getattr(e, "position", None)
        line, col = line_col(text, position) if isinstance(position, int) else (1, 1)
        reason = getattr(e, "reason", None) or str(e)
        raise HmicError([Diagnostic(Loc(rel, line, col), "E003", f"YAML error: {reason}", hint="check the file's characters")]) from None
    return doc


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
    With a cache, a file whose bytes parsed before takes its data from there (see cache.py)."""
    rel = relpath(path, root)
    if not inside(path, root):
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
    try:
        raw = read_regular(os.path.realpath(path), MAX_BYTES)
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


def relpath(path: Path, root: Path) -> str:
    """The path shown in diagnostics: relative to the root, through symlinks when they resolve inside it."""
    for candidate in (path, path.parent):  # a symlink loop or a link out of the root: name the link itself
        try:
            resolved = candidate.resolve() if candidate is path else candidate.resolve() / path.name
            return resolved.relative_to(root.resolve()).as_posix()
        except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop on Python 3.11
            continue
    return path.as_posix()
