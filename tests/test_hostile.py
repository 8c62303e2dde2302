"""Hostile input: YAML that attacks the parser, prose that attacks the report, templates that attack the
sandbox, and faults while writing. Each case asserts the exact behaviour: the diagnostic with its
file:line:col, or the exact escaped output in report.md and report.html.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.diagnostics import HmicError
from hmic_compile.inputs.loader import MAX_BYTES, MAX_DEPTH, load, parse

from .conftest import REPO

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
FORCE = "evidence/testshire-2024"
NOT_OK = "not ok: checked 1 framework and 1 force; 1 force with errors: testshire-2024\n"  # validate's last line


# --- helpers ----------------------------------------------------------------------------


def _q(text: str) -> str:
    """`text` as a YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _mini(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return root


def _parse_error(text: str) -> str:
    with pytest.raises(HmicError) as e:
        parse(text, "f.yaml")
    assert len(e.value.diagnostics) == 1
    return e.value.diagnostics[0].text()


def _load_error(root: Path, name: str, content: bytes | str | None = None) -> str:
    path = root / name
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(HmicError) as e:
        load(path, root)
    assert len(e.value.diagnostics) == 1
    return e.value.diagnostics[0].text()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), f"hmic raised {result.exception!r}"
    assert "Traceback" not in result.output
    return result.exit_code, result.output


# What `hmic validate` says once when a force's glossary gives nothing: the abbreviations wait for it.
NOT_READ = f"{FORCE}/glossary.yaml:1:1: warning[W803]: abbreviations of testshire-2024 not checked: its glossary could not be read; "
NOT_READ += "fix glossary.yaml, and every abbreviation is checked"


def _validate(root: Path) -> tuple[int, str]:
    return _run("validate", "--root", str(root))


def _build(root: Path, out: Path, *extra: str) -> tuple[int, str]:
    return _run("build", "--root", str(root), "--out", str(out), *extra)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- YAML: the loader -------------------------------------------------------------------


def test_billion_laughs_is_refused_at_the_first_anchor_without_expanding() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    assert _parse_error("\n".join(lines) + "\n") == (
        "f.yaml:1:4: error[E005]: anchor '&a' is not allowed; remove the anchor; hmic files use no anchors or aliases"
    )
    assert time.perf_counter() - start < 1


def test_self_referencing_alias() -> None:
    assert _parse_error("a: &a [*a]\n") == (
        "f.yaml:1:4: error[E005]: anchor '&a' is not allowed; remove the anchor; hmic files use no anchors or aliases"
    )


def test_alias_without_anchor() -> None:
    assert _parse_error("a: x\nb: *nowhere\n") == (
        "f.yaml:2:4: error[E005]: alias '*nowhere' is not allowed; write the value out in full; hmic files use no anchors or aliases"
    )


def test_ten_thousand_deep_flow_nesting() -> None:
    # libyaml's scanner looks ahead and meets its own 1,000-level limit before hmic's 40 levels.
    assert _parse_error("[" * 10_000 + "]" * 10_000 + "\n") == (
        f"f.yaml:1:1001: error[E010]: nesting deeper than {MAX_DEPTH} levels; flatten the structure"
    )
    assert _parse_error("{a: " * 10_000 + "}" * 10_000 + "\n") == (
        f"f.yaml:1:161: error[E010]: nesting deeper than {MAX_DEPTH} levels; flatten the structure"
    )


def test_flow_nesting_one_past_the_cap() -> None:
    assert _parse_error("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n") == (
        f"f.yaml:1:{MAX_DEPTH + 1}: error[E010]: nesting deeper than {MAX_DEPTH} levels; flatten the structure"
    )
    assert parse("[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", "f.yaml").data is not None


def test_ten_thousand_deep_block_nesting() -> None:
    # `- - - ... x`: block sequences, each starting two columns after the one before.
    assert _parse_error("- " * 10_000 + "x\n") == (
        f"f.yaml:1:{2 * MAX_DEPTH + 1}: error[E010]: nesting deeper than {MAX_DEPTH} levels; flatten the structure"
    )
    # indented block mappings, one level a line
    text = "".join("  " * i + f"k{i}:\n" for i in range(10_000 // 20)) + "  " * (10_000 // 20) + "leaf\n"
    assert _parse_error(text) == (
        f"f.yaml:{MAX_DEPTH + 1}:{2 * MAX_DEPTH + 1}: error[E010]: nesting deeper than {MAX_DEPTH} levels; flatten the structure"
    )


def test_fifty_megabyte_scalar_is_refused_by_size_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    chunk = b"x" * (1 << 20)
    with path.open("wb") as fh:
        fh.write(b"a: ")
        for _ in range(50):
            fh.write(chunk)
        fh.write(b"\n")
    del chunk
    size = 50 * (1 << 20) + 4
    tracemalloc.start()
    try:
        message = _load_error(tmp_path, "big.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        path.unlink()
    assert message == f"big.yaml: error[E011]: file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit; split the content across files"
    assert peak < 1 << 20, f"the loader held {peak:,} bytes: it read the oversize file"


def test_fifty_megabyte_file_through_validate(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    path = root / FORCE / "glossary.yaml"
    with path.open("ab") as fh:
        fh.truncate(50 * (1 << 20))  # sparse: 50 MB on paper, nothing held in memory
    code, output = _validate(root)
    assert code == 1
    assert output == (
        f"{FORCE}/glossary.yaml: error[E011]: file is 52,428,800 bytes, over the {MAX_BYTES:,}-byte limit; "
        f"split the content across files\n{NOT_READ}\n1 error, 1 warning\n" + NOT_OK
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('x:\n  1: a\n  "1": b\n', "f.yaml:3:3: error[E004]: duplicate key '1' (first defined at line 2); keep one of them"),
        ('x:\n  "1": a\n  1: b\n', "f.yaml:3:3: error[E004]: duplicate key '1' (first defined at line 2); keep one of them"),
        ("x:\n  yes: a\n  'yes': b\n", "f.yaml:3:3: error[E004]: duplicate key 'yes' (first defined at line 2); keep one of them"),
        ("area: a\ngrade: Good\narea: b\n", "f.yaml:3:1: error[E004]: duplicate key 'area' (first defined at line 1); keep one of them"),
        ("{a: 1, b: 2, a: 3}\n", "f.yaml:1:14: error[E004]: duplicate key 'a' (first defined at line 1); keep one of them"),
    ],
    ids=["plain-then-quoted", "quoted-then-plain", "yes-and-quoted-yes", "top-level", "flow"],
)
def test_duplicate_keys(text: str, expected: str) -> None:
    assert _parse_error(text) == expected


def test_keys_that_differ_as_text_are_not_duplicates() -> None:
    assert parse("x:\n  1: a\n  01: b\n  1.0: c\n", "f.yaml").data == {"x": {"1": "a", "01": "b", "1.0": "c"}}


def test_yaml11_implicit_types_load_as_the_text_written() -> None:
    text = "a: NO\nb: on\nc: 010\nd: 2007-10-01\ne: 12:30\nf: 0x1F\ng: 1_000\nh: .inf\ni: 1e3\nj: ! 007\n"
    assert parse(text, "f.yaml").data == {
        "a": "NO",
        "b": "on",
        "c": "010",
        "d": "2007-10-01",
        "e": "12:30",
        "f": "0x1F",
        "g": "1_000",
        "h": ".inf",
        "i": "1e3",
        "j": "007",
    }


IMPLICIT = ["NO", "on", "010", "2007-10-01", "12:30", "0x1F", "1_000", ".inf", "1e3", "Yes"]


def test_yaml11_implicit_types_survive_into_the_built_report(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    rows = "".join(f"          - {v}\n" for v in IMPLICIT)  # plain (unquoted) scalars: the point of the test
    (root / FORCE / "force-overview.yaml").write_text(
        "area: force-overview\n"
        "contextual_factors:\n"
        "  - table:\n"
        "      header: [" + ", ".join(f"c{i}" for i in range(len(IMPLICIT))) + "]\n"
        "      rows:\n"
        "        -\n" + rows + "  - NO\n"
        "  - 2007-10-01\n",
        encoding="utf-8",
    )
    glossary = root / FORCE / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "unexpanded: [NO]\n", encoding="utf-8")
    code, output = _build(root, tmp_path / "out")
    assert code == 0, output
    md = (tmp_path / "out/testshire-2024/report.md").read_text(encoding="utf-8")
    html = (tmp_path / "out/testshire-2024/report.html").read_text(encoding="utf-8")
    assert "| " + " | ".join(IMPLICIT) + " |\n" in md
    assert "\n\nNO\n\n2007-10-01\n\n" in md
    assert "<tr>" + "".join(f"<td>{v}</td>" for v in IMPLICIT) + "</tr>" in html
    assert "<p>NO</p>\n<p>2007-10-01</p>" in html


def test_null_words_are_text_and_an_empty_value_is_empty_text(tmp_path: Path) -> None:
    assert parse("a: ~\nb: null\nc: Null\nd:\n", "f.yaml").data == {"a": "~", "b": "null", "c": "Null", "d": ""}
    root = _mini(tmp_path)
    (root / FORCE / "force-overview.yaml").write_text("area: force-overview\ncontextual_factors:\n  - ~\n  -\n", encoding="utf-8")
    code, output = _validate(root)
    assert code == 1
    assert output == (
        f"{FORCE}/force-overview.yaml:4:4: error[E108]: entry 2 of 'contextual_factors' must not be empty; "
        "write the text, or remove the entry\n1 error, 0 warnings\n" + NOT_OK
    )


@pytest.mark.parametrize(
    ("text", "tag", "col"),
    [
        ("a: !!python/object:os.system ls\n", "!!python/object:os.system", 4),
        ("a: !!python/object/apply:os.system [echo pwned]\n", "!!python/object/apply:os.system", 4),
        ("a: !!binary aGVsbG8=\n", "!!binary", 4),
        ("a: !!set {x, y}\n", "!!set", 4),
        ("a: !custom x\n", "!custom", 4),
        ("a: !!str x\n", "!!str", 4),
        ("!!map\na: b\n", "!!map", 1),
        ("%TAG !e! tag:evil.example,2024:\n---\na: !e!run x\n", "tag:evil.example,2024:run", 4),
    ],
    ids=["python-object", "python-apply", "binary", "set", "custom", "str", "map", "tag-directive"],
)
def test_explicit_tags_are_refused(text: str, tag: str, col: int) -> None:
    line = text.count("\n", 0, text.index("!" if not text.startswith("%") else "!e!run")) + 1
    assert _parse_error(text) == (
        f"f.yaml:{line}:{col}: error[E006]: explicit tag '{tag}' is not allowed; "
        "remove the tag; every value is text and the schema gives it its type"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a:\n\tb: c\n",
            "f.yaml:2:1: error[E002]: YAML syntax error: found character that cannot start any token while scanning for the next token; "
            "YAML indents with spaces, never tabs",
        ),
        (
            "a:\n  - x\n\t- y\n",
            "f.yaml:3:1: error[E002]: YAML syntax error: found a tab character that violates indentation while scanning a plain scalar "
            "that starts at line 2, column 5; "
            "YAML indents with spaces, never tabs",
        ),
    ],
)
def test_tab_indentation(text: str, expected: str) -> None:
    assert _parse_error(text) == expected


def test_tab_inside_a_value_is_text() -> None:
    assert parse("a:\tb\tc\n", "f.yaml").data == {"a": "b\tc"}


def test_utf8_bom_is_accepted_and_lines_still_count_from_one(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_bytes(b"\xef\xbb\xbfa: b\n")
    doc = load(tmp_path / "ok.yaml", tmp_path)
    assert doc.data == {"a": "b"}
    assert _load_error(tmp_path, "dup.yaml", b"\xef\xbb\xbfa: b\na: c\n") == (
        "dup.yaml:2:1: error[E004]: duplicate key 'a' (first defined at line 1); keep one of them"
    )


def test_latin1_bytes(tmp_path: Path) -> None:
    # 'é' in UTF-8 on line 2, then a Latin-1 'é' (0xe9): the column counts characters, not bytes.
    content = "a: b\nmeaning: café and r".encode() + b"\xe9f\n"
    assert _load_error(tmp_path, "f.yaml", content) == "f.yaml:2:20: error[E003]: byte 0xe9 is not valid UTF-8; save the file as UTF-8"


def test_nul_byte(tmp_path: Path) -> None:
    content = "a: b\nc: café\x00\n".encode()
    assert _load_error(tmp_path, "f.yaml", content) == "f.yaml:2:8: error[E003]: NUL byte in file; save the file as UTF-8 text"


@pytest.mark.parametrize(
    ("char", "name", "hint"),
    [
        ("\x07", "a control character", "delete it (most editors do not show it)"),
        ("\x1b", "a control character", "delete it (most editors do not show it)"),
        ("\x7f", "a control character", "delete it (most editors do not show it)"),
        ("\x9b", "a control character", "delete it (most editors do not show it)"),
        ("\x85", "a control character", "YAML reads it as a line break: replace it with a space or a new line"),
        ("\u2028", "LINE SEPARATOR", "YAML reads it as a line break: replace it with a space or a new line"),
        ("\u2029", "PARAGRAPH SEPARATOR", "YAML reads it as a line break: replace it with a space or a new line"),
        ("\ufffe", "a control character", "delete it (most editors do not show it)"),
    ],
    ids=["bel", "esc", "del", "csi", "nel", "line-separator", "paragraph-separator", "non-character"],
)
def test_control_characters(tmp_path: Path, char: str, name: str, hint: str) -> None:
    content = f"a: b\nc: naïve{char}text\n"
    assert _load_error(tmp_path, "f.yaml", content) == (
        f"f.yaml:2:9: error[E003]: character U+{ord(char):04X} ({name}) is not allowed; {hint}"
    )


def test_lone_carriage_returns_count_as_line_breaks_everywhere() -> None:
    # libyaml counts a lone CR as a line break (as most editors do); hmic's own positions agree.
    assert _parse_error("a: b\rc: d\rc: e\r") == "f.yaml:3:1: error[E004]: duplicate key 'c' (first defined at line 2); keep one of them"
    assert _parse_error("a: b\r\nc: d\re: \x07\n") == (
        "f.yaml:3:4: error[E003]: character U+0007 (a control character) is not allowed; delete it (most editors do not show it)"
    )


def test_control_character_in_a_key() -> None:
    assert _parse_error("a: b\nke\x01y: c\n") == (
        "f.yaml:2:3: error[E003]: character U+0001 (a control character) is not allowed; delete it (most editors do not show it)"
    )


@pytest.mark.parametrize(
    ("key", "names"),
    [
        ("gra\u200bde", "U+200B ZERO WIDTH SPACE"),
        ("gra\u202ede", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ('"gra\\x01de"', "U+0001 control character"),
    ],
    ids=["zero-width-space", "right-to-left-override", "escaped-control"],
)
def test_invisible_characters_in_keys(key: str, names: str) -> None:
    code = names.split()[0]
    assert _parse_error(f"area: x\n{key}: Good\n") == (
        f"f.yaml:2:1: error[E012]: key 'gra[{code}]de' contains invisible characters ({names}); type the key with plain letters"
    )


def test_byte_order_mark_before_a_key_is_a_located_syntax_error() -> None:
    # libyaml takes U+FEFF as a byte-order mark wherever it stands, so the key that follows is out of place.
    assert _parse_error("area: x\n\ufeffgrade: Good\n") == (
        "f.yaml:2:2: error[E002]: YAML syntax error: did not find expected key while parsing a block mapping "
        "that starts at line 1, column 1; check the YAML syntax at this point"
    )


def test_invisible_key_names_the_place_through_validate(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    path = root / FORCE / "public-contact.yaml"
    text = path.read_text(encoding="utf-8")
    line = text[: text.index("work_in_progress:")].count("\n") + 1
    path.write_text(text.replace("work_in_progress:", "work\u202e_in_progress:"), encoding="utf-8")
    code, output = _validate(root)
    assert code == 1
    assert output == (
        f"{FORCE}/public-contact.yaml:{line}:1: error[E012]: key 'work[U+202E]_in_progress' contains invisible characters "
        "(U+202E RIGHT-TO-LEFT OVERRIDE); type the key with plain letters\n1 error, 0 warnings\n" + NOT_OK
    )


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# only a comment\n", "   \n", "---\n", "---\n...\n"],
    ids=["empty", "blank-lines", "comment", "spaces", "document-marker", "document-markers"],
)
def test_empty_file(text: str) -> None:
    assert _parse_error(text) == "f.yaml:1:1: error[E009]: the file is empty; every hmic file is a mapping of keys to values"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("# terms\n- term: PEEL\n  meaning: x\n", "2:1: error[E101]: the file holds a list, expected a mapping of keys to values"),
        ("just some words\n", "1:1: error[E101]: the file holds a single value, expected a mapping of keys to values"),
    ],
    ids=["top-level-list", "top-level-scalar"],
)
def test_top_level_not_a_mapping(tmp_path: Path, content: str, expected: str) -> None:
    root = _mini(tmp_path)
    (root / FORCE / "glossary.yaml").write_text(content, encoding="utf-8")
    code, output = _validate(root)
    assert code == 1
    where = expected.split(": ", 1)[0]
    assert output == (
        f"{FORCE}/glossary.yaml:{expected}; start the file with 'key: value' lines; see docs/format.md\n"
        f"{FORCE}/glossary.yaml:{where}: warning[W803]: abbreviations of testshire-2024 not checked: its glossary has errors; "
        "fix glossary.yaml, and every abbreviation is checked\n1 error, 1 warning\n" + NOT_OK
    )


def test_multi_document_file() -> None:
    assert _parse_error("a: b\n---\nc: d\n") == (
        "f.yaml:2:1: error[E008]: more than one YAML document in the file; keep one document per file; remove the '---' separator"
    )
    assert parse("---\na: b\n...\n", "f.yaml").data == {"a": "b"}  # one document with explicit markers is fine


def test_directory_where_a_file_belongs(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").mkdir()
    assert _load_error(tmp_path, "f.yaml") == "f.yaml: error[E001]: is a directory, expected a YAML file; remove the directory or rename it"


class _Refuse:
    """Stands in for os.open(): refuses `path` with `err`, opens everything else."""

    def __init__(self, path: Path, err: int, real):
        self.path, self.err, self.real = str(path), err, real

    def __call__(self, file, *args, **kwargs):
        if not isinstance(file, int) and os.fspath(file) == self.path:
            raise OSError(self.err, os.strerror(self.err), self.path)
        return self.real(file, *args, **kwargs)


@pytest.mark.parametrize(("err", "shown"), [(errno.EACCES, "Permission denied"), (errno.EIO, "Input/output error")])
def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, err: int, shown: str) -> None:
    # Root reads a chmod 000 file, so the refusal is simulated at os.open(), where the loader opens it.
    root = _mini(tmp_path)
    target = root / FORCE / "glossary.yaml"
    monkeypatch.setattr(os, "open", _Refuse(target, err, os.open))
    code, output = _validate(root)
    assert code == 1
    assert (
        output == f"{FORCE}/glossary.yaml: error[E001]: cannot read file: {shown}; check the path and its permissions\n"
        f"{NOT_READ}\n1 error, 1 warning\n" + NOT_OK
    )


@pytest.mark.parametrize("loop", [["glossary.yaml"], ["other.yml", "glossary.yaml"]], ids=["self", "two-links"])
def test_symlink_loop(tmp_path: Path, loop: list[str]) -> None:
    root = _mini(tmp_path)
    folder = root / FORCE
    (folder / "glossary.yaml").unlink()
    names = ["glossary.yaml", *loop[:-1]]
    for name, target in zip(names, loop, strict=True):
        os.symlink(target, folder / name)
    code, output = _validate(root)
    assert code == 1
    # Named relative to the project, like every other file (not by the absolute path of the loop).
    expected = [
        f"{FORCE}/glossary.yaml: error[E001]: cannot read file: Too many levels of symbolic links; check the path and its permissions"
    ]
    if len(loop) == 2:
        expected.append(
            f"{FORCE}/other.yml: error[E202]: 'other' is not an area of the 2024 framework; "
            "rename the file to one of: force-overview, public-contact, vulnerable-people"
        )
    expected.insert(1, NOT_READ)
    assert output.splitlines() == [*expected, f"{len(expected) - 1} error{'s' if len(expected) > 2 else ''}, 1 warning", NOT_OK.strip()]


def _load_in_thread(path: Path, root: Path) -> str:
    result: list[str] = []

    def run() -> None:
        try:
            load(path, root)
            result.append("loaded")
        except HmicError as e:
            result.append(e.diagnostics[0].text())

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(10)
    assert result, f"loading {path.name} did not finish within 10 s"
    return result[0]


def test_named_pipe_where_a_file_belongs_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f.yaml")
    assert _load_in_thread(tmp_path / "f.yaml", tmp_path) == (
        "f.yaml: error[E001]: is a named pipe, expected a YAML file; replace it with a regular file"
    )


def test_symlink_to_an_endless_device_is_not_read(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    os.symlink("/dev/zero", tmp_path / "f.yaml")
    assert _load_in_thread(tmp_path / "f.yaml", tmp_path) == (
        "f.yaml: error[E013]: is a symbolic link leading outside the project; hmic reads only files inside it; "
        "replace the link with the file itself, or with a link to a file inside the project"
    )
    # and with the whole file system as the project, the device is named (as the link resolves), never opened
    assert _load_in_thread(tmp_path / "f.yaml", Path("/")) == (
        "dev/zero: error[E001]: is a character device, expected a YAML file; replace it with a regular file"
    )


# --- schema: lengths ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "model", "expected"),
    [
        (
            "title: t\nareas: [" + "a" * 81 + "]\n",
            "Group",
            "f.yaml:2:9: error[E108]: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' is too long (at most 80 characters); shorten it",
        ),
        ("bullets: []\n", "Bullets", "f.yaml:1:10: error[E108]: 'bullets' must not be empty; add at least one entry"),
        (
            "year: 2024\ntitle: t\nnumber_of_forces: 1\ngrades: [{name: Good}]\nlevels: [a]\n"
            "grading: {rules: [{grade: Good, when: {all_met: [a]}, explanation: e}], otherwise: Good, otherwise_explanation: e}\n"
            "groups: [{title: g, areas: [a]}]\nareas: [{id: a, name: n, title: t}]\n",
            "Framework",
            "f.yaml:4:9: error[E108]: 'grades' needs at least 2 entries, found 1",
        ),
    ],
    ids=["id-too-long", "empty-list", "too-few-grades"],
)
def test_length_errors_say_what_would_be_right(text: str, model: str, expected: str) -> None:
    from pydantic import ValidationError

    from hmic_compile.inputs import models
    from hmic_compile.inputs.schema_errors import diagnostics_for

    doc = parse(text, "f.yaml")
    cls = getattr(models, model)
    with pytest.raises(ValidationError) as e:
        cls.model_validate(doc.data)
    assert expected in [d.text() for d in diagnostics_for(e.value, doc, cls)]


# --- content: hostile prose in evidence text --------------------------------------------

SAFE_HREF = re.compile(r"^(#|https?:|mailto:)")

# (prose, its exact Markdown source in report.md, its exact HTML in report.html)
CONTENT = [
    ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    (
        '<div onclick="alert(1)">\n<b>raw block</b>\n</div>',
        '&lt;div onclick="alert(1)">\n&lt;b>raw block&lt;/b>\n&lt;/div>',
        "&lt;div onclick=&quot;alert(1)&quot;&gt;\n&lt;b&gt;raw block&lt;/b&gt;\n&lt;/div&gt;",
    ),
    ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))", "[x](javascript:alert(1))"),
    ("[x](JaVaScRiPt:alert(1))", "\\[x\\](JaVaScRiPt:alert(1))", "[x](JaVaScRiPt:alert(1))"),
    ("[x](&#106;avascript:alert(1))", "\\[x\\](javascript:alert(1))", "[x](javascript:alert(1))"),
    ("[x](  javascript:alert(1))", "\\[x\\](  javascript:alert(1))", "[x](  javascript:alert(1))"),
    ("[x](<javascript:alert(1)>)", "\\[x\\](&lt;javascript:alert(1)>)", "[x](&lt;javascript:alert(1)&gt;)"),
    ("[x](java&#x09;script:alert(1))", "\\[x\\](java\tscript:alert(1))", "[x](java\tscript:alert(1))"),
    ("[x](vbscript:msgbox(1))", "\\[x\\](vbscript:msgbox(1))", "[x](vbscript:msgbox(1))"),
    (
        "[x](data:text/html,<script>alert(1)</script>)",
        "\\[x\\](data:text/html,&lt;script>alert(1)&lt;/script>)",
        "[x](data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;)",
    ),
    (
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "\\[x\\](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ),
    ("[x](file:///etc/passwd)", "\\[x\\](file:///etc/passwd)", "[x](file:///etc/passwd)"),
    ("[x][r] and\n[r]: javascript:alert(1)", "\\[x\\]\\[r\\] and\n\\[r\\]: javascript:alert(1)", "[x][r] and\n[r]: javascript:alert(1)"),
    ("<javascript:alert(1)>", "&lt;javascript:alert(1)>", "&lt;javascript:alert(1)&gt;"),
    ("<https://example.org>", "&lt;https\\://example.org>", "&lt;https://example.org&gt;"),
    ("![x](https://example.org/x.png)", "\\![x](<https://example.org/x.png>)", '!<a href="https://example.org/x.png">x</a>'),
    (
        "[the inspectorate](https://example.org/a?b=1&c=2)",
        "[the inspectorate](<https://example.org/a?b=1&c=2>)",
        '<a href="https://example.org/a?b=1&amp;c=2">the inspectorate</a>',
    ),
    (
        "[write to us](mailto:someone@example.org)",
        "[write to us](<mailto:someone@example.org>)",
        '<a href="mailto:someone@example.org">write to us</a>',
    ),
    ("[see the glossary](#glossary)", "[see the glossary](#glossary)", '<a href="#glossary">see the glossary</a>'),
    ("# not a heading", "\\# not a heading", "# not a heading"),
    ("Title\n---", "Title\n\\---", "Title\n---"),
    ("> not a quote\n1. not a list\n***", "\\> not a quote\n1\\. not a list\n\\*\\*\\*", "&gt; not a quote\n1. not a list\n***"),
]


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The mini project with every CONTENT string as a paragraph and as a bullet, built once."""
    tmp = tmp_path_factory.mktemp("hostile")
    root = _mini(tmp)
    texts = "".join(f"  - {_q(text)}\n" for text, _, _ in CONTENT)
    (root / FORCE / "force-overview.yaml").write_text(
        f"area: force-overview\ncontextual_factors:\n{texts}strengths:\n{texts}", encoding="utf-8"
    )
    code, output = _build(root, tmp / "out")
    assert code == 0, output
    return (
        (tmp / "out/testshire-2024/report.md").read_text(encoding="utf-8"),
        (tmp / "out/testshire-2024/report.html").read_text(encoding="utf-8"),
    )


@pytest.mark.parametrize(("text", "md", "html"), CONTENT, ids=[c[0][:30] for c in CONTENT])
def test_hostile_paragraph(hostile_report: tuple[str, str], text: str, md: str, html: str) -> None:
    report_md, report_html = hostile_report
    assert f"\n\n{md}\n\n" in report_md
    assert f"\n<p>{html}</p>\n" in report_html


@pytest.mark.parametrize(("text", "md", "html"), CONTENT, ids=[c[0][:30] for c in CONTENT])
def test_hostile_bullet(hostile_report: tuple[str, str], text: str, md: str, html: str) -> None:
    report_md, report_html = hostile_report
    assert "\n- " + md.replace("\n", "\n  ") + "\n" in report_md
    assert f"\n<li>{html}\n</li>\n" in report_html


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _links_and_tags(html: str) -> tuple[list[str], list[str]]:
    p = _Attributes()
    p.feed(html)
    urls = [v or "" for _, attrs in p.tags for k, v in attrs.items() if k in ("href", "src", "action", "formaction", "xlink:href")]
    tags = [t for t, _ in p.tags]
    handlers = [k for _, attrs in p.tags for k in attrs if k.startswith("on")]
    assert not handlers, handlers
    return urls, tags


def test_no_hostile_link_becomes_an_href_in_the_html(hostile_report: tuple[str, str]) -> None:
    urls, tags = _links_and_tags(hostile_report[1])
    assert [u for u in urls if not SAFE_HREF.match(u)] == []
    assert "script" not in tags and "img" not in tags and "h1" not in tags[tags.index("main") :]
    assert urls.count("https://example.org/a?b=1&c=2") == 2  # the allowed links do become links
    assert urls.count("mailto:someone@example.org") == 2


def test_no_hostile_link_becomes_an_href_when_the_markdown_is_rendered(hostile_report: tuple[str, str]) -> None:
    # A careless Markdown viewer: raw HTML on, every link scheme allowed. report.md must still be safe in it.
    careless = MarkdownIt("commonmark", {"html": True})
    careless.validateLink = lambda url: True  # type: ignore[method-assign]
    md = hostile_report[0]
    urls, tags = _links_and_tags(careless.render(md[md.index("## The force in context") : md.index("## Responding to the public")]))
    assert [u for u in urls if not SAFE_HREF.match(u)] == []
    assert "script" not in tags and "img" not in tags and "div" not in tags
    assert [t for t in tags if t in ("h1", "blockquote", "ol", "hr")] == []
    assert urls.count("https://example.org/a?b=1&c=2") == 2
    assert urls.count("#glossary") >= 2


def test_table_cell_with_pipes_and_newlines_keeps_the_table(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    cells = ["a | b", "line one\nline two", "back\\|slash", "two\\\\|more", "<b>|</b>", "# not | a heading"]
    row = "".join(f"          - {_q(c)}\n" for c in cells)
    (root / FORCE / "force-overview.yaml").write_text(
        "area: force-overview\ncontextual_factors:\n  - table:\n"
        f"      header: [{', '.join(f'h{i}' for i in range(len(cells)))}]\n      rows:\n        -\n{row}",
        encoding="utf-8",
    )
    code, output = _build(root, tmp_path / "out")
    assert code == 0, output
    md = (tmp_path / "out/testshire-2024/report.md").read_text(encoding="utf-8")
    html = (tmp_path / "out/testshire-2024/report.html").read_text(encoding="utf-8")
    line = "| a \\| b | line one line two | back\\|slash | two\\\\\\|more | &lt;b>\\|&lt;/b> | \\# not \\| a heading |"
    assert f"| h0 | h1 | h2 | h3 | h4 | h5 |\n| --- | --- | --- | --- | --- | --- |\n{line}\n" in md
    assert (
        "<tr><td>a | b</td><td>line one\nline two</td><td>back|slash</td><td>two\\|more</td>"
        "<td>&lt;b&gt;|&lt;/b&gt;</td><td># not | a heading</td></tr>"
    ) in html
    # A GitHub-style table parser sees six cells in the row, as in the header.
    rendered = MarkdownIt("js-default").render(md[md.index("| h0 |") :])
    table = rendered[: rendered.index("</table>")]
    assert table.count("<th>") == 6 and table.count("<td>") == 6
    assert "<td>back|slash</td>" in table and "<td>two\\|more</td>" in table


def test_hostile_glossary_meaning_stays_text_in_abbr_titles_and_tables(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    glossary = root / FORCE / "glossary.yaml"
    glossary.write_text(
        glossary.read_text(encoding="utf-8").replace(
            "meaning: Police effectiveness, efficiency and legitimacy", 'meaning: "\\"><script>alert(1)</script> | x"'
        ),
        encoding="utf-8",
    )
    (root / FORCE / "force-overview.yaml").write_text(
        "area: force-overview\ncontextual_factors:\n  - The PEEL programme.\n", encoding="utf-8"
    )
    code, output = _build(root, tmp_path / "out")
    assert code == 0, output
    md = (tmp_path / "out/testshire-2024/report.md").read_text(encoding="utf-8")
    html = (tmp_path / "out/testshire-2024/report.html").read_text(encoding="utf-8")
    assert '<p>The <abbr title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; | x">PEEL</abbr> programme.</p>' in html
    assert '| PEEL | ">&lt;script>alert(1)&lt;/script> \\| x |\n' in md
    assert "<dd>&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; | x</dd>" in html
    assert "<script>" not in html and "<script>" not in md


def test_thirty_level_nested_list_in_a_paragraph_is_kept_as_text(tmp_path: Path) -> None:
    # Prose is inline Markdown: a list in a paragraph is text in both outputs, every level kept.
    root = _mini(tmp_path)
    nested = "\n".join("  " * i + f"- level {i}" for i in range(30))
    (root / FORCE / "force-overview.yaml").write_text(
        f"area: force-overview\ncontextual_factors:\n  - {_q(nested)}\nstrengths:\n  - {_q(nested)}\n", encoding="utf-8"
    )
    code, output = _validate(root)
    assert (code, output) == (0, "0 errors, 0 warnings\nok: 1 framework, 1 force\n")
    code, output = _build(root, tmp_path / "out")
    assert code == 0, output
    md = (tmp_path / "out/testshire-2024/report.md").read_text(encoding="utf-8")
    html = (tmp_path / "out/testshire-2024/report.html").read_text(encoding="utf-8")
    as_md = "\n".join(f"\\- level {i}" for i in range(30))  # a paragraph's lines lose their indent, as in the HTML
    assert f"\n\n{as_md}\n\n" in md
    assert "\n<p>" + "\n".join(f"- level {i}" for i in range(30)) + "</p>\n" in html
    assert "<li>" + "\n".join(f"- level {i}" for i in range(30)) + "\n</li>" in html
    section = html[html.index('id="force-overview-contextual-factors"') : html.index('id="public-contact"')]
    assert section.count("<ul>") == 1  # the strengths list itself, nothing from the text


def test_thirty_level_nested_inline_markup_loses_nothing(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    emphasis = "*a " * 30 + "b" + " c*" * 30
    links = "[" * 30 + "x" + "](#glossary)" * 30
    (root / FORCE / "force-overview.yaml").write_text(
        f"area: force-overview\ncontextual_factors:\n  - {_q(emphasis)}\n  - {_q(links)}\n", encoding="utf-8"
    )
    code, output = _build(root, tmp_path / "out")
    assert code == 0, output
    html = (tmp_path / "out/testshire-2024/report.html").read_text(encoding="utf-8")
    assert "<p>" + "<em>a " * 30 + "b" + " c</em>" * 30 + "</p>" in html
    assert "<p>" + "[" * 29 + '<a href="#glossary">x</a>' + "](#glossary)" * 29 + "</p>" in html


def test_one_megabyte_paragraph(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    big = " ".join(f"word{i}" for i in range(110_000))
    assert 1_000_000 < len(big) < MAX_BYTES
    (root / FORCE / "force-overview.yaml").write_text(
        f"area: force-overview\ncontextual_factors:\n  - {big}\n  - The end.\n", encoding="utf-8"
    )
    start = time.perf_counter()
    code, output = _build(root, tmp_path / "out")
    assert code == 0, output
    assert time.perf_counter() - start < 30
    md = (tmp_path / "out/testshire-2024/report.md").read_text(encoding="utf-8")
    html = (tmp_path / "out/testshire-2024/report.html").read_text(encoding="utf-8")
    assert f"\n\n{big}\n\nThe end.\n\n" in md
    assert f"\n<p>{big}</p>\n<p>The end.</p>\n" in html


# --- templates --------------------------------------------------------------------------


def _template_build(tmp_path: Path, template: str) -> tuple[int, str, Path]:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md.j2").write_text(template, encoding="utf-8")
    code, output = _build(MINI, tmp_path / "out", "--templates", str(mine), "--format", "md")
    return code, output, mine


FIX = "; fix the template"
SPELLING = "; check the variable's spelling against docs/templates.md"


@pytest.mark.parametrize(
    ("template", "line", "message"),
    [
        ("{{ ''.__class__.__mro__ }}\n", 1, "access to attribute '__class__' of 'str' object is unsafe." + FIX),
        ("ok\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n", 2, "access to attribute '__class__' of 'str' object is unsafe." + FIX),
        ("{{ report.__class__.__init__.__globals__ }}\n", 1, "access to attribute '__init__' of 'StrictUndefined' object is unsafe." + FIX),
        ("{{ lipsum.__globals__['os'] }}\n", 1, "access to attribute '__globals__' of 'function' object is unsafe." + FIX),
        ("{{ report.force.model_config.__class__ }}\n", 1, "access to attribute '__class__' of 'dict' object is unsafe." + FIX),
        ("{{ ''.format.__self__ }}\n", 1, "'function object' has no attribute '__self__'" + SPELLING),
    ],
    ids=["str-mro", "subclasses", "report-globals", "lipsum-globals", "pydantic-config", "method-self"],
)
def test_sandbox_blocks_dunder_access(tmp_path: Path, template: str, line: int, message: str) -> None:
    code, output, mine = _template_build(tmp_path, template)
    assert code == 1
    assert f"{mine}/report.md.j2:{line}:1: error[E601]: template error: {message}\n" in output
    assert not (tmp_path / "out" / "testshire-2024").exists()


def test_template_cannot_include_files_outside_the_search_path(tmp_path: Path) -> None:
    code, output, mine = _template_build(tmp_path, "{% include '../../../../etc/passwd' %}\n")
    assert code == 1
    assert (
        f"{mine}/report.md.j2:1:1: error[E014]: template name '../../../../etc/passwd' leads outside the templates folder; "
        "name a template by its path inside the templates folder, with no '..', leading '/' or '\\'\n"
    ) in output
    assert "root:" not in output


def test_template_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    code, output, mine = _template_build(tmp_path, "line one\nline two\n{% if %}\n")
    assert code == 1
    assert (
        f"{mine}/report.md.j2:3:1: error[E601]: template error: Expected an expression, got 'end of statement block'; fix the template\n"
        in output
    )


def test_template_range_bomb_is_a_diagnostic(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md.j2").write_text("{% for i in range(10 ** 9) %}{% endfor %}\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["build", "--root", str(MINI), "--out", str(tmp_path / "out"), "--templates", str(mine), "--format", "md"]
    )
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1
    assert "report.md.j2:1:1: error[E601]" in result.output


def test_template_endless_recursion_is_a_diagnostic(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md.j2").write_text("{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["build", "--root", str(MINI), "--out", str(tmp_path / "out"), "--templates", str(mine), "--format", "md"]
    )
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1
    assert "report.md.j2:1:1: error[E601]" in result.output


# --- faults while writing ---------------------------------------------------------------


def test_output_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    code, output = _build(MINI, blocker / "sub")
    assert code == 1
    assert output == (
        f"{blocker}/sub/testshire-2024: error[E701]: cannot write the report: Not a directory; check that the output folder is "
        "writable and the disk has space; the previous output is unchanged\n"
        "testshire-2024: not built; previous output left unchanged\nbuilt 0 of 1 force; not built: testshire-2024\n"
    )
    assert blocker.read_text(encoding="utf-8") == "a file where the output folder should be"


def test_disk_full_while_writing_leaves_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert _build(MINI, out)[0] == 0
    before = _snapshot(out)

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    real_open = os.open

    def full_disk(file, flags, *args, **kwargs):
        # every new file under the output folder is created, but writing to it finds the disk full
        if not isinstance(file, int) and os.fspath(file).startswith(str(out)) and flags & os.O_CREAT:
            real_open(file, flags, *args, **kwargs)
            return real_open("/dev/full", os.O_WRONLY)
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", full_disk)
    code, output = _build(MINI, out, "--rebuild")  # up to date: --rebuild has it written again
    assert code == 1
    assert output.startswith(f"{out}/testshire-2024: error[E701]: cannot write the report: No space left on device; ")
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2024", "testshire-2024"]  # the round of the first build, unchanged


def test_failed_swap_puts_the_previous_output_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert _build(MINI, out)[0] == 0
    before = _snapshot(out)
    real = os.rename
    calls: list[str] = []

    def rename(src, dst):
        calls.append(Path(dst).name)
        if len(calls) == 2:  # the new folder into place: the disk fills up
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    code, output = _build(MINI, out, "--rebuild")  # up to date: --rebuild has it written again
    assert code == 1
    assert "error[E701]: cannot write the report: No space left on device" in output
    assert calls[1] == calls[2] == "testshire-2024"  # tried, then the previous output moved back
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2024", "testshire-2024"]  # the round of the first build, unchanged


def _interrupt_build(tmp_path: Path, hook: str) -> tuple[int, str, Path, dict[str, bytes]]:
    """Build a copy of the repository, then rebuild it in a subprocess slowed by `hook` and send SIGINT."""
    root = tmp_path / "repo"
    for top in ("criteria", "evidence"):
        shutil.copytree(REPO / top, root / top)
    out = tmp_path / "out"
    assert _build(root, out, "norfolk-2007")[0] == 0
    before = _snapshot(out)
    marker = tmp_path / "writing"
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(hook).replace("MARKER", repr(str(marker))), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmic_compile", "build", "norfolk-2007", "--root", str(root), "--out", str(out), "--rebuild"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the build never reached the write"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stdout + stderr, out, before


WHILE_WRITING = """
    import os, pathlib, time
    _open = os.open
    def slow_open(file, flags, *args, **kwargs):
        if flags & os.O_CREAT and ".tmp" in str(file) and str(file).endswith("report.html"):
            pathlib.Path(MARKER).touch()
            time.sleep(60)
        return _open(file, flags, *args, **kwargs)
    os.open = slow_open
"""

BETWEEN_RENAMES = """
    import os, pathlib, time
    _rename = os.rename
    def slow_rename(src, dst, *args, **kwargs):
        _rename(src, dst, *args, **kwargs)
        if str(dst).endswith(".old"):
            pathlib.Path(MARKER).touch()
            time.sleep(60)
    os.rename = slow_rename
"""


def test_sigint_while_writing_leaves_the_previous_output(tmp_path: Path) -> None:
    code, output, out, before = _interrupt_build(tmp_path, WHILE_WRITING)
    assert code != 0
    assert "Traceback" not in output
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2007", "norfolk-2007"]  # the round of the first build, unchanged


def test_sigint_between_the_two_renames_leaves_the_previous_output(tmp_path: Path) -> None:
    code, output, out, before = _interrupt_build(tmp_path, BETWEEN_RENAMES)
    assert code != 0
    assert "Traceback" not in output
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2007", "norfolk-2007"]  # the round of the first build, unchanged
