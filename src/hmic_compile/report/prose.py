"""Evidence prose: one configured markdown-it instance for HTML, escaping for Markdown output."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

from ..checks.words import capitalised_words

SAFE_SCHEMES = ("http:", "https:", "mailto:")
MAX_NESTING = 20


class ProseError(ValueError):
    """Prose that cannot be rendered without loss (reported with the string's location)."""


def _validate_link(url: str) -> bool:
    u = url.strip().lower()
    return u.startswith("#") or u.startswith(SAFE_SCHEMES)


_PLAIN_TERM = re.compile(r"^[A-Z][a-z]*[A-Z][A-Za-z]*$")


class Abbreviations:
    """Finds glossary terms (and their plurals) in text: each match as (start, end, term)."""

    def __init__(self, titles: dict[str, str]):
        self.titles = titles
        self.simple = all(_PLAIN_TERM.match(t) for t in titles)
        terms = sorted(titles, key=len, reverse=True)
        self.rx = None if self.simple or not terms else re.compile(r"(?<![\w-])(" + "|".join(re.escape(t) for t in terms) + r")s?(?![\w-])")

    def find(self, text: str) -> list[tuple[int, int, str]]:
        if not self.titles:
            return []
        if self.rx is not None:
            return [(m.start(), m.end(), m.group(1)) for m in self.rx.finditer(text)]
        out = []
        titles = self.titles
        for start, end in capitalised_words(text):  # whole capitalised words, looked up: cheaper than a 60-way regex
            w = text[start:end]
            if w in titles:
                out.append((start, end, w))
            elif w.endswith("s") and w[:-1] in titles:
                out.append((start, end, w[:-1]))
        return out


def _abbr_rule(state: Any) -> None:
    """Wrap glossary terms in text tokens with <abbr title>, never inside code, links' targets or attributes."""
    abbr: Abbreviations | None = state.env.get("abbr")
    if abbr is None:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        out: list[Token] = []
        for tok in block.children:
            hits = abbr.find(tok.content) if tok.type == "text" else []
            if not hits:
                out.append(tok)
                continue
            pos = 0
            for start, end, term in hits:
                if start > pos:
                    t = Token("text", "", 0)
                    t.content = tok.content[pos:start]
                    out.append(t)
                op = Token("abbr_open", "abbr", 1)
                op.attrSet("title", abbr.titles[term])
                out.append(op)
                t = Token("text", "", 0)
                t.content = tok.content[start:end]
                out.append(t)
                out.append(Token("abbr_close", "abbr", -1))
                pos = end
            if pos < len(tok.content):
                t = Token("text", "", 0)
                t.content = tok.content[pos:]
                out.append(t)
        block.children = out


# Prose is inline Markdown: blocks come from the YAML (bullets, numbered, table), so a line starting
# with '#', '-', '>' or '1.' is text, as md_escape makes it in the Markdown output. No images (the
# report makes no outside requests), no autolinks (md_escape shows '<' as text), no reference
# definitions (the Markdown output is one document, where a definition would reach other strings).
_OFF = ["code", "fence", "blockquote", "hr", "list", "reference", "html_block", "heading", "lheading", "image", "autolink", "html_inline"]


def make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "maxNesting": MAX_NESTING})
    md.disable(_OFF)
    md.validateLink = _validate_link  # type: ignore[method-assign]
    md.core.ruler.push("abbr", _abbr_rule)
    return md


@dataclass(frozen=True)
class Run:
    """A stretch of prose in one format: its text ("\n" is a line break), marks (strong, em, code) and link target."""

    text: str
    marks: frozenset[str] = frozenset()
    link: str | None = None


_MARKS = {"strong_open": "strong", "em_open": "em"}


def _runs(tokens: Sequence[Token]) -> list[Run]:
    out: list[Run] = []
    marks: list[str] = []
    link: list[str] = []
    for block in tokens:
        if block.type == "paragraph_open" and out:
            out.append(Run("\n"))
        for tok in block.children or ():
            here, target = frozenset(marks), (link[-1] if link else None)
            if tok.type == "text" and tok.content:
                out.append(Run(tok.content, here, target))
            elif tok.type == "code_inline":
                out.append(Run(tok.content, here | {"code"}, target))
            elif tok.type == "softbreak":
                out.append(Run(" ", here, target))
            elif tok.type == "hardbreak":
                out.append(Run("\n", here, target))
            elif tok.type in _MARKS:
                marks.append(_MARKS[tok.type])
            elif tok.type in ("strong_close", "em_close") and marks:
                marks.pop()
            elif tok.type == "link_open":
                link.append(str(tok.attrGet("href") or ""))
            elif tok.type == "link_close" and link:
                link.pop()
    return out


@dataclass
class Renderer:
    """Renders prose strings once each; the same Prose object serves the HTML and the Markdown output."""

    abbreviations: dict[str, str] = field(default_factory=dict)
    md: MarkdownIt = field(default_factory=make_markdown)

    @cached_property
    def abbr(self) -> Abbreviations:
        return Abbreviations(self.abbreviations)

    def html_block(self, text: str) -> Markup:
        if not _needs_parser(text):
            return Markup(f"<p>{self._plain(text)}</p>")
        env = {"abbr": self.abbr}
        tokens = self.md.parse(text, env)
        _check_nesting(tokens, text)
        return Markup(self.md.renderer.render(tokens, self.md.options, env).strip())

    @cached_property
    def _abbr_open(self) -> dict[str, str]:
        return {term: f'<abbr title="{_escape_text(title)}">' for term, title in self.abbreviations.items()}

    def _plain(self, text: str) -> str:
        """What markdown-it makes of text with no Markdown in it, inside its <p>, without parsing (most prose is plain)."""
        html = _escape_text(text)
        if not self.abbr.simple:  # terms that are not plain words may hold what escaping changes
            parts, pos = [], 0
            for start, end, term in self.abbr.find(text):
                parts += [_escape_text(text[pos:start]), self._abbr_open[term], _escape_text(text[start:end]), "</abbr>"]
                pos = end
            parts.append(_escape_text(text[pos:]))
            return "".join(parts)
        # Escaping makes entities of lower-case letters between '&' and ';', which neither hold nor
        # touch a capitalised word: the words found in the escaped text are the text's own.
        hits = self.abbr.find(html)
        if not hits:
            return html
        parts, pos = [], 0
        for start, end, term in hits:
            parts += [html[pos:start], self._abbr_open[term], html[start:end], "</abbr>"]
            pos = end
        parts.append(html[pos:])
        return "".join(parts)

    def runs(self, text: str) -> list[Run]:
        """`text` parsed as the HTML's is (links only where the HTML has them), as runs for a word processor."""
        if not _needs_parser(text):
            return [Run(text)]
        tokens = self.md.parse(text, {})
        _check_nesting(tokens, text)
        return _runs(tokens)

    def html_inline(self, text: str) -> Markup:
        """HTML for a single line of prose: a lone paragraph loses its <p> wrapper."""
        if not _needs_parser(text):
            return Markup(self._plain(text))
        html = self.html_block(text)
        if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
            return Markup(html[3:-4])
        return html


# Anything markdown-it could treat specially (inline syntax, entities, escapes, line structure);
# text without any of it takes the plain path, which gives the same HTML.
_SPECIAL = re.compile(r"[\\*_`\[\]!<>&\n\r\t~|]")


def _needs_parser(text: str) -> bool:
    # One character class is a fast scan; the cases that are not single characters are tested apart.
    return bool(_SPECIAL.search(text)) or "  " in text or text[:1].isspace() or text[-1:].isspace()


def _escape_text(text: str) -> str:
    # markdown-it's escapeHtml: & < > " only
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _check_nesting(tokens: Sequence[Token], text: str) -> None:
    # markdown-it stops nesting at maxNesting and silently drops what lies deeper: refuse instead.
    depth = max((t.level for t in tokens), default=0)
    if depth >= MAX_NESTING - 1:
        raise ProseError(f"text nests deeper than {MAX_NESTING - 2} levels; the renderer would drop content")


_MD_LINE_START = re.compile(r"^(\s*)([#>]|[-+*](?=\s)|\d+[.)](?=\s)|=+\s*$|-+\s*$|([*_])(?:\s*\3){2,}\s*$)", re.M)
_MD_FIRST_LINE = re.compile(_MD_LINE_START.pattern)  # the same at the start of a one-line string (a scan per line is slow)
_UNESCAPED = r"(?<!\\)((?:\\\\)*)"  # preceded by an even number of backslashes (none escaping it)
_IMAGE = re.compile(_UNESCAPED + r"!\[")
_LINK_END = re.compile(_UNESCAPED + r"\]([(:])")
_PIPE = re.compile(r"(\\*)\|")


def _neutralise_links(text: str) -> str:
    """Escape link syntax the HTML refuses, so the Markdown output shows it as text too.

    `](dest)` stays a link only when its destination (entities decoded, as a Markdown renderer
    would) is one _validate_link allows; `]:` would start a reference definition, which the HTML
    never honours; `![` would be an image.
    """

    def link_end(m: re.Match[str]) -> str:
        if m.group(2) == "(":
            dest = text[m.end() : m.end() + 256].lstrip()
            if not dest.startswith("<") and _validate_link(html.unescape(dest).replace("\\", "")):
                return m.group(0)
        return m.group(1) + "]\\" + m.group(2)

    text = _IMAGE.sub(lambda m: m.group(1) + "\\![", text)
    return _LINK_END.sub(link_end, text)


def md_escape(text: str) -> str:
    """Markdown source safe to place in a paragraph: no raw HTML, no links the HTML refuses, no accidental headings."""
    line_start = _MD_LINE_START.search(text) if "\n" in text else _MD_FIRST_LINE.match(text)
    if line_start is None and "<" not in text and "]" not in text and "![" not in text:
        return text  # nothing to escape: the common case
    text = _neutralise_links(text).replace("<", "&lt;")
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def md_cell(text: str) -> str:
    """Markdown source safe inside a table cell: one line, every pipe escaped (even one after a backslash)."""
    one_line = " ".join(md_escape(text).split())
    return _PIPE.sub(lambda m: m.group(1) + ("|" if len(m.group(1)) % 2 else "\\|"), one_line)


class Prose:
    """A prose string with its renderings, computed on first use and shared between outputs.

    `number` is its paragraph number in a --numbered build (e.g. "3.2.14", report/numbering.py), or None:
    every rendering (`html`, `inline`, `md`) then opens with it, so that each format shows the same number."""

    __slots__ = ("text", "number", "_r", "_html", "_inline")

    def __init__(self, text: str, renderer: Renderer):
        self.text = text
        self.number: str | None = None
        self._r = renderer
        self._html: Markup | None = None
        self._inline: Markup | None = None

    @property
    def html(self) -> Markup:
        if self._html is None:
            html = self._r.html_block(self.text)
            if self.number is not None:
                mark = number_html(self.number)
                html = Markup("<p>") + mark + html[3:] if html.startswith("<p>") else mark + html
            self._html = html
        return self._html

    @property
    def inline(self) -> Markup:
        if self._inline is None:
            inline = self._r.html_inline(self.text)
            self._inline = inline if self.number is None else number_html(self.number) + inline
        return self._inline

    @property
    def md(self) -> str:
        text = md_escape(self.text)
        return text if self.number is None else f"**{self.number}** {text}"

    @property
    def cell(self) -> str:
        return md_cell(self.text)

    def runs(self) -> list[Run]:
        """The prose as a word processor sets it (report/docx.py): runs of text, each with its marks and link."""
        return self._r.runs(self.text)

    def __str__(self) -> str:  # plain text (e.g. for a title attribute, escaped by Jinja)
        return self.text

    def __html__(self) -> str:  # used as-is in an HTML template: render as inline HTML
        return str(self.inline)


def number_html(number: str) -> Markup:
    """A paragraph number as the HTML shows it, before the paragraph's text (the number is digits and dots)."""
    return Markup('<span class="para-number">{}</span> ').format(number)


@functools.cache
def _heading_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def heading_text(text: str) -> str:
    """What a Markdown renderer shows of a heading written `md_escape(text)`: its plain text, for the heading's id."""
    source = md_escape(text)
    if source == text and not _needs_parser(text):
        return text
    out: list[str] = []
    for block in _heading_parser().parse(source):
        for tok in block.children or ():
            if tok.type in ("text", "code_inline"):
                out.append(tok.content)
            elif tok.type in ("softbreak", "hardbreak"):
                out.append(" ")
    return "".join(out)


def plain(text: str) -> Markup:
    return escape(text)
