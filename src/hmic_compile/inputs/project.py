"""Load stage: find the project's files, parse them strictly and check each against its schema.

A file that fails its schema keeps its valid parts (salvage.py), so the checks of every other file
still run; only a file that cannot be parsed at all gives nothing, and the bundles say which files
had errors (`broken`). Open editors' unsaved text can stand in for files on disk (`overrides`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from msgspec import Struct, field
from pydantic import BaseModel, ValidationError

from ..diagnostics import Diagnostics, HmicError, Loc, one_of
from . import models as m
from .files import inside
from .folders import Overrides, escapes, missing_folders, plain_name, readable, subfolders, unread_yml, yaml_files
from .loader import Document, Path_, load, parse, relpath
from .salvage import as_written, salvage, strings_at
from .schema_errors import diagnostics_for

if TYPE_CHECKING:
    from .cache import ParseCache

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class FrameworkBundle(Struct):
    """One year's framework: criteria/<key>/.

    A file with schema errors keeps its valid parts and is listed in `broken`; an area whose criteria
    file could not be read at all is missing from `areas`."""

    key: str
    framework: m.Framework
    introduction_file: m.Introduction | None
    areas: dict[str, m.AreaCriteria]
    national: m.NationalResults | None
    docs: dict[str, Document] = field(default_factory=dict)  # by role: framework, introduction, national, area:<id>
    broken: dict[str, Document | None] = field(default_factory=dict)  # role -> the file as read (None: unreadable)
    _kept: dict[str, Any] = field(default_factory=dict)

    def area(self, area_id: str) -> m.AreaDef:
        return next(a for a in self.framework.areas if a.id == area_id)

    @property
    def introduction(self) -> m.Introduction:
        """introduction.yaml; only a framework without errors is rendered."""
        if self.introduction_file is None:
            raise LookupError(f"criteria/{self.key}/introduction.yaml did not load")
        return self.introduction_file

    def as_read(self, role: str, *pattern: str) -> set[str]:
        """Text at `pattern` in a broken file as read, entries in error included (empty for a sound file):
        what the checks of other files must not call unknown."""
        return strings_at(self.broken.get(role), pattern)

    def once(self, key: str, make: Callable[[], T]) -> T:
        """A value a later stage derives from this framework (its national picture), made on first use and kept."""
        if key not in self._kept:
            self._kept[key] = make()
        value: T = self._kept[key]
        return value


class ForceBundle(Struct):
    """One force's evidence for one year: evidence/<key>/.

    Whole when `broken` is empty. Otherwise what could be read, for the checks: a file with schema
    errors keeps its valid parts, an area file that could not be read is missing from `areas`, and a
    force.yaml or glossary.yaml that gave nothing is None."""

    key: str
    framework_key: str  # criteria/<framework_key>/
    force_file: m.Force | None
    areas: dict[str, m.AreaEvidence]
    glossary_file: m.Glossary | None
    docs: dict[str, Document] = field(default_factory=dict)  # force, glossary, area:<id>
    broken: dict[str, Document | None] = field(default_factory=dict)  # role -> the file as read (None: unreadable)

    @property
    def complete(self) -> bool:
        return not self.broken

    @property
    def force(self) -> m.Force:
        """force.yaml; reports and diffs are made only of a force that loaded whole."""
        if self.force_file is None:
            raise LookupError(f"evidence/{self.key}/force.yaml did not load")
        return self.force_file

    @property
    def glossary(self) -> m.Glossary:
        """glossary.yaml; reports are made only of a force that loaded whole."""
        if self.glossary_file is None:
            raise LookupError(f"evidence/{self.key}/glossary.yaml did not load")
        return self.glossary_file

    def as_read(self, role: str, *pattern: str) -> set[str]:
        """As FrameworkBundle.as_read."""
        return strings_at(self.broken.get(role), pattern)

    def lost(self, role: str, path: Path_) -> bool:
        """Whether what is at `path` lost parts in error: the file as read holds something else there."""
        written = self.broken.get(role)
        if written is None or role not in self.docs:
            return False
        return as_written(self.docs[role], written, path) != _node(self.docs[role].data, path)


def _node(data: object, path: Path_) -> object:
    for el in path:
        data = data[el] if isinstance(data, dict) and el in data or isinstance(data, list) and isinstance(el, int) else None  # type: ignore[index]
    return data


class Project(Struct):
    root: Path
    frameworks: dict[str, FrameworkBundle]
    forces: dict[str, ForceBundle]

    def framework_for(self, force: ForceBundle) -> FrameworkBundle:
        return self.frameworks[force.framework_key]

    def documents(self) -> list[Document]:
        out = [d for f in self.frameworks.values() for d in f.docs.values()]
        out += [d for f in self.forces.values() for d in f.docs.values()]
        return out


class _Reader(Struct):
    """Reads one folder's files into models, keeping their documents and noting the files with errors."""

    root: Path
    diags: Diagnostics
    cache: ParseCache | None
    overrides: Overrides | None
    docs: dict[str, Document] = field(default_factory=dict)
    broken: dict[str, Document | None] = field(default_factory=dict)

    def read(self, role: str, path: Path, model: type[M], required: str = "") -> M | None:
        """The file's model (its valid parts when it fails its schema), or None when nothing could be kept.
        A missing file is an error when `required` says what it holds, and nothing otherwise."""
        if not self.exists(path):
            if required:
                rel = relpath(path, self.root)
                self.diags.error(Loc(rel), "E201", f"missing required file: {required}", f"create {rel}")
                self.broken[role] = None
            return None
        try:
            doc = _load(path, self.root, self.overrides, self.cache)
        except HmicError as e:
            self.diags.extend(e.diagnostics)
            self.broken[role] = None
            return None
        self.docs[role] = doc
        if not isinstance(doc.data, dict):
            kind = "a list" if isinstance(doc.data, list) else "a single value"
            self.diags.error(
                doc.loc(()),
                "E101",
                f"the file holds {kind}, expected a mapping of keys to values",
                "start the file with 'key: value' lines; see docs/format.md",
            )
            self.broken[role] = doc
            return None
        try:
            return model.model_validate(doc.data)
        except ValidationError as e:
            self.diags.extend(diagnostics_for(e, doc, model))
            self.broken[role] = doc
            kept = salvage(model, doc, e)
            if kept is None:
                return None
            self.docs[role] = kept[1]
            return kept[0]

    def exists(self, path: Path) -> bool:
        return path.exists() or path.is_symlink() or _overridden(path, self.overrides) is not None


def _overridden(path: Path, overrides: Overrides | None) -> str | None:
    if not overrides:
        return None
    try:
        return overrides.get(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop: not an open document
        return None


def _load(path: Path, root: Path, overrides: Overrides | None, cache: ParseCache | None) -> Document:
    text = _overridden(path, overrides)
    if text is None or not inside(path, root):  # an editor's text for a link leading out is refused as the file is (E013)
        return load(path, root, cache)
    return parse(text.removeprefix("\ufeff"), relpath(path, root))


def load_framework(
    folder: Path, root: Path, diags: Diagnostics, cache: ParseCache | None = None, overrides: Overrides | None = None
) -> FrameworkBundle | None:
    """criteria/<key>/, or None when framework.yaml gives nothing (everything else rests on it) or the
    folder is not read (E205, E212)."""
    key = folder.name
    if not readable(folder, root, diags):
        return None
    r = _Reader(root, diags, cache, overrides)
    fw = r.read("framework", folder / "framework.yaml", m.Framework, "the framework (grade scale, areas, grading rules)")
    intro = r.read("introduction", folder / "introduction.yaml", m.Introduction, "the standard introduction")
    national = r.read("national", folder / "national-results.yaml", m.NationalResults)
    areas: dict[str, m.AreaCriteria] = {}
    area_dir = folder / "areas"
    # areas/ leading out of the project is never listed or read: each area's criteria are as if unreadable
    refused = (area_dir.is_dir() or area_dir.is_symlink()) and escapes(area_dir, root, diags)
    for a in fw.areas if fw else []:
        if refused:
            r.broken[f"area:{a.id}"] = None
            continue
        ac = r.read(f"area:{a.id}", area_dir / f"{a.id}.yaml", m.AreaCriteria, f"national context and criteria for area '{a.id}'")
        if ac:
            areas[a.id] = ac
    known = sorted({a.id for a in fw.areas} | strings_at(r.broken.get("framework"), ("areas", "*", "id"))) if fw else []
    if area_dir.is_dir() and fw and not refused:
        for p in yaml_files(area_dir, overrides):
            if p.stem in known and p.suffix == ".yml":
                unread_yml(p, root, diags)
            elif p.stem not in known:
                diags.error(
                    Loc(relpath(p, root)),
                    "E202",
                    f"'{p.stem}' is not an area of the {key} framework",
                    "rename the file to one of: " + one_of(p.stem, known),
                )
    for p in yaml_files(folder, overrides):
        if p.name not in ("framework.yaml", "introduction.yaml", "national-results.yaml"):
            diags.error(
                Loc(relpath(p, root)),
                "E202",
                f"unexpected file '{p.name}' in a framework folder",
                "expected framework.yaml, introduction.yaml, national-results.yaml and areas/<area>.yaml",
            )
    if fw is None:
        return None
    return FrameworkBundle(key, fw, intro, areas, national, r.docs, r.broken)


def load_force(
    folder: Path,
    root: Path,
    frameworks: dict[str, FrameworkBundle],
    diags: Diagnostics,
    cache: ParseCache | None = None,
    overrides: Overrides | None = None,
) -> ForceBundle | None:
    """evidence/<key>/: whatever of it can be read, or None when its framework is not known (then each
    file is still checked against its schema) or the folder is not read (E205, E212)."""
    key = folder.name
    if not readable(folder, root, diags):
        return None
    r = _Reader(root, diags, cache, overrides)
    force = r.read("force", folder / "force.yaml", m.Force, "the force's title page and overview")
    glossary = r.read("glossary", folder / "glossary.yaml", m.Glossary, "the glossary of terms and abbreviations")
    named = force.framework if force else next(iter(strings_at(r.broken.get("force"), ("framework",))), None)
    guess = key.rsplit("-", 1)[-1] if named is None and "force" not in r.docs else None  # force.yaml unreadable: the folder's year
    fb = frameworks.get(named or guess or "") if named is None or plain_name(named) else None
    if fb is None:
        _schema_only(folder, key, named, frameworks, r)
        return None
    areas: dict[str, m.AreaEvidence] = {}
    for a in fb.framework.areas:
        ae = r.read(f"area:{a.id}", folder / f"{a.id}.yaml", m.AreaEvidence, f"evidence for area '{a.id}' ({a.title})")
        if ae:
            areas[a.id] = ae
    known = {a.id for a in fb.framework.areas} | {"force", "glossary"}
    for p in yaml_files(folder, overrides):
        if p.stem in known and p.suffix == ".yml":
            unread_yml(p, root, diags)
        elif p.stem not in known:
            diags.error(
                Loc(relpath(p, root)),
                "E202",
                f"'{p.stem}' is not an area of the {fb.key} framework",
                "rename the file to one of: " + one_of(p.stem, [a.id for a in fb.framework.areas]),
            )
    return ForceBundle(key, fb.key, force, areas, glossary, r.docs, r.broken)


def _schema_only(folder: Path, key: str, named: str | None, frameworks: dict[str, FrameworkBundle], r: _Reader) -> None:
    """A force whose framework is unknown: say why once, and check each of its files against its schema."""
    doc = r.docs.get("force")
    where = doc.loc(("framework",)) if doc else Loc(f"{relpath(folder, r.root)}/force.yaml", 1, 1)
    fw_file = r.root / "criteria" / (named or "") / "framework.yaml"
    if named and not plain_name(named):
        # Never a path: criteria/<that> might exist (so the force would be checked as if its framework had
        # errors), or lie outside the project.
        plain = named.replace("\\", "/").strip("/").rsplit("/", 1)[-1]
        r.diags.error(
            where,
            "E210",
            f"framework '{named}' is a path, not the name of a folder under criteria/",
            f'write the folder\'s name alone: framework: "{plain}"' if plain_name(plain) else "write the name of a folder under criteria/",
        )
    elif named and (fw_file.exists() or _overridden(fw_file, r.overrides) is not None):
        r.diags.warning(
            where,
            "W800",
            f"evidence/{key} is checked against the schema only: criteria/{named}/framework.yaml has errors",
            "fix them, and every check of this force runs",
        )
    elif named:
        r.diags.error(
            where, "E203", f"framework '{named}' not found under criteria/", "available: " + (one_of(named, sorted(frameworks)) or "none")
        )
    elif doc is None or "force" in r.broken:
        r.diags.warning(
            where,
            "W800",
            f"evidence/{key} is checked against the schema only: force.yaml does not say which framework it follows",
            "fix force.yaml, and every check of this force runs",
        )
    for p in yaml_files(folder, r.overrides):
        if p.stem in ("force", "glossary") and p.suffix == ".yml":
            unread_yml(p, r.root, r.diags)
        elif p.stem not in ("force", "glossary"):
            r.read(f"area:{p.stem}", p, m.AreaEvidence)


def load_frameworks(
    root: Path, diags: Diagnostics, cache: ParseCache | None = None, overrides: Overrides | None = None
) -> dict[str, FrameworkBundle]:
    """Every framework under criteria/, checking that the project's two top folders exist."""
    frameworks: dict[str, FrameworkBundle] = {}
    crit = root / "criteria"
    diags.extend(missing_folders(root))
    if crit.is_dir() and not escapes(crit, root, diags):
        for folder in subfolders(crit, root, diags):
            fb = load_framework(folder, root, diags, cache, overrides)
            if fb:
                frameworks[fb.key] = fb
    return frameworks


def force_folders(root: Path, only: list[str] | None, diags: Diagnostics) -> list[Path]:
    """The evidence folders to read: all of them, or those named (an unknown name is an error)."""
    ev = root / "evidence"
    if not ev.is_dir() or escapes(ev, root, diags):
        return []
    folders = subfolders(ev, root, diags, report=not only)
    names = [p.name for p in folders]
    for name in only or []:
        if name not in names:
            diags.error(
                Loc(f"evidence/{name}"), "E204", f"no evidence folder for force '{name}'", "available: " + (one_of(name, names) or "none")
            )
    return [f for f in folders if not only or f.name in only]


def load_project(
    root: Path, only: list[str] | None = None, cache: ParseCache | None = None, overrides: Overrides | None = None
) -> tuple[Project, Diagnostics]:
    """Read everything under `root` (with `overrides` read in place of the files they name); problems are collected, never raised."""
    diags = Diagnostics()
    frameworks = load_frameworks(root, diags, cache, overrides)
    forces: dict[str, ForceBundle] = {}
    for folder in force_folders(root, only, diags):
        fo = load_force(folder, root, frameworks, diags, cache, overrides)
        if fo:
            forces[fo.key] = fo
    return Project(root, frameworks, forces), diags
