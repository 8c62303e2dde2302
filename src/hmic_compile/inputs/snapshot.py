"""What a result depends on, as one SHA-256: the files of the project byte for byte, and hmic itself.

A result remembered between runs (checks/validate.py's validation, report/replay.py's build) is kept under
the digest of everything that decides it, so that the same digest means the same result: every file under
criteria/ and evidence/ (its path, size and SHA-256, and every folder), hmic's own source files (each one's
size and modification time, as Python's bytecode cache judges a module), the versions of Python and of
the libraries that read and render (PyYAML and whether libyaml parses, pydantic, Jinja2, markdown-it-py,
WeasyPrint, python-docx), and whatever the caller adds (the folder, the options). Anything this module
cannot judge the effect of, a symbolic link, a named pipe, a file it cannot read, a name that is not UTF-8,
too many files or too many bytes, is `Unsure`: the run then does its work in full, which reports it.
Nothing here follows a link or opens anything but a regular file.

A file is read and hashed once: its digest is kept with what any write to it changes (its size, its
modification and status-change times, its inode), as git's index keeps a file's, and the file is read
again only when one of them differs. That record is kept in the cache between runs (`files/`, one entry
per project), and the loader takes a file's SHA-256 from it too (`known_sha256`), so that a file unchanged
since the last run is not read at all when the parse cache holds its data. A status-change time cannot be
set back by a write (only by the system's clock), so an edit always shows; a file written within
STABLE_NS of being read is never kept (git's "racily clean" entries).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import marshal
import os
import stat
import sys
import time
from pathlib import Path

from .. import __version__
from .cache import Entries, files_folder
from .files import NotRegular, TooLarge, read_regular

MAX_FILE = 8 * 1024 * 1024  # over the loader's 5 MB: such a file is refused by a full run (E011)
MAX_ENTRIES = 20_000  # files and folders
MAX_TOTAL = 256 * 1024 * 1024  # bytes read in all


# What reads the input and what renders it: a result is told again only by the same of each (none: not installed).
LIBRARIES = ("yaml", "pydantic", "pydantic_core", "msgspec", "jinja2", "markupsafe", "markdown_it", "weasyprint", "pydyf", "docx")


class Unsure(Exception):
    """The project holds something whose effect only a full run can say: nothing is remembered for it."""


class _Budget:
    def __init__(self) -> None:
        self.entries = 0
        self.bytes = 0
        self.files: dict[str, _Seen] = {}  # each regular file walked, by path, as _READ holds it (if it does)


def _name(entry_name: str) -> bytes:
    try:
        return entry_name.encode("utf-8")
    except UnicodeEncodeError:  # a name that is not UTF-8 (a lone surrogate): a full run says so
        raise Unsure() from None


def _folder(h: hashlib._Hash, path: str, rel: bytes, budget: _Budget) -> None:
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        raise Unsure() from None
    h.update(b"d\0" + rel + b"\0")
    for entry in entries:
        budget.entries += 1
        if budget.entries > MAX_ENTRIES:
            raise Unsure()
        name = rel + b"/" + _name(entry.name)
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            raise Unsure() from None
        if stat.S_ISDIR(st.st_mode):
            _folder(h, entry.path, name, budget)
        elif stat.S_ISREG(st.st_mode):
            h.update(b"f\0" + name + b"\0" + _file_digest(entry.path, st, budget))
        else:  # a symbolic link, a named pipe, a device, a socket
            raise Unsure()


# Each file's digest as read (in this process, or in an earlier run: `_load`), by its real path and what any
# write changes (its size, modification and status-change times, inode): a digest taken again at the end
# of a run (report/replay.py: nothing changed while the build ran) reads only the files written since. A
# file written less than STABLE_NS before it was read is read again every time: a file's times move in
# ticks of a few milliseconds, so a second write within the same tick would leave them as they were (git's
# "racily clean" entries).
_Ident = tuple[int, int, int, int]
_Seen = tuple[_Ident, bytes]  # (size, mtime_ns, ctime_ns, inode), then the size in digits, NUL, the SHA-256
_READ: dict[str, _Seen] = {}
STABLE_NS = 2_000_000_000
_INDEXED: set[str] = set()  # the projects whose record this process has read (`_load`)


def _ident(st: os.stat_result) -> _Ident:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _file_digest(path: str, st: os.stat_result, budget: _Budget) -> bytes:
    budget.bytes += st.st_size
    if budget.bytes > MAX_TOTAL:
        raise Unsure()
    ident = _ident(st)
    seen = _READ.get(path)
    if seen is not None and seen[0] == ident:
        budget.files[path] = seen
        return seen[1]
    read_at = time.time_ns()
    try:
        data = read_regular(path, MAX_FILE)
    except (OSError, NotRegular, TooLarge):
        raise Unsure() from None
    got = str(len(data)).encode() + b"\0" + hashlib.sha256(data).digest()
    if read_at - max(st.st_mtime_ns, st.st_ctime_ns) > STABLE_NS:
        _READ[path] = budget.files[path] = (ident, got)
    return got


def known_sha256(path: str, st: os.stat_result) -> str | None:
    """The SHA-256 (hex) of the regular file at the real path `path`, whose lstat is `st`, when a digest read it
    and nothing about it has changed since; None when it must be read."""
    seen = _READ.get(path)
    if seen is None or seen[0] != _ident(st) or not stat.S_ISREG(st.st_mode):
        return None
    return seen[1].partition(b"\0")[2].hex()


def _index_name(real_root: str) -> str:
    return hashlib.sha256(b"files\0" + real_root.encode("utf-8", "surrogateescape")).hexdigest()


def _load(entries: Entries, real_root: str) -> dict[str, _Seen]:
    """The project's files as the last run recorded them (`_save`), each added to _READ unless this process
    holds it already; what it recorded, by path."""
    _INDEXED.add(real_root)
    payload = entries.read(_index_name(real_root))
    if payload is None:
        return {}
    try:
        recorded = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return {}
    if type(recorded) is not dict:
        return {}
    prefix = real_root.rstrip(os.sep) + os.sep
    out: dict[str, _Seen] = {}
    for path, seen in recorded.items():
        if (
            type(path) is str
            and path.startswith(prefix)
            and type(seen) is tuple
            and len(seen) == 2
            and type(seen[0]) is tuple
            and len(seen[0]) == 4
            and all(type(n) is int for n in seen[0])
            and type(seen[1]) is bytes
        ):
            out[path] = seen
            _READ.setdefault(path, seen)
    return out


def _save(entries: Entries, real_root: str, files: dict[str, _Seen], recorded: dict[str, _Seen]) -> None:
    """Record the project's files as this digest found them, when that differs from the record read."""
    if files != recorded:
        entries.write(_index_name(real_root), marshal.dumps(files))


def tree(h: hashlib._Hash, top: Path, rel: str, budget: _Budget | None = None) -> None:
    """Add the folder `top` (shown as `rel`) and everything under it to `h`; a missing `top` is recorded as such.

    Unsure when `top`, or anything under it, is not a plain folder or regular file, or cannot be read."""
    try:
        mode = os.lstat(top).st_mode
    except FileNotFoundError:
        h.update(b"-\0" + rel.encode() + b"\0")
        return
    except OSError:
        raise Unsure() from None
    if not stat.S_ISDIR(mode):
        raise Unsure()
    _folder(h, str(top), rel.encode(), budget or _Budget())


def library(name: str) -> bytes:
    """What identifies an installed library without importing it: where it is, and its files' sizes and times."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return f"{name}: none".encode()
    where = next(iter(spec.submodule_search_locations))
    parts = [where]
    try:
        with os.scandir(where) as entries:
            for e in sorted(entries, key=lambda e: e.name):
                if e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    parts.append(f"{e.name} {st.st_size} {st.st_mtime_ns}")
    except OSError:
        parts.append("unreadable")
    return "\n".join(parts).encode()


@functools.lru_cache(maxsize=1)
def hmic_itself() -> bytes:
    """hmic as it is installed: its version, each source file's size and modification time (what Python's
    own bytecode cache judges a module by), Python's version, and the top folders of the libraries that
    read and render (LIBRARIES: their versions, compiled extensions such as libyaml's, as `library` says)."""
    h = hashlib.sha256()
    h.update(f"{__version__}\0{sys.version}\0{sys.implementation.cache_tag}\0".encode())
    package = Path(__file__).resolve().parent.parent
    for here, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".json")):
                try:
                    st = os.stat(os.path.join(here, name))
                    h.update(f"{os.path.relpath(here, package)}/{name} {st.st_size} {st.st_mtime_ns}\0".encode())
                except OSError:
                    h.update(f"{here}/{name} unreadable\0".encode())
    for lib in LIBRARIES:
        h.update(library(lib) + b"\0")
    return h.digest()


def project(h: hashlib._Hash, root: Path, cache: Path | None = None) -> None:
    """Add the project's criteria/ and evidence/ (every file, byte for byte) and where it is to `h`.

    With `cache` (a cache root, checked: inputs/cache.py), the files' record is read from it and kept in it."""
    real = os.path.realpath(root)
    h.update(real.encode("utf-8", "surrogateescape") + b"\0")
    entries = Entries(files_folder(cache)) if cache is not None else None
    recorded = _load(entries, real) if entries is not None and real not in _INDEXED else None
    budget = _Budget()
    tree(h, Path(real, "criteria"), "criteria", budget)
    tree(h, Path(real, "evidence"), "evidence", budget)
    if entries is not None and recorded is not None:  # once a process: a later digest finds what this one read
        _save(entries, real, budget.files, recorded)


def digest(kind: str, root: Path, *parts: object, cache: Path | None = None) -> str | None:
    """The SHA-256 of a result of `kind` for the project at `root`, given `parts` (the options that decide
    it, as text): hmic itself, the project's files, the parts. None when the project holds what only a full
    run can judge (Unsure). `cache`: the cache root, where the files' record is kept between runs."""
    h = hashlib.sha256()
    h.update(kind.encode() + b"\0" + hmic_itself())
    try:
        project(h, root, cache)
    except Unsure:
        return None
    h.update(repr(parts).encode("utf-8", "surrogateescape"))
    return h.hexdigest()
