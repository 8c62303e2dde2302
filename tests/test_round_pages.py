"""The round's HTML pages and the internal moderation page, read as assistive technology and a browser read them:
language, one h1 and no skipped heading level, unique ids, every label's target, captioned tables with scoped
headers in keyboard-reachable frames, named charts and links, and nothing loaded from elsewhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app

from .test_round import PROJECTS

KEYS = ["2007", "peel-2021", "quality-2019"]
PAGES = ["index.html", "by-grade.html", "good-practice.html", "recommendations.html"]
CSP = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.ids: list[str] = []
        self.labelledby: list[str] = []
        self.headings: list[int] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.stack: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._link: list[str] | None = None
        self._href = ""
        self.captions = 0
        self.titles_in_svg = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "html":
            self.lang = a.get("lang")
        if "id" in a:
            self.ids.append(a["id"])
        if "aria-labelledby" in a:
            self.labelledby += a["aria-labelledby"].split()
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "a" and "href" in a:
            self._link, self._href = [], a["href"]
        if tag == "caption":
            self.captions += 1
        if tag == "title":
            if "svg" in self.stack:
                self.titles_in_svg += 1
            else:
                self._in_title = True
        if tag not in ("meta", "br", "rect", "tspan") and not tag.startswith("!"):
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.links.append((self._href, " ".join("".join(self._link).split())))
            self._link = None
        if tag == "title":
            self._in_title = False
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link.append(data)
        if self._in_title:
            self.title += data


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("rounds")
    for key in KEYS:
        r = CliRunner().invoke(app, ["build", "--root", str(PROJECTS[key]), "--out", str(out / key), "--format", "html"])
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(app, ["moderate", key, "--root", str(PROJECTS[key]), "--format", "html", "--out", str(out / "internal")])
        assert r.exit_code == 0, r.output
    return {key: out / key / key for key in KEYS} | {"internal": out / "internal"}


def _pages(built: dict[str, Path]) -> list[Path]:
    return [built[k] / name for k in KEYS for name in PAGES] + [built["internal"] / k / "moderation.html" for k in KEYS]


def test_the_pages_are_what_assistive_technology_needs(built: dict[str, Path]) -> None:
    for path in _pages(built):
        text = path.read_text(encoding="utf-8")
        p = _Page()
        p.feed(text)
        where = f"{path.parent.name}/{path.name}"
        assert p.lang == "en-GB" and p.title.strip(), where
        assert p.headings.count(1) == 1 and p.headings[0] == 1, f"{where}: one h1, first"
        for before, after in zip(p.headings, p.headings[1:], strict=False):
            assert after <= before + 1, f"{where}: h{before} then h{after} skips a level"
        assert len(p.ids) == len(set(p.ids)), f"{where}: ids repeated: {sorted({i for i in p.ids if p.ids.count(i) > 1})}"
        assert set(p.labelledby) <= set(p.ids), f"{where}: aria-labelledby names no element: {set(p.labelledby) - set(p.ids)}"
        assert ("a", {"class": "skip", "href": "#main"}) in p.tags and "main" in p.ids, f"{where}: a skip link to the content"
        tables = [a for t, a in p.tags if t == "table"]
        assert p.captions == len(tables), f"{where}: every table has a caption"
        for tag, a in p.tags:
            if tag == "th":
                assert a.get("scope") in ("col", "row"), f"{where}: a header cell without scope"
            if tag == "div" and "table-wrap" in a.get("class", ""):
                assert a.get("role") == "region" and a.get("tabindex") == "0" and a.get("aria-labelledby"), f"{where}: a frame"
            if tag == "svg":
                assert a.get("role") == "img" and a.get("aria-labelledby"), f"{where}: a chart without a name"
            if tag == "nav":
                assert a.get("aria-label"), f"{where}: a nav without a name"
        assert p.titles_in_svg == sum(1 for t, _ in p.tags if t == "svg"), f"{where}: each chart has its title"
        for href, label in p.links:
            assert label, f"{where}: a link to {href} with no text"
        if path.name != "moderation.html":
            current = [a for t, a in p.tags if t == "a" and a.get("aria-current") == "page"]
            assert [a["href"] for a in current] == [path.name], f"{where}: the navigation marks this page"


def test_the_pages_load_nothing_from_elsewhere(built: dict[str, Path]) -> None:
    for path in _pages(built):
        text = path.read_text(encoding="utf-8")
        where = f"{path.parent.name}/{path.name}"
        assert CSP in text, f"{where}: no Content-Security-Policy"
        for needle in ("<script", "<link", "@import", "<img", "<iframe", "<object", "<embed"):
            assert needle not in text, f"{where}: {needle}"
        assert re.findall(r"url\((?!#[a-z0-9-]+\))[^)]*\)", text) == [], where
        hrefs = re.findall(r'href="([^"]*)"', text)
        assert [h for h in hrefs if re.match(r"^[a-z]+:", h)] == [], f"{where}: a link out of the site"


def test_the_moderation_page_is_marked_internal_and_kept_from_search(built: dict[str, Path]) -> None:
    for key in KEYS:
        text = (built["internal"] / key / "moderation.html").read_text(encoding="utf-8")
        assert '<meta name="robots" content="noindex, nofollow">' in text
        assert text.count("INTERNAL — for moderation by the Inspectorate, not for publication") == 2  # the banner, the footer
        for name in PAGES:
            assert "moderation" not in (built[key] / name).read_text(encoding="utf-8").lower(), f"{key}/{name} mentions it"
