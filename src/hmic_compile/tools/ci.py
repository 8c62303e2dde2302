"""What CI reads: diagnostics as SARIF 2.1.0 (GitHub code scanning), and as a Markdown table for a job's step summary.

Each diagnostic code is a SARIF rule whose help is its line in docs/diagnostics.md (kept in
diagnostic_codes.json beside this module, which a test compares with the document).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from .. import __version__
from ..diagnostics import Diagnostic, escape, json_text, summary

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"  # the checkout's top folder: code scanning resolves every location against it
CODES_FILE = "diagnostic_codes.json"


@cache
def meanings() -> dict[str, str]:
    """Each code's meaning, as docs/diagnostics.md words it (Markdown)."""
    text = resources.files(__package__).joinpath(CODES_FILE).read_text(encoding="utf-8")
    codes: dict[str, str] = json.loads(text)
    return codes


def codes_from_docs(markdown: str) -> dict[str, str]:
    """The `| CODE | meaning |` rows of docs/diagnostics.md, in code order."""
    rows = re.findall(r"^\| ([EW]\d{3}) \| (.+?) \|$", markdown, re.M)
    return dict(sorted(rows))


def _plain(markdown: str) -> str:
    return markdown.replace("`", "")


def _rule(code: str) -> dict[str, Any]:
    meaning = meanings().get(code, "")
    text = _plain(meaning) or f"hmic diagnostic {code}"
    return {
        "id": code,
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "help": {"text": f"{code}: {text} (docs/diagnostics.md)", "markdown": f"**{code}**: {meaning or text} (docs/diagnostics.md)"},
        "defaultConfiguration": {"level": "warning" if code.startswith("W") else "error"},
    }


def sarif(diags: list[Diagnostic], prefix: str = "") -> str:
    """A SARIF 2.1.0 log of one run; each location is `prefix` (the project folder within the checkout,
    '' when it is the top folder) joined to the path hmic shows."""
    codes = sorted({d.code for d in diags})
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for d in diags:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(prefix, d.loc.path), "uriBaseId": SRCROOT}}
        if d.loc.line:
            physical["region"] = {"startLine": d.loc.line, "startColumn": max(d.loc.col, 1)}
        results.append(
            {
                "ruleId": d.code,
                "ruleIndex": index[d.code],
                "level": "error" if d.is_error else "warning",
                "message": {"text": escape(d.message + (f"; {d.hint}" if d.hint else ""))},  # shown to people, as a text line
                "locations": [{"physicalLocation": physical}],
            }
        )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "hmic", "version": __version__, "rules": [_rule(c) for c in codes]}},
                "columnKind": "unicodeCodePoints",  # hmic counts columns in characters
                "results": results,
            }
        ],
    }
    return json_text(log, ascii=False)  # I-JSON, as every JSON hmic writes (diagnostics.json_text)


def _uri(prefix: str, path: str) -> str:
    joined = PurePosixPath(prefix, path).as_posix() if prefix else path
    trailing = "/" if path.endswith("/") and not joined.endswith("/") else ""
    return "".join(_URI_SAFE.get(c) or _percent(c) for c in joined) + trailing


# A relative URI reference: characters a path may hold but a URI may not are percent-encoded.
_URI_SAFE = {c: f"%{ord(c):02X}" for c in ' "#%<>?[\\]^`{|}'}
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # as diagnostics.escape: control, format, separator, lone surrogate


def _percent(c: str) -> str:
    """`c` as it stands in a URI: itself, or (a control, format or separator character, or the lone surrogate
    Python reads an undecodable byte of a file name as) its bytes percent-encoded: the name's own bytes."""
    if c.isprintable() and unicodedata.category(c) not in _UNSAFE:
        return c
    return "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogateescape" if "\udc80" <= c <= "\udcff" else "surrogatepass"))


_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def md_literal(text: str) -> str:
    """Text shown exactly as it is in a Markdown table cell: one line, control and format characters shown
    as escapes (diagnostics.escape, as in every line hmic prints), every punctuation character escaped, so
    nothing in it becomes a link, an image, HTML, emphasis or a new cell."""
    return _MD_PUNCTUATION.sub(r"\\\1", escape(" ".join(text.split())))


def step_summary(diags: list[Diagnostic], title: str) -> str:
    """A Markdown section listing every problem, for $GITHUB_STEP_SUMMARY (annotations stop at ten a step)."""
    lines = [f"### {md_literal(title)}: {summary(diags)}", ""]
    if not diags:
        return "\n".join([*lines, "No problems.", "", ""])
    lines += ["| | file | line | code | problem |", "| --- | --- | --- | --- | --- |"]
    for d in diags:
        place = f"{d.loc.line}:{d.loc.col}" if d.loc.line else ""
        problem = d.message + (f"; {d.hint}" if d.hint else "")
        lines.append(f"| {d.severity.value} | {md_literal(d.loc.path)} | {place} | {d.code} | {md_literal(problem)} |")
    return "\n".join([*lines, "", ""])
