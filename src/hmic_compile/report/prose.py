"""Evidence prose as HTML: hmic's one markdown-it instance with the glossary's <abbr> marks, shared with the Markdown output.

Most prose is plain text, rendered without a parser. What a report's prose renders to (HTML, or Markdown
written back from markdown-it's tokens) can be kept between runs (report/renderings.py), so a build whose
every text was rendered before renders none again and does not load markdown-it at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape
from msgspec import Struct, field

from ..checks.words import capitalised_words
from .markdown import (
    MAX_NESTING,
    SAFE_SCHEMES,
    ProseError,
    check_markup,
    check_nesting,
    md_cell,
    md_escape,
    md_text,
    validate_link,
)
from .markdown import make_markdown as _make_markdown
from .renderings import Scope

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = [
    "MAX_NESTING",
    "SAFE_SCHEMES",
    "ProseError",
    "Prose",
    "Renderer",
    "Run",
    "make_markdown",
    "md_cell",
    "md_escape",
    "md_filter",
    "cell_filter",
    "md_text",
    "number_html",
    "plain",
    "validate_link",
]


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
    from markdown_it.token import Token

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


def make_markdown() -> MarkdownIt:
    """The instance for HTML: markdown.py's configuration, with glossary terms marked <abbr>."""
    md = _make_markdown()
    md.core.ruler.push("abbr", _abbr_rule)
    return md


class Run(Struct, frozen=True):
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


@cache
def _shared() -> MarkdownIt:
    """The instance of every Renderer: it keeps nothing between parses (each has its own state)."""
    return make_markdown()


class Renderer(Struct, dict=True):  # dict: room for its cached properties
    """Renders prose strings once each; the same Prose object serves the HTML and the Markdown output.

    `kept`: the renderings of this report kept between runs (None: each run renders what it shows)."""

    abbreviations: dict[str, str] = field(default_factory=dict)
    kept: Scope | None = None

    @cached_property
    def abbr(self) -> Abbreviations:
        return Abbreviations(self.abbreviations)

    @cached_property
    def _glossary(self) -> bytes:
        """The glossary as the HTML's renderings depend on it: the digest of each term and its title."""
        terms = "\0".join(f"{t}\0{m}" for t, m in sorted(self.abbreviations.items()))
        return hashlib.sha256(terms.encode("utf-8", "surrogatepass")).digest()[:16]

    def html_block(self, text: str) -> Markup:
        if self.kept is not None:
            return Markup(self.kept.get("block", self._glossary, text, self._html_block))
        return self._html_block(text)

    def _html_block(self, text: str) -> Markup:
        if not _needs_parser(text):
            return Markup(f"<p>{self._plain(text)}</p>")
        check_markup(text)
        md = _shared()
        env = {"abbr": self.abbr}
        tokens = md.parse(text, env)
        check_nesting(tokens)
        return Markup(md.renderer.render(tokens, md.options, env).strip())

    def md(self, text: str, cell: bool = False) -> str:
        """Prose as Markdown (report.md), with the HTML's emphasis, code and links (markdown.py md_escape)."""
        if self.kept is not None:
            return self.kept.get("cell" if cell else "md", b"", text, md_cell if cell else md_escape)
        return md_cell(text) if cell else md_escape(text)

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
        check_markup(text)
        tokens = _shared().parse(text, {})
        check_nesting(tokens)
        return _runs(tokens)

    def html_inline(self, text: str) -> Markup:
        """HTML for a single line of prose: a lone paragraph loses its <p> wrapper."""
        if self.kept is not None:
            return Markup(self.kept.get("inline", self._glossary, text, self._html_inline))
        return self._html_inline(text)

    def _html_inline(self, text: str) -> Markup:
        if not _needs_parser(text):
            return Markup(self._plain(text))
        html = self._html_block(text)
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
    def label(self) -> Markup:
        """The inline HTML less its links (their text kept): for a title that is itself a link's text (HTML has
        no link within a link)."""
        return Markup(_LINK_TAG.sub("", str(self.inline)))

    @property
    def md(self) -> str:
        text = self._r.md(self.text)
        return text if self.number is None else f"**{self.number}** {text}"

    @property
    def cell(self) -> str:
        return self._r.md(self.text, cell=True)

    def runs(self) -> list[Run]:
        """The prose as a word processor sets it (report/docx.py): runs of text, each with its marks and link."""
        return self._r.runs(self.text)

    def __str__(self) -> str:  # plain text (e.g. for a title attribute, escaped by Jinja)
        return self.text

    def __html__(self) -> str:  # used as-is in an HTML template: render as inline HTML
        return str(self.inline)


_LINK_TAG = re.compile(r"</?a\b[^>]*>")  # markdown-it's own <a href="..."> and </a>: its attributes escape any ">"


def number_html(number: str) -> Markup:
    """A paragraph number as the HTML shows it, before the paragraph's text (the number is digits and dots)."""
    return Markup('<span class="para-number">{}</span> ').format(number)


def plain(text: str) -> Markup:
    return escape(text)


def md_filter(value: object) -> str:
    """The `md` filter: prose as its Markdown, anything else (a title, a label) as literal text."""
    return value.md if isinstance(value, Prose) else md_text(value)


def cell_filter(value: object) -> str:
    """The `cell` filter: the same, for one table cell."""
    return value.cell if isinstance(value, Prose) else md_text(value, cell=True)
