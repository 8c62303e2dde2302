"""Per-force work spread over processes: the loaded frameworks are shared by forking, never pickled."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..diagnostics import Diagnostics
from ..inputs.project import ForceBundle, FrameworkBundle, load_force
from .glossary import PrintedWords, framework_words
from .project import check_force_fully

if TYPE_CHECKING:
    from ..inputs.cache import ParseCache

R = TypeVar("R")

# Set by each_force before workers fork: what every call needs (root, frameworks, the caller's job, the parse cache).
_STATE: tuple[Path, dict[str, FrameworkBundle], Any, ParseCache | None] | None = None
_SHARED: dict[str, PrintedWords] = {}  # per framework, computed once per process


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
        check_force_fully(fo, fb, diags, _SHARED[fb.key])
    return fo, diags


def each_force(
    fn: Callable[[Path], R],
    root: Path,
    frameworks: dict[str, FrameworkBundle],
    folders: list[Path],
    job: Any,
    jobs: int,
    cache: ParseCache | None = None,
) -> Iterator[R]:
    """fn(folder) for each force folder, over `jobs` processes; results as they complete."""
    global _STATE
    _STATE = (root, frameworks, job, cache)
    _SHARED.clear()
    try:
        if jobs <= 1 or len(folders) <= 1:
            for folder in folders:
                yield fn(folder)
            return
        import multiprocessing  # only when there is more than one force: it costs start-up time
        from concurrent.futures import ProcessPoolExecutor, as_completed

        if "fork" not in multiprocessing.get_all_start_methods():
            for folder in folders:
                yield fn(folder)
            return
        with ProcessPoolExecutor(max_workers=min(jobs, len(folders)), mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(fn, folder) for folder in folders]
            for future in as_completed(futures):
                yield future.result()
    finally:
        _STATE = None
        _SHARED.clear()


def check_folder(folder: Path) -> tuple[bool, tuple]:
    """For `hmic validate`: whether the force loaded, and its diagnostics."""
    fo, diags = load_and_check(folder)
    return fo is not None, tuple(diags.items)
