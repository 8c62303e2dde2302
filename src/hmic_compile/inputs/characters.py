"""The characters a file and its values may hold: what is refused, and where the refused character stands."""

from __future__ import annotations

import re
import unicodedata

from ..diagnostics import Diagnostic, HmicError, Loc


class Refused(Exception):
    """A problem at a place in the file: code, message and hint (raised while parsing, made a diagnostic by `parse`)."""

    def __init__(self, line: int, col: int, code: str, message: str, hint: str = ""):
        self.line, self.col, self.code, self.message, self.hint = line, col, code, message, hint


# A value may not hold what a raw file may not (see _BAD_CHAR), nor a carriage return, however it is
# written: a double-quoted scalar's escapes ("\e", "\0", "\x07", "\L") are refused like the raw characters.
_ESCAPED_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
# Bidirectional embeddings, overrides and isolates make text display in another order than it is
# stored ("Trojan Source", CVE-2021-42574): in a report, or in a file under review, nowhere.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _char_name(c: str) -> str:
    return f"U+{ord(c):04X} ({unicodedata.name(c, 'a control character')})"


class BadValue(Refused):
    """A value holding a character hmic refuses; `parse` places it at the character itself."""

    def __init__(self, pos: tuple[int, int], char: str, quoted: bool):
        self.char, self.quoted = char, quoted
        if BIDI.match(char):
            super().__init__(
                *pos,
                "E021",
                f"character {_char_name(char)} is not allowed: it makes text display in another order than it is stored",
                "delete it; right-to-left text needs no direction overrides",
            )
        else:
            super().__init__(
                *pos,
                "E020",
                f"character {_char_name(char)}, written as an escape, is not allowed",
                "delete the escape; a line break in a value is a new line in a block scalar (|)",
            )


def check_value(value: str, pos: tuple[int, int], quoted: bool, raw_bidi: bool) -> None:
    """Refuse a double-quoted scalar's escaped control characters, and direction overrides however written."""
    bad = _ESCAPED_BAD.search(value) if quoted else (BIDI.search(value) if raw_bidi else None)
    if bad is not None:
        raise BadValue(pos, bad.group(), quoted)


_INVISIBLE = {"Cf", "Cc", "Zl", "Zp"}


def check_key(key: str, pos: tuple[int, int]) -> None:
    """Refuse a key holding control, format or separator characters, raw or escaped (E012)."""
    if key.isascii() and key.isprintable():
        return  # the common case; only non-ASCII text can hide format characters
    bad = [c for c in key if unicodedata.category(c) in _INVISIBLE]
    if bad:
        names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'control character')}" for c in dict.fromkeys(bad))
        # The key as the message shows it: each invisible character named where it stands, never a repr.
        shown = "".join(f"[U+{ord(c):04X}]" if unicodedata.category(c) in _INVISIBLE else c for c in key)
        raise Refused(*pos, "E012", f"key '{shown}' contains invisible characters ({names})", "type the key with plain letters")


# What YAML refuses (control characters, non-characters) or reads as a line break where editors
# see none (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR, which would shift every later line number).
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_YAML_BREAKS = "\x85\u2028\u2029"


LINE_BREAK = re.compile("\r\n|\r|\n")  # as libyaml counts lines (the other YAML breaks are refused)


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column (in characters) of text[index], counted as libyaml counts its marks."""
    breaks = list(LINE_BREAK.finditer(text, 0, index))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start + 1


def check_characters(text: str, rel: str) -> None:
    """Refuse a raw character YAML refuses or miscounts (E003), before the text is parsed."""
    bad = _BAD_CHAR.search(text)
    if bad is None:
        return
    c = bad.group()
    what = f"character U+{ord(c):04X} ({unicodedata.name(c, 'a control character')})"
    if c in _YAML_BREAKS:
        hint = "YAML reads it as a line break: replace it with a space or a new line"
    else:
        hint = "delete it (most editors do not show it)"
    raise HmicError([Diagnostic(Loc(rel, *line_col(text, bad.start())), "E003", f"{what} is not allowed", hint=hint)])


def _offset(text: str, line: int, col: int) -> int:
    """The index in `text` of 1-based (line, col), counted as libyaml counts its marks."""
    start = 0
    for n, brk in enumerate(LINE_BREAK.finditer(text), start=2):
        if n > line:
            break
        start = brk.end()
    return start + col - 1


# One token of a double-quoted scalar: an escape (with its hex digits) or the closing quote.
_QUOTED_TOKEN = re.compile(r'\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)|"', re.DOTALL)
_SHORT_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "v": "\v", "f": "\f", "r": "\r", "e": "\x1b", "N": "\x85", "L": "\u2028", "P": "\u2029"}


def bad_value_at(text: str, e: BadValue) -> tuple[int, int]:
    """Where the refused character is written: its escape in a double-quoted scalar, or the character itself."""
    start = _offset(text, e.line, e.col)
    if not e.quoted:
        at = text.find(e.char, start)
        return line_col(text, at) if at >= 0 else (e.line, e.col)
    for m in _QUOTED_TOKEN.finditer(text, start + 1):
        token = m.group()
        if token == '"':
            break
        char = token if len(token) == 1 else _SHORT_ESCAPES.get(token[1]) if len(token) == 2 else chr(int(token[2:], 16))
        if char == e.char or token == e.char:
            return line_col(text, m.start())
    return e.line, e.col
