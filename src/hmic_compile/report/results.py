"""What a build says of each force's report and each framework's round: built, unchanged, failed, or why not made.

Light on purpose: the command line prints these (console.py report_builds) whether they come from a build
or from the record of the last one (report/replay.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from msgspec import Struct

from ..diagnostics import Diagnostic

if TYPE_CHECKING:
    from .round_record import ForceRecord


class ForceResult(Struct, frozen=True):
    key: str
    target: Path
    written: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()  # errors (the force was not built) and warnings
    record: ForceRecord | None = None  # what the framework's round needs of the report (report/round_record.py)
    unchanged: bool = False  # its folder already held what the build would write, and was left as it was
    kind: ClassVar[str] = "force"

    @property
    def ok(self) -> bool:
        """Built: files written and no error. A force never counts as built with nothing written."""
        return bool(self.written) and not any(d.is_error for d in self.diagnostics)


class RoundResult(Struct, frozen=True):
    """A framework's round after a build: written, failed (its diagnostics), or left as it was (`note` says why)."""

    kind: ClassVar[str] = "round"
    key: str  # the framework
    target: Path
    written: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    note: str = ""
    unchanged: bool = False  # made in memory, it was byte for byte what the folder held: left as it was

    @property
    def ok(self) -> bool:
        return bool(self.written) and not any(d.is_error for d in self.diagnostics)

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    @property
    def line(self) -> str:
        if self.ok and self.unchanged:
            return f"unchanged: {self.target}/ (the round of {self.key})"
        if self.ok:
            pages = sorted({n for n in self.written if "/" not in n and n != "manifest.json"})
            data = sum(1 for n in self.written if n.startswith("data/"))
            return f"built {self.target}/ (the round of {self.key}: {len(pages)} pages, {data} files of open data in data/, manifest.json)"
        if self.note:
            return f"note: {self.note}"
        return f"the round of {self.key}: not built; previous output left unchanged"
