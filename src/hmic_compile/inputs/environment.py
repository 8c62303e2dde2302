"""What a run takes from outside the project: the git commit, the cache folder, SOURCE_DATE_EPOCH and today's date.

Read once, at the command line's edge, and passed down, so that every later stage is reproducible.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

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


def cache_dir() -> Path | None:
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


def parse_cache() -> ParseCache | None:
    from .cache import ParseCache

    folder = cache_dir()
    return ParseCache(folder) if folder is not None else None


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
