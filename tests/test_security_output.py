"""Nothing from the input reaches a terminal or a CI log raw (docs/security.md, "Output").

Attacks: folder names and values holding escape sequences, line breaks, direction overrides, a GitHub
workflow command ('::error::', '##[error]') or bytes that are not UTF-8; control characters written as
YAML escapes. Every line of every command's output, in every format, is checked: no control or format
character, no line a workflow command unless it is one of hmic's own annotations, and JSON that is I-JSON.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.diagnostics import Diagnostic, HmicError, Loc, Severity, escape, json_lines, json_text, safe_line, to_json
from hmic_compile.inputs.loader import parse

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
FORCE = "evidence/testshire-2024"
UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}
SGR = re.compile(r"\x1b\[[0-9;]*m")  # hmic's own colours, and nothing else
ANNOTATION = re.compile(r"::(error|warning) file=[^,:\r\n]*(,line=\d+,col=\d+)?,title=[EW]\d{3}::[^\r\n]*")

# What an attacker puts in a name or a value.
HOSTILE = [
    "\x1b[31m",
    "\x1b]0;title\x07",
    "\r",
    "\n",
    "\n::error::injected",
    "::error::injected",
    "  ::warning file=x::injected",
    "\u3000::notice::injected",
    "##[error]injected",
    "##vso[task.setvariable variable=x]1",
    "\u202e",
    "\u2066",
    "\u200b",
    "\x85",
    "\u2028",
    "\x00",
    "\x7f",
    "\x9b",
    "\udcff",
    "\U000e0041",
    "%0A::error::",
    "a,b:c",
]


def _unsafe(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in UNSAFE]


def assert_safe_lines(text: str, *, annotations: bool = False, colours: bool = False) -> None:
    """Every line of `text` is safe for a terminal and a GitHub Actions log."""
    for line in text.split("\n"):
        if colours:
            line = SGR.sub("", line)
        assert not _unsafe(line), f"raw {_unsafe(line)!r} in {line!r}"
        assert "##[" not in line and "##vso[" not in line, line
        if line.lstrip().startswith("::"):
            assert annotations and ANNOTATION.fullmatch(line), f"a workflow command: {line!r}"


def assert_i_json(text: str) -> object:
    """`text` is I-JSON (RFC 7493): UTF-8, and no string holds a lone surrogate (escaped or not)."""
    text.encode("utf-8")  # raises on a raw lone surrogate
    data = json.loads(text)

    def strings(v: object) -> list[str]:
        if isinstance(v, str):
            return [v]
        if isinstance(v, dict):
            return [s for k, x in v.items() for s in (k, *strings(x))]
        if isinstance(v, list):
            return [s for x in v for s in strings(x)]
        return []

    for s in strings(data):
        assert not any("\ud800" <= c <= "\udfff" for c in s), f"lone surrogate in {s!r}"
    return data


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), f"hmic raised {result.exception!r}"
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


# --- the escaping functions ---------------------------------------------------------------------


@given(st.lists(st.sampled_from(HOSTILE) | st.text(), max_size=6).map("".join))
def test_safe_line_leaves_nothing_a_terminal_or_a_ci_log_acts_on(text: str) -> None:
    line = safe_line(text)
    assert_safe_lines(line)
    assert "\n" not in line and "\r" not in line
    assert safe_line(line) == line  # escaping twice changes nothing


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))))
def test_printable_text_is_left_as_it_is(text: str) -> None:
    if not text.lstrip().startswith("::") and "##" not in text:
        assert safe_line(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("one\ntwo\r", "one\\ntwo\\r"),
        ("tab\there", "tab\\there"),
        ("x\u202ey", "x\\u202ey"),
        ("bad\udcffname", "bad\\udcffname"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("::error::x", "\\x3a:error::x"),
        ("   ::error::x", "   \\x3a:error::x"),
        ("\n::error::x", "\\n::error::x"),
        ("see ##[error]x", "see ##\\x5berror]x"),
        ("café – ’quoted’ 中文 😀", "café – ’quoted’ 中文 😀"),
    ],
)
def test_what_each_character_becomes(text: str, shown: str) -> None:
    assert safe_line(text) == shown


@given(path=st.text(), message=st.text(), hint=st.text())
def test_a_github_annotation_says_exactly_what_it_was_given(path: str, message: str, hint: str) -> None:
    d = Diagnostic(Loc(path, 3, 7), "E104", message, Severity.ERROR, hint)
    line = d.github()
    assert ANNOTATION.fullmatch(line), line
    assert_safe_lines(line, annotations=True)
    # Parsed back as GitHub's runner parses it (ActionCommand.TryParseV2): properties, then the message.
    info, _, data = line[2:].partition("::")
    props = dict(p.split("=", 1) for p in info.split(" ", 1)[1].split(","))

    def unescape(v: str, prop: bool) -> str:
        v = v.replace("%0D", "\r").replace("%0A", "\n")
        if prop:
            v = v.replace("%3A", ":").replace("%2C", ",")
        return v.replace("%25", "%")

    assert props == {"file": props["file"], "line": "3", "col": "7", "title": "E104"}
    assert unescape(props["file"], True) == escape(path)
    assert unescape(data, False) == safe_line(message + (f"; {hint}" if hint else ""))


@given(st.lists(st.sampled_from(HOSTILE) | st.text(), max_size=6).map("".join))
def test_json_is_i_json_whatever_the_text(text: str) -> None:
    for ascii in (True, False):
        out = json_text({"k" + text: [text, {"v": text}]}, ascii=ascii)
        assert_i_json(out)
        assert_safe_lines(out)
    diags = [Diagnostic(Loc(f"evidence/{text}"), "E212", text, hint=text)]
    assert_i_json(to_json(diags))


@given(st.lists(st.lists(st.sampled_from(HOSTILE) | st.text(), max_size=4).map("".join), max_size=5))
def test_json_lines_are_json_text_of_each_item(texts: list[str]) -> None:
    rows = [{"k" + t: t, "n": i, "none": None, "list": [t, True]} for i, t in enumerate(texts)]
    assert json_lines(rows) == [json_text(r, ascii=False, indent=None) for r in rows]  # open data's JSON, row by row


def test_json_keeps_every_character_but_lone_surrogates() -> None:
    value = "a\u202eb\x7fc\u2028d\U000e0041é"
    assert json.loads(json_text(value, ascii=False)) == value
    assert json.loads(json_text(value)) == value
    assert json.loads(json_text("bad\udcffname")) == "bad\\udcffname"  # shown as the escape, never a lone surrogate


# --- control characters written as YAML escapes -------------------------------------------------------


def _parse_error(text: str) -> str:
    with pytest.raises(HmicError) as e:
        parse(text, "f.yaml")
    return e.value.diagnostics[0].text()


@pytest.mark.parametrize(
    ("escape_", "char"),
    [
        ("\\0", "U+0000 (a control character)"),
        ("\\a", "U+0007 (a control character)"),
        ("\\b", "U+0008 (a control character)"),
        ("\\e", "U+001B (a control character)"),
        ("\\v", "U+000B (a control character)"),
        ("\\f", "U+000C (a control character)"),
        ("\\r", "U+000D (a control character)"),
        ("\\x07", "U+0007 (a control character)"),
        ("\\x1B", "U+001B (a control character)"),
        ("\\x7f", "U+007F (a control character)"),
        ("\\x9b", "U+009B (a control character)"),
        ("\\N", "U+0085 (a control character)"),
        ("\\L", "U+2028 (LINE SEPARATOR)"),
        ("\\P", "U+2029 (PARAGRAPH SEPARATOR)"),
        ("\\u001b", "U+001B (a control character)"),
        ("\\U0000001b", "U+001B (a control character)"),
        ("\\uffff", "U+FFFF (a control character)"),
    ],
)
def test_a_control_character_written_as_an_escape_is_refused_at_the_escape(escape_: str, char: str) -> None:
    assert _parse_error(f'a: b\nc: "ok \\t then {escape_} there"\n') == (
        f"f.yaml:2:16: error[E020]: character {char}, written as an escape, is not allowed; "
        "delete the escape; a line break in a value is a new line in a block scalar (|)"
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('a:\n  - one\n  - "t\\ewo"\n', "3:7"),
        ('a: {b: "x\\e"}\n', "1:10"),
        ('a: "first line\n  second \\e line"\n', "2:10"),
        ('a: "\\\\ \\" \\e"\n', "1:11"),
        ('"\\e"\n', "1:2"),
    ],
    ids=["list-item", "flow-mapping", "second-line", "after-other-escapes", "top-level"],
)
def test_the_escape_is_found_wherever_the_value_is(text: str, where: str) -> None:
    assert _parse_error(text).startswith(f"f.yaml:{where}: error[E020]: character U+001B")


@pytest.mark.parametrize(
    "value",
    [
        '"tab\\there"',
        '"two\\nlines"',
        '"a \\\\e backslash"',
        '"quote \\" inside"',
        '"no\\_break"',
        '"\\u00e9t\\u00e9"',
        "'\\e in single quotes'",
    ],
)
def test_escapes_that_are_text_are_kept(value: str) -> None:
    doc = parse(f"a: {value}\n", "f.yaml")
    assert not _unsafe(doc.data["a"].replace("\t", "").replace("\n", ""))


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('a: "\\u202e"\n', "1:5"),
        ('a: "\\U0000202E"\n', "1:5"),
        ("a: plain \u202etext\n", "1:10"),
        ("a: |\n  line\n  li\u2066ne\n", "3:5"),
        ("a: 'single \u202d'\n", "1:12"),
        ("a: b  # a comment \u2067hiding\n", "1:19"),
    ],
    ids=["escaped", "long-escape", "plain", "block", "single-quoted", "comment"],
)
def test_a_direction_override_is_refused_raw_or_escaped_in_a_value_or_a_comment(text: str, where: str) -> None:
    message = _parse_error(text)
    assert message.startswith(f"f.yaml:{where}: error[E021]: character U+20"), message
    assert message.endswith("in another order than it is stored; delete it; right-to-left text needs no direction overrides")


def test_an_escaped_control_character_in_a_key_is_an_invisible_key() -> None:
    assert _parse_error('a: b\n"k\\e": c\n') == (
        "f.yaml:2:1: error[E012]: key 'k[U+001B]' contains invisible characters (U+001B control character); type the key with plain letters"
    )
    assert _parse_error('"k\\L": c\n').startswith("f.yaml:1:1: error[E012]: key 'k[U+2028]' contains invisible characters (U+2028 LINE")
    # The message names each invisible character itself, so printing it escapes nothing twice.
    line = _parse_error('"k\\e\\u200b": c\n')
    assert "key 'k[U+001B][U+200B]'" in line
    assert safe_line(line) == line


# --- every command, on hostile names and values ------------------------------------------------------


HOSTILE_FOLDERS = ["::error title=pwned::x-2024", "esc\x1b[2J-2024", "nl\n::warning::y-2024", "bidi\u202e-2024", "##[error]z-2024"]


@pytest.fixture
def hostile_names(tmp_path: Path) -> Path:
    """The mini project with force folders whose names attack the log, and one whose name is not UTF-8."""
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    for name in HOSTILE_FOLDERS:
        shutil.copytree(root / FORCE, root / "evidence" / name)
    shutil.copytree(os.fsencode(root / FORCE), os.fsencode(root / "evidence") + b"/\xff\xfe-2024")
    return root


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_validate_shows_hostile_folder_names_escaped(hostile_names: Path, fmt: str) -> None:
    code, stdout, stderr = _run("validate", "--root", str(hostile_names), "--format", fmt)
    assert code == 1
    assert_safe_lines(stderr)
    assert_safe_lines(stdout, annotations=fmt == "github")  # machine formats on stdout, annotations among them
    if fmt == "json":
        data = assert_i_json(stdout)
        assert isinstance(data, dict)
        paths = {d["loc"]["path"] for d in data["diagnostics"]}
        assert "evidence/\\udcff\\udcfe-2024" in paths  # named by its escapes
        assert any("'nl\n::warning::y'" in d["message"] for d in data["diagnostics"])  # JSON carries the exact text
    if fmt == "text":
        assert "evidence/\\udcff\\udcfe-2024: error[E212]: the folder's name is not valid UTF-8, so it is not read" in stderr
        assert "nl\\n::warning::y-2024" in stderr and "esc\\x1b[2J-2024" in stderr and "bidi\\u202e-2024" in stderr


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_build_shows_hostile_folder_names_escaped(hostile_names: Path, tmp_path: Path, fmt: str) -> None:
    code, stdout, stderr = _run("build", "--root", str(hostile_names), "--out", str(tmp_path / "out"), "--diagnostics", fmt)
    assert code == 1
    assert_safe_lines(stderr)
    assert_safe_lines(stdout, annotations=fmt == "github")
    assert "\\x3a:error title=pwned::x-2024: not built; previous output left unchanged" in stderr
    assert stderr.endswith("\n") and stderr.splitlines()[-1].startswith("built 1 of 7 forces; not built: ")  # testshire-2024 built
    if fmt == "json":
        data = assert_i_json(stdout)
        assert isinstance(data, dict)
        assert data["built"] == ["testshire-2024"] and len(data["not_built"]) == 6
        assert "\\udcff\\udcfe-2024" in data["not_built"]
    if fmt == "github":
        annotations = stdout.splitlines()
        assert annotations and all(ANNOTATION.fullmatch(line) for line in annotations)


@pytest.fixture
def hostile_values(tmp_path: Path) -> Path:
    """A project that validates, its text full of what a log or terminal would act on (all of it allowed in a value)."""
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    force = root / FORCE / "force.yaml"
    force.write_text(
        force.read_text(encoding="utf-8").replace("name: Testshire Police", 'name: "::error::pwned ##[error]x \\u200b\\u2060 Police"'),
        encoding="utf-8",
    )
    area = root / FORCE / "public-contact.yaml"
    text = area.read_text(encoding="utf-8")
    text = text.replace(
        "    judgement: met\n    evidence: [pc-answer-times]",
        "    judgement: met\n    note: |\n      fine\n      ::error file=x::multi-line note\n      ##[warning]and more\n"
        "    evidence: [pc-answer-times]",
    )
    area.write_text(text, encoding="utf-8")
    return root


def test_hostile_values_validate_and_are_shown_escaped_by_grade(hostile_values: Path) -> None:
    code, stdout, stderr = _run("validate", "--root", str(hostile_values))
    assert code == 0, stderr
    for args in (["grade"], ["grade", "--format", "json"], ["grade", "testshire-2024", "--explain", "public-contact"]):
        code, stdout, stderr = _run(*args, "--root", str(hostile_values))
        assert code == 0, stderr
        assert_safe_lines(stdout)
        assert_safe_lines(stderr)
    code, stdout, _ = _run("grade", "--root", str(hostile_values))
    assert stdout.startswith("\\x3a:error::pwned ##\\x5berror]x \\u200b\\u2060 Police (testshire-2024)\n")  # no workflow command
    code, stdout, _ = _run("grade", "testshire-2024", "--explain", "public-contact", "--root", str(hostile_values))
    assert stdout.startswith("Responding to the public — ::error::pwned ##\\x5berror]x \\u200b\\u2060 Police\n")
    # One line: no line of its own to fake.
    assert "      note: fine\\n::error file=x::multi-line note\\n##\\x5bwarning]and more\n" in stdout
    code, stdout, _ = _run("grade", "--format", "json", "--root", str(hostile_values))
    data = assert_i_json(stdout)
    assert isinstance(data, list) and data[0]["name"] == "::error::pwned ##[error]x \u200b\u2060 Police"  # the same text, escaped as JSON


@pytest.mark.parametrize("colour", ["0", "1"], ids=["plain", "coloured"])
def test_diff_text_shows_hostile_values_escaped(hostile_values: Path, tmp_path: Path, colour: str) -> None:
    old = tmp_path / "old"
    shutil.copytree(MINI, old)
    area = hostile_values / "criteria/2024/framework.yaml"
    area.write_text(area.read_text(encoding="utf-8").replace("name: Public contact", 'name: "::warning::area \\u200b"'), encoding="utf-8")
    item = hostile_values / FORCE / "public-contact.yaml"
    item.write_text(
        item.read_text(encoding="utf-8").replace(
            "Callers are given an attendance time", "Callers \\u200b are given ##[error] an attendance time"
        ),
        encoding="utf-8",
    )
    env = {"FORCE_COLOR": "1"} if colour == "1" else {"NO_COLOR": "1"}
    for fmt in ("text", "markdown"):
        code, stdout, stderr = _run(
            "diff", str(old / FORCE), str(hostile_values / FORCE), "--root", str(hostile_values), "--format", fmt, env=env
        )
        assert code == 0, stderr
        assert_safe_lines(stdout, colours=colour == "1" and fmt == "text")
    code, stdout, _ = _run("diff", str(old / FORCE), str(hostile_values / FORCE), "--root", str(hostile_values), env={"NO_COLOR": "1"})
    assert "\nname: Testshire Police → ::error::pwned ##\\x5berror]x \\u200b\\u2060 Police\n" in stdout
    assert "\n\\x3a:warning::area \\u200b (public-contact): " in stdout  # an area's heading line


def test_a_control_character_escape_in_evidence_stops_validate_and_build(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    force = root / FORCE / "force.yaml"
    text = force.read_text(encoding="utf-8")
    force.write_text(text.replace("name: Testshire Police", 'name: "Testshire \\e]0;owned\\a Police"'), encoding="utf-8")
    code, _, stderr = _run("validate", "--root", str(root))
    assert code == 1
    assert f"{FORCE}/force.yaml:3:18: error[E020]: character U+001B (a control character), written as an escape, is not allowed" in stderr
    code, stdout, _ = _run("build", "--root", str(root), "--out", str(tmp_path / "out"), "--diagnostics", "github")
    assert code == 1
    assert f"::error file={FORCE}/force.yaml,line=3,col=18,title=E020::character U+001B" in stdout
    assert not (tmp_path / "out" / "testshire-2024").exists()


def test_build_diagnostics_formats_on_a_clean_build(tmp_path: Path) -> None:
    code, stdout, stderr = _run("build", "--root", str(MINI), "--out", str(tmp_path / "out"), "--diagnostics", "json")
    assert code == 0, stderr
    data = assert_i_json(stdout)
    assert data == {
        "diagnostics": [],
        "summary": {"errors": 0, "warnings": 0},
        "summary_text": "0 errors, 0 warnings",
        "built": ["testshire-2024"],
        "not_built": [],
        "unchanged": [],
    }
    assert stderr.splitlines()[-1] == "built 1 of 1 force"
    code, stdout, stderr = _run("build", "--root", str(MINI), "--out", str(tmp_path / "out"), "--diagnostics", "github")
    assert (code, stdout) == (0, "")
    assert stderr.startswith("unchanged: ") and "/testshire-2024/ (manifest.json, report.html, report.md)\nunchanged: " in stderr
    assert stderr.endswith("/out/2024/ (the round of 2024)\nbuilt 1 of 1 force (1 unchanged)\n")  # the round, identical, left too


def test_console_lines_are_escaped_whoever_prints_them(capsys: pytest.CaptureFixture[str]) -> None:
    """console.err carries serve's lines, schema's and new force's, and every error message of the boundary."""
    from hmic_compile.console import err, out

    err("::error::x\x1b[2J\nsecond")
    out("::warning::a\nb\x07\n")
    captured = capsys.readouterr()
    assert captured.err == "\\x3a:error::x\\x1b[2J\\nsecond\n"
    assert captured.out == "\\x3a:warning::a\nb\\x07\n"
