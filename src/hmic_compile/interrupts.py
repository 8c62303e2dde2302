"""Ctrl-C and SIGTERM: the main process stops once and cleanly; its workers stop when it says so, or when it dies."""

from __future__ import annotations

import os
import signal
import sys
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


def worker(parent: int) -> None:
    """In a worker forked from `parent`: Ctrl-C at a terminal reaches every process of the group, but only the
    parent decides (SIGINT is ignored); the parent stops a worker with SIGTERM, which raises KeyboardInterrupt
    once; and when the parent dies, even by SIGKILL, the worker is sent SIGTERM too."""
    global _received
    _received = None
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    if not _die_with(parent):
        threading.Thread(target=_watch, args=(parent,), name="hmic-watch-parent", daemon=True).start()


def _die_with(parent: int) -> bool:
    """Linux's PR_SET_PDEATHSIG: SIGTERM when the parent dies. False where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)
    return True


def _watch(parent: int) -> None:
    """Elsewhere: look for the parent twice a second; once it is gone, stop as if it had said so."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
