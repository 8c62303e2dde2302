"""`hmic new force`: a commented evidence folder for a new force, one file per area of its framework."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..diagnostics import CommandError, Diagnostics, HmicError
from ..inputs import models as m
from ..inputs.files import create_exclusive, inside
from ..inputs.loader import load
from ..inputs.project import FrameworkBundle, load_framework
from .scaffold_files import Previous, Scaffold, Sibling, scaffold
from .yaml_text import join


class ScaffoldError(CommandError):
    """Why nothing was written: a message, a hint, and whether it was a usage error (exit 2) or not (exit 1)."""


NAME_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$")
FRAMEWORK_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # a framework's folder under criteria/: '2007', 'peel-2016'


def _siblings(root: Path, key: str) -> list[Sibling]:
    out: list[Sibling] = []
    ev = root / "evidence"
    if not ev.is_dir():
        return out
    for folder in sorted(p for p in ev.iterdir() if p.is_dir() and p.name != key):
        force = _model(folder / "force.yaml", root, m.Force)
        glossary = _model(folder / "glossary.yaml", root, m.Glossary)
        meanings = {t.term: t.meaning for t in glossary.terms} if glossary else {}
        unexpanded = frozenset(glossary.unexpanded) if glossary else frozenset()
        if force or meanings:
            out.append(Sibling(folder.name, force, meanings, unexpanded))
    return out


def _model(path: Path, root: Path, model: type[Any]) -> Any:
    """The file parsed and checked, or None when it is missing or broken (`hmic validate` says why)."""
    if not path.is_file():
        return None
    try:
        return model.model_validate(load(path, root).data)
    except (HmicError, ValidationError):
        return None


def _previous(root: Path, slug: str, year: int, fb: FrameworkBundle) -> Previous | None:
    ev = root / "evidence"
    if not ev.is_dir():
        return None
    scale = {g.name for g in fb.framework.grades}
    earlier = []
    for folder in ev.iterdir():
        head, _, tail = folder.name.rpartition("-")
        if folder.is_dir() and head == slug and tail.isdigit() and int(tail) < year:
            earlier.append((int(tail), folder))
    for y, folder in sorted(earlier, reverse=True):
        grades = {}
        for ad in fb.framework.areas:
            ev_model = _model(folder / f"{ad.id}.yaml", root, m.AreaEvidence)
            if ad.graded and ev_model and ev_model.grade in scale:
                grades[ad.id] = ev_model.grade
        if grades:
            return Previous(folder.name, y, grades)
    return None


def frameworks_under(root: Path) -> list[str]:
    """The framework folders under criteria/ (those holding a framework.yaml), by name."""
    crit = root / "criteria"
    return sorted(p.name for p in crit.iterdir() if (p / "framework.yaml").is_file()) if crit.is_dir() else []


def _available(root: Path) -> str:
    return "available: " + (join(frameworks_under(root)) or f"none (is --root {root} the project folder?)")


def choose_framework(root: Path, framework: str | None, year: int | None) -> str:
    """The framework folder a command means: named with --framework, or the one framework of --year."""
    if framework is not None and year is not None:
        raise ScaffoldError("give --framework or --year, not both", "--year YEAR is short for the one framework of that year", usage=True)
    if framework is not None:
        if not FRAMEWORK_RE.match(framework) or not (root / "criteria" / framework / "framework.yaml").is_file():
            raise ScaffoldError(f"no framework '{framework}': criteria/{framework}/framework.yaml does not exist", _available(root))
        return framework
    if year is None:
        raise ScaffoldError("give --framework NAME, the framework's folder under criteria/", _available(root), usage=True)
    matches = []
    for key in frameworks_under(root):
        fw = _model(root / "criteria" / key / "framework.yaml", root, m.Framework)
        if key == str(year) or (fw is not None and fw.year == year):
            matches.append(key)
    if not matches:
        raise ScaffoldError(
            f"no framework for {year}: no folder under criteria/ is named {year} or holds a framework of {year}", _available(root)
        )
    if len(matches) > 1:
        raise ScaffoldError(
            f"--year {year} is ambiguous: the frameworks {join(matches)} are all of {year}",
            f"name one with --framework, e.g. --framework {matches[0]}",
            usage=True,
        )
    return matches[0]


def plan(root: Path, name: str, framework: str | None = None, year: int | None = None) -> Scaffold:
    """The scaffold for evidence/<name>-<year>/; raises ScaffoldError when it cannot or must not be written."""
    if not NAME_RE.match(name):
        raise ScaffoldError(
            f"'{name}' is not a force name hmic can use as a folder",
            "use lower-case letters, digits and hyphens, e.g. west-midlands",
            usage=True,
        )
    if re.search(r"-\d{4}$", name):
        raise ScaffoldError(
            f"'{name}' already ends with a year",
            f"give the name alone: hmic new force {name.rsplit('-', 1)[0]} --framework FRAMEWORK",
            usage=True,
        )
    key_fw = choose_framework(root, framework, year)
    fw_folder = root / "criteria" / key_fw
    diags = Diagnostics()
    fb = load_framework(fw_folder, root, diags)
    if fb is None or diags.errors:
        raise ScaffoldError(f"the {key_fw} framework has problems; fix them first (hmic validate)", diagnostics=diags.sorted())
    fyear = fb.framework.year
    key = f"{name}-{fyear}"
    folder = root / "evidence" / key
    if folder.exists() or folder.is_symlink():
        raise ScaffoldError(f"evidence/{key} already exists; nothing was written", "choose another name, or remove the folder first")
    schemas = root / "schemas"
    display = " ".join(w.capitalize() for w in name.split("-"))
    return scaffold(
        fb, key, display, fyear, _siblings(root, key), _previous(root, name, fyear, fb), schemas if schemas.is_dir() else None, folder
    )


def write(root: Path, sc: Scaffold) -> Path:
    """Write the folder whole or not at all; refuses to touch one that appeared meanwhile.

    The files go into a fresh folder created exclusively in evidence/ (an unpredictable name), each file
    created exclusively, and the folder is then renamed into place: nothing is written through a
    symbolic link, and an interrupted run leaves nothing behind. An evidence/ that leads out of the
    project through a symbolic link is refused."""
    evidence = root / "evidence"
    folder = evidence / sc.key
    if (evidence.exists() or evidence.is_symlink()) and not inside(evidence, root):
        raise ScaffoldError(
            "evidence/ is a symbolic link leading outside the project; nothing was written",
            "replace the link with the folder itself",
            usage=True,
        )
    stage: Path | None = None
    try:
        evidence.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{sc.key}.", suffix=".tmp", dir=evidence))
        for fname, text in sc.files.items():
            create_exclusive(stage / fname, text.encode("utf-8"))
        os.chmod(stage, 0o755)
        if folder.exists() or folder.is_symlink():
            raise ScaffoldError(f"evidence/{sc.key} already exists; nothing was written")
        os.rename(stage, folder)
        stage = None
    except OSError as e:
        raise ScaffoldError(f"cannot create evidence/{sc.key}: {e.strerror or e}") from None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    return folder
