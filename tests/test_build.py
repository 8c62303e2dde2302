"""`hmic build`: deterministic, atomic output with a manifest."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile import __version__
from hmic_compile.cli import app

from .conftest import REPO

runner = CliRunner()


def _build(out: Path, *extra: str) -> tuple[int, str]:
    r = runner.invoke(app, ["build", "norfolk-2007", "--root", str(REPO), "--out", str(out), *extra])
    return r.exit_code, r.output


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_both_formats_and_manifest(tmp_path: Path) -> None:
    code, output = _build(tmp_path)
    assert code == 0, output
    files = _snapshot(tmp_path / "norfolk-2007")
    assert sorted(files) == ["manifest.json", "report.html", "report.md"]
    manifest = json.loads(files["manifest.json"])
    assert manifest["force"] == "norfolk-2007"
    inputs = {i["path"]: i["sha256"] for i in manifest["inputs"]}
    assert "evidence/norfolk-2007/child-abuse.yaml" in inputs and "criteria/2007/framework.yaml" in inputs
    for path, sha in inputs.items():
        assert hashlib.sha256((REPO / path).read_bytes()).hexdigest() == sha
    outputs = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert outputs["report.md"] == hashlib.sha256(files["report.md"]).hexdigest()
    assert any(t["path"] == "report.html.j2" for t in manifest["templates"])


def test_only_requested_formats(tmp_path: Path) -> None:
    code, output = _build(tmp_path, "--format", "md")
    assert code == 0, output
    assert sorted(_snapshot(tmp_path / "norfolk-2007")) == ["manifest.json", "report.md"]


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    code, output = _build(tmp_path, "--format", "md,odt")
    assert code == 2
    assert "unknown format odt; expected a comma-separated list of: md, html, pdf, docx" in output
    assert not (tmp_path / "norfolk-2007").exists()


def test_a_build_that_stops_first_loads_no_renderer(tmp_path: Path) -> None:
    """A framework with errors stops the build before any force is built: Jinja, markdown-it and the view
    model are not loaded for it (a force that is built loads them, and workers inherit them)."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", project)
    framework = project / "criteria" / "2024" / "framework.yaml"
    framework.write_text(framework.read_text(encoding="utf-8") + "not_a_key: 1\n", encoding="utf-8")
    argv = ["build", "--root", str(project), "--out", str(tmp_path / "out")]
    code = (
        "import sys; from typer.testing import CliRunner; from hmic_compile.cli import app; "
        f"r = CliRunner().invoke(app, {argv!r}); assert r.exit_code == 1 and 'nothing was written' in r.output, r.output; "
        "print(sorted(m for m in ('jinja2', 'markdown_it', 'hmic_compile.report.view', 'hmic_compile.report.render') if m in sys.modules))"
    )
    env = {**os.environ, "HMIC_CACHE_DIR": "off"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _subprocess_build(out: Path, cwd: Path, env_extra: dict[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "TZ", "LC_ALL", "LANG")}
    env.update(env_extra)
    subprocess.run(
        [sys.executable, "-m", "hmic_compile", "build", "norfolk-2007", "--root", str(REPO), "--out", str(out)],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_byte_identical_whatever_the_environment(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    (tmp_path / "elsewhere").mkdir()
    _subprocess_build(a, REPO, {"PYTHONHASHSEED": "1", "TZ": "UTC", "LC_ALL": "C"})
    _subprocess_build(b, tmp_path / "elsewhere", {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Auckland", "LC_ALL": "C.UTF-8"})
    assert _snapshot(a) == _snapshot(b)


def test_failed_build_leaves_previous_output_and_no_temporary_files(tmp_path: Path) -> None:
    code, output = _build(tmp_path)
    assert code == 0, output
    before = _snapshot(tmp_path)
    broken = tmp_path / "templates-broken"
    broken.mkdir()
    (broken / "report.md.j2").write_text("line one\n{{ report.no_such_thing }}\n", encoding="utf-8")
    code, output = _build(tmp_path / "", "--templates", str(broken))
    assert code == 1
    assert "report.md.j2:2:1: error[E601]: template error:" in output
    assert "no_such_thing" in output
    assert "previous output left unchanged" in output
    assert "Traceback" not in output
    after = _snapshot(tmp_path)
    del after["templates-broken/report.md.j2"]
    assert after == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unwritable_output_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    code, output = _build(blocker)
    assert code == 1
    assert "error[E701]: cannot write the report" in output
    assert "Traceback" not in output


def test_user_template_overrides_one_block(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.html.j2").write_text(
        '{% extends "default/report.html.j2" %}{% block style %}{{ super() }} .house-style { color: red; }{% endblock %}\n',
        encoding="utf-8",
    )
    code, output = _build(tmp_path / "out", "--templates", str(mine), "--format", "html")
    assert code == 0, output
    html = (tmp_path / "out" / "norfolk-2007" / "report.html").read_text(encoding="utf-8")
    assert ".house-style { color: red; }" in html
    assert "Protecting Vulnerable People – Child Abuse" in html


def test_user_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md.j2").write_text("{{ cycler.__init__.__globals__.os.getcwd() }}\n", encoding="utf-8")
    code, output = _build(tmp_path / "out", "--templates", str(mine), "--format", "md")
    assert code == 1
    assert "error[E601]" in output and "unsafe" in output
    assert not (tmp_path / "out" / "norfolk-2007").exists()


@pytest.mark.parametrize("name", ["report.md", "report.html"])
def test_no_outside_requests_in_html(tmp_path: Path, name: str) -> None:
    code, output = _build(tmp_path)
    assert code == 0, output
    text = (tmp_path / "norfolk-2007" / name).read_text(encoding="utf-8")
    for needle in ("<script", "<link", "@import", "<img", "<iframe"):
        assert needle not in text
    # url(#...) names a pattern of the page's own SVG: only such in-page references are allowed
    assert re.findall(r"url\((?!#[a-z0-9-]+\))[^)]*\)", text) == []


def test_template_cache_keeps_sandboxed_and_trusted_code_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMIC_CACHE_DIR", str(tmp_path / "cache"))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md.j2").write_text('{% extends "default/report.md.j2" %}\n', encoding="utf-8")
    for extra in ([], ["--templates", str(mine)], []):  # trusted, sandboxed, trusted again, one cache
        code, output = _build(tmp_path / "out", "--format", "md", *extra)
        assert code == 0, output
    assert sorted(p.name for p in (tmp_path / "cache" / f"templates-{__version__}").iterdir()) == ["sandboxed", "trusted"]
    (mine / "report.md.j2").write_text("{{ cycler.__init__.__globals__ }}\n", encoding="utf-8")
    code, output = _build(tmp_path / "out2", "--format", "md", "--templates", str(mine))
    assert code == 1 and "unsafe" in output


def _mini_project(tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "mini"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", root)
    return root


def test_a_force_with_no_glossary_terms_builds_without_a_glossary(tmp_path: Path) -> None:
    root = _mini_project(tmp_path)
    (root / "evidence/testshire-2024/glossary.yaml").write_text("terms: []\nunexpanded: [PEEL, MASH]\n", encoding="utf-8")
    r = runner.invoke(app, ["build", "--root", str(root), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "warning[W341]" in r.output
    md = (tmp_path / "out/testshire-2024/report.md").read_text(encoding="utf-8")
    html = (tmp_path / "out/testshire-2024/report.html").read_text(encoding="utf-8")
    assert "## Glossary" not in md and "(#glossary)" not in md
    assert 'id="glossary"' not in html and 'href="#glossary"' not in html


def test_a_framework_without_national_results_builds_and_says_so(tmp_path: Path) -> None:
    root = _mini_project(tmp_path)
    (root / "criteria/2024/national-results.yaml").unlink()
    r = runner.invoke(app, ["build", "--root", str(root), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    md = (tmp_path / "out/testshire-2024/report.md").read_text(encoding="utf-8")
    assert "No national comparison is published for this inspection." in md
    assert md.count("*No national comparison is published for this area.*") == 2
    assert "National grade distribution" not in md and "Source:" not in md
