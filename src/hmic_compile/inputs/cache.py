"""The cache kept between runs: folders that are the user's own, entries checked before use, and parsed YAML.

hmic creates its cache folders 0700 and uses one only while it is a real folder owned by the user and
writable by nobody else (`check_folder`), the cache root's ancestors writable by nobody else either unless
sticky (like /tmp), the way ssh and pip judge their files: anything else is not used (W710). Every entry
carries a header with its length and the SHA-256 of its payload and is read as a regular file of bounded
size (`Entries`), so a damaged or truncated entry is ignored; entries are marshal data, never pickle,
and are unmarshalled only once their checksum holds. See docs/security.md.

Parsed YAML is keyed by the SHA-256 of the file's bytes, in a folder named for everything else that
decides the result (the source of hmic's loader and YAML parser, its character checks and this module, hmic's,
PyYAML's and Python's versions, whether libyaml parses), so a change to any of them starts afresh.
Only files that parsed without error are kept. The cache changes speed only, never results: every file
is still validated against the models and checked on every run; only the step from its bytes to plain
data is remembered, and a file is read and hashed unless a digest of the project (inputs/snapshot.py)
has just found it unchanged, by its size, times and inode, since it was last read.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import marshal
import os
import stat
import struct
import sys
from pathlib import Path
from typing import Any

from .. import __version__
from .files import NotRegular, TooLarge, create_exclusive, read_regular

Parsed = tuple[Any, dict[tuple[str | int, ...], tuple[int, int]], dict[tuple[str | int, ...], tuple[int, int]]]

MAX_ENTRY = 64 * 1024 * 1024  # bytes: far above any entry hmic writes (a 5 MB YAML file parses to ~20 MB)
# Entries written by another Python (whose marshal format may differ) or another layout are not read.
MAGIC = b"hmic-cache-1\0" + importlib.util.MAGIC_NUMBER
_HEADER = struct.Struct(f">{len(MAGIC)}sQ32s")  # magic, payload length, SHA-256 of the payload


@functools.lru_cache(maxsize=1)  # the same for every cache of this process
def _fingerprint() -> str:
    from .snapshot import library  # PyYAML's files, libyaml's extension among them, without importing it

    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in ("loader.py", "yaml_events.py", "characters.py", "cache.py"):
        with contextlib.suppress(OSError):
            h.update((here / name).read_bytes())
    parts = (__version__, str(marshal.version), sys.version)
    h.update("\0".join(parts).encode() + b"\0" + library("yaml"))
    return h.hexdigest()[:16]


def yaml_folder(root: Path) -> Path:
    return root / f"yaml-{_fingerprint()}"


def results_folder(root: Path) -> Path:
    """Results remembered between runs (checks/validate.py, report/replay.py), each under the SHA-256 of all it depends on."""
    return root / "results"


def files_folder(root: Path) -> Path:
    """Each project's files as a digest last read them: path, size, times, inode and SHA-256 (inputs/snapshot.py)."""
    return root / "files"


def facts_folder(root: Path) -> Path:
    """What checks work out from a file's content alone (checks/printed.py), each by the file's SHA-256 and their version."""
    return root / "facts"


def prose_folder(root: Path) -> Path:
    """Prose rendered by markdown-it (report/prose.py `Renderings`), each under the SHA-256 of hmic itself and the text."""
    return root / "prose"


def template_folder(root: Path, sandboxed: bool) -> Path:
    """Compiled templates: code compiled for the sandbox differs from trusted code, so each kind has its own folder."""
    return root / f"templates-{__version__}" / ("sandboxed" if sandboxed else "trusted")


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def _make(folder: Path) -> None:
    """Create `folder` and any missing folder above it, each 0700 (os.makedirs gives the ones above the umask's mode)."""
    missing = []
    for p in (folder, *folder.parents):
        if os.path.lexists(p):
            break
        missing.append(p)
    for p in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(p, 0o700)


def check_folder(folder: Path, create: bool = True) -> str | None:
    """Create `folder` (0700) if it is missing; then why it must not be used, or None when it is the user's own:
    a real folder (not a symbolic link), owned by this user, that nobody else can write. Without `create`,
    a missing folder is fine."""
    if create:
        try:
            _make(folder)
        except OSError as e:
            return f"cannot be created: {e.strerror or e}"
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return None if not create else "cannot be created"
    except OSError as e:
        return f"cannot be read: {e.strerror or e}"
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a folder"
    euid = _euid()
    if euid >= 0 and st.st_uid != euid:
        return f"belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"can be written by other users (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def check_root(root: Path) -> str | None:
    """Make the cache root and every folder below it that hmic uses; why they must not be used, or None.

    Folders above the root are the user's or the system's (the home folder, $XDG_CACHE_HOME, what
    HMIC_CACHE_DIR names): they may belong to root, but one anybody can write (not sticky, as /tmp is)
    would let anybody swap the cache for their own."""
    real = Path(os.path.realpath(root))
    for above in reversed(real.parents):
        try:
            st = os.stat(above)
        except FileNotFoundError:
            break  # from here down the folders are missing: check_folder makes them, 0700
        except OSError as e:
            return f"cannot be checked ({above}: {e.strerror or e})"
        if st.st_mode & 0o002 and not st.st_mode & stat.S_ISVTX:
            return f"lies in {above}, which anybody can write"
    templates = template_folder(real, False)
    used = (
        real,
        yaml_folder(real),
        results_folder(real),
        files_folder(real),
        facts_folder(real),
        prose_folder(real),
        templates.parent,
        templates,
        template_folder(real, True),
    )
    for create in (False, True):  # first what is there, so that nothing is made in a folder that is not used
        for folder in used:
            problem = check_folder(folder, create)
            if problem:
                return problem if folder == real else f"holds {folder.relative_to(real)}, which {problem}"
    return None


class Entries:
    """One cache folder's entries: each a file of a header (length, SHA-256) and a payload, written whole or not at all.

    The folder is checked (or created) on first use; a folder that fails the check is not used."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._usable: bool | None = None

    def usable(self) -> bool:
        if self._usable is None:
            self._usable = check_folder(self.folder) is None
        return self._usable

    def read(self, name: str) -> bytes | None:
        """The payload of entry `name`, or None when there is none or it is not whole and intact."""
        if not self.usable():
            return None
        try:
            blob = read_regular(self.folder / name, MAX_ENTRY)
        except (OSError, NotRegular, TooLarge):
            return None
        if len(blob) < _HEADER.size:
            return None
        magic, length, digest = _HEADER.unpack_from(blob)
        payload = blob[_HEADER.size :]
        if magic != MAGIC or length != len(payload) or hashlib.sha256(payload).digest() != digest:
            return None
        return payload

    def write(self, name: str, payload: bytes) -> None:
        """Keep an entry; a cache that cannot be written is simply not used."""
        if not self.usable() or len(payload) + _HEADER.size > MAX_ENTRY:
            return
        import secrets  # only when writing

        tmp = self.folder / f".tmp-{secrets.token_hex(8)}"
        done = False
        try:
            create_exclusive(tmp, _HEADER.pack(MAGIC, len(payload), hashlib.sha256(payload).digest()) + payload, 0o600)
            os.replace(tmp, self.folder / name)  # atomic: a reader sees the whole entry or none
            done = True
        except OSError:
            pass
        finally:
            if not done:  # failed, or interrupted: no temporary file stays behind
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


class ParseCache:
    """Plain data, locations and key locations of parsed files, one small file per distinct content."""

    def __init__(self, root: Path):
        self.root = root  # the cache root
        self.folder = yaml_folder(root)
        self._entries = Entries(self.folder)

    def get(self, digest: str) -> Parsed | None:
        payload = self._entries.read(digest)
        if payload is None:
            return None
        try:
            value = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None
        if type(value) is tuple and len(value) == 3 and type(value[1]) is dict and type(value[2]) is dict:
            return value
        return None

    def put(self, digest: str, parsed: Parsed) -> None:
        """Keep an entry; a cache that cannot be written is simply not used."""
        try:
            payload = marshal.dumps(parsed)
        except ValueError:  # marshal met something it cannot write (never plain data)
            return
        self._entries.write(digest, payload)


class Facts:
    """What a check works out from a file's content alone, kept by the file's SHA-256 and `version` (the source of
    the code that works it out: checks/printed.py): plain data, one small file per content and version."""

    def __init__(self, root: Path, version: str):
        self._entries = Entries(facts_folder(root))
        self._version = version.encode("ascii")

    def _name(self, sha256: str) -> str:
        return hashlib.sha256(self._version + b"\0" + sha256.encode("ascii")).hexdigest()

    def get(self, sha256: str) -> Any:
        """The value kept for the content `sha256`, or None; the caller checks its shape."""
        payload = self._entries.read(self._name(sha256))
        if payload is None:
            return None
        try:
            return marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None

    def put(self, sha256: str, value: Any) -> None:
        try:
            payload = marshal.dumps(value)
        except ValueError:
            return
        self._entries.write(self._name(sha256), payload)
