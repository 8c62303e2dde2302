"""Turning pydantic validation errors into located diagnostics that say what would be right."""

from __future__ import annotations

import difflib
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..diagnostics import Diagnostic, Loc, one_of
from .loader import Document, Path_
from .models import AreaLabels, Labels

# A line of prose with ': ' in it reads as a mapping, "key: value": the words before the colon become a key.
PROSE_HINT = (
    "if this is a line of text with ': ' in it, YAML read it as 'key: value': put the whole line in quotes, "
    "or write it as a folded block (>-)"
)


def _prose_with_colon(value: Any, key: str | None = None) -> bool:
    """Whether `value` looks like a line of prose that YAML read as a one-entry mapping ('The force: it ...')."""
    if not (isinstance(value, dict) and len(value) == 1):
        return False
    k, v = next(iter(value.items()))
    # hmic's keys are lower-case words joined by '_' or '-': a key with a capital or a space was prose.
    return isinstance(k, str) and isinstance(v, str) and (key is None or k == key) and not re.fullmatch(r"[a-z0-9_-]+", k)


def _unwrap(t: Any) -> Any:
    while get_origin(t) is Annotated:
        t = get_args(t)[0]
    return t


def _tag_of(t: Any) -> str | None:
    if get_origin(t) is Annotated:
        for meta in get_args(t)[1:]:
            tag = getattr(meta, "tag", None)
            if isinstance(tag, str):
                return tag
    return None


def _is_union(t: Any) -> bool:
    return get_origin(t) in (Union, types.UnionType)


def model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that pydantic was validating at `loc`, following lists, dicts and tagged unions."""
    t: Any = root
    i = 0
    while True:
        t = _unwrap(t)
        if _is_union(t):
            members = get_args(t)
            tagged = {tag: m for m in members if (tag := _tag_of(m))}
            if i < len(loc) and isinstance(loc[i], str) and loc[i] in tagged:
                t, i = tagged[loc[i]], i + 1
                continue
            non_none = [m for m in members if m is not type(None)]
            if len(non_none) != 1:
                return None
            t = non_none[0]
            continue
        if i == len(loc):
            break
        el, i = loc[i], i + 1
        if isinstance(t, type) and issubclass(t, BaseModel):
            field = t.model_fields.get(str(el))
            if field is None:
                return None
            t = field.annotation
        elif get_origin(t) is list and isinstance(el, int):
            t = get_args(t)[0]
        elif get_origin(t) is dict:
            t = get_args(t)[1]
        else:
            return None
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Path_, Any]:
    """Follow pydantic's loc through the data, skipping union tags; returns (path, last unmatched element)."""
    path: list[str | int] = []
    cur = data
    missing: Any = None
    for el in loc:
        in_dict = isinstance(cur, dict) and isinstance(el, str) and el in cur
        in_list = isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur)
        if in_dict or in_list:
            cur = cur[el]
            path.append(el)
        else:
            missing = el
    return tuple(path), missing


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "nothing"
    return f"'{_short(v)}'"


def _short(v: Any, n: int = 40) -> str:
    s = str(v)
    return s if len(s) <= n else s[: n - 1] + "…"


def _fields(model: type[BaseModel] | None) -> list[str]:
    return list(model.model_fields) if model else []


def _at(data: Any, path: Path_) -> Any:
    for el in path:
        data = data[el]
    return data


def diagnostics_for(err: ValidationError, doc: Document, root: type[BaseModel]) -> list[Diagnostic]:
    found: list[tuple[Path_, str, Diagnostic]] = []
    prose: set[Path_] = set()  # mappings that are lines of prose read as 'key: value'
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        path, _ = data_path(doc.data, loc)
        typ = e["type"]
        value = e.get("input")
        where: Loc = doc.loc(path)
        hint = ""
        if typ == "extra_forbidden":
            key = str(loc[-1])
            where = doc.loc(path, key=True)
            model = model_at(root, loc[:-1])
            allowed = _fields(model)
            close = difflib.get_close_matches(key, allowed, n=1)
            msg = f"unknown key '{key}'"
            if close:
                msg += f" (did you mean '{close[0]}'?)"
            hint = "expected one of: " + one_of(key, allowed) if allowed else ""
            if model is AreaLabels and key in Labels.model_fields:
                msg = f"'{key}' is a label of the whole report, not of one area"
                hint = "set it under 'labels' in the framework's framework.yaml"
            elif _prose_with_colon(_at(doc.data, path[:-1]), key):
                hint = PROSE_HINT
                prose.add(path[:-1])
            code = "E104"
        elif typ == "missing":
            model = model_at(root, loc[:-1])
            msg = f"missing required key '{loc[-1]}'"
            required = [n for n, f in model.model_fields.items() if f.is_required()] if model else []
            hint = "required keys: " + ", ".join(required) if required else ""
            code = "E103"
        elif typ in ("model_type", "model_attributes_type", "dict_type"):
            msg = f"expected a mapping of keys to values, found {_kind(value)}"
            model = model_at(root, loc)
            hint = "with keys: " + ", ".join(_fields(model)) if model else ""
            code = "E102"
        elif typ == "list_type":
            msg = f"expected a list, found {_kind(value)}"
            hint = "write each entry on its own line starting with '- '"
            code = "E102"
        elif typ == "string_type":
            msg = f"expected text, found {_kind(value)}"
            hint = PROSE_HINT if _prose_with_colon(value) else "write the value as a plain or quoted string"
            code = "E102"
        elif typ == "bool_parsing" or typ == "bool_type":
            msg = f"expected true or false, found {_kind(value)}"
            code = "E105"
        elif typ in ("int_parsing", "int_type", "int_from_float"):
            msg = f"expected a whole number, found {_kind(value)}"
            code = "E105"
        elif typ in ("float_parsing", "float_type"):
            msg = f"expected a number, found {_kind(value)}"
            code = "E105"
        elif typ in ("enum", "literal_error"):
            expected = e.get("ctx", {}).get("expected", "")
            msg = f"{_kind(value)} is not allowed here"
            hint = f"expected {expected}"
            code = "E106"
        elif typ == "string_pattern_mismatch" and "\\n" in str(e.get("ctx", {}).get("pattern", "")):
            msg = "a title or name must be a single line"
            hint = "use a plain or quoted scalar on one line, not a block scalar with line breaks"
            code = "E110"
        elif typ == "string_pattern_mismatch":
            msg = f"{_kind(value)} is not a valid id"
            hint = "use lower-case letters, digits and hyphens, e.g. 'np-pcso-recruitment'"
            code = "E107"
        elif typ in ("too_short", "string_too_short"):
            least = e.get("ctx", {}).get("min_length", 1)
            name = next((str(el) for el in reversed(path) if isinstance(el, str)), "")
            last = path[-1] if path else None
            if isinstance(last, int) and name:
                subject, fix = f"entry {last + 1} of '{name}'", "write the text, or remove the entry"
            elif name and last == name:
                subject = f"'{name}'"
                fix = "give it a value, or leave the key out if it is optional" if typ == "string_too_short" else "add at least one entry"
            else:
                subject, fix = "this value", "give it a value"
            if least <= 1:
                msg = f"{subject} must not be empty"
                hint = fix
            else:
                msg = f"{subject} needs at least {least} entries, found {e['ctx'].get('actual_length', 0)}"
            code = "E108"
        elif typ in ("too_long", "string_too_long"):
            most = e.get("ctx", {}).get("max_length")
            msg = f"{_kind(value)} is too long" + (f" (at most {most} characters)" if typ == "string_too_long" and most else "")
            hint = "shorten it"
            code = "E108"
        elif typ == "block_kind":
            kinds = ["bullets", "numbered", "table", "insert"]
            if isinstance(value, dict) and value:
                key = str(next(iter(value)))
                close = difflib.get_close_matches(key, kinds, n=1)
                msg = f"unknown block '{key}'" + (f" (did you mean '{close[0]}'?)" if close else "")
            else:
                msg = f"{_kind(value)} is not a block"
            hint = "a block is a paragraph (text) or a mapping with one of: " + ", ".join(kinds)
            if _prose_with_colon(value):
                hint = PROSE_HINT
            code = "E109"
        elif typ == "union_tag_invalid":
            msg = f"{_kind(value)} is not allowed here"
            hint = "expected text or a mapping"
            code = "E102"
        elif typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            msg = f"{_kind(value)} is out of range: {e['msg'].lower()}"
            code = "E105"
        elif typ == "value_error":
            msg = str(e.get("ctx", {}).get("error", e["msg"]))
            code = "E105"
        else:
            msg = e["msg"]
            code = "E100"
        found.append((path, typ, Diagnostic(where, code, msg, hint=hint)))
    # A mapping that is a line of prose read as 'key: value' is reported once, not for the keys it lacks too.
    out = [d for path, typ, d in found if not (typ == "missing" and path in prose)]
    return _without_misspelt_duplicates(out)


_DID_YOU_MEAN = re.compile(r"unknown key '[^']*' \(did you mean '([^']+)'\?\)")


def _without_misspelt_duplicates(diags: list[Diagnostic]) -> list[Diagnostic]:
    """A misspelt required key gives 'unknown key' and 'missing key' both: report the misspelling once."""
    meant = {m.group(1) for d in diags if d.code == "E104" and (m := _DID_YOU_MEAN.match(d.message))}
    return [d for d in diags if not (d.code == "E103" and d.message.removeprefix("missing required key '")[:-1] in meant)]
