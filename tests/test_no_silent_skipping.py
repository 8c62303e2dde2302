"""No silent skipping (docs/security.md): a force is checked and built, or hmic says why not; validate and build
say how many forces they checked and built.

The attack that started it: `framework: "2007/"` made the force vanish from validate ("ok: 1 framework,
0 forces", exit 0) and build ("built ... ()", nothing written, exit 0), because criteria/2007//framework.yaml
exists, so the force looked like one whose framework had errors already reported.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app

from .test_build_all import NAMES, national  # noqa: F401 - the five-force project, a fixture

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
FORCE = "evidence/testshire-2024"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def _mini(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return root


def _framework(root: Path, value: str) -> None:
    force = root / FORCE / "force.yaml"
    force.write_text(force.read_text(encoding="utf-8").replace('framework: "2024"', f"framework: {value}"), encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ('"2024/"', 'write the folder\'s name alone: framework: "2024"'),
        ('"./2024"', 'write the folder\'s name alone: framework: "2024"'),
        ('"2024//"', 'write the folder\'s name alone: framework: "2024"'),
        ('"../criteria/2024"', 'write the folder\'s name alone: framework: "2024"'),
        ('"../../../../etc"', 'write the folder\'s name alone: framework: "etc"'),
        ("/etc/ssl", 'write the folder\'s name alone: framework: "ssl"'),
        ('"2024\\\\"', 'write the folder\'s name alone: framework: "2024"'),
        ('"."', "write the name of a folder under criteria/"),
        ('".."', "write the name of a folder under criteria/"),
    ],
)
def test_a_path_for_framework_is_an_error_in_validate_and_build(tmp_path: Path, value: str, hint: str) -> None:
    root = _mini(tmp_path)
    _framework(root, value)
    shown = value.strip('"').replace("\\\\", "\\")
    code, output = _run("validate", "--root", str(root))
    assert code == 1
    assert output == (
        f"{FORCE}/force.yaml:5:12: error[E210]: framework '{shown}' is a path, not the name of a folder under criteria/; {hint}\n"
        "1 error, 0 warnings\nnot ok: checked 1 framework and 1 force; 1 force with errors: testshire-2024\n"
    )
    code, output = _run("build", "--root", str(root), "--out", str(tmp_path / "out"))
    assert code == 1
    assert output.endswith("testshire-2024: not built; previous output left unchanged\nbuilt 0 of 1 force; not built: testshire-2024\n")
    assert not (tmp_path / "out" / "testshire-2024").exists()


def test_a_framework_that_does_not_exist_is_still_named(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    _framework(root, '"2023"')
    code, output = _run("validate", "--root", str(root))
    assert code == 1
    assert "error[E203]: framework '2023' not found under criteria/; available: 2024" in output


def test_validate_says_what_it_checked_when_clean_and_when_not(national: Path) -> None:  # noqa: F811
    code, output = _run("validate", "--root", str(national))
    assert (code, output.splitlines()[-1]) == (0, "ok: 1 framework, 5 forces")
    area = national / "evidence" / "charlie-2024" / "public-contact.yaml"
    area.write_text(area.read_text(encoding="utf-8").replace("grade: Good", "grade: Superb"), encoding="utf-8")
    (national / "evidence" / "echo-2024" / "glossary.yaml").unlink()
    code, output = _run("validate", "--root", str(national))
    assert code == 1
    assert output.splitlines()[-1] == "not ok: checked 1 framework and 5 forces; 2 forces with errors: charlie-2024, echo-2024"


def test_validate_says_which_forces_its_broken_framework_left_unchecked(national: Path) -> None:  # noqa: F811
    fw = national / "criteria" / "2024" / "framework.yaml"
    fw.write_text(fw.read_text(encoding="utf-8") + "oops: [\n", encoding="utf-8")
    code, output = _run("validate", "--root", str(national))
    assert code == 1
    forces = ", ".join(f"{n}-2024" for n in NAMES)
    assert output.splitlines()[-1] == (
        f"not ok: checked 1 framework and 5 forces; 1 framework with errors: 2024; "
        f"5 forces not checked in full, as their framework has errors: {forces}"
    )


def test_validate_strict_names_the_forces_with_warnings(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    uncited = Path(__file__).resolve().parent / "broken" / "uncited-afi-strict" / FORCE / "public-contact.yaml"  # a warning, W407
    shutil.copy(uncited, root / FORCE / "public-contact.yaml")
    code, output = _run("validate", "--root", str(root))
    assert (code, output.splitlines()[-1]) == (0, "ok: 1 framework, 1 force")
    code, output = _run("validate", "--root", str(root), "--strict")
    assert code == 1
    assert output.splitlines()[-1] == "not ok: checked 1 framework and 1 force; 1 force with errors or warnings: testshire-2024"


def test_yaml_files_beside_the_forces_are_named_not_skipped(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    (root / "evidence" / "suffolk-2024.yaml").write_text("name: Suffolk\n", encoding="utf-8")
    (root / "criteria" / "2025.yml").write_text("year: 2025\n", encoding="utf-8")
    (root / "evidence" / "notes.txt").write_text("not YAML: not reported\n", encoding="utf-8")
    code, output = _run("validate", "--root", str(root))
    assert code == 0
    assert output.splitlines()[:2] == [
        "criteria/2025.yml: warning[W211]: '2025.yml' is not read: a framework is a folder criteria/<year>/; "
        "move it into the folder it belongs to",
        "evidence/suffolk-2024.yaml: warning[W211]: 'suffolk-2024.yaml' is not read: a force is a folder evidence/<force>-<year>/; "
        "move it into the folder it belongs to",
    ]
    code, output = _run("validate", "testshire-2024", "--root", str(root))  # only the force named: nothing said of the rest of evidence/
    assert "evidence/suffolk-2024.yaml" not in output and "criteria/2025.yml" in output


def test_an_area_file_ending_yml_beside_its_yaml_is_named(tmp_path: Path) -> None:
    root = _mini(tmp_path)
    shutil.copy(root / FORCE / "public-contact.yaml", root / FORCE / "public-contact.yml")
    code, output = _run("validate", "--root", str(root))
    assert code == 1
    assert (
        f"{FORCE}/public-contact.yml: error[E213]: 'public-contact.yml' is not read: hmic reads public-contact.yaml; "
        "merge it into public-contact.yaml and delete it" in output
    )


def test_build_says_how_many_it_built(national: Path, tmp_path: Path) -> None:  # noqa: F811
    code, output = _run("build", "--root", str(national), "--out", str(tmp_path / "out"), "bravo-2024", "delta-2024")
    assert (code, output.splitlines()[-1]) == (0, "built 2 of 2 forces")
    _framework_of = national / "evidence" / "delta-2024" / "force.yaml"
    _framework_of.write_text(_framework_of.read_text(encoding="utf-8").replace('framework: "2024"', 'framework: "2024/"'), encoding="utf-8")
    code, output = _run("build", "--root", str(national), "--out", str(tmp_path / "out"))
    assert code == 1
    assert output.splitlines()[-1] == "built 4 of 5 forces (1 unchanged); not built: delta-2024"  # bravo, built above
