"""The project's folders: which are read, and which are refused (links out, names not UTF-8), never skipped in silence."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..diagnostics import Diagnostic, Diagnostics, Loc
from .files import inside
from .loader import relpath

Overrides = Mapping[Path, str]  # a file's absolute, resolved path -> the text to read instead of the file's


def escapes(folder: Path, root: Path, diags: Diagnostics) -> bool:
    """Whether `folder` is a symbolic link (or lies under one) leading out of the project: reported (E205),
    and then never listed or read. A link that stays inside the project is followed."""
    if inside(folder, root):
        return False
    diags.error(
        Loc(relpath(folder, root) + "/"),
        "E205",
        "is a symbolic link leading outside the project; hmic reads only what is inside it",
        "replace the link with the folder itself, or with a link to a folder inside the project",
    )
    return True


def _is_folder(p: Path, root: Path) -> bool:
    """A folder to read, or a link leading out of the project that `escapes` reports (never followed to see what it is)."""
    return (p.is_symlink() and not inside(p, root)) or p.is_dir()


def yaml_files(folder: Path, overrides: Overrides | None = None) -> list[Path]:
    """The YAML files in `folder`, with those open in an editor and not saved yet (`overrides`)."""
    found = {p for p in folder.iterdir() if p.suffix in (".yaml", ".yml")}
    if overrides:
        here = folder.resolve()
        found |= {folder / p.name for p in overrides if p.parent == here and p.suffix in (".yaml", ".yml")}
    return sorted(found)


def unread_yml(p: Path, root: Path, diags: Diagnostics) -> None:
    """A file ending .yml where hmic reads <name>.yaml (E213)."""
    twin = p.with_suffix(".yaml")
    hint = f"merge it into {twin.name} and delete it" if twin.exists() else f"rename it to {twin.name}"
    diags.error(Loc(relpath(p, root)), "E213", f"'{p.name}' is not read: hmic reads {twin.name}", hint)


def subfolders(top: Path, root: Path, diags: Diagnostics, report: bool = True) -> list[Path]:
    """The folders directly under criteria/ or evidence/, each a framework or a force (or a link leading
    out of the project, which `escapes` reports); a YAML file beside them is reported (when `report`),
    never skipped in silence."""
    folders = []
    for p in sorted(top.iterdir()):
        if _is_folder(p, root):
            folders.append(p)
        elif report and p.suffix in (".yaml", ".yml"):
            what = "a framework is a folder criteria/<year>/" if top.name == "criteria" else "a force is a folder evidence/<force>-<year>/"
            diags.warning(Loc(relpath(p, root)), "W211", f"'{p.name}' is not read: {what}", "move it into the folder it belongs to")
    return folders


def utf8_name(folder: Path, root: Path, diags: Diagnostics) -> bool:
    """Whether the folder's name is valid UTF-8; if not, it is reported (E212) and its files are not read."""
    try:
        folder.name.encode("utf-8")
    except UnicodeEncodeError:  # Python keeps the bytes of a name that is not UTF-8 as lone surrogates
        what = "the folder's name is not valid UTF-8, so it is not read"
        diags.error(Loc(relpath(folder, root)), "E212", what, "rename it with UTF-8 characters only")
        return False
    return True


def readable(folder: Path, root: Path, diags: Diagnostics) -> bool:
    """Whether a framework's or a force's folder may be read: a UTF-8 name, inside the project (else reported)."""
    return utf8_name(folder, root, diags) and not escapes(folder, root, diags)


def plain_name(name: str) -> bool:
    """Whether `name` is a single folder name (no separators, not '.' or '..'), as `framework:` names one."""
    return name not in ("", ".", "..") and not any(c in name for c in "/\\\0")


def missing_folders(root: Path) -> list[Diagnostic]:
    """The project's two top folders, criteria/ and evidence/, when they are not there: `root` is no project."""
    out = []
    for top, what in (("criteria", "criteria/ (the inspection frameworks)"), ("evidence", "evidence/ (one folder per force and year)")):
        if not (root / top).is_dir():
            out.append(Diagnostic(Loc(top + "/"), "E201", f"missing folder {what}", hint=f"is --root {root} the project folder?"))
    return out
