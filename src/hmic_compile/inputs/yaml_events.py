"""The YAML parser: libyaml's events built into plain data, every scalar a string, every node with its line and column.

inputs/loader.py reads a file and imports this module only for a file that is not in the parse cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from ..diagnostics import Diagnostic, HmicError, Loc
from .characters import BIDI, LINE_BREAK, BadValue, Refused, bad_value_at, check_characters, check_key, check_value, line_col
from .loader import MAX_DEPTH, Document, Path_

try:  # libyaml's C parser is ~35x faster; the pure parser gives the same events.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


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


def parse_text(text: str, rel: str) -> Document:
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
