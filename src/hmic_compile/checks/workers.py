"""Forked worker processes, one item at a time each: every item's result, or how its worker died; stopped at once on Ctrl-C.

Not concurrent.futures: on Ctrl-C its pool runs the queued items to the end, and when a worker dies it
fails every item in flight without saying which one the dead worker held. Here the parent hands each
worker one item, so it knows what a dead worker was doing, reports that item alone and starts a new
worker for the rest; and on Ctrl-C or SIGTERM it stops every worker (each finishes its `finally`
blocks: a report half-written is put back as it was) and starts nothing more.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from msgspec import Struct

from .. import interrupts

T = TypeVar("T")
R = TypeVar("R")

STOP_SECONDS = 2.0  # how long stopped workers have to finish their clean-up before they are killed
_STOPPING = {signal.SIGINT, signal.SIGTERM}


class WorkerError(RuntimeError):
    """An item's function raised in a worker: a bug in hmic, shown with the worker's traceback."""


class _Worker(Struct):
    process: Any  # multiprocessing's ForkProcess
    conn: Connection
    item: int | None = None  # the index of the item it holds, None when idle


def _serve(conn: Connection, fn: Callable[[Any], Any], items: Sequence[Any], parent: int) -> None:
    """A worker's life: take an index, send back ("ok", result) or ("error", traceback), until told to stop."""
    try:
        parent_process = multiprocessing.parent_process()
        interrupts.worker(parent, parent_process.sentinel if parent_process is not None else None)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)  # blocked since the fork (see run): a SIGTERM sent meanwhile lands here
        while (i := conn.recv()) is not None:
            try:
                reply: tuple[str, Any] = ("ok", fn(items[i]))
            except Exception:  # a bug in hmic: the parent raises it with this traceback
                reply = ("error", traceback.format_exc())
            conn.send(reply)
    except (KeyboardInterrupt, EOFError, OSError):
        pass  # told to stop (SIGTERM), or the parent is gone
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # done: nothing more to clean up


def how_it_died(exitcode: int | None) -> str:
    """A dead worker's exit status in words."""
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else f"signal {-exitcode}"
        why = " (the system may have run out of memory)" if -exitcode == signal.SIGKILL else ""
        return f"killed by {name}{why}"
    return f"exited with status {exitcode}"


def run(fn: Callable[[T], R], items: Sequence[T], jobs: int, died: Callable[[T, str, int], R]) -> Iterator[R]:
    """fn(item) for every item, in up to `jobs` forked workers; results as they complete.

    An item whose worker died (killed by the out-of-memory killer, say) gives died(item, how, pid)
    instead, and the other items go on in new workers."""
    context = multiprocessing.get_context("fork")
    parent = os.getpid()
    todo = deque(range(len(items)))
    idle: list[_Worker] = []
    busy: list[_Worker] = []
    every: list[_Worker] = []

    def start() -> _Worker:
        mine, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, fn, items, parent), daemon=True)
        # Ctrl-C and SIGTERM wait while the worker is forked and sets itself up (they would land in
        # multiprocessing's own start-up code there, a traceback), and while the parent records it.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
        try:
            process.start()
            worker = _Worker(process, mine)
            every.append(worker)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        theirs.close()  # the worker's end lives on in the worker only, so its death closes the pipe
        return worker

    try:
        while todo or busy:
            while todo and len(busy) < jobs:
                worker = idle.pop() if idle else start()
                try:
                    worker.conn.send(todo[0])
                except OSError:  # it died idle, before taking the item: the item goes to another
                    worker.process.join()
                    worker.conn.close()
                    continue
                worker.item = todo.popleft()
                busy.append(worker)
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for worker in [w for w in busy if w.conn in ready or w.process.sentinel in ready]:
                busy.remove(worker)
                item, worker.item = worker.item, None
                assert item is not None
                reply = _reply(worker)
                if reply is None:  # the worker died holding this item
                    worker.process.join()
                    worker.conn.close()
                    yield died(items[item], how_it_died(worker.process.exitcode), worker.process.pid)
                    continue
                idle.append(worker)
                kind, value = reply
                if kind == "error":
                    raise WorkerError(f"a worker failed on {items[item]!r}:\n{value}")
                yield value
    finally:
        _stop(every)


def _reply(worker: _Worker) -> tuple[str, Any] | None:
    """The worker's reply, or None when it died before sending one."""
    try:
        if worker.conn.poll():
            reply: tuple[str, Any] = worker.conn.recv()
            return reply
    except (EOFError, OSError):
        pass
    return None


def _stop(workers: list[_Worker]) -> None:
    """Stop every worker still alive: SIGTERM (each finishes its clean-up), then SIGKILL for any that lingers."""
    for w in workers:
        if w.process.is_alive():
            with contextlib.suppress(ProcessLookupError):  # it died in the meantime
                os.kill(w.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for w in workers:
        w.process.join(max(0.0, deadline - time.monotonic()))
        if w.process.is_alive():
            w.process.kill()
            w.process.join()
        w.conn.close()
