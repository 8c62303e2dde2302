"""Whole-report golden files: the Markdown and HTML output, reviewed and committed (pytest --update-golden)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hmic_compile.checks.project import check_project
from hmic_compile.inputs.project import load_project
from hmic_compile.report.build import BuildOptions, build_force
from hmic_compile.report.render import make_environment

from .conftest import REPO

GOLDEN = Path(__file__).parent / "golden"
PROJECTS = {"testshire-2024": REPO / "tests" / "fixtures" / "mini", "norfolk-2007": REPO}


@pytest.mark.parametrize("force", sorted(PROJECTS))
def test_report_matches_golden(force: str, golden) -> None:
    root = PROJECTS[force]
    project, diags = load_project(root, [force])
    check_project(project, diags)
    assert not diags.errors, [d.text() for d in diags.errors]
    files = build_force(project, project.forces[force], make_environment(None, root), BuildOptions())
    for name in ("report.md", "report.html", "manifest.json"):
        golden.check(GOLDEN / force / name, files[name].decode("utf-8"))
