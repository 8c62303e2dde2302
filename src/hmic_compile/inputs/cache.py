"""Parsed YAML kept between runs: a file whose exact bytes were parsed before is not parsed again.

Entries are keyed by the SHA-256 of the file's bytes, in a folder named for everything else that
decides the result (the source of hmic's loader, its character checks and this module, hmic's,
PyYAML's and Python's versions, whether libyaml parses), so a change to any of them starts afresh. Only files that parsed
without error are kept, and an entry that cannot be read back is ignored and the file parsed again.
The cache changes speed only, never results: every file is still read, hashed, validated against the
models and checked on every run; only the step from its bytes to plain data is remembered.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from .. import __version__

Parsed = tuple[Any, dict[tuple[str | int, ...], tuple[int, int]], dict[tuple[str | int, ...], tuple[int, int]]]


@functools.lru_cache(maxsize=1)  # the same for every cache of this process
def _fingerprint() -> str:
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in ("loader.py", "characters.py", "cache.py"):
        with contextlib.suppress(OSError):
            h.update((here / name).read_bytes())
    parts = (__version__, yaml.__version__, str(getattr(yaml, "__with_libyaml__", False)), str(marshal.version), sys.version)
    h.update("\0".join(parts).encode())
    return h.hexdigest()[:16]


class ParseCache:
    """Plain data, locations and key locations of parsed files, one small file per distinct content."""

    def __init__(self, root: Path):
        self.folder = root / f"yaml-{_fingerprint()}"

    def get(self, digest: str) -> Parsed | None:
        try:
            blob = (self.folder / digest).read_bytes()
            value = marshal.loads(blob)
        except (OSError, EOFError, ValueError, TypeError):
            return None
        if type(value) is tuple and len(value) == 3 and type(value[1]) is dict and type(value[2]) is dict:
            return value
        return None

    def put(self, digest: str, parsed: Parsed) -> None:
        """Keep an entry; a cache that cannot be written is simply not used."""
        import tempfile  # only when writing

        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(marshal.dumps(parsed))
            os.replace(tmp, self.folder / digest)  # atomic: a reader sees the whole entry or none
            tmp = None
        except (OSError, ValueError):  # ValueError: marshal met something it cannot write (never plain data)
            pass
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
