"""What a run takes from outside the project: the git commit, the cache folder, SOURCE_DATE_EPOCH and today's date.

Read once, at the command line's edge, and passed down, so that every later stage is reproducible.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from ..diagnostics import Diagnostic, Loc, Severity

if TYPE_CHECKING:
    from .cache import ParseCache


def git_commit(root: Path) -> str | None:
    """The commit checked out at `root`, or None outside git (or when git is missing)."""
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def repository_prefix(root: Path) -> str:
    """The project folder's path within its git checkout ('' at the top, or outside git): where CI finds its files."""
    top = root.resolve()
    for folder in (top, *top.parents):
        if (folder / ".git").exists():
            return top.relative_to(folder).as_posix().removeprefix(".")
    return ""


def cache_location() -> Path | None:
    """Where compiled templates and parsed YAML are kept between runs: $HMIC_CACHE_DIR, else hmic's
    folder in the user's cache folder. HMIC_CACHE_DIR=off turns the cache off. The cache changes
    speed only, never output."""
    raw = os.environ.get("HMIC_CACHE_DIR")
    if raw:
        return None if raw.lower() in ("0", "off", "no", "none") else Path(raw)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory: run without the cache
            return None
    return Path(base) / "hmic"


class Cache(Struct, frozen=True):
    """The run's cache: its folder, checked and made ready, or None (turned off, or not safe to use, with a warning)."""

    folder: Path | None
    warning: Diagnostic | None = None

    def parse(self) -> ParseCache | None:
        from .cache import ParseCache

        return ParseCache(self.folder) if self.folder is not None else None


def cache() -> Cache:
    """The cache folder, used only when it is the user's own (inputs/cache.py says what that takes): else a
    warning (W710) and a run without the cache, which changes nothing but speed."""
    from .cache import check_root

    folder = cache_location()
    if folder is None:
        return Cache(None)
    problem = check_root(folder)
    if problem is None:
        return Cache(folder)
    warning = Diagnostic(
        Loc(str(folder)),
        "W710",
        f"the cache folder {problem}; running without the cache",
        Severity.WARNING,
        "remove it, or set HMIC_CACHE_DIR to a folder only you can write (HMIC_CACHE_DIR=off turns the cache off)",
    )
    return Cache(None, warning)


def cache_dir() -> Path | None:
    """The cache folder when it is safe to use (see `cache`), without its warning."""
    return cache().folder


def parse_cache() -> ParseCache | None:
    return cache().parse()


class SettingError(ValueError):
    """A setting in the environment that hmic cannot use (a usage error)."""


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/), or None when unset."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {raw!r}") from None


def build_date(epoch: int | None) -> date:
    """The date a draft is marked with: SOURCE_DATE_EPOCH's (UTC) when set, else today's. The only clock read in hmic."""
    if epoch is not None:
        return datetime.fromtimestamp(epoch, UTC).date()
    return date.today()
