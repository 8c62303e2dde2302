"""The one markdown-it configuration, and Markdown output that every renderer reads as the HTML shows it.

Prose is inline Markdown, rendered to HTML by markdown-it (`prose.py`). report.md must carry the same
headings, lists and links in CommonMark, GitHub's Markdown and pandoc's, so prose is not copied into it:
it is parsed with the same instance and written back out from the tokens. What markdown-it made
emphasis, a code span or a link is written as such; every other character that any of those dialects
could read as markup (a fence, a reference definition, a table row, a list marker, `{=html}`, `$math$`,
a raw TeX command) is escaped, so it shows as written. Plain strings (titles, names, labels) are
escaped the same way, as text only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from ..checks.limits import MAX_MARKUP, markup_count

if TYPE_CHECKING:  # markdown-it loads on the first text that needs parsing (most prose is plain: see is_literal)
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

SAFE_SCHEMES = ("http:", "https:", "mailto:")
MAX_NESTING = 20


class ProseError(ValueError):
    """Prose that cannot be rendered without loss, or in good time; `hint` says what would be right."""

    def __init__(self, message: str, hint: str = "flatten the nested lists"):
        super().__init__(message)
        self.hint = hint


def validate_link(url: str) -> bool:
    u = url.strip().lower()
    return u.startswith("#") or u.startswith(SAFE_SCHEMES)


def check_markup(text: str) -> None:
    """Refuse text whose Markdown punctuation alone would take the parser seconds (checks/limits.py refuses
    such a file first, E030, with its place; this holds for any text given to the renderer)."""
    if len(text) > MAX_MARKUP and markup_count(text) > MAX_MARKUP:
        raise ProseError(
            f"text holds more than {MAX_MARKUP:,} Markdown punctuation characters", "split the text, or remove the repeated punctuation"
        )


# Blocks come from the YAML (bullets, numbered, table), so a line starting with '#', '-', '>' or '1.'
# is text. No images (the report makes no outside requests), no autolinks or raw HTML ('<' is text),
# no reference definitions (the Markdown output is one document, where a definition would reach other strings).
_OFF = ["code", "fence", "blockquote", "hr", "list", "reference", "html_block", "heading", "lheading", "image", "autolink", "html_inline"]


def make_markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "maxNesting": MAX_NESTING})
    md.disable(_OFF)
    md.validateLink = validate_link  # type: ignore[method-assign]
    return md


@cache
def _parser() -> MarkdownIt:
    return make_markdown()


def check_nesting(tokens: Sequence[Token]) -> None:
    # markdown-it stops nesting at maxNesting and silently drops what lies deeper: refuse instead.
    depth = max((t.level for t in tokens), default=0)
    if depth >= MAX_NESTING - 1:
        raise ProseError(f"text nests deeper than {MAX_NESTING - 2} levels; the renderer would drop content")


# --- escaping -------------------------------------------------------------------------------

# Characters that are markup somewhere in the middle of a line: CommonMark's `\ * _ ` [ ]`, `<` (raw HTML,
# autolinks) and entities; GitHub's `~` (strikethrough); pandoc's `^` `~` (super- and subscript), `$`
# (math), `{` (attributes, `{=html}` raw output), `@` (citations) and `[ ]` (spans, implicit links to
# headings). Text holds none that markdown-it read as markup: each is escaped.
_ENTITY_LIKE = r"&(?=#[0-9]{1,8};|#[xX][0-9a-fA-F]{1,8};|[A-Za-z][A-Za-z0-9]{0,40};)"
# An underscore between two letters or digits is never emphasis, in any of them: it stays as written (1_000).
# A colon that opens an emoji shortcode (:x:) is escaped: GitHub's and pandoc's gfm show a picture for it.
_BACKSLASHED = "*`[]~^${@"  # and the backslash itself, first
# Every '_' and ':' is escaped, then those that cannot be markup are put back (a literal replacement: fast).
_INTRAWORD = re.compile(r"(?<=[^\W_])\\_(?=[^\W_])")
_NOT_EMOJI = re.compile(r"\\:(?![a-z0-9_+-]+\\:)")
_ENTITY = re.compile(_ENTITY_LIKE)


def _escape_inline(text: str, cell: bool) -> str:
    """Backslashes before inline markup (and pipes in a cell), '&' of what would read as an entity as '&amp;',
    '<' as '&lt;'. Plain replaces where they do: a pattern of millions of them costs what plain text does."""
    out = text.replace("\\", "\\\\")
    for c in (_BACKSLASHED + "|") if cell else _BACKSLASHED:
        if c in out:
            out = out.replace(c, "\\" + c)
    if ":" in out:
        out = _NOT_EMOJI.sub(":", out.replace(":", "\\:"))
    if "_" in out:
        out = _INTRAWORD.sub("_", out.replace("_", "\\_"))
    if "&" in out:
        out = _ENTITY.sub("&amp;", out)
    return out.replace("<", "&lt;") if "<" in out else out


# What starts a block at the start of a line in one dialect or another: headings, quotes, bullets,
# setext underlines and thematic breaks, table rows and delimiter rows, pandoc's definition lists,
# fenced divs, line blocks, title blocks and example lists; and ordered-list markers (digits, pandoc's
# letters and roman numerals, in `1.`, `1)` and `(1)` forms), whose punctuation is escaped instead.
_LINE_START = re.compile(
    r"(?P<c>[#>+=|:%@\-])"
    r"|(?P<n>[0-9]+|[A-Za-z]|[ivxlcdm]+|[IVXLCDM]+)(?P<p>[.)])(?=[ \t]|$)"
    r"|(?P<o>\()(?:[0-9]+|[A-Za-z]|[ivxlcdm]+|[IVXLCDM]+|@[\w-]*)\)(?=[ \t]|$)"
)
# An ATX heading's closing sequence, were this the end of a heading (pandoc strips one with no space before it too).
_CLOSING_HASHES = re.compile(r"#+(?=[ \t]*$)")
# Bare addresses: the HTML shows them as text, so the Markdown must not let GitHub link them (its links
# can run on over a following code span or link). An escaped colon or dot stops http(s):// and www.; only
# an invisible word joiner stops ftp:// (which markdown-it's linkify finds through escapes) and xmpp:
# (which GitHub finds whatever is escaped). E-mail addresses GitHub links regardless, to mailto:.
_BARE_ADDRESS = re.compile(r"(?i:(https?)(:)(?=//)|(ftp)(:)(?=//)|(xmpp)(:)(?=[^\s@]*@))|(www)(\.)")  # GitHub: www. in lower case only
_WORD_JOINER = "\u2060"
_TASK = re.compile(r"\\\[[ xX]\\\](?=[ \t]|$)")


def _line_start(m: re.Match[str]) -> str:
    if m.group("c"):
        return "\\" + m.group("c")
    if m.group("n"):
        return m.group("n") + "\\" + m.group("p")
    return "\\" + m.group()


def _bare_address(m: re.Match[str]) -> str:
    g = m.groups()
    if g[0]:
        return g[0] + "\\:"
    if g[6]:
        return g[6] + "\\."
    return (g[2] or g[4]) + _WORD_JOINER + ":"


def escape_text(text: str, at_line_start: bool, line_end: bool, cell: bool = False) -> str:
    """`text` as Markdown that shows exactly these characters (`text` holds no line break)."""
    out = _escape_inline(text, cell)
    if ":" in out or "." in out:
        out = _BARE_ADDRESS.sub(_bare_address, out)
    if line_end and out.rstrip(" \t").endswith("#"):
        out = _CLOSING_HASHES.sub(lambda m: "\\#" * len(m.group()), out, count=1)
    if at_line_start and _LINE_START.match(out):
        out = _LINE_START.sub(_line_start, out, count=1)
    if at_line_start and _TASK.match(out):
        out = out[:5] + _WORD_JOINER + out[5:]  # pandoc makes a checkbox of "[x] " at an item's start, escaped or not
    return out


def _code(content: str, cell: bool) -> str:
    runs = [len(r) for r in re.findall("`+", content)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = content[:1] == "`" or content[-1:] == "`" or (content[:1] == " " and content[-1:] == " " and content.strip(" ") != "")
    if cell:
        # GitHub splits a row at a pipe even in code, unless escaped; pandoc's gfm reads a backslash before
        # that escape as escaping it instead (code cannot escape it): a word joiner keeps them apart.
        content = content.replace("\\|", "\\" + _WORD_JOINER + "|").replace("|", "\\|")
    return f"{fence} {content} {fence}" if pad else f"{fence}{content}{fence}"


_ANCHOR = re.compile(r"#[\w-]*$")


def _destination(href: str) -> str:
    # markdown-it has normalised the address (spaces, brackets, '<', '>' and '\\' percent-encoded), so it
    # fits in angle brackets, which also keep pandoc's gfm from reading past the link as a bare address.
    # Entities stay as written; an in-page '#anchor' needs no brackets.
    href = _ENTITY.sub("&amp;", href)
    return href if _ANCHOR.match(href) else f"<{href}>"


def _title(title: str) -> str:
    return ' "' + title.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;") + '"'


def serialise(blocks: Sequence[Token], cell: bool = False) -> str:
    """Markdown for markdown-it's tokens of a prose string; `cell` keeps it on one line for a table cell."""
    paragraphs = []
    for block in blocks:
        if block.type == "inline":
            paragraphs.append(_inline(block.children or [], cell))
    return (" " if cell else "\n\n").join(paragraphs)


_DELIMITERS = ("em_open", "em_close", "strong_open", "strong_close")


def _symbol(c: str) -> bool:
    # CommonMark 0.31 counts symbols (©, £, →) as punctuation beside an emphasis delimiter, as markdown-it
    # does; 0.29 (GitHub's cmark-gfm) counts them as letters. Written as an entity, one is '&' to both.
    return c > "\x7f" and unicodedata.category(c)[0] == "S"


def _inline(tokens: Sequence[Token], cell: bool) -> str:
    out: list[str] = []
    links: list[Token] = []
    line_start = True
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        kind = tok.type
        if kind == "text":
            if not tok.content:
                continue
            nxt = tokens[i + 1].type if i < last else "end"
            content, head, tail = tok.content, "", ""
            if i and tokens[i - 1].type in _DELIMITERS and _symbol(content[0]):
                head, content = f"&#{ord(content[0])};", content[1:]
            if content and nxt in _DELIMITERS and _symbol(content[-1]):
                content, tail = content[:-1], f"&#{ord(content[-1])};"
            line_end = not tail and nxt in ("softbreak", "hardbreak", "end")
            text = head + escape_text(content, line_start and not head, line_end, cell) + tail
            if nxt == "link_open" and text.endswith("!"):
                text = text[:-1] + "\\!"  # '!' before a link would make it an image
            out.append(text)
        elif kind == "softbreak":
            out.append(" " if cell else "\n")
        elif kind == "hardbreak":
            out.append(" " if cell else "\\\n")
        elif kind == "code_inline":
            out.append(_code(tok.content, cell))
        elif kind in _DELIMITERS:
            out.append(tok.markup)
        elif kind == "link_open":
            links.append(tok)
            out.append("[")
        elif kind == "link_close":
            link = links.pop()
            title = link.attrGet("title")
            out.append(f"]({_destination(str(link.attrGet('href') or ''))}{_title(str(title)) if title else ''})")
        else:  # abbr_open / abbr_close from the HTML's glossary rule, which Markdown does not show
            continue
        line_start = kind in ("softbreak", "hardbreak") and not cell
    return "".join(out)


# Text with none of these (and no line-start marker, no '#' at its end, no spaces around, no emoji
# shortcode or bare address) needs no escaping. Each is its own search: one character class is a scan
# in C, where an alternation of patterns would be tried at every position.
_SPECIAL = re.compile(r"[\\*_`\[\]!<>&\n\r\t~|^${@]")
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")


def is_literal(text: str) -> bool:
    """Whether `text` shows as written in every dialect: md_escape and md_text give it back unchanged, unparsed."""
    if _SPECIAL.search(text) is not None or "  " in text or text[:1].isspace() or text[-1:].isspace() or text.endswith("#"):
        return False
    if _LINE_START.match(text) is not None or "www." in text:
        return False
    return ":" not in text or not ("://" in text or _SHORTCODE.search(text) is not None or "xmpp:" in text.lower())


def md_escape(text: str, cell: bool = False) -> str:
    """Prose (inline Markdown) as Markdown with the HTML's emphasis, code and links, and nothing else."""
    if is_literal(text):
        return text
    check_markup(text)
    tokens = _parser().parse(text, {})
    check_nesting(tokens)
    return serialise(tokens, cell)


def md_cell(text: str) -> str:
    """Prose as the Markdown of one table cell: on one line, every pipe escaped."""
    return md_escape(text, cell=True)


_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n?|\n)[ \t\r\n]*")  # a line break with the spaces and blank lines around it
_LINE_START_M = re.compile(r"^(?:" + _LINE_START.pattern + ")", re.M)
_CLOSING_HASHES_M = re.compile(_CLOSING_HASHES.pattern, re.M)
_TASK_M = re.compile(r"^" + _TASK.pattern, re.M)


def md_text(value: Any, cell: bool = False) -> str:
    """A plain string (a title, a name, a label) as Markdown that shows it literally, as the HTML does.

    Its lines lose their indent and blank lines go (the HTML shows them as one space); in a cell it is one line."""
    text = str(value)
    if is_literal(text):
        return text
    out = _LINE_BREAKS.sub(" " if cell else "\n", text.strip(" \t\r\n"))
    out = _escape_inline(out, cell)
    if ":" in out or "." in out:
        out = _BARE_ADDRESS.sub(_bare_address, out)
    if "#" in out:
        out = _CLOSING_HASHES_M.sub(lambda m: "\\#" * len(m.group()), out)
    out = _LINE_START_M.sub(_line_start, out)
    if "[" in out:
        out = _TASK_M.sub(lambda m: m.group() + _WORD_JOINER, out)
    return out
