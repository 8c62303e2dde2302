"""Unchanged outputs: a force's report folder left as it is when a build would write the same files.

A build records in OUT/<force>/manifest.json the hmic version, every input and template file with its
hash, the options (draft, its date, the git commit, SOURCE_DATE_EPOCH) and every output's hash. When
the manifest this build would write, given the files now in the folder, is byte for byte the one there,
and the folder holds exactly those files, each a regular file hashing to what the manifest records,
nothing is rendered and nothing written: not even a PDF. Any difference, or anything unreadable, rebuilds.
Validation is not part of this: every force is loaded and checked in full before it is looked at.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from ..inputs.files import NotRegular, TooLarge, read_regular

MANIFEST = "manifest.json"
MAX_OUTPUT_BYTES = 1 << 30  # larger than any output a build writes (a PDF is refused long before, E730/E731)


def has_manifest(target: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(target / MANIFEST).st_mode)
    except OSError:
        return False


def unchanged(target: Path, names: set[str], record: Callable[[dict[str, bytes]], bytes]) -> bool:
    """Whether `target` (a folder, not a link) holds exactly `names` and the manifest, each a regular file,
    and the manifest is what `record(outputs)` makes of the outputs found: what this build would write."""
    try:
        if not stat.S_ISDIR(os.lstat(target).st_mode) or set(os.listdir(target)) != names | {MANIFEST}:
            return False
        found = {name: read_regular(target / name, MAX_OUTPUT_BYTES) for name in sorted(names | {MANIFEST})}
    except (OSError, NotRegular, TooLarge):
        return False
    recorded = found.pop(MANIFEST)
    return record(found) == recorded


def file_names(target: Path) -> set[str] | None:
    """Every file under `target` by its relative path (`data/x.csv` too); None when `target` is not a folder
    (a link included) or holds a link to a folder, never what a build writes. OSError when it cannot be read."""
    if not stat.S_ISDIR(os.lstat(target).st_mode):
        return None
    found: set[str] = set()
    for folder, dirs, names in os.walk(target):
        rel = os.path.relpath(folder, target)
        if any(not stat.S_ISDIR(os.lstat(os.path.join(folder, d)).st_mode) for d in dirs):
            return None
        found.update(name if rel == "." else f"{rel}/{name}" for name in names)
    return found


def same_files(target: Path, files: dict[str, bytes]) -> bool:
    """Whether `target` (a folder, not a link) holds exactly `files` (relative paths, `data/x.csv` too), each a
    regular file with those bytes, and nothing else: a framework's round, made in memory, that need not be written."""
    try:
        if file_names(target) != set(files):
            return False
        return all(read_regular(target / name, MAX_OUTPUT_BYTES) == data for name, data in files.items())
    except (OSError, NotRegular, TooLarge):
        return False
