"""Diagnostics: what is wrong, where (file:line:col), and what would be right."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Loc:
    """A place in a source file; line and col are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}"
        return self.path


@dataclass(frozen=True)
class Diagnostic:
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
        return line

    def github(self) -> str:
        # GitHub Actions workflow command; property values escape % , : and newlines.
        def prop(v: str) -> str:
            return v.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")

        def data(v: str) -> str:
            return v.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

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


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.loc.path, d.loc.line, d.loc.col, d.code, d.message)


@dataclass
class Diagnostics:
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


def to_json(diags: list[Diagnostic]) -> str:
    """`--format json`: every diagnostic, the counts, and the summary line as people read it."""
    e = sum(1 for d in diags if d.is_error)
    counts = {"errors": e, "warnings": len(diags) - e}
    return json.dumps({"diagnostics": [d.as_dict() for d in diags], "summary": counts, "summary_text": summary(diags)}, indent=2)


HINT_CHOICES = 5  # a hint lists at most this many choices


def one_of(value: str, choices: Iterable[str], most: int = HINT_CHOICES) -> str:
    """The choices for a hint, 'a, b, c': all of them when they are few, else the closest to `value` and how many more."""
    choices = list(dict.fromkeys(choices))
    if len(choices) <= most:
        return ", ".join(choices)
    shown = difflib.get_close_matches(value, choices, n=most - 2, cutoff=0)
    return ", ".join(shown) + f" and {len(choices) - len(shown)} more"
