"""Writes stay inside their target (docs/security.md, "Writes"): `hmic build`, `schema`, `schema --annotate` and
`new force` never write through a symbolic link planted where they write, never leave a temporary or old
file behind, and `build --out` can never replace the build's own inputs.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.inputs import files

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
KEY = "testshire-2024"


def _run(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), f"hmic raised {result.exception!r}"
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _project(tmp_path: Path, name: str = "project") -> Path:
    root = tmp_path / name
    shutil.copytree(MINI, root)
    return root


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder`: a file's bytes, a link's target, a folder as '/'."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(folder).as_posix()
            out[rel] = ("-> " + os.readlink(p)) if p.is_symlink() else "/" if p.is_dir() else p.read_bytes()
    return out


def _victim(tmp_path: Path) -> Path:
    """A folder outside the project that a planted link points at: nothing in it may change."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "id_rsa").write_text("precious\n", encoding="utf-8")
    return victim


def _build(root: Path, out: Path, *extra: str) -> tuple[int, str]:
    return _run("build", "--root", str(root), "--out", str(out), "--format", "md", *extra)


# --- hmic build: the force's folder -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["link-to-folder", "link-to-file", "dangling-link", "file", "folder"])
def test_whatever_holds_the_force_s_name_is_replaced_and_nothing_else_changes(tmp_path: Path, kind: str) -> None:
    victim = _victim(tmp_path)
    before = _tree(victim)
    out = tmp_path / "out"
    out.mkdir()
    target = out / KEY
    if kind == "link-to-folder":
        os.symlink(victim, target)
    elif kind == "link-to-file":
        os.symlink(victim / "id_rsa", target)
    elif kind == "dangling-link":
        os.symlink(victim / "nothing", target)
    elif kind == "file":
        target.write_text("a file\n", encoding="utf-8")
    else:
        target.mkdir()
        (target / "stale.txt").write_text("old\n", encoding="utf-8")
    code, output = _build(MINI, out)
    assert code == 0, output
    assert not target.is_symlink() and sorted(p.name for p in target.iterdir()) == ["manifest.json", "report.md"]
    assert _tree(victim) == before  # the link's destination was never written
    assert sorted(os.listdir(out)) == ["2024", KEY]  # the round, and no temporary or old file or folder beside them


def test_a_failed_swap_puts_a_linked_target_back_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / KEY)
    real = os.rename
    calls: list[str] = []

    def rename(src, dst, *args, **kwargs):
        calls.append(Path(dst).name)
        if len(calls) == 2:  # the new folder into place
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    code, output = _build(MINI, out)
    assert code == 1 and "error[E701]: cannot write the report: Input/output error" in output
    assert os.readlink(out / KEY) == str(victim)
    assert os.listdir(out) == [KEY]
    assert sorted(os.listdir(victim)) == ["id_rsa"]


def test_the_temporary_folder_name_cannot_be_guessed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Links planted under the names a writer with fixed names would use lead nowhere: nothing is written through them.
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    planted = [f".{KEY}.tmp", f".{KEY}.{os.getpid()}.old", f"{KEY}.tmp", f".{KEY}.old"]
    for name in planted:
        os.symlink(victim, out / name)
    assert _build(MINI, out)[0] == 0
    assert sorted(os.listdir(out)) == sorted(["2024", KEY, *planted])
    assert sorted(os.listdir(victim)) == ["id_rsa"]


# --- hmic build: --out --------------------------------------------------------------------


def _refused(tmp_path: Path, root: Path, out: Path | str, *extra: str, cwd: Path | None = None) -> str:
    before = _tree(tmp_path)
    code, output = _run("build", "--root", str(root), "--out", str(out), *extra, cwd=cwd)
    assert code == 2, output
    assert _tree(tmp_path) == before, "a refused build wrote something"
    return output


@pytest.mark.parametrize("where", ["criteria", "evidence", f"evidence/{KEY}", "criteria/2024/areas", "templates", "templates/x"])
def test_out_inside_an_input_is_refused(tmp_path: Path, where: str) -> None:
    root = _project(tmp_path)
    (root / "templates").mkdir()
    output = _refused(tmp_path, root, root / where)
    top = root / where.split("/")[0]
    assert output == (
        f"error: --out {root / where} lies inside {top}, which the build reads: it would replace its own inputs; "
        "give --out a folder of its own, e.g. --out build\n"
    )


def test_out_as_the_project_folder_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    output = _refused(tmp_path, root, root)
    assert output == (
        f"error: --out {root} is the project folder itself: the build would replace its own inputs; "
        "give --out a folder of its own, e.g. --out build\n"
    )
    assert _refused(tmp_path, root, ".", cwd=root).startswith("error: --out . is the project folder itself")


def test_out_inside_the_templates_folder_given_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    output = _refused(tmp_path, MINI, mine / "out", "--templates", str(mine))
    assert f"error: --out {mine / 'out'} lies inside {mine}, which the build reads" in output


def test_out_that_would_replace_the_project_itself_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path, KEY)  # a project folder named like its force: --out .. would replace it
    output = _refused(tmp_path, root, tmp_path)
    assert f"error: --out {tmp_path}: the report of {KEY} would replace {tmp_path / KEY}, which holds {root}" in output


def test_out_that_holds_the_project_is_allowed_when_no_report_replaces_it(tmp_path: Path) -> None:
    root = _project(tmp_path)
    code, output = _build(root, tmp_path)  # reports beside the project folder
    assert code == 0, output
    assert (tmp_path / KEY / "report.md").is_file() and (root / "evidence" / KEY / "force.yaml").is_file()


def test_out_that_leads_out_of_the_project_through_a_link_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    victim = _victim(tmp_path)
    os.symlink(victim, root / "build")  # committed in a pull request: `hmic build` would write in the victim folder
    output = _refused(tmp_path, root, root / "build")
    assert f"error: --out {root / 'build'} leads out of the project through a symbolic link inside it (to {victim})" in output


@pytest.mark.parametrize("into", ["evidence", "criteria"])
def test_out_that_leads_into_an_input_through_a_link_is_refused(tmp_path: Path, into: str) -> None:
    root = _project(tmp_path)
    os.symlink(into, root / "build")
    output = _refused(tmp_path, root, root / "build")
    assert f"lies inside {root / into}, which the build reads" in output


# --- hmic schema and schema --annotate ------------------------------------------------------


def _schema(root: Path, *extra: str) -> tuple[int, str]:
    return _run("schema", "--root", str(root), *extra)


def test_schema_replaces_a_linked_schema_file_and_never_writes_its_destination(tmp_path: Path) -> None:
    root = _project(tmp_path)
    victim = _victim(tmp_path)
    (root / "schemas" / "force.schema.json").unlink()
    os.symlink(victim / "id_rsa", root / "schemas" / "force.schema.json")
    for name in (".force.schema.json.tmp", ".glossary.schema.json.tmp"):  # the names an earlier hmic wrote through
        os.symlink(victim / "id_rsa", root / "schemas" / name)
    code, output = _schema(root)
    assert code == 0, output
    assert (victim / "id_rsa").read_text(encoding="utf-8") == "precious\n"
    assert not (root / "schemas" / "force.schema.json").is_symlink()
    assert (root / "schemas" / "force.schema.json").read_text(encoding="utf-8").startswith("{")
    assert sorted(p.name for p in (root / "schemas").iterdir() if p.name.startswith(".")) == [
        ".force.schema.json.tmp",
        ".glossary.schema.json.tmp",
    ]  # the planted links, left alone; no temporary file of hmic's own remains


def test_schema_refuses_a_schemas_folder_that_leads_out_of_the_project(tmp_path: Path) -> None:
    root = _project(tmp_path)
    victim = _victim(tmp_path)
    shutil.rmtree(root / "schemas")
    os.symlink(victim, root / "schemas")
    before = _tree(victim)
    code, output = _schema(root)
    assert code == 2
    assert f"error: {root / 'schemas'} leads out of the project through a symbolic link inside it (to {victim})" in output
    assert _tree(victim) == before


@pytest.mark.parametrize("check", [False, True], ids=["write", "check"])
def test_schema_refuses_a_framework_s_schemas_folder_that_is_a_link(tmp_path: Path, check: bool) -> None:
    root = _project(tmp_path)
    victim = _victim(tmp_path)
    shutil.rmtree(root / "schemas" / "2024")
    os.symlink(victim, root / "schemas" / "2024")  # schemas/ itself is a real folder: the link is one level down
    before = _tree(victim)
    code, output = _schema(root, *(["--check"] if check else []))
    assert code == 2
    assert (
        f"error: {root / 'schemas' / '2024'} is a symbolic link; hmic writes the framework's schemas into a folder of that name" in output
    )
    assert _tree(victim) == before


def test_annotate_never_rewrites_a_file_through_a_link(tmp_path: Path) -> None:
    root = _project(tmp_path)
    victim = _victim(tmp_path)
    glossary = root / "evidence" / KEY / "glossary.yaml"
    shutil.copy(glossary, victim / "glossary.yaml")
    glossary.unlink()
    os.symlink(victim / "glossary.yaml", glossary)
    os.symlink(victim, root / "evidence" / "linked-2024")
    before = _tree(victim)
    assert _schema(root, "--annotate")[0] == 0
    assert _tree(victim) == before
    assert glossary.is_symlink()


def test_annotate_keeps_a_file_s_permissions_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    root = _project(tmp_path)
    force = root / "evidence" / KEY / "force.yaml"
    force.write_text(force.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")  # drop its modeline
    os.chmod(force, 0o640)
    assert _schema(root, "--annotate")[0] == 0
    assert force.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")
    assert force.stat().st_mode & 0o777 == 0o640
    assert not [p for p in root.rglob(".*") if p.name.endswith(".tmp")]


def test_schema_check_does_not_open_a_named_pipe(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "schemas" / "force.schema.json").unlink()
    os.mkfifo(root / "schemas" / "force.schema.json")
    proc = subprocess.run(
        [sys.executable, "-m", "hmic_compile", "schema", "--root", str(root), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "schemas/force.schema.json: out of date" in proc.stderr


def test_a_write_that_fails_leaves_the_file_as_it_was_and_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.json"
    target.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(os, "replace", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EIO, "Input/output error")))
    with pytest.raises(OSError):
        files.replace_file(target, b"new\n")
    assert os.listdir(tmp_path) == ["f.json"] and target.read_text(encoding="utf-8") == "old\n"


# --- hmic new force -----------------------------------------------------------------------


def test_new_force_refuses_an_evidence_folder_that_leads_out_of_the_project(tmp_path: Path) -> None:
    root = _project(tmp_path)
    victim = _victim(tmp_path)
    shutil.rmtree(root / "evidence")
    os.symlink(victim, root / "evidence")
    before = _tree(victim)
    code, output = _run("new", "force", "suffolk", "--year", "2024", "--root", str(root))
    assert code == 2
    assert "error: evidence/ is a symbolic link leading outside the project; nothing was written" in output
    assert _tree(victim) == before


def test_new_force_writes_the_folder_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    real = files.create_exclusive
    made: list[str] = []

    def fail_third(path, data, mode=None):
        made.append(path.name)
        if len(made) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, data, mode)

    monkeypatch.setattr("hmic_compile.tools.scaffold.create_exclusive", fail_third)
    code, output = _run("new", "force", "suffolk", "--year", "2024", "--root", str(root))
    assert code == 1
    assert "error: cannot create evidence/suffolk-2024: No space left on device" in output
    assert sorted(os.listdir(root / "evidence")) == [KEY]  # neither the folder nor its temporary one
    monkeypatch.setattr("hmic_compile.tools.scaffold.create_exclusive", real)
    code, output = _run("new", "force", "suffolk", "--year", "2024", "--root", str(root))
    assert code == 0, output
    assert sorted(os.listdir(root / "evidence")) == ["suffolk-2024", KEY]
    assert (root / "evidence" / "suffolk-2024").stat().st_mode & 0o777 == 0o755
