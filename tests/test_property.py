"""Property: whatever an editor does to the real YAML files, validation ends in success or in diagnostics
that each name a file and, when the problem lies inside an existing file, a line and column in it.

Each example copies nothing: the project is copied once, the example overwrites one file with a mutated
version, validates that file's framework and force in-process, and puts the original back.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmic_compile.checks.project import check_project
from hmic_compile.diagnostics import Diagnostic
from hmic_compile.inputs.cache import ParseCache
from hmic_compile.inputs.project import load_project

from .conftest import REPO

FORCE = "norfolk-2007"
FILES = sorted(p.relative_to(REPO).as_posix() for top in ("criteria", f"evidence/{FORCE}") for p in (REPO / top).rglob("*.yaml"))

# Problems with a file as a whole, not a place in it: it cannot be read, is too big, is missing, or
# is a file the project does not expect (its name is the problem). These name the file with no line.
WHOLE_FILE = {"E001", "E011", "E201", "E202"}

# What an editor (or a cat on the keyboard) puts in: YAML indicators, whitespace, quotes, text from
# other scripts, and the invisible and control characters the loader must name.
SPECIAL = list(":-&*!?|>#%@`,[]{}\"'\\\t \n") + [
    "\r",
    "\r\n",
    "é",
    "–",
    "’",
    "中",
    "\U0001f600",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u2028",
    "\x85",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "0",
    "-1",
    "~",
    "- ",
    ": ",
    "&a ",
    "*a",
    "!!str ",
    "!x ",
    "---\n",
    "...\n",
    "<<: ",
    "? ",
]
CHARS = st.one_of(st.sampled_from(SPECIAL), st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co")))
SNIPPET = st.lists(CHARS, min_size=1, max_size=8).map("".join)

ORIGINAL = {rel: (REPO / rel).read_bytes() for rel in FILES}
LINES = sorted({line for data in ORIGINAL.values() for line in data.decode("utf-8").splitlines(keepends=True)})

# Weighted: mostly the edits of a person at work; invalid bytes now and then.
KINDS = (
    ["delete"] * 2
    + ["duplicate"] * 2
    + ["indent"] * 2
    + ["insert"] * 3
    + ["swap"] * 2
    + ["replace"] * 2
    + ["splice"] * 2
    + ["truncate", "bytes"]
)


@st.composite
def mutation(draw: st.DrawFn) -> tuple:
    kind = draw(st.sampled_from(KINDS))
    a, b = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))
    if kind == "indent":
        return kind, a, draw(st.sampled_from([-4, -2, -1, 1, 2, 4]))
    if kind in ("insert", "replace"):
        return kind, a, b, draw(SNIPPET)
    if kind == "splice":  # a line from anywhere in the project, e.g. a key that belongs elsewhere
        return kind, a, draw(st.sampled_from(LINES))
    if kind == "bytes":
        return kind, a, draw(st.sampled_from([b"\xe9", b"\xff", b"\xc3", b"\xef\xbb\xbf", b"\x00", b"\xe2\x80"]))
    return kind, a, b


def mutate(data: bytes, mutations: list[tuple]) -> bytes:
    text = data.decode("utf-8")
    tail: list[tuple] = []
    for m in mutations:
        if m[0] == "bytes":
            tail.append(m)
            continue
        lines = text.splitlines(keepends=True) or [""]
        kind, i = m[0], m[1] % len(lines)
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "indent":
            delta = m[2]
            if delta > 0:
                lines[i] = " " * delta + lines[i]
            else:
                stripped = lines[i].lstrip(" ")
                lead = len(lines[i]) - len(stripped)
                lines[i] = " " * max(0, lead + delta) + stripped
        elif kind == "splice":
            lines.insert(i, m[2])
        elif kind == "swap":
            k = m[2] % len(lines)
            lines[i], lines[k] = lines[k], lines[i]
        elif kind == "insert":
            at = m[2] % (len(lines[i]) + 1)
            lines[i] = lines[i][:at] + m[3] + lines[i][at:]
        elif kind == "replace":
            at = m[2] % (len(lines[i]) + 1)
            lines[i] = lines[i][:at] + m[3] + lines[i][at + len(m[3]) :]
        elif kind == "truncate":
            whole = "".join(lines)
            lines = [whole[: m[1] % (len(whole) + 1)]]
        text = "".join(lines)
    raw = text.encode("utf-8")
    for _, at, junk in tail:
        at %= len(raw) + 1
        raw = raw[:at] + junk + raw[at:]
    return raw


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("mutants")
    for top in ("criteria", "evidence"):
        shutil.copytree(REPO / top, root / top)
    yield root


@pytest.fixture(scope="module")
def cached_parsing(tmp_path_factory: pytest.TempPathFactory) -> ParseCache:
    """hmic's own parse cache: each unchanged file is parsed once, and every mutant's parse goes through
    the cache too (a miss, then kept when it parsed), so the cache is exercised on broken files as well."""
    return ParseCache(tmp_path_factory.mktemp("parse-cache"))


def check_located(root: Path, diags: list[Diagnostic]) -> None:
    for d in diags:
        assert d.loc.path, d.text()
        assert d.code != "E100", f"a schema error schema_errors.py does not explain: {d.text()}"
        assert not Path(d.loc.path).is_absolute(), f"absolute path in: {d.text()}"
        where = root / d.loc.path
        if where.is_file() and d.code not in WHOLE_FILE:
            assert d.loc.line >= 1 and d.loc.col >= 1, f"no line in an existing file: {d.text()}"
            lines = len(re.split(rb"\r\n|\r|\n", where.read_bytes()))  # lone CRs count, as in libyaml and most editors
            assert d.loc.line <= lines + 1, f"line past the end of the file ({lines} lines): {d.text()}"
        elif d.loc.line:
            assert d.loc.col >= 1, d.text()


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rel=st.sampled_from(FILES), mutations=st.lists(mutation(), min_size=1, max_size=4))
def test_mutated_yaml_ends_in_success_or_located_diagnostics(
    workspace: Path, cached_parsing: ParseCache, rel: str, mutations: list[tuple]
) -> None:
    path = workspace / rel
    path.write_bytes(mutate(ORIGINAL[rel], mutations))
    try:
        project, diags = load_project(workspace, [FORCE], cached_parsing)
        check_project(project, diags)  # on a partial project too, as `hmic validate` does: it must not raise
        check_located(workspace, diags.sorted())
    finally:
        path.write_bytes(ORIGINAL[rel])


def test_the_unmutated_project_is_clean(workspace: Path) -> None:
    project, diags = load_project(workspace, [FORCE])
    check_project(project, diags)
    assert not diags.errors, [d.text() for d in diags.errors]


@pytest.mark.parametrize(
    ("mutations", "expected"),
    [
        ([("delete", 0, 0)], b"  y: 2\n"),
        ([("insert", 0, 0, "&a ")], b"&a x: 1\n  y: 2\n"),
        ([("indent", 1, -2)], b"x: 1\ny: 2\n"),
        ([("swap", 0, 1)], b"  y: 2\nx: 1\n"),
        ([("truncate", 3, 0)], b"x: "),
        ([("bytes", 1, b"\xe9")], b"x\xe9: 1\n  y: 2\n"),
        ([("splice", 1, "z: 3\n")], b"x: 1\nz: 3\n  y: 2\n"),
        ([("replace", 0, 1, "-"), ("duplicate", 0, 0)], b"x- 1\nx- 1\n  y: 2\n"),
    ],
    ids=["delete", "insert", "dedent", "swap", "truncate", "bytes", "splice", "replace-then-duplicate"],
)
def test_mutate(mutations: list[tuple], expected: bytes) -> None:
    start = b"x: 1\n  y: 2\n"
    assert mutate(start, mutations) == expected
