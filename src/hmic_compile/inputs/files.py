"""Touching files a pull request may have planted: reads take regular files inside their folder and never
block; writes go to a file or folder created exclusively beside the target, then renamed over it.

See docs/security.md: every file in the project is untrusted, so a symlink may point anywhere, a file may
be a named pipe that blocks whoever opens it, and a name may already be taken by a link to somewhere else.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # the last step of the path must not be a symbolic link
_READ = os.O_RDONLY | NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | getattr(os, "O_CLOEXEC", 0)

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFLNK: "a symbolic link",
}


class NotRegular(Exception):
    """The path is not a regular file: `kind` says what it is ("a named pipe", "a directory", ...)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class TooLarge(Exception):
    """The file holds more than the limit: `size` is how much it holds (at least)."""

    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def kind(mode: int) -> str | None:
    """What a file of this mode is, in words, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """Whether `path`, every symbolic link on the way resolved, is `folder` or lies in it (also resolved)."""
    real, base = os.path.realpath(path), os.path.realpath(folder)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def within(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """Whether `path` is `folder` or lies in it, comparing the paths as written (both made absolute, `..` folded)."""
    real, base = os.path.abspath(path), os.path.abspath(folder)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of `path`, which must be a regular file (its last step not a symbolic link) of at most `limit` bytes.

    Nothing else is opened: a named pipe, a device or a socket is named by NotRegular before any open, and
    the open itself does not follow a symbolic link or wait for a writer. TooLarge when the file holds more
    than `limit` bytes, even one that grows while it is read; OSError when it cannot be opened or read.
    """
    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode):
        os.stat(path)  # a link that cannot be followed says why (a loop, nothing at its end)
    what = kind(mode)
    if what:
        raise NotRegular(what)
    fd = os.open(path, _READ)
    try:
        st = os.fstat(fd)  # the file opened, which a swap since the lstat could have changed
        what = kind(st.st_mode)
        if what:
            raise NotRegular(what)
        if st.st_size > limit:
            raise TooLarge(st.st_size)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(limit + 1 - total, 1 << 20) or 1)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise TooLarge(total)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def create_exclusive(path: Path, data: bytes, mode: int | None = None) -> None:
    """Create `path` holding `data`; fails if anything (a file, a symbolic link) already has that name.

    The new file's permissions are `mode`, or without it those of any new file (0666 less the umask)."""
    fd = os.open(path, _CREATE, 0o666)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        _write_all(fd, data)
    except BaseException:
        os.close(fd)
        _unlink_quietly(path)
        raise
    os.close(fd)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def replace_file(path: Path, data: bytes) -> None:
    """Make `path` a regular file holding `data`, all at once: a reader sees the old file or the new, never half.

    The bytes go to a new file with an unpredictable name in the same folder, created exclusively (so
    never through a link planted under that name), then renamed over `path`. A `path` that is a symbolic
    link is replaced by the file, its destination never written; a regular file keeps its permissions.
    On any failure, Ctrl-C included, the temporary file is removed and `path` is as it was.
    """
    mode = None  # a new file's
    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode):
            mode = stat.S_IMODE(st.st_mode)
    except FileNotFoundError:
        pass
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            create_exclusive(tmp, data, mode)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 64 random bits
        raise FileExistsError(f"no free temporary name beside {path}")
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise
