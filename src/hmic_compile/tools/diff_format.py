"""`hmic diff`'s output: text for a terminal, Markdown for a pull-request comment."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from ..diagnostics import escape
from .diff import LIST_NAMES, AreaDiff, Entry, ForceDiff, JudgementChange
from .diff_match import MAX_WORDS, words

Style = Callable[[str, str], str]  # (text, role) -> text; roles: added, removed, heading


def _plain(text: str, role: str) -> str:
    return text


def _arrow(pair: tuple[str | None, str | None]) -> str:
    a, b = (x or "-" for x in pair)
    return a if a == b else f"{a} → {b}"


def word_diff(old: str, new: str, mark: Callable[[str, str], str], plain: Callable[[str], str] = str) -> str:
    """`new` with the words removed from `old` and the words added marked by `mark(words, 'removed'|'added')`."""
    a, b = words(old), words(new)
    if len(a) + len(b) > 2 * MAX_WORDS:  # too long to align word by word (quadratic at worst): shown whole
        return " ".join(x for x in (mark(" ".join(a), "removed") if a else "", mark(" ".join(b), "added") if b else "") if x)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(plain(" ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(mark(" ".join(a[i1:i2]), "removed"))
        if j2 > j1:
            out.append(mark(" ".join(b[j1:j2]), "added"))
    return " ".join(out)


def _summary(a: AreaDiff) -> str:
    counts: dict[str, int] = {}
    for c in a.items:
        counts[c.change] = counts.get(c.change, 0) + 1
    parts = []
    if a.judgements:
        parts.append(f"{len(a.judgements)} judgement{'s' if len(a.judgements) != 1 else ''} changed")
    parts += [f"{n} item{'s' if n != 1 else ''} {k}" for k, n in counts.items()]
    if a.rationale_changed:
        parts.append("grade rationale changed")
    if not (a.in_old and a.in_new):
        parts.insert(0, "only in the new evidence" if a.in_new else "only in the old evidence")
    return ", ".join(parts)


def _judgement_text(j: JudgementChange) -> str:
    text = f"{j.criterion}: {j.old or 'not judged'}"
    if j.old != j.new:
        text += f" → {j.new or 'not judged'}"
    cites = [f"+{e}" for e in j.added] + [f"-{e}" for e in j.removed]
    if cites:
        text += f" (evidence {' '.join(cites)})"
    return text


def _where(e: Entry) -> str:
    return f"{LIST_NAMES[e.kind]}{' ' + e.id if e.id else ''}"


def _escaped(value: Any) -> Any:
    """A copy of a diff (or any part of it) with every text escaped for a terminal (see diagnostics.escape)."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, tuple):
        return tuple(_escaped(v) for v in value)
    if isinstance(value, Struct):
        return replace(value, **{f: _escaped(getattr(value, f)) for f in value.__struct_fields__})
    return value


def format_text(d: ForceDiff, style: Style = _plain) -> str:
    """For a terminal; `style` may colour added and removed text. What came from the input is escaped
    (control characters, line breaks) before it is styled, so the colours are the only escape sequences."""
    d = _escaped(d)
    lines = [style(f"{d.old_label} → {d.new_label}", "heading")]
    if d.old_name != d.new_name:
        lines.append(f"name: {d.old_name} → {d.new_name}")
    if not d.changed:
        return "\n".join(lines + ["no differences in grades, judgements or evidence"]) + "\n"
    graded = [a for a in d.areas if a.graded]
    if graded:
        rows = [("area", "awarded", "derived")] + [(a.name, _arrow(a.awarded), _arrow(a.derived)) for a in graded]
        w0, w1 = (max(len(r[i]) for r in rows) for i in range(2))
        lines.append("")
        lines += [f"  {r[0].ljust(w0)}  {r[1].ljust(w1)}  {r[2]}".rstrip() for r in rows]
    for a in d.areas:
        if not a.detailed:
            continue
        lines += ["", style(f"{a.name} ({a.id}): {_summary(a)}", "heading")]
        if a.rationale_changed:
            old, new = (x or "" for x in a.rationale)

            def mark_r(words: str, role: str) -> str:
                return style(f"[-{words}-]" if role == "removed" else f"{{+{words}+}}", role)

            lines.append(f"  ~ grade rationale: {word_diff(old, new, mark_r)}")
        for j in a.judgements:
            lines.append(f"  ~ {_judgement_text(j)}")
        for c in a.items:
            if c.change == "added" and c.new:
                lines.append(style(f"  + {_where(c.new)}: {c.new.text}", "added"))
            elif c.change == "removed" and c.old:
                lines.append(style(f"  - {_where(c.old)}: {c.old.text}", "removed"))
            elif c.old and c.new:
                moved = f" (moved from {LIST_NAMES[c.old.kind]})" if c.old.kind != c.new.kind else ""
                renamed = f" (was {c.old.id})" if c.old.id != c.new.id and c.old.id else ""

                def mark(words: str, role: str) -> str:
                    return style(f"[-{words}-]" if role == "removed" else f"{{+{words}+}}", role)

                body = word_diff(c.old.text, c.new.text, mark) if c.change == "reworded" else c.new.text
                lines.append(f"  ~ {c.change} {_where(c.new)}{renamed}{moved}: {body}")
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~:$^&])")
# What GitHub links in a comment's text whatever is escaped: bare addresses (scheme://, www., e-mail),
# @mentions, #123 and GH-123 references. A word joiner (U+2060, invisible) after the '@', '#', 'GH-',
# 'www' or scheme ':' breaks each pattern, so the text shows as written and nobody is notified. It is
# written as an entity: the comment is printed, and no format character reaches a terminal or a log raw.
_GITHUB_LINKS = re.compile(r"(?i)(@|#(?=\d)|\bgh-(?=\d)|\bwww(?=\.)|:(?=//))")
WORD_JOINER = "&#8288;"


def neutralise(text: str) -> str:
    """`text` with nothing GitHub would turn into a link or a notification."""
    return _GITHUB_LINKS.sub(lambda m: m.group() + WORD_JOINER, text)


def md(text: str) -> str:
    """Text shown literally in GitHub Markdown: no markup, no HTML, no links or mentions, on one line."""
    return neutralise(_MD_SPECIAL.sub(r"\\\1", " ".join(text.split())))


def format_markdown(d: ForceDiff) -> str:
    """For a pull-request comment: a grade table, then one collapsible section per changed area."""
    out = [f"### hmic diff: {_code(d.old_label)} → {_code(d.new_label)}", ""]
    if d.old_name != d.new_name:
        out += [f"Name: {md(d.old_name)} → {md(d.new_name)}", ""]
    if not d.changed:
        return "\n".join(out + ["No differences in grades, judgements or evidence."]) + "\n"
    graded = [a for a in d.areas if a.graded]
    if graded:
        out += ["| Area | Awarded | Derived |", "| --- | --- | --- |"]
        for a in graded:

            def cell(pair: tuple[str | None, str | None]) -> str:
                x, y = (md(v) if v else "–" for v in pair)
                return x if pair[0] == pair[1] else f"{x} → **{y}**"

            out.append(f"| {md(a.name)} | {cell(a.awarded)} | {cell(a.derived)} |")
        out.append("")
    for a in d.areas:
        if not a.detailed:
            continue
        out += ["<details>", f"<summary><b>{_html(a.name)}</b>: {_html(_summary(a))}</summary>", ""]
        if a.rationale_changed:
            old, new = (x or "" for x in a.rationale)
            out.append(f"- **grade rationale**: {word_diff(old, new, _md_mark, md)}")
        for j in a.judgements:
            out.append(f"- {md(_judgement_text(j))}")
        for c in a.items:
            if c.change == "added" and c.new:
                out.append(f"- **added** to {md(_where(c.new))}: {md(c.new.text)}")
            elif c.change == "removed" and c.old:
                out.append(f"- **removed** from {md(_where(c.old))}: ~~{md(c.old.text)}~~")
            elif c.old and c.new:
                moved = f" (moved from {md(LIST_NAMES[c.old.kind])})" if c.old.kind != c.new.kind else ""
                renamed = f" (was {md(c.old.id)})" if c.old.id != c.new.id and c.old.id else ""
                body = word_diff(c.old.text, c.new.text, _md_mark, md) if c.change == "reworded" else md(c.new.text)
                out.append(f"- **{c.change}** {md(_where(c.new))}{renamed}{moved}: {body}")
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text and "\n" not in text else md(text)


def _md_mark(words: str, role: str) -> str:
    return f"~~{md(words)}~~" if role == "removed" else f"**{md(words)}**"


def _html(text: str) -> str:
    return neutralise(" ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
