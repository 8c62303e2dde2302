"""The text a reader of the HTML report sees: no comment, attribute, `<head>`, or element the markup or the CSS hides.

For `--draft`, which must find its mark where the reader looks, whatever a house style's templates
and stylesheet do. The CSS is applied as a browser on a screen would: the cascade (origin,
`!important`, specificity, order; inline `style` attributes) for `display`, `visibility`, `opacity`,
`content-visibility`, `font-size` and `color`, with the rules of every `@media` block a screen can
match (not `print`), `@supports` and `@layer` (layers taken in order, an approximation). Text the CSS
generates (`::before`, `content:`) is not the report's text and is not counted; text moved off the
page or painted in the background's colour is out of reach of this check.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import cssselect2
import tinycss2
import tinycss2.color3
from msgspec import Struct

VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"])
NEVER_SHOWN = frozenset({"head", "title", "script", "style", "template", "noembed", "noframes"})  # a browser's own display: none
PROPERTIES = frozenset({"display", "visibility", "opacity", "content-visibility", "font-size", "color"})


class _TreeBuilder(HTMLParser):
    """HTML as an ElementTree (comments dropped, entities decoded) and the text of its <style> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("html")
        self.stack = [self.root]
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html" and len(self.stack) == 1:
            self.root.attrib.update({k: v or "" for k, v in attrs})
            return
        element = ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):  # close up to the matching open element, as a browser would
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if parent.tag == "style":
            self.styles.append(data)
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


class _Declared(Struct, order=True):
    """A declaration's weight in the cascade, then its value."""

    important: bool
    origin: int  # 0: the browser's own (the `hidden` attribute), 1: a stylesheet, 2: a style attribute
    specificity: tuple[int, int, int]
    order: int
    value: str  # never compared: `order` alone tells two declarations apart


def _screen(prelude: list[tinycss2.ast.Node]) -> bool:
    """Whether a screen can match an @media prelude (a feature query is taken to match: some screen does)."""
    for query in tinycss2.serialize(prelude).lower().split(","):
        words = query.split()
        if not words:
            continue
        negated = words[0] == "not"
        words = words[1:] if words[0] in ("not", "only") else words
        kind = words[0] if words and not words[0].startswith("(") else "all"
        if (kind in ("screen", "all")) != negated:
            return True
    return False


def _rules(nodes: list[tinycss2.ast.Node]) -> list[tinycss2.ast.QualifiedRule]:
    """The style rules that apply on a screen, in order, from inside the at-rules that let them."""
    out = []
    for node in nodes:
        if node.type == "qualified-rule":
            out.append(node)
        elif node.type == "at-rule" and node.content is not None:
            keyword = node.lower_at_keyword
            if keyword in ("supports", "layer", "container", "scope") or (keyword == "media" and _screen(node.prelude)):
                out += _rules(tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True))
    return out


def _declarations(content: list[tinycss2.ast.Node] | str) -> list[tuple[str, str, bool]]:
    """(property, value, important) for the properties that decide what is seen."""
    parsed = tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True)
    return [
        (d.lower_name, tinycss2.serialize(d.value).strip().lower(), d.important)
        for d in parsed
        if d.type == "declaration" and d.lower_name in PROPERTIES
    ]


def _matcher(css: str) -> cssselect2.Matcher:
    matcher = cssselect2.Matcher()
    for order, rule in enumerate(_rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))):
        declarations = _declarations(rule.content)
        if not declarations:
            continue
        try:
            selectors = cssselect2.compile_selector_list(rule.prelude)
        except cssselect2.SelectorError:
            continue  # a browser drops a rule it cannot read
        for selector in selectors:
            if selector.pseudo_element is None:  # ::before and ::after hide only what the CSS itself adds
                matcher.add_selector(selector, (order, declarations))
    return matcher


_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))([a-z%]*)$")
_RELATIVE = frozenset({"em", "%", "ex", "ch", "cap", "ic", "lh"})


def _zero_font(value: str, parent_zero: bool) -> bool:
    if value in ("inherit", "smaller", "larger") or value.startswith(("calc(", "var(")):
        return parent_zero
    m = _NUMBER.match(value)
    if m is None:
        return False  # a keyword (medium, small...): some size
    return float(m.group(1)) == 0 or (m.group(2) in _RELATIVE and parent_zero)


def _transparent(value: str, parent: bool) -> bool:
    if value in ("inherit", "currentcolor"):
        return parent
    tokens = [t for t in tinycss2.parse_component_value_list(value) if t.type != "whitespace"]
    color = tinycss2.color3.parse_color(tokens[0]) if len(tokens) == 1 else None
    return color is not None and color != "currentColor" and color.alpha == 0


def _opacity_zero(value: str) -> bool:
    m = _NUMBER.match(value)
    return m is not None and float(m.group(1)) <= 0


def visible_text(html: str) -> str:
    """The text of `html` a reader sees, white space collapsed."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    matcher = _matcher("\n".join(builder.styles))
    out: list[str] = []

    def walk(wrapper: cssselect2.ElementWrapper, hidden: bool, zero_font: bool, transparent: bool) -> None:
        element = wrapper.etree_element
        won: dict[str, _Declared] = {}
        if "hidden" in element.attrib:
            won["display"] = _Declared(False, 0, (0, 0, 0), -1, "none")
        for specificity, _, _, (order, declarations) in matcher.match(wrapper) or ():
            for name, value, important in declarations:
                d = _Declared(important, 1, specificity, order, value)
                if name not in won or d > won[name]:
                    won[name] = d
        for name, value, important in _declarations(element.get("style", "")):
            d = _Declared(important, 2, (0, 0, 0), 0, value)
            if name not in won or d > won[name]:
                won[name] = d
        value = {name: d.value for name, d in won.items()}
        if (
            element.tag in NEVER_SHOWN
            or element.get("aria-hidden", "").lower() == "true"
            or value.get("display") == "none"
            or value.get("content-visibility") == "hidden"
            or _opacity_zero(value.get("opacity", "1"))
            or (element.tag == "dialog" and "open" not in element.attrib)
        ):
            return  # nothing inside shows, whatever it says
        if "visibility" in value and value["visibility"] != "inherit":
            hidden = value["visibility"] in ("hidden", "collapse")
        zero_font = _zero_font(value["font-size"], zero_font) if "font-size" in value else zero_font
        transparent = _transparent(value["color"], transparent) if "color" in value else transparent
        shown = not (hidden or zero_font or transparent)
        closed_details = element.tag == "details" and "open" not in element.attrib
        if shown and element.text and not closed_details:
            out.append(element.text)
        for child in wrapper.iter_children():
            if not closed_details or child.etree_element.tag == "summary":
                walk(child, hidden, zero_font, transparent)
            if shown and child.etree_element.tail and not closed_details:
                out.append(child.etree_element.tail)

    walk(cssselect2.ElementWrapper.from_html_root(builder.root), False, False, False)
    return " ".join(" ".join(out).split())


def shows(html: str, text: str) -> bool:
    """Whether a reader of `html` sees `text` (white space need not match)."""
    return " ".join(text.split()) in visible_text(html)
