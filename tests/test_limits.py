"""Bounded cost (issue 13, item 7): templates run within a budget, and no input costs more than its size.

Templates: each bomb ends in a diagnostic naming the template's file and line (E610-E612), not a hang
or a MemoryError. Prose, `hmic diff` and the PDF: costs are compared as ratios with plain input of the
same size, measured in the same test, with generous factors; nothing here is an absolute timing.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.report import budget

from .conftest import REPO

MINI = REPO / "tests" / "fixtures" / "mini"
KEY = "testshire-2024"
runner = CliRunner()


def _build(tmp_path: Path, template: str, fmt: str = "md", root: Path = MINI) -> tuple[int, str, Path]:
    mine = tmp_path / "mine"
    mine.mkdir(exist_ok=True)
    name = "report.md.j2" if fmt == "md" else "report.html.j2"
    (mine / name).write_text(template, encoding="utf-8")
    r = runner.invoke(app, ["build", KEY, "--root", str(root), "--out", str(tmp_path / "out"), "--templates", str(mine), "--format", fmt])
    return r.exit_code, r.output, mine / name


# --- templates ------------------------------------------------------------------------------

BOMBS = [
    # (template, line, code, what the message says)
    ("{% for a in range(10**4) %}{% for b in range(10**4) %}{% endfor %}{% endfor %}\n", 1, "E610", "operations"),
    ("x\n{% for a in range(10**5) %}{{ range(10**5) | sum }}{% endfor %}\n", 2, "E610", "operations"),
    ("{% for a in range(10**5) %}{% for b in range(10**5) if b is divisibleby 7 %}{% endfor %}{% endfor %}\n", 1, "E610", "operations"),
    ("{% for x in [1] recursive %}{{ loop(range(10**5)) }}{% endfor %}\n", 1, "E610", "operations"),
    (
        "{% macro m() %}{{ caller() }}{% endmacro %}"
        "{% for a in range(10**5) %}{% for b in range(10**5) %}{% call m() %}x{% endcall %}{% endfor %}{% endfor %}\n",
        1,
        "E610",
        "operations",
    ),
    ("{{ lipsum(10**6) }}\n", 1, "E611", "lorem ipsum"),
    ("{{ lipsum(1, max=10**9) }}\n", 1, "E611", "lorem ipsum"),
    ('{{ "x" * 10**9 }}\n', 1, "E611", "repeated"),
    ('{{ 10**9 * ["x"] }}\n', 1, "E611", "repeated"),
    ("{{ 10 ** (10 ** 10) }}\n", 1, "E611", "digits"),
    ("{{ 7 ** 100000 }}\n", 1, "E611", "digits"),
    ('{{ "x" | indent(10**9) }}\n', 1, "E611", "indent"),
    ('{{ ("x\\n" * 100000) | indent(1000) }}\n', 1, "E611", "indented text"),
    ('{{ "x" | center(10**9) }}\n', 1, "E611", "centring"),
    ('{{ ("x " * 500000) | wordwrap(1, wrapstring="y" * 1000) }}\n', 1, "E611", "wrapped text"),
    ('{{ ("x" * 1000000) | replace("", "y" * 1000) }}\n', 1, "E611", "replaced text"),
    ('{{ range(10) | batch(10**9, "x") | list }}\n', 1, "E611", "batch count"),
    ('{{ range(100000) | join("y" * 1000) }}\n', 1, "E611", "joined text"),
    ('{{ "x".ljust(10**9) }}\n', 1, "E611", "ljust"),
    ('{{ "{:>999999999}".format(1) }}\n', 1, "E611", "format width"),
    ('{{ "%999999999d" % 1 }}\n', 1, "E611", "format width"),
    ('{{ "%*d" % (10**9, 1) }}\n', 1, "E611", "'*'"),
    ('{{ "%999999999d" | format(1) }}\n', 1, "E611", "format width"),
    ('{% set ns = namespace(s="x") %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}\n', 1, "E611", "text"),
    ('{% set ns = namespace(s="x") %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}\n', 1, "E611", "text"),
    ('{% set big %}{% for i in range(100000) %}{{ "y" * 1000 }}{% endfor %}{% endset %}{{ big | length }}\n', 1, "E612", "output"),
    ('{% for i in range(100000) %}{{ "y" * 1000 }}{% endfor %}\n', 1, "E612", "output"),
]


@pytest.mark.parametrize(("template", "line", "code", "words"), BOMBS, ids=[b[0][:40] for b in BOMBS])
def test_a_template_bomb_is_a_located_diagnostic(tmp_path: Path, template: str, line: int, code: str, words: str) -> None:
    exit_code, output, path = _build(tmp_path, template)
    assert exit_code == 1, output
    assert f"{path}:{line}:1: error[{code}]: the template" in output, output
    assert words in output
    assert "Traceback" not in output and "MemoryError" not in output
    assert not (tmp_path / "out" / KEY).exists()


def test_the_limits_are_far_above_what_the_default_templates_need(tmp_path: Path) -> None:
    """A house style that extends the defaults renders Norfolk exactly as the trusted defaults do, within a
    hundredth of the budget."""
    house = tmp_path / "house"
    house.mkdir()
    for name in ("report.md.j2", "report.html.j2"):
        (house / name).write_text(f'{{% extends "default/{name}" %}}\n', encoding="utf-8")
    r = runner.invoke(app, ["build", "norfolk-2007", "--root", str(REPO), "--out", str(tmp_path / "out"), "--templates", str(house)])
    assert r.exit_code == 0, r.output
    golden = REPO / "tests" / "golden" / "norfolk-2007"
    for name in ("report.md", "report.html"):
        assert (tmp_path / "out" / "norfolk-2007" / name).read_bytes() == (golden / name).read_bytes()

    from hmic_compile.inputs.project import load_project
    from hmic_compile.report.render import make_environment, render
    from hmic_compile.report.view import build_report

    project, _ = load_project(REPO, ["norfolk-2007"])
    env = make_environment(house, REPO)
    assert isinstance(env, budget.CountedSandbox)
    spent = []
    original = budget.running.__exit__

    def record(self: budget.running, *exc: object) -> None:
        spent.append((self.budget.operations, self.budget.output))
        original(self, *exc)

    budget.running.__exit__ = record  # type: ignore[method-assign]
    try:
        for fmt in ("md", "html"):
            render(build_report(project, project.forces["norfolk-2007"]), env, fmt)
    finally:
        budget.running.__exit__ = original  # type: ignore[method-assign]
    assert len(spent) == 2
    for operations, output in spent:
        assert 1_000 < operations < budget.MAX_OPERATIONS / 100
        assert output < budget.MAX_OUTPUT / 20  # counted as written: a macro's text once inside it, once where it is put


def test_the_trusted_default_templates_are_not_counted() -> None:
    from hmic_compile.report.render import make_environment

    env = make_environment(None, REPO)
    assert not isinstance(env, budget.CountedSandbox)


def test_every_builtin_filter_is_counted(tmp_path: Path) -> None:
    from hmic_compile.report.render import make_environment

    env = make_environment(tmp_path, REPO)
    assert isinstance(env, budget.CountedSandbox)
    assert all(getattr(f, "__wrapped__", None) is not None or name.startswith("_hmic_") for name, f in env.filters.items())
    assert {"md", "cell", "mdlink", "indent", "wordwrap", "replace", "join", "batch", "format"} <= set(env.filters)


def test_budget_error_codes_are_documented() -> None:
    doc = (REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    for code, limit in (("E610", budget.MAX_OPERATIONS), ("E611", budget.MAX_LENGTH), ("E612", budget.MAX_OUTPUT)):
        assert f"| {code} |" in doc and f"{limit:,}" in doc, code


def test_compiled_templates_from_another_count_are_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached sandboxed template compiled by another version of the count (here one that counted no
    loop) is never run: its entry's checksum names the count's version, and the template is compiled anew."""
    mine = tmp_path / "mine"
    mine.mkdir()
    loops = "{% set r = range(150) %}{% for a in r %}{% for b in r %}{% for c in r %}{% endfor %}{% endfor %}{% endfor %}"
    (mine / "report.md.j2").write_text(loops + "\n")
    cache = tmp_path / "cache"
    monkeypatch.setenv("HMIC_CACHE_DIR", str(cache))
    args = ["build", KEY, "--root", str(MINI), "--templates", str(mine), "--out", str(tmp_path / "out"), "--format", "md"]
    with monkeypatch.context() as older:
        older.setattr(budget, "VERSION", "0")
        older.setattr(budget, "count_everything", lambda tree: tree)
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output  # 3,375,000 iterations, none counted
    assert [p for p in cache.rglob("*") if p.is_file() and p.parent.name == "sandboxed"]
    r = runner.invoke(app, [*args[:-3], str(tmp_path / "out2"), *args[-2:]])  # a fresh folder: an unchanged one is not rendered again
    assert r.exit_code == 1 and "report.md.j2:1:1: error[E610]" in r.output, r.output


def test_a_copied_project_template_is_counted_too(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    (root / "templates").mkdir()
    (root / "templates" / "report.md.j2").write_text("{% for a in range(10**5) %}{% for b in range(10**5) %}{% endfor %}{% endfor %}\n")
    r = runner.invoke(app, ["build", KEY, "--root", str(root), "--out", str(tmp_path / "out"), "--format", "md"])
    assert r.exit_code == 1 and "templates/report.md.j2:1:1: error[E610]" in r.output, r.output


# --- hmic diff: near-linear matching ---------------------------------------------------------

import difflib  # noqa: E402
import functools  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hmic_compile.inputs import models as m  # noqa: E402
from hmic_compile.tools import diff as d  # noqa: E402
from hmic_compile.tools import diff_match  # noqa: E402


def _reference_match_items(old: list[d.Entry], new: list[d.Entry]) -> list[d.ItemChange]:
    """hmic diff's matching as it was: every unmatched old item compared with every unmatched new one."""

    def similarity(a: str, b: str) -> float:
        return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()

    changes: list[d.ItemChange] = []
    left, right = list(old), list(new)

    def pair(o: d.Entry, n: d.Entry) -> None:
        left.remove(o)
        right.remove(n)
        if o.text != n.text:
            changes.append(d.ItemChange("reworded", o, n))
        elif o.kind != n.kind:
            changes.append(d.ItemChange("moved", o, n))
        elif o.id and n.id and o.id != n.id:
            changes.append(d.ItemChange("renamed", o, n))

    by_id = {n.id: n for n in right if n.id}
    for o in list(left):
        if o.id and o.id in by_id:
            pair(o, by_id[o.id])
    for o in list(left):
        same = [n for n in right if n.text == o.text]
        if same:
            pair(o, next((n for n in same if n.kind == o.kind), same[0]))
    scored = sorted((-similarity(o.text, n.text), i, j) for i, o in enumerate(left) for j, n in enumerate(right))
    taken_o: set[int] = set()
    taken_n: set[int] = set()
    pairs = []
    for score, i, j in scored:
        if -score < d.SIMILAR:
            break
        if i not in taken_o and j not in taken_n:
            taken_o.add(i)
            taken_n.add(j)
            pairs.append((left[i], right[j]))
    for o, n in pairs:
        pair(o, n)
    changes += [d.ItemChange("removed", o, None) for o in left]
    changes += [d.ItemChange("added", None, n) for n in right]
    order = {k: i for i, k in enumerate([*m.EVIDENCE_LISTS, "recommendations"])}
    return sorted(changes, key=lambda c: order[c.new.kind if c.new else c.old.kind])  # type: ignore[union-attr]


KINDS = [*m.EVIDENCE_LISTS, "recommendations"]
_text = st.lists(
    st.sampled_from(["the", "force", "has", "a", "plan", "for", "calls", "and", "it", "works", "well", "now"]), min_size=1, max_size=9
).map(" ".join)
_entry = st.builds(d.Entry, st.sampled_from(KINDS), st.none() | st.sampled_from(["a", "b", "c", "d", "e"]), _text)


def _unique_ids(entries: list[d.Entry]) -> list[d.Entry]:
    seen: set[str] = set()
    out = []
    for e in entries:
        if e.id in seen:
            e = d.Entry(e.kind, None, e.text)
        seen.add(e.id or "")
        out.append(e)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(_entry, max_size=12), st.lists(_entry, max_size=12))
def test_matching_is_what_comparing_every_pair_gives(old: list[d.Entry], new: list[d.Entry]) -> None:
    old, new = _unique_ids(old), _unique_ids(new)
    assert d.match_items(old, new) == _reference_match_items(old, new)


def _items(n: int, seed: int) -> tuple[list[d.Entry], list[d.Entry]]:
    """n old items and n new ones: a third kept, a third reworded a little, a third replaced; none with ids."""
    rnd = random.Random(seed)
    vocab = [f"w{i}" for i in range(3000)] + ["the", "force", "and", "of", "to"] * 200

    def sentence() -> str:
        return " ".join(rnd.choice(vocab) for _ in range(rnd.randint(8, 30)))

    old = [d.Entry("strengths", None, sentence()) for _ in range(n)]
    new = []
    for i, e in enumerate(old):
        if i % 3 == 0:
            new.append(e)
        elif i % 3 == 1:
            ws = e.text.split()
            ws[rnd.randrange(len(ws))] = rnd.choice(vocab)
            new.append(d.Entry("strengths", None, " ".join(ws)))
        else:
            new.append(d.Entry("strengths", None, sentence()))
    rnd.shuffle(new)
    return old, new


def test_four_thousand_items_make_a_linear_number_of_comparisons(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = diff_match._ratio

    def counted(a: list[str], b: list[str]) -> float:
        nonlocal calls
        calls += 1
        return real(a, b)

    monkeypatch.setattr(diff_match, "_ratio", counted)
    old, new = _items(4000, 1)
    changes = d.match_items(old, new)
    kinds = [c.change for c in changes]
    assert kinds.count("reworded") >= 1300 and kinds.count("added") <= 1400
    assert calls <= 20 * 4000, calls  # comparing every pair would be 16 million (2,666 x 2,666 unmatched)


def test_matching_time_grows_linearly_not_quadratically() -> None:
    def cost(n: int) -> float:
        old, new = _items(n, 2)
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            d.match_items(old, new)
            best = min(best, time.perf_counter() - start)
        return best

    small, large = cost(2000), cost(8000)
    assert large < 10 * small, (small, large)  # four times the items: linear is 4x, quadratic 16x


def test_long_items_are_compared_by_word_counts_and_shown_whole() -> None:
    from hmic_compile.tools.diff_format import word_diff

    a = " ".join(f"w{i % 500}" for i in range(5000))
    b = a + " more"
    assert diff_match.similarity(a, b) > 0.99
    [change] = d.match_items([d.Entry("strengths", None, a)], [d.Entry("strengths", None, b)])
    assert change.change == "reworded"
    shown = word_diff(a, b, lambda text, role: f"[{role}]")
    assert shown == "[removed] [added]"


# --- the PDF: refused past its documented limits ------------------------------------------------

from hmic_compile.report import pdf  # noqa: E402

from .test_pdf import _require_weasyprint  # noqa: E402


def _evidence(tmp_path: Path, body: str) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    (root / "evidence" / KEY / "force-overview.yaml").write_text(f"area: force-overview\n{body}", encoding="utf-8")
    return root


def test_a_hundred_thousand_bullets_are_refused_for_the_pdf_but_built_as_markdown_and_html(tmp_path: Path) -> None:
    _require_weasyprint()
    bullets = "".join(f"  - Bullet {i} is good.\n" for i in range(100_000))  # 2.4 MB: under the file limit
    root = _evidence(tmp_path, f"strengths:\n{bullets}")
    out = tmp_path / "out"
    r = runner.invoke(app, ["build", KEY, "--root", str(root), "--out", str(out), "--format", "md,html,pdf"])
    assert r.exit_code == 1, r.output
    assert (
        f"evidence/{KEY}: error[E730]: the report has 100,2" in r.output
        and f"elements (paragraphs, list items, table cells...), over the PDF limit of {pdf.MAX_ELEMENTS:,}; build the Markdown" in r.output
    ), r.output
    assert not (out / KEY).exists()  # nothing half-built
    r = runner.invoke(app, ["build", KEY, "--root", str(root), "--out", str(out), "--format", "md,html"])
    assert r.exit_code == 0, r.output
    assert "Bullet 99999 is good." in (out / KEY / "report.html").read_text(encoding="utf-8")


def test_a_megabyte_of_text_is_refused_for_the_pdf(tmp_path: Path) -> None:
    _require_weasyprint()
    big = " ".join(f"word{i}" for i in range(150_000))
    root = _evidence(tmp_path, f"contextual_factors:\n  - {big}\n")
    r = runner.invoke(app, ["build", KEY, "--root", str(root), "--out", str(tmp_path / "out"), "--format", "pdf"])
    assert r.exit_code == 1, r.output
    assert (
        f"evidence/{KEY}: error[E731]: the report has 1," in r.output
        and f"characters of text, over the PDF limit of {pdf.MAX_TEXT:,}" in r.output
    )


def test_the_pdf_limits_are_well_above_norfolk(tmp_path: Path) -> None:
    from hmic_compile.inputs.project import load_project
    from hmic_compile.report.render import make_environment, render
    from hmic_compile.report.view import build_report

    project, _ = load_project(REPO, ["norfolk-2007"])
    html = render(build_report(project, project.forces["norfolk-2007"]), make_environment(None, REPO), "pdf")
    body = html[html.index("<body") :]
    elements = body.count("<") - body.count("</")
    assert 2_000 < elements < pdf.MAX_ELEMENTS / 4
    pdf.check_size(html)  # does not raise
    with pytest.raises(pdf.PdfTooLarge) as e:
        pdf.check_size(html.replace("<main", "<main>" + "<p>x</p>" * pdf.MAX_ELEMENTS + "<div", 1))
    assert e.value.code == "E730"


# --- prose: no pattern costs more than a few times plain text of its length ----------------------

from hmic_compile.checks import limits  # noqa: E402
from hmic_compile.checks.words import candidates, capitalised_words  # noqa: E402
from hmic_compile.report.markdown import md_cell, md_escape, md_text  # noqa: E402
from hmic_compile.report.prose import ProseError, Renderer  # noqa: E402

PATTERNS = {
    "*a x 1M": ("*a", 2_000_000),
    "[ x 5M": ("[", 5_000_000),
    "_ x 2M": ("_", 2_000_000),
    "_a_ x 700K": ("_a_", 2_000_000),
    "nested brackets": ("[" * 1000 + "]" * 1000, 2_000_000),
    "backticks": ("`", 2_000_000),
    "`` a": ("``a", 2_000_000),
    "backslashes": ("\\", 2_000_000),  # md_cell was quadratic here
    "backslash pipes": ("\\|", 2_000_000),
    "](": ("](", 2_000_000),
    "![": ("![", 2_000_000),
    "<": ("<", 2_000_000),
    "&#": ("&#", 2_000_000),
    "line starts": ("\n- ", 2_000_000),
    "hashes": (" #", 2_000_000),
    "colons": (":a", 2_000_000),
    "www.": ("www.", 2_000_000),
}


def _best(f, text: str, runs: int = 3) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        with contextlib.suppress(ProseError):  # refused: a count, then a diagnostic
            f(text)
        best = min(best, time.perf_counter() - start)
    return best


def _plain(n: int) -> str:
    """Plain prose of n characters, ending in one Markdown character: so each scan does its whole work on it
    (text with no Markdown at all skips the escaping, which would make a baseline of a bare search)."""
    return ("Plain words of evidence, " * (n // 25 + 1))[: n - 2] + " *"


RENDERER = Renderer({"ACPO": "Association of Chief Police Officers", "SNT": "safer neighbourhood team"})
SCANS = {
    "md_escape": md_escape,
    "md_cell": md_cell,
    "md_text": md_text,
    "markdown-it render": RENDERER.html_block,
    "word runs": RENDERER.runs,  # report.docx's reading of prose
    "abbreviations": RENDERER.abbr.find,
    "capitalised words": capitalised_words,
    "glossary candidates": lambda t: list(candidates(t)),
    "markup count": limits.markup_count,
}


@functools.cache
def _plain_costs(n: int) -> dict[str, float]:
    plain = _plain(n)
    return {name: _best(f, plain) for name, f in SCANS.items()}


@pytest.mark.parametrize("pattern", PATTERNS, ids=list(PATTERNS))
def test_no_prose_pattern_costs_more_than_a_few_times_plain_text(pattern: str) -> None:
    unit, n = PATTERNS[pattern]
    hostile = (unit * (n // len(unit) + 1))[:n]
    slow = []
    for name, f in SCANS.items():
        base = _plain_costs(n)[name]
        cost = _best(f, hostile, runs=1)
        if cost > 10 * base + 0.002:  # generous: ten times, and a couple of milliseconds of timer noise
            # again, both measured now: the machine may have been busy for one and not the other
            base, cost = _best(f, _plain(n)), min(cost, _best(f, hostile))
        if cost > 10 * base + 0.002:
            slow.append(f"{name}: {cost:.3f}s, over ten times the {base:.3f}s of plain text")
    assert slow == [], slow


def test_prose_over_the_markup_limit_is_refused_by_the_renderer_too() -> None:
    with pytest.raises(ProseError, match="Markdown punctuation"):
        RENDERER.html_block("*a" * (limits.MAX_MARKUP + 1))
    with pytest.raises(ProseError, match="Markdown punctuation"):
        md_escape("[" * (limits.MAX_MARKUP + 1))
    with pytest.raises(ProseError, match="Markdown punctuation"):
        RENDERER.runs("*a" * (limits.MAX_MARKUP + 1))
    assert md_escape("[" * 100) == "\\[" * 100  # below the limit: rendered


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_prose_over_the_markup_limit_past_validation_is_e602_in_every_format(fmt: str, tmp_path: Path) -> None:
    """A project loaded without its checks (E030 would refuse the file first) still gets a diagnostic, not a traceback."""
    import yaml

    from hmic_compile.diagnostics import HmicError
    from hmic_compile.inputs.project import load_project
    from hmic_compile.report.build import BuildOptions, build_force
    from hmic_compile.report.render import make_environment

    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    path = root / "evidence" / "testshire-2024" / "public-contact.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["strengths"][0]["text"] = "*a" * (limits.MAX_MARKUP + 1)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    project, _ = load_project(root, ["testshire-2024"])
    with pytest.raises(HmicError) as e:
        build_force(project, project.forces["testshire-2024"], make_environment(None, root), BuildOptions((fmt,)))
    assert [d.code for d in e.value.diagnostics] == ["E602"]
