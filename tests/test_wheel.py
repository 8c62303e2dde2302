"""The installed tool works (docs/security.md, "The installed tool"): the wheel carries the default templates,
and hmic installed from it into a fresh virtual environment outside the repository builds the Norfolk report
byte for byte as the repository's own build does, trusting only the templates it was installed with.

Offline by design: the wheel is built without build isolation (hatchling comes with the test extras) and
installed with --no-deps --no-index; its dependencies are the ones this interpreter already has, made
visible to the new environment by a .pth file listing their folder (after the environment's own, so that
hmic_compile itself comes from the wheel, never from the repository's src/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "norfolk-2007"


def _pip(*args: str, cwd: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _pip("wheel", str(REPO), "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(out), "--quiet", cwd=out)
    (found,) = out.glob("hmic_compile-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment outside the repository with hmic installed from the wheel; returns its bin/."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    _pip("--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel), cwd=venv)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_hmic_test_deps.pth").write_text("".join(f"{p}\n" for p in sorted(deps)), encoding="utf-8")
    return venv / "bin"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "PYTHONPATH", "VIRTUAL_ENV")}
    env["HMIC_CACHE_DIR"] = "off"
    return env


def test_the_wheel_carries_every_default_template(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        packed = {n.removeprefix("hmic_compile/templates/"): z.read(n) for n in z.namelist() if n.startswith("hmic_compile/templates/")}
    shipped = {p.relative_to(REPO / "templates").as_posix(): p.read_bytes() for p in (REPO / "templates").rglob("*") if p.is_file()}
    assert packed == shipped


def test_the_installed_hmic_is_the_wheel_s_and_finds_its_own_templates(installed: Path, tmp_path: Path) -> None:
    probe = "import hmic_compile; from hmic_compile.report.render import packaged_templates as p; print(hmic_compile.__file__); print(p())"
    proc = subprocess.run([str(installed / "python"), "-c", probe], cwd=tmp_path, capture_output=True, text=True, env=_env(), check=True)
    module, templates = proc.stdout.splitlines()
    venv = installed.parent.resolve()
    assert Path(module).resolve().is_relative_to(venv), module
    assert Path(templates).resolve() == Path(module).resolve().parent / "templates"


def test_the_installed_hmic_builds_norfolk_as_the_repository_does(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    for top in ("criteria", "evidence"):
        shutil.copytree(REPO / top, project / top)
    run = [str(installed / "hmic"), "build", "norfolk-2007", "--root", str(project), "--out", str(tmp_path / "installed")]
    proc = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    here = [sys.executable, "-m", "hmic_compile", "build", "norfolk-2007", "--root", str(project), "--out", str(tmp_path / "repo")]
    proc = subprocess.run(here, cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    built = sorted(p.name for p in (tmp_path / "installed" / "norfolk-2007").iterdir())
    assert built == ["manifest.json", "report.html", "report.md"]
    for name in built:
        mine = (tmp_path / "installed" / "norfolk-2007" / name).read_bytes()
        assert mine == (tmp_path / "repo" / "norfolk-2007" / name).read_bytes(), name
        assert mine == (GOLDEN / name).read_bytes(), name


def test_the_installed_hmic_sandboxes_a_project_s_templates(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", project)
    (project / "templates").mkdir()
    (project / "templates" / "report.md.j2").write_text("{{ cycler.__init__.__globals__.os.environ }}\n", encoding="utf-8")
    run = [str(installed / "hmic"), "build", "--root", str(project), "--out", str(tmp_path / "out"), "--format", "md"]
    proc = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 1
    assert "error[E601]: template error: access to attribute" in proc.stderr and "is unsafe" in proc.stderr


def test_the_installed_hmic_writes_sarif_with_every_rule_s_help(installed: Path, tmp_path: Path) -> None:
    """The SARIF writer's rule texts (tools/diagnostic_codes.json) ship in the wheel."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", project)
    pc = project / "evidence" / "testshire-2024" / "public-contact.yaml"
    pc.write_text(pc.read_text(encoding="utf-8").replace("[pc-answer-times]", "[pc-answer-time]"), encoding="utf-8")
    run = [str(installed / "hmic"), "validate", "--root", str(project), "--format", "sarif"]
    proc = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 1, proc.stderr
    (rule,) = json.loads(proc.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "E404" and rule["fullDescription"]["text"].startswith("a citation that is not the id of")
