"""A report's prose renderings kept between runs: each text's HTML and Markdown as the last build made them.

report/prose.py's Renderer asks a `Scope` (one report) for each rendering and renders only what it lacks.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..inputs.cache import Entries
from ..inputs.snapshot import hmic_itself


class Scope:
    """The renderings of one report (a force's, or a framework's round) that `Renderings` keeps: each by (kind,
    glossary, text), read from the cache on first use. What this run renders is collected in `used`;
    `missed` says whether it rendered anything the cache did not hold."""

    __slots__ = ("_read", "kept", "used", "missed")

    def __init__(self, read: Callable[[], dict[Any, Any]]):
        self._read: Callable[[], dict[Any, Any]] | None = read
        self.kept: dict[Any, Any] = {}
        self.used: dict[tuple[str, bytes, str], str] = {}
        self.missed = False

    def get(self, kind: str, glossary: bytes, text: str, render: Callable[[str], str]) -> str:
        key = (kind, glossary, text)
        got = self.used.get(key)
        if got is None:
            if self._read is not None:
                self.kept, self._read = self._read(), None
            got = self.kept.get(key)
            if type(got) is not str:  # not kept (or not as hmic keeps it): rendered now
                got = str(render(text))
                self.missed = True
            self.used[key] = got
        return got


class Renderings:
    """Prose as hmic rendered it in an earlier run, kept in the cache (inputs/cache.py `Entries`): one entry a report.

    A scope (a force's report, a framework's round) is one entry: each text the report rendered, each kind
    of rendering (HTML block or inline, Markdown, a table cell's Markdown) with the glossary it was rendered
    with. The entry is named by the SHA-256 of hmic itself (inputs/snapshot.py: its version and source files,
    Python's and the libraries' versions), the project's folder and the scope, so any change to hmic starts afresh; a text, kind
    or glossary the entry lacks is rendered, and the entry written again (`save`) with what the run used,
    so a text edited away leaves it. Only what rendered is kept: prose the renderer refuses (ProseError) is
    refused on every run. Entries are marshal data, read only once their checksum holds."""

    def __init__(self, folder: Path, project: Path):
        self._entries = Entries(folder)
        self._project = os.path.realpath(project).encode("utf-8", "surrogateescape")  # two projects' norfolk-2007 are kept apart
        self._scopes: dict[str, Scope] = {}

    def _entry(self, name: str) -> str:
        h = hashlib.sha256(hmic_itself() + b"\0renderings\0" + self._project + b"\0")
        h.update(name.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def _read(self, name: str) -> dict[Any, Any]:
        payload = self._entries.read(self._entry(name))
        kept: Any = None
        if payload is not None:
            with contextlib.suppress(EOFError, ValueError, TypeError):
                kept = marshal.loads(payload)
        return kept if type(kept) is dict else {}

    def scope(self, name: str) -> Scope:
        """The renderings kept for the report `name` (e.g. "report/norfolk-2007"), read when first used."""
        if name not in self._scopes:
            self._scopes[name] = Scope(lambda: self._read(name))
        return self._scopes[name]

    def save(self) -> None:
        """Write each scope that rendered something the cache lacked: what this run used, with what it kept of
        kinds this run made none of (a build of report.md alone keeps the HTML's); then forget them all."""
        for name, sc in self._scopes.items():
            if sc.missed:
                made = {k[0] for k in sc.used}
                keep = {k: v for k, v in sc.kept.items() if type(k) is tuple and k and k[0] not in made}
                with contextlib.suppress(ValueError):
                    self._entries.write(self._entry(name), marshal.dumps({**keep, **sc.used}))
        self._scopes.clear()
