"""Diagnostics: what is wrong, where (file:line:col), and what would be right."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from msgspec import Struct, field
from msgspec.structs import asdict

# --- text that came from the input, made safe to print --------------------------------------------
#
# A value from a file (a key, an id, a folder name, a message quoting either) can hold characters a
# terminal or a CI log acts on: ESC starts an escape sequence, CR and LF start a new line, and on
# GitHub Actions a line starting with '::' (or holding '##[') is a workflow command. Every line hmic
# prints goes through `safe_line`, which shows such characters as Python would write them.

# Control characters (C0, DEL, C1), format characters (bidirectional overrides, zero-width spaces),
# lone surrogates (from file names that are not UTF-8) and the line and paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(c: str) -> str:
    n = ord(c)
    if c in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[c]
    if n < 0x100:
        return f"\\x{n:02x}"
    return f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def escape(text: str) -> str:
    """`text` with every control, format or separator character shown as an escape: '\\n', '\\x1b', '\\u202e'.

    Backslashes are kept as they are: the result is for reading, not for parsing back."""
    if text.isprintable():  # the common case: no character of those categories
        return text
    return "".join(_escaped(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text)


def safe_line(text: str) -> str:
    """One line for a terminal or a CI log: `text` escaped, never a workflow command.

    GitHub's runner takes a line whose first characters after any white space are '::' as a
    command, and '##[' anywhere in a line as an older form of one (Azure Pipelines: '##vso[')."""
    return no_command(escape(text))


# White space and hmic's own colour codes (a log may drop the codes) before a line's first '::'.
_COMMAND_START = re.compile(r"^((?:\s|\x1b\[[0-9;]*m)*)::")


def no_command(line: str) -> str:
    """`line` (already escaped, or coloured by hmic itself) made never to read as a workflow command (see safe_line)."""
    line = _COMMAND_START.sub(lambda m: f"{m.group(1)}\\x3a:", line, count=1)
    if "##" in line:
        line = line.replace("##[", "##\\x5b").replace("##vso[", "##vso\\x5b")
    return line


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogates(value: Any) -> Any:
    """`value` (plain data) with each lone surrogate in its text written out as '\\udcff'."""
    if isinstance(value, str):
        if value.isprintable() or not any("\ud800" <= c <= "\udfff" for c in value):
            return value
        return "".join(f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in value)
    if isinstance(value, dict):
        return {_no_surrogates(k): _no_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_surrogates(v) for v in value]
    return value


def _json_escaped(c: str) -> str:
    n = ord(c)
    if n < 0x10000:
        return f"\\u{n:04x}"
    n -= 0x10000  # a surrogate pair, as JSON writes a character beyond the Basic Multilingual Plane
    return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"


def json_text(data: Any, *, ascii: bool = True, indent: int | None = 2) -> str:
    """`data` as I-JSON (RFC 7493): no lone surrogates, whatever the input held, and nothing a terminal or a CI log acts on.

    With `ascii`, every other character is written as \\uXXXX (json's default); without, only control,
    format and separator characters are, so the text still decodes to the same values."""
    import json  # only for JSON output: `hmic validate` prints text

    # Written without escapes first: a lone surrogate in the data shows in that text as itself, and only
    # then is the data walked to write each one out (most data has none, and the walk is the slow part).
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    if _SURROGATE.search(text):
        data = _no_surrogates(data)
        text = json.dumps(data, ensure_ascii=False, indent=indent)
    if ascii:
        text = json.dumps(data, indent=indent)
    if "##" in text:  # only ever inside a string: written \u005b, it decodes to the same text but is no workflow command
        text = text.replace("##[", "##\\u005b").replace("##vso[", "##vso\\u005b")
    if ascii or text.replace("\n", "").isprintable():
        return text
    return "".join(_json_escaped(c) if c != "\n" and unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text)


def json_lines(items: Sequence[Any]) -> list[str]:
    """`json_text(item, ascii=False, indent=None)` of each item, a line each: the same texts, checked all at once."""
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps's own, made once
    texts = [encode(item) for item in items]
    joined = "\n".join(texts)  # no line holds a newline: json writes one inside a string as \n
    if _SURROGATE.search(joined) or "##" in joined or not joined.replace("\n", "").isprintable():
        return [json_text(item, ascii=False, indent=None) for item in items]  # something to write out: item by item
    return texts


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


class Loc(Struct, frozen=True, order=True):
    """A place in a source file; line and col are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}"
        return self.path


class Diagnostic(Struct, frozen=True):
    loc: Loc
    code: str
    message: str
    severity: Severity = Severity.ERROR
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def text(self) -> str:
        line = f"{self.loc}: {self.severity.value}[{self.code}]: {self.message}"
        if self.hint:
            line += f"; {self.hint}"
        return safe_line(line)

    def github(self) -> str:
        # A GitHub Actions workflow command. What came from the input is escaped first (as in text());
        # then GitHub's own rules: '%', CR and LF in the message, and ':' and ',' too in a property.
        def prop(v: str) -> str:
            v = escape(v).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            return v.replace(":", "%3A").replace(",", "%2C")

        def data(v: str) -> str:
            return safe_line(v).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

        kind = "error" if self.is_error else "warning"
        props = [f"file={prop(self.loc.path)}"]
        if self.loc.line:
            props += [f"line={self.loc.line}", f"col={self.loc.col}"]
        props.append(f"title={prop(self.code)}")
        msg = self.message + (f"; {self.hint}" if self.hint else "")
        return f"::{kind} {','.join(props)}::{data(msg)}"

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["severity"] = self.severity.value
        d["loc"] = asdict(self.loc)
        return d


def plain_diagnostics(diags: Iterable[Diagnostic]) -> list[tuple[str, int, int, str, str, str, str]]:
    """Diagnostics as plain data (for marshal, in the cache: inputs/cache.py), read back by `from_plain_diagnostics`."""
    return [(d.loc.path, d.loc.line, d.loc.col, d.code, d.message, d.severity.value, d.hint) for d in diags]


def from_plain_diagnostics(rows: Any) -> list[Diagnostic]:
    """The diagnostics of `plain_diagnostics`; ValueError when `rows` are not what it makes."""
    out = []
    for row in rows:
        path, line, col, code, message, severity, hint = row
        if not all(type(v) is str for v in (path, code, message, severity, hint)) or type(line) is not int or type(col) is not int:
            raise ValueError("not a diagnostic")
        out.append(Diagnostic(Loc(path, line, col), code, message, Severity(severity), hint))
    return out


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.loc.path, d.loc.line, d.loc.col, d.code, d.message)


class Diagnostics(Struct):
    """An ordered collection; stages append, the CLI prints."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, d: Diagnostic) -> None:
        self.items.append(d)

    def error(self, loc: Loc, code: str, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(loc, code, message, Severity.ERROR, hint))

    def warning(self, loc: Loc, code: str, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(loc, code, message, Severity.WARNING, hint))

    def extend(self, ds: Iterable[Diagnostic]) -> None:
        self.items.extend(ds)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]

    def sorted(self) -> list[Diagnostic]:
        # Deduplicate: the same problem reached by two routes is reported once.
        return sorted(set(self.items), key=sort_key)


class HmicError(Exception):
    """Raised when input problems stop a stage; carries the diagnostics, not printed text."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("; ".join(d.text() for d in diagnostics[:3]))
        self.diagnostics = diagnostics


class CommandError(Exception):
    """A command that cannot go on: what is wrong and what would be right, with the input's diagnostics
    (exit 1), or a usage error (exit 2) when the command line itself asked for something impossible."""

    def __init__(self, message: str, hint: str = "", usage: bool = False, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.message, self.hint, self.usage = message, hint, usage
        self.diagnostics = diagnostics or []


def summary(diags: list[Diagnostic]) -> str:
    e = sum(1 for d in diags if d.is_error)
    w = len(diags) - e
    return f"{e} error{'s' if e != 1 else ''}, {w} warning{'s' if w != 1 else ''}"


def to_json(diags: list[Diagnostic], **extra: Any) -> str:
    """`--format json`: every diagnostic, the counts, and the summary line as people read it, with `extra`
    keys after them (e.g. what was built); I-JSON, escaped like every other output (json_text)."""
    e = sum(1 for d in diags if d.is_error)
    counts = {"errors": e, "warnings": len(diags) - e}
    return json_text({"diagnostics": [d.as_dict() for d in diags], "summary": counts, "summary_text": summary(diags), **extra})


HINT_CHOICES = 5  # a hint lists at most this many choices


def one_of(value: str, choices: Iterable[str], most: int = HINT_CHOICES) -> str:
    """The choices for a hint, 'a, b, c': all of them when they are few, else the closest to `value` and how many more."""
    choices = list(dict.fromkeys(choices))
    if len(choices) <= most:
        return ", ".join(choices)
    import difflib  # only when a suggestion is made

    shown = difflib.get_close_matches(value, choices, n=most - 2, cutoff=0)
    return ", ".join(shown) + f" and {len(choices) - len(shown)} more"
