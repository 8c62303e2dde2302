"""No traceback from any input (docs/security.md, "No traceback from any input"): template runtime errors at
the template's file and line, unreadable templates, a git revision whose link leads outside, folder names that
are not UTF-8; then every command run in a subprocess against a corpus of hostile projects.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
FORCE = "evidence/testshire-2024"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), f"hmic raised {result.exception!r}"
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _template_build(tmp_path: Path, template: str, fmt: str = "md", **others: str | bytes) -> tuple[int, str, Path]:
    mine = tmp_path / "mine"
    mine.mkdir(exist_ok=True)
    name = "report.md.j2" if fmt == "md" else "report.html.j2"
    (mine / name).write_text(template, encoding="utf-8")
    for other, content in others.items():
        path = mine / other.replace("_", ".")
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    code, output = _run("build", "--root", str(MINI), "--out", str(tmp_path / "out"), "--templates", str(mine), "--format", fmt)
    return code, output, mine


# --- template runtime errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "code", "message", "hint"),
    [
        ("1/0", "E605", "division by zero", "divide only by a number that is not zero"),
        ("7 // (report.areas | length - report.areas | length)", "E605", "integer division or modulo by zero", "divide only by"),
        ('1 + "a"', "E606", "unsupported operand type(s) for +: 'int' and 'str'", "convert with |int, |float or |string"),
        ('"%d" % "a"', "E606", "%d format: a real number is required, not str", "convert with"),
        ("10**5000", "E607", "a number of more than 4,300 digits cannot be written out", "out of the operation's range"),
        ("(10 ** (report.areas | length * 2000))", "E607", "a number of more than 4,300 digits cannot be written out", "out of the"),
        ('"a b".split("")', "E607", "empty separator", "out of the operation's range"),
        ('"{0} {1}".format("a")', "E607", "", "the index or key is not there"),  # Python's message varies by version
    ],
    ids=[
        "zero-division",
        "floor-division-at-run-time",
        "int-plus-text",
        "format",
        "huge-constant",
        "huge-at-run-time",
        "empty-separator",
        "index",
    ],
)
def test_a_template_runtime_error_is_a_diagnostic_at_its_line(tmp_path: Path, expression: str, code: str, message: str, hint: str) -> None:
    status, output, mine = _template_build(tmp_path, "# {{ report.force.title }}\n\nthird line {{ " + expression + " }}\n")
    assert status == 1
    assert f"{mine}/report.md.j2:3:1: error[{code}]: template error: {message}" in output
    assert hint in output
    assert "testshire-2024: not built; previous output left unchanged" in output
    assert not (tmp_path / "out" / "testshire-2024").exists()


def test_the_error_is_placed_in_the_included_template(tmp_path: Path) -> None:
    status, output, mine = _template_build(tmp_path, "one\n{% include 'part.j2' %}\n", part_j2="a\nb\n{{ 1/0 }}\n")
    assert status == 1
    assert f"{mine}/part.j2:3:1: error[E605]: template error: division by zero" in output


@pytest.mark.parametrize(
    ("template", "fmt", "line"),
    [
        ('x\n{{ "\\udcff" }}\n', "md", 2),
        ('{% set s = "\\ud800" %}\n\n{{ s | upper }}\n', "md", 3),
        ('<p>{{ "ok" ~ "\\udfff" }}</p>\n', "html", 1),
    ],
    ids=["literal", "through-a-filter", "html"],
)
def test_a_lone_surrogate_in_the_output_is_a_diagnostic_at_its_line(tmp_path: Path, template: str, fmt: str, line: int) -> None:
    status, output, mine = _template_build(tmp_path, template, fmt)
    assert status == 1
    name = "report.md.j2" if fmt == "md" else "report.html.j2"
    assert f"{mine}/{name}:{line}:1: error[E608]: template error: the output holds a lone surrogate" in output


def test_a_template_that_is_not_utf8_is_a_diagnostic_at_the_include(tmp_path: Path) -> None:
    # hmic's template loader refuses it (E017, report/templates.py), at the line that included it.
    status, output, mine = _template_build(tmp_path, "a\n{% include 'latin1.j2' %}\n", latin1_j2="caf\xe9\n".encode("latin-1"))
    assert status == 1
    assert (
        f"{mine}/report.md.j2:2:1: error[E017]: template 'latin1.j2' is not UTF-8 text (byte 0xe9 at offset 3); save it as UTF-8\n"
        in output
    )


class _Refuse:
    """os.open() that refuses one file, as a chmod 000 file is refused (root reads everything, so it is simulated)."""

    def __init__(self, target: Path, real: Callable[..., int]):
        self.target, self.real = str(target), real

    def __call__(self, file: object, *args: object, **kwargs: object) -> int:
        if os.fspath(file) == self.target:  # type: ignore[arg-type]
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return self.real(file, *args, **kwargs)


def test_an_unreadable_template_is_a_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md.j2").write_text("# {{ report.force.title }}\n", encoding="utf-8")
    monkeypatch.setattr(os, "open", _Refuse(mine / "report.md.j2", os.open))
    code, output = _run("build", "--root", str(MINI), "--out", str(tmp_path / "out"), "--templates", str(mine), "--format", "md")
    assert code == 1
    assert f"{mine}/report.md.j2: error[E015]: cannot read template 'report.md.j2': Permission denied; check its permissions" in output
    assert not (tmp_path / "out" / "testshire-2024").exists()


def test_an_unreadable_template_that_no_report_uses_is_a_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every template file is hashed for the manifest, used or not.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "unused.css").write_text("p {}\n", encoding="utf-8")
    monkeypatch.setattr(os, "open", _Refuse(mine / "unused.css", os.open))
    code, output = _run("build", "--root", str(MINI), "--out", str(tmp_path / "out"), "--templates", str(mine), "--format", "md")
    assert code == 1
    assert f"{mine}/unused.css: error[E015]: cannot read template 'unused.css': Permission denied" in output
    assert not (tmp_path / "out" / "testshire-2024").exists()


def test_a_chmod_000_template_as_an_unprivileged_user(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md.j2").write_text("{% include 'secret.j2' %}\n", encoding="utf-8")
    (mine / "secret.j2").write_text("x\n", encoding="utf-8")
    (mine / "secret.j2").chmod(0)
    command = [sys.executable, "-m", "hmic_compile", "build", "--root", str(MINI), "--out", str(tmp_path / "out")]
    command += ["--templates", str(mine), "--format", "md"]
    if os.geteuid() == 0:
        if not shutil.which("unshare"):
            pytest.skip("running as root without `unshare`, so a chmod 000 file cannot be made unreadable")
        command = ["unshare", "-U", *command]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if "unshare failed" in proc.stderr or "Operation not permitted" in proc.stderr:
        pytest.skip(f"user namespaces are not available here: {proc.stderr.strip()}")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert f"{mine}/report.md.j2:1:1: error[E015]: cannot read template 'secret.j2': Permission denied" in proc.stderr


# --- hmic diff of a revision whose links lead outside -----------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    shutil.copytree(MINI, root)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "one")
    return root


@pytest.mark.parametrize(
    "target", ["/etc/passwd", "../../../../../../../../etc/passwd", "../../../outside.yaml"], ids=["absolute", "far-up", "just-out"]
)
def test_diff_of_a_revision_whose_link_leads_outside(repo: Path, target: str) -> None:
    link = repo / FORCE / "glossary.yaml"
    link.unlink()
    os.symlink(target, link)
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "two")
    code, output = _run("diff", f"HEAD:{FORCE}", f"HEAD~1:{FORCE}", "--root", str(repo))
    assert code == 1
    assert output == (
        f"error: HEAD:{FORCE} cannot be read: '{FORCE}/glossary.yaml' (a link to '{target}') would lead outside the project; "
        "hmic diff reads a revision's own files only; replace the link with the file it points to\n"
    )


def test_diff_of_a_revision_whose_link_stays_inside(repo: Path) -> None:
    extra = repo / FORCE / "glossary-copy.yaml"
    shutil.copy(repo / FORCE / "glossary.yaml", repo / "glossary-source.yaml")
    (repo / FORCE / "glossary.yaml").unlink()
    os.symlink("../../glossary-source.yaml", repo / FORCE / "glossary.yaml")
    assert not extra.exists()
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "two")
    code, output = _run("diff", f"HEAD~1:{FORCE}", f"HEAD:{FORCE}", "--root", str(repo))
    assert "would lead outside" not in output  # the archive holds only the paths asked for: the link dangles there
    assert code in (0, 1)


# --- every command against hostile projects, in a subprocess --------------------------------------------

# Run in the subprocess: each command in turn, in-process; any exception but SystemExit is a traceback.
DRIVER = textwrap.dedent(
    """
    import sys
    from hmic_compile.cli import app
    for line in sys.stdin.read().split("\\n\\x1e\\n"):
        if not line:
            continue
        args = line.split("\\x1f")
        try:
            app(args, prog_name="hmic")
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            print(f"\\n@@ exit {code}: {' '.join(args[:2])}", file=sys.stderr, flush=True)
    """
)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _hostile(case: str, root: Path) -> None:
    force, area = root / FORCE / "force.yaml", root / FORCE / "public-contact.yaml"
    ev = os.fsencode(root / "evidence")
    if case == "force-folder-not-utf8":
        shutil.copytree(os.fsencode(root / FORCE), ev + b"/\xff-2024")
    elif case == "framework-folder-not-utf8":
        shutil.copytree(os.fsencode(root / "criteria/2024"), os.fsencode(root / "criteria") + b"/20\xe924")
    elif case == "file-name-not-utf8":
        shutil.copy(os.fsencode(area), os.fsencode(root / FORCE) + b"/\xfe.yaml")
    elif case == "workflow-command-folders":
        for name in ("::error::x-2024", "esc\x1b[2J-2024", "nl\n::warning::y-2024", "##[error]z-2024"):
            shutil.copytree(root / FORCE, root / "evidence" / name)
    elif case == "escaped-control-characters":
        _edit(force, "name: Testshire Police", 'name: "Testshire \\e[31m \\0 \\L Police"')
    elif case == "direction-override":
        _edit(area, "in six seconds", "in \u202esix\u202c seconds")
    elif case == "framework-is-a-path":
        _edit(force, 'framework: "2024"', 'framework: "../../../2024"')
    elif case == "framework-is-absolute":
        _edit(force, 'framework: "2024"', 'framework: "/etc"')
    elif case == "yaml-beside-the-forces":
        (root / "evidence" / "stray.yaml").write_text("a: b\n", encoding="utf-8")
        (root / "criteria" / "stray.yml").write_text("a: b\n", encoding="utf-8")
    elif case == "template-runtime-errors":
        (root / "templates").mkdir()
        (root / "templates" / "report.md.j2").write_text("{{ 1/0 }}\n", encoding="utf-8")
        (root / "templates" / "report.html.j2").write_text('{{ 1 + "a" }}{{ 10**5000 }}\n', encoding="utf-8")
    elif case == "template-lone-surrogate":
        (root / "templates").mkdir()
        (root / "templates" / "report.md.j2").write_text('{{ "\\udcff" }}\n', encoding="utf-8")
    elif case == "template-not-utf8":
        (root / "templates").mkdir()
        (root / "templates" / "report.md.j2").write_bytes(b"caf\xe9 {{ report.key }}\n")
    elif case == "template-folder-name-not-utf8":
        (root / "templates").mkdir()
        Path(os.fsdecode(os.fsencode(root / "templates") + b"/\xff.css")).write_text("p {}\n", encoding="utf-8")
    elif case == "no-evidence":
        shutil.rmtree(root / "evidence")
    elif case == "empty-everything":
        shutil.rmtree(root / "evidence")
        shutil.rmtree(root / "criteria")
        (root / "criteria").mkdir()
        (root / "evidence").mkdir()
    else:  # pragma: no cover
        raise AssertionError(case)


CASES = [
    "force-folder-not-utf8",
    "framework-folder-not-utf8",
    "file-name-not-utf8",
    "workflow-command-folders",
    "escaped-control-characters",
    "direction-override",
    "framework-is-a-path",
    "framework-is-absolute",
    "yaml-beside-the-forces",
    "template-runtime-errors",
    "template-lone-surrogate",
    "template-not-utf8",
    "template-folder-name-not-utf8",
    "no-evidence",
    "empty-everything",
]


@pytest.mark.parametrize("case", CASES)
def test_every_command_on_a_hostile_project_ends_without_a_traceback(tmp_path: Path, case: str) -> None:
    root = _copy(tmp_path)
    if shutil.which("git"):  # so that `hmic diff REV:path` has a revision to read
        _git(root, "init", "-q")
        _git(root, "add", "-A")
        _git(root, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "before")
    _hostile(case, root)
    out = tmp_path / "out"
    r = ["--root", str(root)]
    commands = [
        ["validate", *r],
        ["validate", *r, "--format", "json"],
        ["validate", *r, "--format", "github", "--strict"],
        ["grade", *r],
        ["grade", *r, "--format", "json"],
        ["grade", "testshire-2024", *r, "--explain", "public-contact"],
        ["build", *r, "--out", str(out), "--jobs", "2"],
        ["build", *r, "--out", str(out), "--jobs", "1", "--diagnostics", "json", "--draft"],
        ["build", *r, "--out", str(out), "--diagnostics", "github", "--format", "md"],
        ["diff", str(MINI / FORCE), str(root / FORCE), *r],
        ["diff", f"HEAD:{FORCE}", str(root / FORCE), *r, "--format", "markdown"],
        ["schema", *r, "--check"],
        ["schema", *r, "--annotate", "--out", str(tmp_path / "schemas")],
        ["new", "force", "newshire", "--year", "2024", *r],
    ]
    stdin = "\n\x1e\n".join("\x1f".join(c) for c in commands)
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER], input=stdin, capture_output=True, text=True, timeout=300, check=False, env=env, errors="replace"
    )
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-5000:]
    exits = [line for line in proc.stderr.splitlines() if line.startswith("@@ exit ")]
    assert len(exits) == len(commands), proc.stderr[-5000:]
    assert all(line.split()[2].rstrip(":") in ("0", "1", "2") for line in exits), exits
    assert proc.returncode == 0, proc.stderr[-5000:]
