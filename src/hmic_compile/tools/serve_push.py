"""`hmic serve` fast: file events (watchfiles), the project re-read a force at a time, and changes pushed to the page.

- `watch`: waits on the operating system's file events for the watched folders (watchfiles), and falls
  back to looking every `interval` seconds where there are none (and for folders created later).
- `Loaded`: the frameworks and each force as last read and checked: a save inside one force's folder
  re-reads and re-checks that force alone; anything else (criteria/, templates, a folder added or
  removed) re-reads everything. The diagnostics are the same as `hmic validate`'s either way.
- `Changes` and `stream`: Server-Sent Events. The page keeps one stream open; each rebuild sends it the
  status at once. A stream is closed after STREAM_SECONDS (the browser reopens it at once, as `retry`
  asks), and at most MAX_STREAMS are open (a newer one closes the oldest), so pages left open never hold
  the server's connection slots (serve_http.MAX_CONNECTIONS) for long.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import ModuleType
from typing import Any

from msgspec import Struct, field

from ..checks.glossary import PrintedWords, framework_words
from ..checks.project import check_force_fully, frameworks_first
from ..diagnostics import Diagnostic, Diagnostics, sort_key
from ..inputs.cache import ParseCache
from ..inputs.project import ForceBundle, FrameworkBundle, Project, load_force

EVENTS_PATH = "/_hmic/events"
STREAM_SECONDS = 30.0
MAX_STREAMS = 4
HEARTBEAT_SECONDS = 10.0  # a comment line this often, so a stream whose reader has gone is noticed and closed
RETRY_MS = 250  # how soon the browser reopens a closed stream


# --- the project, a force at a time --------------------------------------------------------------


class Loaded(Struct):
    """The frameworks and forces of `root` (or the one force `only`) as last read and checked."""

    root: Path
    only: str | None = None
    cache: ParseCache | None = None
    frameworks: dict[str, FrameworkBundle] = field(default_factory=dict)
    found: list[Diagnostic] = field(default_factory=list)  # the frameworks' and the folders' problems
    folders: dict[str, Path] = field(default_factory=dict)  # force folder name -> folder
    forces: dict[str, ForceBundle] = field(default_factory=dict)  # by folder name
    force_diags: dict[str, list[Diagnostic]] = field(default_factory=dict)  # by folder name
    _words: dict[str, PrintedWords] = field(default_factory=dict)

    def load_all(self) -> None:
        frameworks, folders, found = frameworks_first(self.root, [self.only] if self.only else None, self.cache)
        self.frameworks, self.found, self._words = frameworks, list(found.items), {}
        self.folders = {f.name: f for f in folders}
        self.forces, self.force_diags = {}, {}
        for name in self.folders:
            self._load(name)

    def reload(self, names: Iterable[str]) -> bool:
        """Re-read and re-check the forces of these folders alone; False (nothing done) when one is not a force
        folder read before, or no longer a folder: then everything must be read again."""
        names = set(names)
        if not names or any(n not in self.folders or not self.folders[n].is_dir() for n in names):
            return False
        for name in sorted(names):
            self._load(name)
        return True

    def _load(self, name: str) -> None:
        diags = Diagnostics()
        fo = load_force(self.folders[name], self.root, self.frameworks, diags, self.cache)
        if fo is not None:
            fb = self.frameworks[fo.framework_key]
            if fb.key not in self._words:
                self._words[fb.key] = framework_words(fb)
            check_force_fully(fo, fb, diags, self._words[fb.key])
            self.forces[name] = fo
        else:
            self.forces.pop(name, None)
        self.force_diags[name] = list(diags.items)

    def project(self) -> Project:
        return Project(self.root, self.frameworks, {fo.key: fo for fo in self.forces.values()})

    def diagnostics(self) -> list[Diagnostic]:
        every = [*self.found, *(d for name in sorted(self.force_diags) for d in self.force_diags[name])]
        return sorted(every, key=sort_key)


def changed_paths(before: Iterable[tuple[str, int, int]], after: Iterable[tuple[str, int, int]]) -> set[str]:
    """The files added, removed or changed between two signatures ((path, mtime, size) of every file)."""
    return {e[0] for e in set(before) ^ set(after)}


def forces_changed(root: Path, paths: Iterable[str]) -> set[str] | None:
    """The force folders under evidence/ that hold every changed path, or None when one is elsewhere (or
    is evidence/ itself, or a folder directly in it: a force added or removed)."""
    evidence = os.path.abspath(root / "evidence")
    names: set[str] = set()
    for p in paths:
        rel = os.path.relpath(os.path.abspath(p), evidence)
        parts = Path(rel).parts
        if rel.startswith("..") or len(parts) < 2:
            return None
        names.add(parts[0])
    return names


# --- file events ----------------------------------------------------------------------------


def _watchfiles() -> ModuleType | None:
    try:
        import watchfiles
    except ImportError:  # pragma: no cover - a dependency; kept for an install without it
        return None
    return watchfiles


def watch(folders: Callable[[], list[Path]], refresh: Callable[[set[str] | None], object], stop: threading.Event, interval: float) -> None:
    """Call refresh(changed paths) on each batch of file events under `folders`, and refresh(None) every
    `interval` seconds without any; until `stop` is set. Without watchfiles (or where the platform gives
    no events), refresh(None) every `interval` seconds: the caller compares what it sees."""
    watchfiles = _watchfiles()
    while not stop.is_set():
        existing = [os.path.abspath(f) for f in folders() if f.is_dir()]
        if watchfiles is None or not existing:
            if stop.wait(interval):
                return
            refresh(None)
            continue
        watched = set(existing)
        try:
            for changes in watchfiles.watch(
                *existing, stop_event=stop, debounce=50, step=5, rust_timeout=int(interval * 1000), yield_on_timeout=True
            ):
                refresh({path for _, path in changes} if changes else None)
                if {os.path.abspath(f) for f in folders() if f.is_dir()} != watched:
                    break  # a watched folder appeared or went: watch the new set
        except (OSError, RuntimeError):  # no events here (a full inotify table, a file system without them)
            watchfiles = None


# --- Server-Sent Events ---------------------------------------------------------------------


class _Stream:
    def __init__(self) -> None:
        self.closed = False


class Changes:
    """What the event streams wait on: the site's generation, and which streams are open."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.generation = 0
        self._streams: list[_Stream] = []
        self._stopped = False

    def bump(self, generation: int) -> None:
        with self._cond:
            self.generation = generation
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def open(self) -> _Stream:
        with self._cond:
            s = _Stream()
            self._streams.append(s)
            while len(self._streams) > MAX_STREAMS:  # the oldest goes, and its page reopens it if it is still there
                self._streams.pop(0).closed = True
            self._cond.notify_all()
            return s

    def close(self, s: _Stream) -> None:
        with self._cond:
            s.closed = True
            if s in self._streams:
                self._streams.remove(s)

    def wait(self, s: _Stream, seen: int, timeout: float) -> bool:
        """Wait until the generation is not `seen`, or `timeout`; False when the stream must end."""
        with self._cond:
            self._cond.wait_for(lambda: self.generation != seen or s.closed or self._stopped, timeout)
            return not (s.closed or self._stopped)

    @property
    def streams(self) -> int:
        with self._cond:
            return len(self._streams)


def stream(handler: BaseHTTPRequestHandler, changes: Changes, status: Callable[[], dict[str, Any]], seconds: float | None = None) -> None:
    """Answer an EventSource: the status now and after every rebuild, for `seconds` (STREAM_SECONDS) at most."""
    handler.close_connection = True
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
    handler.send_header("Cache-Control", "no-store")
    handler.send_header("X-Content-Type-Options", "nosniff")
    handler.send_header("Connection", "close")
    handler.end_headers()
    s = changes.open()
    end = time.monotonic() + (STREAM_SECONDS if seconds is None else seconds)
    try:
        handler.wfile.write(f"retry: {RETRY_MS}\n\n".encode())
        seen = -1
        while True:
            now = status()
            if now["generation"] != seen:
                seen = int(now["generation"])
                handler.wfile.write(b"data: " + json.dumps(now, ensure_ascii=True).encode("ascii") + b"\n\n")
            else:
                handler.wfile.write(b": \n\n")
            handler.wfile.flush()
            left = end - time.monotonic()
            if left <= 0 or not changes.wait(s, seen, min(left, HEARTBEAT_SECONDS)):
                return
    except (ConnectionError, TimeoutError, OSError):
        return  # the page has gone
    finally:
        changes.close(s)
