"""Prose renderings kept between runs (report/prose.py `Renderings`): the same bytes, and no parser loaded.

What markdown-it makes of a text (its HTML, with the glossary's titles, and its Markdown) is kept in the
cache under the SHA-256 of hmic itself and the text. A later build renders nothing it rendered before, so
a build whose every such text was rendered before never imports markdown-it (nor PyYAML, every file
coming from the parse cache); what it writes is byte for byte what a build without the cache writes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hmic_compile.checks.limits import MAX_MARKUP
from hmic_compile.inputs.cache import prose_folder
from hmic_compile.report.prose import ProseError, Renderer
from hmic_compile.report.renderings import Renderings

from .conftest import run_noting_modules

FORCE = "testshire-2024"
PROSE = "Calls are **answered** in *six* seconds, as the [code](https://example.org/code) asks."


def _build(root: Path, out: Path, cache: Path | None) -> set[str]:
    """Build FORCE into `out`; the parsers the build loaded."""
    args = ["build", FORCE, "--root", str(root), "--out", str(out)]
    code, _, err, loaded = run_noting_modules(args, ("markdown_it", "yaml"), {"HMIC_CACHE_DIR": str(cache) if cache else "off"})
    assert code == 0, err
    return loaded


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def marked_up(project: Path) -> Path:
    """The mini project with a strength in Markdown (emphasis, a link) and one with a glossary term marked up."""
    f = project / "evidence" / FORCE / "public-contact.yaml"
    text = f.read_text(encoding="utf-8")
    text = text.replace("text: Emergency calls are answered in six seconds on average.", f"text: {PROSE!r}".replace("'", '"'))
    text = text.replace("text: Callers are given", "text: The **MASH** hears first. Callers are given")
    f.write_text(text, encoding="utf-8")
    return project


def test_a_build_from_kept_renderings_writes_the_same_bytes_and_loads_no_parser(marked_up: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _build(marked_up, tmp_path / "first", cache) == {"markdown_it", "yaml"}  # nothing kept yet
    assert any(prose_folder(cache).iterdir())
    # Another folder: a real build (not the replay of the last one), its every text rendered before.
    assert _build(marked_up, tmp_path / "second", cache) == set()
    _build(marked_up, tmp_path / "uncached", None)
    uncached = _files(tmp_path / "uncached")
    assert "<strong>answered</strong>" in uncached[f"{FORCE}/report.html"].decode()
    assert '<strong><abbr title="Multi-agency safeguarding hub">MASH</abbr></strong>' in uncached[f"{FORCE}/report.html"].decode()
    assert _files(tmp_path / "first") == _files(tmp_path / "second") == uncached


def test_two_projects_keep_their_own_renderings(marked_up: Path, tmp_path: Path) -> None:
    """Two copies of a project, with the same force and framework keys and different prose: each build finds its own."""
    other = tmp_path / "other"
    shutil.copytree(marked_up, other)
    f = other / "evidence" / FORCE / "public-contact.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("**answered**", "**picked up**"), encoding="utf-8")
    cache = tmp_path / "cache"
    for root in (marked_up, other):
        assert "markdown_it" in _build(root, tmp_path / f"{root.name}-1", cache)
    for root in (marked_up, other):  # neither build replaced the other's renderings
        assert _build(root, tmp_path / f"{root.name}-2", cache) == set()


def test_a_damaged_rendering_is_rendered_again(marked_up: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _build(marked_up, tmp_path / "first", cache)
    for entry in prose_folder(cache).iterdir():
        entry.write_bytes(entry.read_bytes()[:-1] + b"!")  # the checksum no longer holds
    assert "markdown_it" in _build(marked_up, tmp_path / "second", cache)
    assert _files(tmp_path / "first") == _files(tmp_path / "second")


def _saved(folder: Path, texts: list[tuple[dict[str, str], str]]) -> list[str]:
    """Each text's HTML rendered with its glossary in one scope of a fresh store over `folder`, the store then saved."""
    store = Renderings(folder, folder.parent)
    scope = store.scope("report/x")
    out = [str(Renderer(glossary, scope).html_block(text)) for glossary, text in texts]
    store.save()
    return out


def test_a_rendering_is_kept_under_its_glossary(tmp_path: Path) -> None:
    """The HTML of the same text differs with the glossary's titles: each is kept apart, and each is what the renderer makes."""
    text = "The CPU acts: **CPU** time."
    texts = [({"CPU": meaning}, text) for meaning in ("Child protection unit", "Central processing unit")]
    expected = [str(Renderer(glossary).html_block(t)) for glossary, t in texts]
    assert '<abbr title="Child protection unit">CPU</abbr>' in expected[0]
    assert '<abbr title="Central processing unit">CPU</abbr>' in expected[1]
    assert _saved(tmp_path / "prose", texts) == expected  # rendered, and kept
    assert len(list((tmp_path / "prose").iterdir())) == 1  # one entry for the report
    store = Renderings(tmp_path / "prose", tmp_path)
    scope = store.scope("report/x")
    assert [str(Renderer(g, scope).html_block(t)) for g, t in texts] == expected  # taken from the cache
    assert not scope.missed


TEXTS = ["a **b** c", "x_y_", "line one\n\nline two", "`code` and [a](https://example.org)", "a | b \\| c", "Plain words.", "SNTs & CPUs"]


@pytest.mark.parametrize("text", TEXTS)
def test_every_kept_rendering_is_what_the_renderer_makes(tmp_path: Path, text: str) -> None:
    glossary = {"SNT": "safer neighbourhood team", "CPU": "child protection unit"}
    plain = Renderer(glossary)
    for run in range(2):  # rendered and kept, then taken from the cache
        store = Renderings(tmp_path / "prose", tmp_path)
        r = Renderer(glossary, store.scope("report/x"))
        assert r.md(text) == plain.md(text)
        assert r.md(text, cell=True) == plain.md(text, cell=True)
        assert str(r.html_block(text)) == str(plain.html_block(text))
        assert str(r.html_inline(text)) == str(plain.html_inline(text))
        assert store.scope("report/x").missed is (run == 0)
        store.save()


def test_a_text_edited_away_leaves_the_entry(tmp_path: Path) -> None:
    """A scope is written again with what its run used: an old text's renderings do not pile up."""
    _saved(tmp_path / "prose", [({}, "old **text**")])
    _saved(tmp_path / "prose", [({}, "new **text**")])
    store = Renderings(tmp_path / "prose", tmp_path)
    scope = store.scope("report/x")
    Renderer({}, scope).html_block("new **text**")
    assert not scope.missed and [k[2] for k in scope.kept] == ["new **text**"]


def test_a_build_of_one_format_keeps_the_others_renderings(tmp_path: Path) -> None:
    store = Renderings(tmp_path / "prose", tmp_path)
    Renderer({}, store.scope("report/x")).html_block("a **b**")
    store.save()
    store = Renderings(tmp_path / "prose", tmp_path)
    Renderer({}, store.scope("report/x")).md("a **b**")  # report.md alone: the HTML's rendering stays
    store.save()
    store = Renderings(tmp_path / "prose", tmp_path)
    scope = store.scope("report/x")
    Renderer({}, scope).html_block("a **b**")
    Renderer({}, scope).md("a **b**")
    assert not scope.missed


def test_prose_that_fails_is_refused_on_every_run_and_never_kept(tmp_path: Path) -> None:
    text = "*a" * (MAX_MARKUP + 1)  # more Markdown punctuation than the renderer takes
    for _ in range(2):
        store = Renderings(tmp_path / "prose", tmp_path)
        with pytest.raises(ProseError, match="Markdown punctuation"):
            Renderer({}, store.scope("report/x")).html_block(text)
        with pytest.raises(ProseError, match="Markdown punctuation"):
            Renderer({}, store.scope("report/x")).md(text)
        store.save()
    assert not (tmp_path / "prose").exists() or not any((tmp_path / "prose").iterdir())
