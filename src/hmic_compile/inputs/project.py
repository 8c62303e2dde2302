"""Load stage: find the project's files, parse them strictly and check each against its schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..diagnostics import Diagnostics, HmicError, Loc
from . import models as m
from .loader import Document, load, relpath
from .schema_errors import diagnostics_for

if TYPE_CHECKING:
    from .cache import ParseCache

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass
class FrameworkBundle:
    """One year's framework: criteria/<key>/."""

    key: str
    framework: m.Framework
    introduction: m.Introduction
    areas: dict[str, m.AreaCriteria]
    national: m.NationalResults | None
    docs: dict[str, Document] = field(default_factory=dict)  # by role: framework, introduction, national, area:<id>
    _kept: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def area(self, area_id: str) -> m.AreaDef:
        return next(a for a in self.framework.areas if a.id == area_id)

    def once(self, key: str, make: Callable[[], T]) -> T:
        """A value a later stage derives from this framework (its national picture), made on first use and kept."""
        if key not in self._kept:
            self._kept[key] = make()
        value: T = self._kept[key]
        return value


@dataclass
class ForceBundle:
    """One force's evidence for one year: evidence/<key>/."""

    key: str
    force: m.Force
    areas: dict[str, m.AreaEvidence]
    glossary: m.Glossary
    docs: dict[str, Document] = field(default_factory=dict)  # force, glossary, area:<id>


@dataclass
class Project:
    root: Path
    frameworks: dict[str, FrameworkBundle]
    forces: dict[str, ForceBundle]

    def framework_for(self, force: ForceBundle) -> FrameworkBundle:
        return self.frameworks[force.force.framework]

    def documents(self) -> list[Document]:
        out = [d for f in self.frameworks.values() for d in f.docs.values()]
        out += [d for f in self.forces.values() for d in f.docs.values()]
        return out


def _read(path: Path, root: Path, model: type[M], diags: Diagnostics, cache: ParseCache | None) -> tuple[M | None, Document | None]:
    try:
        doc = load(path, root, cache)
    except HmicError as e:
        diags.extend(e.diagnostics)
        return None, None
    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else "a single value"
        diags.error(
            doc.loc(()),
            "E101",
            f"the file holds {kind}, expected a mapping of keys to values",
            "start the file with 'key: value' lines; see docs/format.md",
        )
        return None, doc
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as e:
        diags.extend(diagnostics_for(e, doc, model))
        return None, doc


def _required(path: Path, root: Path, what: str, diags: Diagnostics) -> bool:
    if path.exists() or path.is_symlink():
        return True
    diags.error(Loc(relpath(path, root)), "E201", f"missing required file: {what}", f"create {relpath(path, root)}")
    return False


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def load_framework(folder: Path, root: Path, diags: Diagnostics, cache: ParseCache | None = None) -> FrameworkBundle | None:
    key = folder.name
    docs: dict[str, Document] = {}
    fw = intro = None
    if _required(folder / "framework.yaml", root, "the framework (grade scale, areas, grading rules)", diags):
        fw, d = _read(folder / "framework.yaml", root, m.Framework, diags, cache)
        if d:
            docs["framework"] = d
    if _required(folder / "introduction.yaml", root, "the standard introduction", diags):
        intro, d = _read(folder / "introduction.yaml", root, m.Introduction, diags, cache)
        if d:
            docs["introduction"] = d
    national = None
    if (folder / "national-results.yaml").exists():
        national, d = _read(folder / "national-results.yaml", root, m.NationalResults, diags, cache)
        if d:
            docs["national"] = d
    areas: dict[str, m.AreaCriteria] = {}
    area_dir = folder / "areas"
    known = {a.id for a in fw.areas} if fw else set()
    if fw:
        for a in fw.areas:
            p = area_dir / f"{a.id}.yaml"
            if _required(p, root, f"national context and criteria for area '{a.id}'", diags):
                ac, d = _read(p, root, m.AreaCriteria, diags, cache)
                if d:
                    docs[f"area:{a.id}"] = d
                if ac:
                    areas[a.id] = ac
    if area_dir.is_dir():
        for p in _yaml_files(area_dir):
            if fw and p.stem not in known:
                diags.error(
                    Loc(relpath(p, root)),
                    "E202",
                    f"'{p.stem}' is not an area of the {key} framework",
                    "rename the file to one of: " + ", ".join(sorted(known)),
                )
    for p in _yaml_files(folder):
        if p.name not in ("framework.yaml", "introduction.yaml", "national-results.yaml"):
            diags.error(
                Loc(relpath(p, root)),
                "E202",
                f"unexpected file '{p.name}' in a framework folder",
                "expected framework.yaml, introduction.yaml, national-results.yaml and areas/<area>.yaml",
            )
    if fw is None or intro is None:
        return None
    return FrameworkBundle(key, fw, intro, areas, national, docs)


def load_force(
    folder: Path, root: Path, frameworks: dict[str, FrameworkBundle], diags: Diagnostics, cache: ParseCache | None = None
) -> ForceBundle | None:
    key = folder.name
    docs: dict[str, Document] = {}
    force = glossary = None
    if _required(folder / "force.yaml", root, "the force's title page and overview", diags):
        force, d = _read(folder / "force.yaml", root, m.Force, diags, cache)
        if d:
            docs["force"] = d
    if _required(folder / "glossary.yaml", root, "the glossary of terms and abbreviations", diags):
        glossary, d = _read(folder / "glossary.yaml", root, m.Glossary, diags, cache)
        if d:
            docs["glossary"] = d
    if force is None:
        return None
    fb = frameworks.get(force.framework)
    if fb is None and (root / "criteria" / force.framework / "framework.yaml").exists():
        return None  # the framework is there but has errors, already reported: nothing more to say here
    if fb is None:
        where = docs["force"].loc(("framework",))
        have = ", ".join(sorted(frameworks)) or "none"
        diags.error(where, "E203", f"framework '{force.framework}' not found under criteria/", f"available: {have}")
        return None
    areas: dict[str, m.AreaEvidence] = {}
    for a in fb.framework.areas:
        p = folder / f"{a.id}.yaml"
        if _required(p, root, f"evidence for area '{a.id}' ({a.title})", diags):
            ae, d = _read(p, root, m.AreaEvidence, diags, cache)
            if d:
                docs[f"area:{a.id}"] = d
            if ae:
                areas[a.id] = ae
    known = {a.id for a in fb.framework.areas} | {"force", "glossary"}
    for p in _yaml_files(folder):
        if p.stem not in known:
            diags.error(
                Loc(relpath(p, root)),
                "E202",
                f"'{p.stem}' is not an area of the {fb.key} framework",
                "rename the file to one of: " + ", ".join(a.id for a in fb.framework.areas),
            )
    if glossary is None or len(areas) != len(fb.framework.areas):
        return None
    return ForceBundle(key, force, areas, glossary, docs)


def load_frameworks(root: Path, diags: Diagnostics, cache: ParseCache | None = None) -> dict[str, FrameworkBundle]:
    """Every framework under criteria/, checking that the project's two top folders exist."""
    frameworks: dict[str, FrameworkBundle] = {}
    crit = root / "criteria"
    for top, what in ((crit, "criteria/ (the inspection frameworks)"), (root / "evidence", "evidence/ (one folder per force and year)")):
        if not top.is_dir():
            diags.error(Loc(top.name + "/"), "E201", f"missing folder {what}", f"is --root {root} the project folder?")
    if crit.is_dir():
        for folder in sorted(p for p in crit.iterdir() if p.is_dir()):
            fb = load_framework(folder, root, diags, cache)
            if fb:
                frameworks[fb.key] = fb
    return frameworks


def force_folders(root: Path, only: list[str] | None, diags: Diagnostics) -> list[Path]:
    """The evidence folders to read: all of them, or those named (an unknown name is an error)."""
    ev = root / "evidence"
    if not ev.is_dir():
        return []
    folders = sorted(p for p in ev.iterdir() if p.is_dir())
    names = [p.name for p in folders]
    for name in only or []:
        if name not in names:
            diags.error(
                Loc(f"evidence/{name}"), "E204", f"no evidence folder for force '{name}'", "available: " + (", ".join(names) or "none")
            )
    return [f for f in folders if not only or f.name in only]


def load_project(root: Path, only: list[str] | None = None, cache: ParseCache | None = None) -> tuple[Project, Diagnostics]:
    """Read everything under `root`; problems are collected, never raised."""
    diags = Diagnostics()
    frameworks = load_frameworks(root, diags, cache)
    forces: dict[str, ForceBundle] = {}
    for folder in force_folders(root, only, diags):
        fo = load_force(folder, root, frameworks, diags, cache)
        if fo:
            forces[fo.key] = fo
    return Project(root, frameworks, forces), diags
