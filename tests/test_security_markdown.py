"""report.md has report.html's structure in every Markdown dialect, whatever the prose holds (issue 13, item 5).

Hostile prose goes into every kind of place the report prints text (paragraphs, bullets and sub-bullets,
numbered items, table cells, recommendations, a case study, titles, a glossary meaning); the report is
built; report.md is rendered by markdown-it (CommonMark, and its GitHub-like preset with bare links),
by GitHub's own cmark-gfm, and by pandoc (`-f gfm` and `-f markdown`), and each rendering must have the
headings, links, list items, code spans and tables of report.html, and nothing the HTML does not have.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import cmarkgfm
import pytest
import yaml
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from hmic_compile.inputs.project import load_project
from hmic_compile.report.build import BuildOptions, build_force
from hmic_compile.report.markdown import md_cell, md_escape, md_text
from hmic_compile.report.render import make_environment

from .conftest import REPO
from .test_markdown_anchors import github_ids

MINI = REPO / "tests" / "fixtures" / "mini"
KEY = "testshire-2024"
SAFE_HREF = re.compile(r"^(#|https?:|mailto:)", re.I)
PANDOC = shutil.which("pandoc")


# --- reading a rendering --------------------------------------------------------------------

HEADINGS = {f"h{i}" for i in range(1, 7)}
# What a rendering of report.md may contain: anything else (a code block, a quote, a rule, a definition
# list, a div, a span, an image, a checkbox, raw HTML, super- or subscript, strikethrough) came from prose.
ALLOWED = HEADINGS | {
    "p",
    "ul",
    "ol",
    "li",
    "a",
    "em",
    "strong",
    "code",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "colgroup",
    "col",
}
# pandoc's typography (smart quotes, dashes, ellipses) is not structure.
# The word joiner is how report.md stops GitHub linking ftp:// and xmpp: addresses: invisible.
TYPOGRAPHY = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": ".", "\u2060": None}
)


def norm(text: str) -> str:
    text = re.sub(r"-+", "-", re.sub(r"\.+", ".", unicodedata.normalize("NFC", text).translate(TYPOGRAPHY)))
    return " ".join(text.split())


@dataclass
class Outline:
    headings: list[tuple[int, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    autolinks: list[str] = field(default_factory=list)  # bare addresses a GFM renderer linked by itself
    items: list[int] = field(default_factory=list)  # the list depth of each item
    tags: Counter[str] = field(default_factory=Counter)
    targets: dict[str, int] = field(default_factory=dict)  # an id: the heading (its place in `headings`) at or after it


class _Reader(HTMLParser):
    def __init__(self, skip_chrome: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.o = Outline()
        self.skip_chrome = skip_chrome
        self.heading: list[str] | None = None
        self.link: tuple[str, list[str]] | None = None
        self.depth = 0
        self.svg = 0
        self.ids: list[str] = []  # ids since the last heading: a link to one lands on the next heading

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.svg += 1
        if self.svg:
            return
        self.o.tags[tag] += 1
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag in HEADINGS:
            self.heading = []
        elif tag in ("ul", "ol"):
            self.depth += 1
        elif tag == "li":
            self.o.items.append(self.depth)
        elif tag == "a" and "href" in a and not (self.skip_chrome and a.get("class") == "skip"):
            self.link = (a["href"] or "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg -= 1
        if self.svg:
            return
        if tag in HEADINGS and self.heading is not None:
            self.o.headings.append((int(tag[1]), norm("".join(self.heading))))
            self.heading = None
            for i in self.ids:
                self.o.targets.setdefault(i, len(self.o.headings) - 1)
            self.ids = []
        elif tag in ("ul", "ol"):
            self.depth -= 1
        elif tag == "a" and self.link is not None:
            href, shown = unquote(self.link[0]), "".join(self.link[1])
            text = norm(shown)
            if (
                shown and not href.startswith("#") and href in (shown, "http://" + shown, "mailto:" + shown)
            ):  # a bare address linked by the renderer
                self.o.autolinks.append(href)
            else:
                self.o.links.append((href, text))
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.heading is not None:
            self.heading.append(data)
        if self.link is not None:
            self.link[1].append(data)


def outline(html: str, skip_chrome: bool = False) -> Outline:
    r = _Reader(skip_chrome)
    r.feed(html)
    r.close()
    return r.o


def _careless_markdown_it(preset: str) -> MarkdownIt:
    md = MarkdownIt(preset, {"html": True})
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # a viewer that links every scheme
    return md


def _pandoc(dialect: str):
    def render(md: str) -> str:
        assert PANDOC is not None
        return subprocess.run(
            [PANDOC, "-f", dialect, "-t", "html"], input=md, capture_output=True, text=True, check=True, timeout=60
        ).stdout

    return render


# Each renders raw HTML and every link scheme: whatever the report lets through would show.
RENDERERS = {
    "markdown-it commonmark": _careless_markdown_it("commonmark").render,
    "markdown-it gfm-like": _careless_markdown_it("gfm-like").render,
    "cmark-gfm": lambda md: cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE),
    "pandoc gfm": _pandoc("gfm"),
    "pandoc markdown": _pandoc("markdown"),
}
GFM = {"markdown-it gfm-like", "cmark-gfm", "pandoc gfm"}  # these link bare addresses by themselves
# These follow CommonMark's emphasis rules to the letter; pandoc's readers, gfm too (pandoc 2.17), have
# their own at the edges (`*x*_y_`), which change emphasis, never a heading, list or link.
COMMONMARK = {"markdown-it commonmark", "markdown-it gfm-like", "cmark-gfm"}


def require_pandoc() -> None:
    if PANDOC is None:
        pytest.fail("pandoc is needed (apt-get install pandoc; .ci/run installs it)")


Links = list[tuple[str, str]]


def _same_links(got: Links, expected: Links, md_targets: dict[str, int], html_targets: dict[str, int]) -> bool:
    """The same links with the same text, in order; an in-page link may name its heading by the id GitHub and pandoc
    give it in report.md (report/md_anchors.py) where the HTML names it by its own: it must land on the same heading."""
    if [t for _, t in got] != [t for _, t in expected]:
        return False
    for (g, _), (e, _) in zip(got, expected, strict=True):
        if g != e and not (g[:1] == e[:1] == "#" and md_targets.get(g[1:], -1) == html_targets.get(e[1:], -2)):
            return False
    return True


def compare(md: str, html: str) -> None:
    """Fail unless every rendering of `md` has the structure of `html` (a report.html)."""
    expected = outline(html[html.index("<body") :], skip_chrome=True)
    md_targets: dict[str, int] = {}
    for n, heading_id in enumerate(github_ids(md)):  # GitHub's ids (pandoc's gfm gives the same: test_markdown_anchors.py)
        md_targets.setdefault(heading_id, n)
    # The Markdown lays out two things as several tables: the force summary (one per group) and the
    # glossary (one per letter, a <dl> each in the HTML).
    glossary = html[html.index('class="major glossary"') :]
    summary = html[html.index('class="summary force-summary"') :]
    groups = summary[: summary.index("</table>")].count('class="group"')
    tables = html.count("<table") + max(groups - 1, 0) + glossary.count("<dl>")
    emphasis = set()
    for name, render in RENDERERS.items():
        got = outline(render(md))
        where = f"{name} rendering of report.md"
        assert got.headings == expected.headings, where
        assert _same_links(got.links, expected.links, md_targets, expected.targets), (where, got.links, expected.links)
        assert all(SAFE_HREF.match(h) for h in got.autolinks), (where, got.autolinks)
        if name not in GFM:
            assert got.autolinks == [], where
        assert got.items == expected.items, where
        assert got.tags["code"] == expected.tags["code"], where
        if name != "markdown-it commonmark":  # CommonMark has no tables
            assert got.tags["table"] == tables, where
        assert set(got.tags) <= ALLOWED, (where, set(got.tags) - ALLOWED)
        if name in COMMONMARK:  # the CommonMark renderers agree on emphasis
            emphasis.add((got.tags["em"], got.tags["strong"]))
    assert len(emphasis) == 1, emphasis


# --- hostile prose --------------------------------------------------------------------------

FRAGMENTS = [
    *["#", "## ", "###### x ##", "```", "~~~", "```{=html}", "    ", "\t", "\n", "\n\n", "\n    ", "  \n", "\\\n"],
    *[">", "> ", "- ", "* ", "+ ", "1. ", "1) ", "2.", "a. ", "i) ", "(1) ", "(a) ", "(@) ", "@. ", "#. ", "A.  "],
    *["|", "| a | b |", "|---|---|", ":-", "-:", "--- | ---", "---", "===", "***", "___", "- - -", "* * *", "- [ ] ", "- [x] "],
    *["[", "]", "(", ")", "[x]", "[x]:", "[x]: javascript:alert(1)", "[x]: https://evil.example", "[^1]", "[^1]: note", "[x][]"],
    *["](http://ok.example/a_b)", "](javascript:alert(1))", "](#glossary)", '](https://ok.example "t")', "](<javascript:x>)", "](/rel)"],
    *["[a](https://ok.example/(x))", "[b](mailto:a@b.example)", "[c](#public-contact)", "![i](https://ok.example/i.png)", "!"],
    *["<div>", "</div>", "<!--", "-->", "<script>alert(1)</script>", "<b>", "<https://ok.example>", "<javascript:alert(1)>"],
    *["`", "``", "`<b>`", "`a|b`", "`` ` ``", "{=html}", "{.c}", "{#id}", "[s]{.c}", ":::", "::: warning", "% title", ": ", "~ "],
    *["$x$", "$$", "^s^", "~s~", "~~d~~", "\\foo{bar}", "\\", "\\*", "\\[", "&amp;", "&lt;b&gt;", "&#106;", "&copy;", "&x"],
    *["*", "**", "_", "__", "*a*", "**b**", "_c_", "a_b", "*[a*](https://ok.example)", "[*a](https://ok.example)*"],
    *["http://ok.example/x", "https://ok.example", "www.ok.example", "ftp://bad.example/x", "a@b.example", "xmpp:a@b.example"],
    *["javascript:alert(1)", "@user", "#123", "word", "Word", " ", "  ", "x", "PEEL", "1.5", "-x", "+", "\u00a9", "\u00a3", "\u2192"],
]


def _prose(allow_newlines: bool = True) -> st.SearchStrategy[str]:
    fragments = FRAGMENTS if allow_newlines else [f for f in FRAGMENTS if "\n" not in f]
    text = st.lists(st.sampled_from(fragments) | st.text(alphabet="ab #*_[]()<>!`~|\\:-.1\n", max_size=4), min_size=1, max_size=10)
    text = text.map("".join)
    if not allow_newlines:
        text = text.map(lambda s: s.replace("\n", " ").replace("\r", " "))
    return text.filter(lambda s: s.strip() != "")


@dataclass(frozen=True)
class Hostile:
    paragraph: str
    bullet: str
    sub_bullet: str
    numbered: str
    cell: str
    recommendation: str
    case: str
    title: str  # one line: the force's title, an overview title, a case study's title
    meaning: str  # a glossary meaning: plain text

    def write(self, root: Path) -> None:
        ev = root / "evidence" / KEY

        def dump(name: str, data: object) -> None:
            (ev / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

        dump(
            "force-overview.yaml",
            {
                "area": "force-overview",
                "contextual_factors": [
                    self.paragraph,
                    {"bullets": [{"text": self.bullet, "items": [self.sub_bullet]}, self.paragraph]},
                    {"numbered": [self.numbered, self.bullet]},
                    {"table": {"header": [self.cell, "plain"], "rows": [[self.paragraph, self.cell]]}},
                ],
                "strengths": [self.bullet],
                "developing_practice": [
                    {
                        "inspection_area": self.title,
                        "title": self.title,
                        "problem": [self.case],
                        "solution": [{"bullets": [self.case]}],
                        "outcomes": [self.case],
                        "contact": self.case,
                    }
                ],
            },
        )
        force = yaml.safe_load((ev / "force.yaml").read_text(encoding="utf-8"))
        force["title"] = self.title
        force["overview"]["title"] = self.title
        force["overview"]["body"] = [self.paragraph]
        dump("force.yaml", force)
        vp = yaml.safe_load((ev / "vulnerable-people.yaml").read_text(encoding="utf-8"))
        vp["recommendations"] = [{"id": "vp-referrals", "text": self.recommendation}]
        dump("vulnerable-people.yaml", vp)
        glossary = yaml.safe_load((ev / "glossary.yaml").read_text(encoding="utf-8"))
        glossary["terms"][1]["meaning"] = self.meaning
        dump("glossary.yaml", glossary)


def hostile() -> st.SearchStrategy[Hostile]:
    p = _prose()
    return st.builds(Hostile, p, p, p, p, p, p, p, _prose(allow_newlines=False), p)


def build(root: Path, h: Hostile) -> tuple[str, str]:
    h.write(root)
    project, diags = load_project(root, [KEY])
    assert KEY in project.forces, [d.text() for d in diags.errors]
    env = make_environment(None, root)
    files = build_force(project, project.forces[KEY], env, BuildOptions(formats=("md", "html")))
    return files["report.md"].decode("utf-8"), files["report.html"].decode("utf-8")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("markdown") / "mini"
    shutil.copytree(MINI, dest)
    return dest


# --- the tests ------------------------------------------------------------------------------


def test_the_clean_reports_have_the_same_structure_in_every_dialect() -> None:
    """Norfolk's, the mini project's and every framework's golden report (tests/golden/<force>/)."""
    require_pandoc()
    goldens = sorted(p.parent for p in (REPO / "tests" / "golden").glob("*/report.md"))
    assert {"norfolk-2007", KEY, "wessex-2021", "northfield-2015", "riverside-2019"} <= {g.name for g in goldens}
    for golden in goldens:
        compare((golden / "report.md").read_text(encoding="utf-8"), (golden / "report.html").read_text(encoding="utf-8"))


def test_a_link_that_lands_on_another_heading_is_noticed() -> None:
    """report.md's in-page links use GitHub's ids, the HTML's its own: each pair must still land on one heading."""
    require_pandoc()
    golden = REPO / "tests" / "golden" / "norfolk-2007"
    md, html = (golden / "report.md").read_text(encoding="utf-8"), (golden / "report.html").read_text(encoding="utf-8")
    wrong = md.replace("](#programmed-frameworks)", "](#risk-based-frameworks)", 1)  # a heading, but not this one
    assert wrong != md
    with pytest.raises(AssertionError):
        compare(wrong, html)
    with pytest.raises(AssertionError):
        compare(md.replace("](#programmed-frameworks)", "](#no-such-heading)", 1), html)


EVERY_FRAGMENT = "".join(FRAGMENTS)


# Derandomised: the same 40 draws on every run, so CI never fails on a draw nobody has seen. HMIC_FUZZ=1
# draws 400 new ones each run (thousands were drawn while writing this; every quirk found is handled).
FUZZ = bool(os.environ.get("HMIC_FUZZ"))


@settings(
    max_examples=400 if FUZZ else 40,
    deadline=None,
    derandomize=not FUZZ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(hostile())
@example(Hostile(*[EVERY_FRAGMENT] * 7, EVERY_FRAGMENT.replace("\n", " "), EVERY_FRAGMENT))
@example(Hostile(*["x\n\n```\n<script>alert(1)</script>\n```\n[x]: javascript:alert(1)\n[x]"] * 7, "[x] ##", "a | b\n--- | ---"))
def test_hostile_prose_keeps_the_structure_in_every_dialect(root: Path, h: Hostile) -> None:
    require_pandoc()
    md, html = build(root, h)
    compare(md, html)


# --- hmic diff --format markdown, a pull-request comment ----------------------------------------

HOSTILE_ITEM = (
    "See https://evil.example/x, HTTP://evil.example, ftp://evil.example and www.evil.example; write to a@b.example "
    "or xmpp:a@b.example; cc @octocat and @org/team; fixes #1, GH-2 and org/repo#3; [x](javascript:alert(1)) "
    "[y](https://evil.example) <img src=x onerror=alert(1)> <https://evil.example> `code` :smile: $x$ ^s^ ~s~ "
    "&lt;b&gt; [^1]"
)
# What GitHub turns into a link or a notification in a comment's text, after rendering (its filters work
# on the rendered text, where escaping no longer shows): mentions, issue and pull-request references.
GITHUB_REFERENCES = re.compile(r"(?<![\w`])@[A-Za-z0-9]|(?<![\w&])#\d|\bGH-\d", re.I)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _visible(html: str) -> str:
    p = _Text()
    p.feed(html)
    return "".join(p.parts)


def _diff_markdown(tmp_path: Path) -> str:
    from typer.testing import CliRunner

    from hmic_compile.cli import app

    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MINI, old)
    shutil.copytree(MINI, new)
    pc = new / "evidence" / KEY / "public-contact.yaml"
    data = yaml.safe_load(pc.read_text(encoding="utf-8"))
    data["strengths"][0]["text"] += " " + HOSTILE_ITEM  # reworded
    data["strengths"].append(HOSTILE_ITEM)  # added
    pc.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    fw = new / "criteria" / "2024" / "framework.yaml"
    fw.write_text(fw.read_text(encoding="utf-8").replace("name: Public contact", "name: Public contact @octocat #9 www.evil.example"))
    r = CliRunner().invoke(app, ["diff", str(old / "evidence" / KEY), str(new / "evidence" / KEY), "--format", "markdown"])
    assert r.exit_code == 0, r.output
    return r.stdout


def test_diff_markdown_links_and_mentions_nothing_in_any_gfm_renderer(tmp_path: Path) -> None:
    require_pandoc()
    md = _diff_markdown(tmp_path)
    assert "Public contact" in md and "**added**" in md and "**reworded**" in md
    for name in ("markdown-it gfm-like", "cmark-gfm", "pandoc gfm"):
        html = RENDERERS[name](md)
        o = outline(html)
        assert o.links == [] and o.autolinks == [], (name, o.links, o.autolinks)
        assert set(o.tags) <= ALLOWED | {"details", "summary", "b", "del", "s"}, (name, set(o.tags) - ALLOWED)
        shown = " ".join(_visible(html).split())
        assert GITHUB_REFERENCES.findall(shown) == [], name
        # and the text still reads as written, the word joiners being invisible
        assert HOSTILE_ITEM in shown.replace("\u2060", ""), name


# --- the fast path: text left as it is must be what the full escaping makes of it ------------------


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="ab AB1.)(#-:/w@x\u00e9", max_size=24)
    | st.sampled_from(["www.a.org", "http://a.org", "xmpp:a@b", "C#", "a. b", "iv) x", "10:30", "a :x: b"])
)
def test_text_the_fast_path_leaves_alone_is_what_the_full_escaping_makes(text: str) -> None:
    from hmic_compile.report import markdown

    if markdown.is_literal(text):
        assert markdown.serialise(markdown._parser().parse(text, {})) == text
        assert md_text(text) == text
    assert md_escape(text) == (text if markdown.is_literal(text) else markdown.serialise(markdown._parser().parse(text, {})))


def test_plain_text_is_left_as_it_is() -> None:
    for text in ("The force has 1,200 officers.", "Grades: Good, Fair (2006).", "Norfolk's SNTs - all 51 of them."):
        assert md_escape(text) == md_cell(text) == md_text(text) == text


class _Code(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.code: list[str] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "code":
            self.inside = True
            self.code.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.code[-1] += data


def _codes(html: str) -> list[str]:
    p = _Code()
    p.feed(html)
    return [" ".join(c.split()) for c in p.code]


CODE = ["`<b>`", "use `a < b && c > d` here", "`` ` ``", "`x\\y`", "`&lt;`", "`[x](javascript:y)`", "`*a*` and *b*"]


@pytest.mark.parametrize("text", CODE)
def test_inline_code_shows_its_text_not_entities(text: str) -> None:
    require_pandoc()
    from hmic_compile.report.prose import Renderer

    expected = _codes(str(Renderer().html_block(text)))
    assert expected and "&lt;" not in md_escape(text).replace("`&lt;`", "")
    for name, render in RENDERERS.items():
        assert _codes(render(md_escape(text))) == expected, name
        cell = render(f"| h |\n| --- |\n| {md_cell(text)} |\n")
        if name != "markdown-it commonmark":
            assert _codes(cell) == expected, (name, "cell")
