"""Reads stay inside the project (docs/security.md, "Reads"): what a pull request can plant in criteria/,
evidence/, templates/ or a --templates folder (symbolic links out, '..' and absolute template names, named
pipes, devices, oversize or undecodable templates) is refused with a located diagnostic, never followed,
never opened, never shown; and the sandbox is on for every templates folder that is not hmic's own.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.report.render import make_environment, packaged_templates
from hmic_compile.report.templates import MAX_TEMPLATE_BYTES

from .conftest import REPO

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
FORCE = "evidence/testshire-2024"
SECRET = "TOP-SECRET-3f9a"  # planted outside the project: it must never reach any output
E013 = (
    "error[E013]: is a symbolic link leading outside the project; hmic reads only files inside it; "
    "replace the link with the file itself, or with a link to a file inside the project"
)
E205 = (
    "error[E205]: is a symbolic link leading outside the project; hmic reads only what is inside it; "
    "replace the link with the folder itself, or with a link to a folder inside the project"
)
NOT_OK = "not ok: checked 1 framework and 1 force; 1 force with errors: testshire-2024"  # validate's last line
# What waits on the refused glossary, said once (W803): a file refused unread is one that could not be read.
NOT_READ = f"{FORCE}/glossary.yaml:1:1: warning[W803]: abbreviations of testshire-2024 not checked: its glossary could not be read; "
NOT_READ += "fix glossary.yaml, and every abbreviation is checked"
E014_LINK = "is a symbolic link leading outside its templates folder; replace the link with the file itself; "
E014_LINK += "hmic reads only what is inside the templates folder"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), f"hmic raised {result.exception!r}"
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return root


def _outside(tmp_path: Path) -> Path:
    """A folder beside the project holding what a link may point at: valid YAML full of the secret."""
    out = tmp_path / "outside"
    shutil.copytree(MINI / FORCE, out)
    for p in out.iterdir():
        p.write_text(p.read_text(encoding="utf-8").replace("Testshire", SECRET), encoding="utf-8")
    (out / "passwd.yaml").write_text(f"secret: {SECRET}\n", encoding="utf-8")
    return out


def _validate(root: Path, *extra: str) -> tuple[int, list[str]]:
    code, output = _run("validate", "--root", str(root), *extra)
    assert SECRET not in output
    return code, output.splitlines()


# --- criteria/ and evidence/ --------------------------------------------------------------


def test_a_yaml_file_linked_out_of_the_project_is_refused_and_never_read(tmp_path: Path) -> None:
    root, outside = _project(tmp_path), _outside(tmp_path)
    (root / FORCE / "glossary.yaml").unlink()
    os.symlink(outside / "glossary.yaml", root / FORCE / "glossary.yaml")
    assert _validate(root) == (1, [f"{FORCE}/glossary.yaml: {E013}", NOT_READ, "1 error, 1 warning", NOT_OK])


@pytest.mark.parametrize("target", ["../../../outside/glossary.yaml", "/etc/hostname", "/dev/zero", "/proc/self/environ"])
def test_every_kind_of_link_out_is_refused_without_opening_it(tmp_path: Path, target: str) -> None:
    root = _project(tmp_path)
    _outside(tmp_path)
    (root / FORCE / "glossary.yaml").unlink()
    os.symlink(target, root / FORCE / "glossary.yaml")  # relative with '..', absolute, a device, the environment
    assert _validate(root) == (1, [f"{FORCE}/glossary.yaml: {E013}", NOT_READ, "1 error, 1 warning", NOT_OK])


def test_a_chain_of_links_that_ends_outside_is_refused(tmp_path: Path) -> None:
    root, outside = _project(tmp_path), _outside(tmp_path)
    (root / FORCE / "glossary.yaml").unlink()
    os.symlink(outside / "glossary.yaml", root / "evidence" / "hop.yaml")  # a link inside, that leads out
    os.symlink("../hop.yaml", root / FORCE / "glossary.yaml")
    code, lines = _validate(root)
    assert code == 1 and f"{FORCE}/glossary.yaml: {E013}" in lines


def test_a_link_that_stays_inside_the_project_is_followed(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "shared").mkdir()
    shutil.move(root / FORCE / "glossary.yaml", root / "shared" / "glossary.yaml")
    os.symlink("../../shared/glossary.yaml", root / FORCE / "glossary.yaml")
    os.symlink("testshire-2024", root / "evidence" / "alias-2024")  # a force folder that is a link inside
    code, lines = _validate(root, "testshire-2024")
    assert code == 0, lines


def test_the_project_reached_through_a_link_is_still_inside_itself(tmp_path: Path) -> None:
    root = _project(tmp_path)
    os.symlink(root, tmp_path / "alias")
    assert _validate(tmp_path / "alias")[0] == 0


def test_a_force_folder_linked_out_is_refused_and_not_listed(tmp_path: Path) -> None:
    root, outside = _project(tmp_path), _outside(tmp_path)
    os.symlink(outside, root / "evidence" / "secretshire-2024")
    lines = [f"evidence/secretshire-2024/: {E205}", "1 error, 0 warnings"]
    checked = "not ok: checked 1 framework and {}; 1 force with errors: secretshire-2024"
    assert _validate(root) == (1, [*lines, checked.format("2 forces")])
    # named on the command line it is the same refusal, not "no such force"
    assert _validate(root, "secretshire-2024") == (1, [*lines, checked.format("1 force")])


def test_a_force_folder_linked_out_is_not_built(tmp_path: Path) -> None:
    root, outside = _project(tmp_path), _outside(tmp_path)
    os.symlink(outside, root / "evidence" / "secretshire-2024")
    code, output = _run("build", "--root", str(root), "--out", str(tmp_path / "out"))
    assert code == 1
    assert f"evidence/secretshire-2024/: {E205}" in output
    assert SECRET not in output
    assert not (tmp_path / "out" / "secretshire-2024").exists()
    assert (tmp_path / "out" / "testshire-2024" / "report.md").is_file()  # the other force still builds


@pytest.mark.parametrize("folder", ["criteria", "evidence", "criteria/2024", "criteria/2024/areas"])
def test_a_framework_or_top_folder_linked_out_is_refused(tmp_path: Path, folder: str) -> None:
    root = _project(tmp_path)
    moved = tmp_path / "moved"
    shutil.move(root / folder, moved)
    for p in moved.rglob("*.yaml"):
        p.write_text(p.read_text(encoding="utf-8") + f"# {SECRET}\n", encoding="utf-8")
    (moved / "passwd.yaml").write_text(f"a: {SECRET}\n", encoding="utf-8")  # a name that must not be listed
    os.symlink(moved, root / folder)
    code, lines = _validate(root)
    assert code == 1
    assert f"{folder}/: {E205}" in lines
    assert not any("passwd" in line for line in lines)


def test_areas_linked_out_leave_the_rest_of_the_framework_and_its_forces_checked(tmp_path: Path) -> None:
    """Every problem at once: the area files refused unread count as unreadable (W801, said once an area),
    never as missing (E201), and the forces' own checks still run."""
    root = _project(tmp_path)
    shutil.move(root / "criteria/2024/areas", tmp_path / "moved")
    os.symlink(tmp_path / "moved", root / "criteria/2024/areas")
    pc = root / FORCE / "public-contact.yaml"
    pc.write_text(pc.read_text(encoding="utf-8").replace("[pc-answer-times]", "[pc-answer-time]"), encoding="utf-8")
    code, lines = _validate(root)
    assert code == 1
    codes = [m.group(1) for line in lines[:-2] if (m := re.search(r"\[(\w\d{3})\]", line))]
    assert sorted(codes) == ["E205", "E404", "W801", "W801"], lines
    assert lines[-1] == "not ok: checked 1 framework and 1 force; 1 framework with errors: 2024; 1 force with errors: testshire-2024"


def test_a_folder_linked_out_is_refused_when_its_files_are_read_one_by_one(tmp_path: Path) -> None:
    from hmic_compile.diagnostics import Diagnostics
    from hmic_compile.inputs.project import load_force

    root, outside = _project(tmp_path), _outside(tmp_path)
    os.symlink(outside, root / "evidence" / "secretshire-2024")
    diags = Diagnostics()
    assert load_force(root / "evidence" / "secretshire-2024", root, {}, diags) is None
    assert [d.code for d in diags.items] == ["E205"]


# --- templates ----------------------------------------------------------------------------


def _mine(tmp_path: Path, files: dict[str, str]) -> Path:
    mine = tmp_path / "mine"
    mine.mkdir(exist_ok=True)
    for name, text in files.items():
        (mine / name).parent.mkdir(parents=True, exist_ok=True)
        (mine / name).write_text(text, encoding="utf-8")
    return mine


def _build_with(tmp_path: Path, mine: Path, root: Path = MINI) -> tuple[int, str]:
    code, output = _run("build", "--root", str(root), "--out", str(tmp_path / "out"), "--templates", str(mine), "--format", "md")
    assert SECRET not in output
    if code != 0:
        assert not (tmp_path / "out" / "testshire-2024").exists()
    return code, output


def _secret_file(tmp_path: Path) -> Path:
    p = tmp_path / "secret.txt"
    p.write_text(f"{SECRET}\n", encoding="utf-8")
    return p


NAME_HINT = "name a template by its path inside the templates folder, with no '..', leading '/' or '\\'"


@pytest.mark.parametrize("tag", ["include '{}'", "extends '{}'", "import '{}' as x", "from '{}' import y"])
@pytest.mark.parametrize("name", ["../secret.txt", "sub/../../secret.txt", "/etc/passwd", "..\\\\secret.txt"])
def test_a_template_name_that_leaves_its_folder_is_refused_at_its_line(tmp_path: Path, tag: str, name: str) -> None:
    _secret_file(tmp_path)
    mine = _mine(tmp_path, {"report.md.j2": "line one\n{% " + tag.format(name) + " %}\n"})
    code, output = _build_with(tmp_path, mine)
    assert code == 1
    shown = name.replace("\\\\", "\\")
    assert f"{mine}/report.md.j2:2:1: error[E014]: template name '{shown}' leads outside the templates folder; {NAME_HINT}\n" in output


@pytest.mark.parametrize("tag", ["include 'leak.txt'", "extends 'leak.txt'", "import 'leak.txt' as x"])
def test_a_template_linked_out_of_its_folder_is_refused_at_the_line_that_names_it(tmp_path: Path, tag: str) -> None:
    mine = _mine(tmp_path, {"report.md.j2": "{% " + tag + " %}\n"})
    os.symlink(_secret_file(tmp_path), mine / "leak.txt")
    code, output = _build_with(tmp_path, mine)
    assert code == 1
    assert f"{mine}/report.md.j2:1:1: error[E014]: template 'leak.txt' {E014_LINK}\n" in output


def test_a_templates_subfolder_linked_out_is_refused(tmp_path: Path) -> None:
    secret = _secret_file(tmp_path)
    mine = _mine(tmp_path, {"report.md.j2": "{% include 'parts/secret.txt' %}\n"})
    os.symlink(secret.parent, mine / "parts")
    code, output = _build_with(tmp_path, mine)
    assert code == 1
    assert f"{mine}/report.md.j2:1:1: error[E014]: template 'parts/secret.txt' {E014_LINK}\n" in output


def test_an_unused_link_out_is_refused_too_as_the_manifest_would_hash_it(tmp_path: Path) -> None:
    mine = _mine(tmp_path, {"report.md.j2": '{% extends "default/report.md.j2" %}\n'})
    os.symlink(_secret_file(tmp_path), mine / "notes.txt")
    code, output = _build_with(tmp_path, mine)
    assert code == 1
    assert f"{mine}/notes.txt: error[E014]: template 'notes.txt' {E014_LINK}\n" in output


def test_the_main_template_linked_out_is_refused_by_its_path(tmp_path: Path) -> None:
    mine = _mine(tmp_path, {})
    os.symlink(_secret_file(tmp_path), mine / "report.md.j2")
    code, output = _build_with(tmp_path, mine)
    assert code == 1
    assert f"{mine}/report.md.j2: error[E014]: template 'report.md.j2' {E014_LINK}\n" in output


def test_links_that_stay_inside_the_templates_folder_are_followed_and_a_loop_ends(tmp_path: Path) -> None:
    mine = _mine(tmp_path, {"parts/real.md.j2": "{% extends 'default/report.md.j2' %}\n"})
    os.symlink("parts/real.md.j2", mine / "report.md.j2")
    os.symlink(".", mine / "parts" / "again")  # a folder that holds itself: hashing the folder must still end
    code, output = _build_with(tmp_path, mine)
    assert code == 0, output
    import json

    manifest = json.loads((tmp_path / "out" / "testshire-2024" / "manifest.json").read_text(encoding="utf-8"))
    names = [t["path"] for t in manifest["templates"]]
    assert "report.md.j2" in names and "parts/real.md.j2" in names


def _build_in_subprocess(tmp_path: Path, mine: Path) -> tuple[int, str]:
    """A build in its own process with a time limit: a read that blocked would fail the test, not hang it."""
    proc = subprocess.run(
        [sys.executable, "-m", "hmic_compile", "build", "--root", str(MINI), "--out", str(tmp_path / "out"), "--templates", str(mine)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HMIC_CACHE_DIR": "off"},
    )
    assert "Traceback" not in proc.stderr
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["report.md.j2", "unused.css"])
def test_a_named_pipe_in_a_templates_folder_is_named_never_opened(tmp_path: Path, name: str) -> None:
    mine = _mine(tmp_path, {"report.html.j2": '{% extends "default/report.html.j2" %}\n'})
    os.mkfifo(mine / name)
    code, output = _build_in_subprocess(tmp_path, mine)
    assert code == 1
    assert (
        f"{mine}/{name}: error[E015]: template '{name}' is a named pipe, not a regular file; replace it with a regular file, or remove it\n"
        in output
    )


def test_a_device_in_a_templates_folder_is_never_opened(tmp_path: Path) -> None:
    mine = _mine(tmp_path, {"report.md.j2": '{% extends "default/report.md.j2" %}\n'})
    try:
        os.mknod(mine / "zero.css", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    except (PermissionError, AttributeError, OSError):
        pytest.skip("cannot make a device node here")
    code, output = _build_in_subprocess(tmp_path, mine)
    assert code == 1
    assert f"{mine}/zero.css: error[E015]: template 'zero.css' is a character device, not a regular file" in output


def test_a_template_over_the_limit_is_refused(tmp_path: Path) -> None:
    mine = _mine(tmp_path, {"report.md.j2": "x" * (MAX_TEMPLATE_BYTES + 1)})
    code, output = _build_with(tmp_path, mine)
    assert code == 1
    assert (
        f"{mine}/report.md.j2: error[E016]: template 'report.md.j2' is {MAX_TEMPLATE_BYTES + 1:,} bytes, "
        f"over the {MAX_TEMPLATE_BYTES:,}-byte limit;" in output
    )


def test_a_template_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    mine = _mine(tmp_path, {})
    (mine / "report.md.j2").write_bytes(b"caf\xe9\n")
    code, output = _build_with(tmp_path, mine)
    assert code == 1
    assert (
        f"{mine}/report.md.j2: error[E017]: template 'report.md.j2' is not UTF-8 text (byte 0xe9 at offset 3); save it as UTF-8\n" in output
    )


def test_the_projects_templates_folder_linked_out_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    outside = _mine(tmp_path, {"report.md.j2": f"{SECRET}\n"})
    os.symlink(outside, root / "templates")
    code, output = _run("build", "--root", str(root), "--out", str(tmp_path / "out"), "--format", "md")
    assert code == 1
    assert f"templates/: {E205}" in output
    assert SECRET not in output and not (tmp_path / "out" / "testshire-2024").exists()


def test_a_link_out_in_the_projects_templates_folder_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "report.md.j2").write_text("{% include 'leak.txt' %}\n", encoding="utf-8")
    os.symlink(_secret_file(tmp_path), root / "templates" / "leak.txt")
    code, output = _run("build", "--root", str(root), "--out", str(tmp_path / "out"), "--format", "md")
    assert code == 1
    assert f"{root}/templates/report.md.j2:1:1: error[E014]: template 'leak.txt' {E014_LINK}" in output
    assert SECRET not in output


# --- which templates are trusted ------------------------------------------------------------


def test_hmic_s_own_templates_run_outside_the_sandbox_and_every_other_folder_inside(tmp_path: Path) -> None:
    assert type(make_environment(None, REPO)) is jinja2.Environment  # hmic's source tree: its templates/ are the defaults
    assert type(make_environment(None, MINI)) is jinja2.Environment  # a project without templates/
    root = _project(tmp_path)
    shutil.copytree(packaged_templates(), root / "templates")  # the same files, but the project's: untrusted
    assert isinstance(make_environment(None, root), ImmutableSandboxedEnvironment)
    assert isinstance(make_environment(_mine(tmp_path, {}), MINI), ImmutableSandboxedEnvironment)
    assert isinstance(make_environment(_mine(tmp_path, {}), REPO), ImmutableSandboxedEnvironment)


def test_the_projects_templates_folder_cannot_escape_the_sandbox(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "report.md.j2").write_text("{{ cycler.__init__.__globals__.os.environ }}\n", encoding="utf-8")
    code, output = _run("build", "--root", str(root), "--out", str(tmp_path / "out"), "--format", "md")
    assert code == 1
    assert f"{root}/templates/report.md.j2:1:1: error[E601]: template error: access to attribute " in output
    assert "is unsafe" in output


def test_a_copy_of_the_defaults_in_the_sandbox_gives_the_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = tmp_path / "norfolk"
    for top in ("criteria", "evidence"):
        shutil.copytree(REPO / top, root / top)
    shutil.copytree(packaged_templates(), root / "templates")
    code, output = _run("build", "norfolk-2007", "--root", str(root), "--out", str(tmp_path / "out"))
    assert code == 0, output
    for name in ("report.md", "report.html", "manifest.json"):
        golden = (REPO / "tests" / "golden" / "norfolk-2007" / name).read_bytes()
        assert (tmp_path / "out" / "norfolk-2007" / name).read_bytes() == golden, name


def test_a_templates_folder_named_in_the_project_but_linked_out_of_it_is_refused(tmp_path: Path) -> None:
    # CI runs `hmic build --templates house-style`; a pull request makes house-style a link to the runner's files.
    root = _project(tmp_path)
    outside = _mine(tmp_path, {"report.md.j2": "{% include 'secret.txt' %}\n"})
    (outside / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    os.symlink(outside, root / "house-style")
    code, output = _run("build", "--root", str(root), "--out", str(tmp_path / "out"), "--templates", str(root / "house-style"))
    assert code == 1
    assert f"{root}/house-style/: {E205}" in output
    assert SECRET not in output and not (tmp_path / "out" / "testshire-2024").exists()


def test_diff_of_a_force_folder_linked_out_of_the_project_is_refused(tmp_path: Path) -> None:
    root, outside = _project(tmp_path), _outside(tmp_path)
    elsewhere = tmp_path / "elsewhere"  # a whole project outside, which the link must not make the diff's
    shutil.copytree(MINI / "criteria", elsewhere / "criteria")
    shutil.move(outside, elsewhere / "evidence" / "secretshire-2024")
    os.symlink(elsewhere / "evidence" / "secretshire-2024", root / "evidence" / "secretshire-2024")
    code, output = _run("diff", "secretshire-2024", "testshire-2024", "--root", str(root))
    assert code == 1
    assert f"evidence/secretshire-2024/: {E205}" in output
    assert SECRET not in output
