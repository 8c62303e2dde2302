"""`hmic validate`'s work: the frameworks checked once, then every force on its own, over the cores."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic
from .parallel import check_died, check_folder, each_force
from .project import frameworks_first

if TYPE_CHECKING:
    from ..inputs.cache import ParseCache


@dataclass(frozen=True)
class Checked:
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


@dataclass(frozen=True)
class Validation:
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
