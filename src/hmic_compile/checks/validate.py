"""`hmic validate`'s work: the frameworks checked once, then every force on its own, over the cores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic
from .parallel import check_folder, each_force
from .project import frameworks_first

if TYPE_CHECKING:
    from ..inputs.cache import ParseCache


@dataclass(frozen=True)
class Validation:
    frameworks: int  # how many frameworks loaded
    forces: int  # how many forces loaded (and were checked in full)
    diagnostics: list[Diagnostic]  # every problem, sorted by place

    def failed(self, strict: bool) -> bool:
        return any(d.is_error for d in self.diagnostics) or (strict and bool(self.diagnostics))


def validate(root: Path, forces: list[str] | None, jobs: int, cache: ParseCache | None = None) -> Validation:
    """Check every framework, then each force (all, or those named) in its own worker."""
    frameworks, folders, found = frameworks_first(root, forces, cache)
    loaded = 0
    for ok, diags in each_force(check_folder, root, frameworks, folders, None, jobs, cache):
        loaded += ok
        found.extend(diags)
    return Validation(len(frameworks), loaded, found.sorted())
