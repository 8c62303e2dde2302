"""Ctrl-C and SIGTERM: the main process stops once and cleanly; its workers stop when it says so, or when it dies."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from types import FrameType

_received: int | None = None  # the signal that is stopping this process, once one has


def _stop(signum: int, frame: FrameType | None) -> None:
    global _received
    if _received is not None:
        return  # a second Ctrl-C while stopping is ignored: the clean-up under way (a few milliseconds) finishes
    _received = signum
    raise KeyboardInterrupt


def install() -> None:
    """In the main process, first of all: SIGINT and SIGTERM each raise KeyboardInterrupt, the first one only.

    So a SIGTERM (a CI job cancelled, `kill`) stops hmic as Ctrl-C does, through the same `finally`
    blocks: a report being written is put back as it was, workers are stopped."""
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)


def exit_code() -> int:
    """128 + the signal that stopped the process: 130 for Ctrl-C (and when no handler was installed), 143 for SIGTERM."""
    return 128 + (_received or signal.SIGINT)


def worker(parent: int, sentinel: int | None = None) -> None:
    """In a worker forked from `parent`: Ctrl-C at a terminal reaches every process of the group, but only the
    parent decides (SIGINT is ignored); the parent stops a worker with SIGTERM, which raises KeyboardInterrupt
    once; and when the parent dies, even by SIGKILL, the worker sends itself SIGTERM too.

    `sentinel`: a file descriptor that becomes readable when the parent is gone (multiprocessing's parent
    sentinel, the read end of a pipe only the parent writes), watched by a thread that waits on it alone;
    without one, the thread looks for the parent twice a second."""
    global _received
    _received = None
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    threading.Thread(target=_watch, args=(parent, sentinel), name="hmic-watch-parent", daemon=True).start()


def _watch(parent: int, sentinel: int | None) -> None:
    """Once the parent is gone, stop as if it had said so. Waiting on the sentinel costs nothing while the
    worker works (no Linux-only prctl through ctypes, whose import is a tenth of a force's build)."""
    if sentinel is not None:
        with contextlib.suppress(OSError, ValueError):  # not a descriptor that can be waited on: look for the parent instead
            select.select([sentinel], [], [])
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
