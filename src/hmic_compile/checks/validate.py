"""`hmic validate`'s work: the frameworks checked once, then every force on its own, over the cores.

A result is remembered in the cache under the digest of everything it depends on (inputs/snapshot.py:
every file under criteria/ and evidence/, byte for byte, hmic itself, the forces named), and a run that
finds the same digest prints it again without loading a model: the same files give the same problems. Any
change to any file, or to hmic, checks everything again in full.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from ..diagnostics import Diagnostic, from_plain_diagnostics, plain_diagnostics

if TYPE_CHECKING:  # the checks load only when a run checks: not for a result remembered
    from ..inputs.cache import ParseCache


class Checked(Struct, frozen=True):
    """What was checked, each by name: frameworks (criteria/<name>/) or forces (evidence/<name>/), and which had problems."""

    names: tuple[str, ...] = ()
    with_errors: tuple[str, ...] = ()
    with_warnings: tuple[str, ...] = ()  # warnings and no error

    def failing(self, strict: bool) -> tuple[str, ...]:
        return tuple(sorted(self.with_errors + self.with_warnings)) if strict else self.with_errors


def _checked(names: Iterable[str], problems: dict[str, list[Diagnostic]]) -> Checked:
    names = tuple(sorted(names))
    errors = tuple(n for n in names if any(d.is_error for d in problems.get(n, ())))
    warnings = tuple(n for n in names if n not in errors and problems.get(n))
    return Checked(names, errors, warnings)


class Validation(Struct, frozen=True):
    frameworks: int  # how many frameworks loaded
    forces: int  # how many forces loaded (and were checked in full)
    diagnostics: list[Diagnostic]  # every problem, sorted by place
    framework_folders: Checked = Checked()
    force_folders: Checked = Checked()
    unchecked: tuple[str, ...] = ()  # forces not checked in full and with no error of their own: their framework has errors

    def failed(self, strict: bool) -> bool:
        return any(d.is_error for d in self.diagnostics) or (strict and bool(self.diagnostics))


def validate(root: Path, forces: list[str] | None, jobs: int, cache: ParseCache | None = None) -> Validation:
    """Check every framework, then each force (all, or those named) in its own worker."""
    from .parallel import check_died, check_folder, each_force
    from .project import frameworks_first

    frameworks, folders, found = frameworks_first(root, forces, cache)
    by_framework: dict[str, list[Diagnostic]] = {}
    for d in found.items:
        if d.loc.path.startswith("criteria/"):
            by_framework.setdefault(d.loc.path.split("/")[1], []).append(d)
    crit = root / "criteria"
    framework_names = [p.name for p in crit.iterdir() if p.is_dir()] if crit.is_dir() else []
    by_force: dict[str, list[Diagnostic]] = {}
    unchecked = []
    loaded = 0
    for name, ok, diags in each_force(check_folder, root, frameworks, folders, None, jobs, cache, check_died):
        loaded += ok
        if not ok and not any(d.is_error for d in diags):  # at most a note that it was checked against the schema only (W800)
            unchecked.append(name)
        by_force[name] = list(diags)
        found.extend(diags)
    return Validation(
        len(frameworks),
        loaded,
        found.sorted(),
        _checked(framework_names, by_framework),
        _checked((f.name for f in folders), by_force),
        tuple(sorted(unchecked)),
    )


# --- a result remembered ---------------------------------------------------------------------------


def _plain(v: Validation) -> tuple[Any, ...]:
    def names(c: Checked) -> tuple[tuple[str, ...], ...]:
        return (c.names, c.with_errors, c.with_warnings)

    return (v.frameworks, v.forces, plain_diagnostics(v.diagnostics), names(v.framework_folders), names(v.force_folders), v.unchecked)


def plain_names(value: Any) -> tuple[str, ...]:
    """Names read back from plain data (the cache); ValueError when `value` is not a tuple of text."""
    if type(value) is not tuple or not all(type(n) is str for n in value):
        raise ValueError("not names")
    return value


def _from_plain(value: Any) -> Validation:
    frameworks, forces, diags, fw, fo, unchecked = value
    if type(frameworks) is not int or type(forces) is not int:
        raise ValueError("not counts")
    return Validation(
        frameworks,
        forces,
        from_plain_diagnostics(diags),
        Checked(*(plain_names(n) for n in fw)),
        Checked(*(plain_names(n) for n in fo)),
        plain_names(unchecked),
    )


def remembered(root: Path, forces: list[str] | None, jobs: int, cache_folder: Path | None, parse: ParseCache | None = None) -> Validation:
    """`validate`, or the result of a run on exactly the same files (see the module's docstring)."""
    if cache_folder is None:
        return validate(root, forces, jobs, parse)
    from ..inputs.cache import Entries, results_folder
    from ..inputs.snapshot import digest

    key = digest("validate", root, str(root), forces, cache=cache_folder)
    entries = Entries(results_folder(cache_folder))
    if key is not None:
        payload = entries.read(key)
        if payload is not None:
            try:
                return _from_plain(marshal.loads(payload))
            except (ValueError, TypeError, EOFError):
                pass  # not an entry this version of hmic wrote: checked in full, and written again
    result = validate(root, forces, jobs, parse)
    if key is not None and digest("validate", root, str(root), forces, cache=cache_folder) == key:  # nothing changed while it was checked
        entries.write(key, marshal.dumps(_plain(result)))
    return result
