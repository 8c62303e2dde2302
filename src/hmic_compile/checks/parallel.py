"""Per-force work spread over processes: the loaded frameworks are shared by forking, never pickled."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..diagnostics import Diagnostic, Diagnostics, Loc
from ..inputs.project import ForceBundle, FrameworkBundle, load_force
from .glossary import PrintedWords, framework_words
from .printed import version as printed_version
from .project import check_force_fully

if TYPE_CHECKING:
    from ..inputs.cache import Facts, ParseCache

R = TypeVar("R")

# Set by each_force before workers fork: what every call needs (root, frameworks, the caller's job, the parse cache).
_STATE: tuple[Path, dict[str, FrameworkBundle], Any, ParseCache | None] | None = None
_SHARED: dict[str, PrintedWords] = {}  # per framework, computed once per process
_DONE = [0]  # forces this process has checked or built
_FACTS: dict[Path, Facts] = {}  # per cache root


def _tidy() -> None:
    """Between two forces, with garbage collection off (a command line run, __main__.py): what the last one
    left in cycles is collected, then what lives on is frozen, so each collection looks at one force's
    objects alone. With collection on (a test, a long-running server) Python's own schedule is left alone."""
    if gc.isenabled():
        return
    if _DONE[0] > 1:
        gc.collect()
    gc.freeze()


def _one_by_one(fn: Callable[[Path], R]) -> Callable[[Path], R]:
    def each(folder: Path) -> R:
        if _DONE[0]:
            _tidy()
        _DONE[0] += 1
        return fn(folder)

    return each


def state() -> tuple[Path, dict[str, FrameworkBundle], Any, ParseCache | None]:
    assert _STATE is not None, "called outside each_force"
    return _STATE


def load_and_check(folder: Path) -> tuple[ForceBundle | None, Diagnostics]:
    """Read one force folder and run every check on it (its framework was checked by the caller)."""
    root, frameworks, _, cache = state()
    diags = Diagnostics()
    fo = load_force(folder, root, frameworks, diags, cache)
    if fo is not None:
        fb = frameworks[fo.framework_key]
        if fb.key not in _SHARED:
            _SHARED[fb.key] = framework_words(fb)
        check_force_fully(fo, fb, diags, _SHARED[fb.key], _facts(cache))
    return fo, diags


def _facts(cache: ParseCache | None) -> Facts | None:
    """The checks' facts kept beside the parse cache (checks/printed.py), one store per process."""
    if cache is None:
        return None
    if _FACTS.get(cache.root) is None:
        from ..inputs.cache import Facts

        _FACTS[cache.root] = Facts(cache.root, printed_version())
    return _FACTS[cache.root]


def each_force(
    fn: Callable[[Path], R],
    root: Path,
    frameworks: dict[str, FrameworkBundle],
    folders: list[Path],
    job: Any,
    jobs: int,
    cache: ParseCache | None = None,
    died: Callable[[Path, str, int], R] | None = None,
) -> Iterator[R]:
    """fn(folder) for each force folder, over `jobs` processes; results as they complete.

    A force whose worker died (the out-of-memory killer) gives died(folder, how, pid); the others go on."""
    global _STATE
    _STATE = (root, frameworks, job, cache)
    _SHARED.clear()
    try:
        forked = jobs > 1 and len(folders) > 1 and died is not None
        if forked:
            import multiprocessing  # only when there is more than one force: it costs start-up time

            forked = "fork" in multiprocessing.get_all_start_methods()  # no fork on Windows: one process
        each = _one_by_one(fn)
        if not forked or died is None:
            for folder in folders:
                yield each(folder)
            return
        from . import workers

        yield from workers.run(each, folders, min(jobs, len(folders)), died)
    finally:
        _STATE = None
        _SHARED.clear()


def check_folder(folder: Path) -> tuple[str, bool, tuple]:
    """For `hmic validate`: the force's folder name, whether it loaded, and its diagnostics."""
    fo, diags = load_and_check(folder)
    return folder.name, fo is not None, tuple(diags.items)


def worker_died(folder: Path, how: str, what: str) -> Diagnostic:
    """The diagnostic for a force whose worker died while `what` ("checking", "building") it."""
    return Diagnostic(
        Loc(f"evidence/{folder.name}"),
        "E720",
        f"the worker {what} this force died: {how}",
        hint="run again with more memory free, or with --jobs 1; the other forces are not affected",
    )


def check_died(folder: Path, how: str, pid: int) -> tuple[str, bool, tuple]:
    """For `hmic validate`: a force whose worker died."""
    return folder.name, False, (worker_died(folder, how, "checking"),)
