"""Garbage collection: off for a command-line run (__main__.py), collected between forces, on for the servers."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from hmic_compile.checks import parallel

from .conftest import REPO


@pytest.fixture
def collection_off() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    parallel._DONE[0] = 0
    try:
        yield
    finally:
        gc.unfreeze()
        parallel._DONE[0] = 0
        if was:
            gc.enable()


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_run_force_after_force_collects_what_each_left_in_cycles(collection_off: None) -> None:
    left: list[weakref.ref[Cycle]] = []

    def force(folder: Path) -> str:
        left.append(weakref.ref(Cycle()))  # garbage at once, in a cycle: only a collection frees it
        return folder.name

    each = parallel._one_by_one(force)
    assert [each(Path(f"f{i}")) for i in range(5)] == ["f0", "f1", "f2", "f3", "f4"]
    assert [r() is None for r in left] == [False, True, True, True, False]  # f0 frozen, f1-f3 collected, f4 the last


def test_with_collection_on_nothing_is_frozen() -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    each = parallel._one_by_one(lambda folder: folder.name)
    parallel._DONE[0] = 0
    try:
        assert [each(Path("a")), each(Path("b")), each(Path("c"))] == ["a", "b", "c"]
    finally:
        parallel._DONE[0] = 0
    assert gc.get_freeze_count() == before


def test_the_command_line_runs_without_collection_and_serve_turns_it_on(tmp_path: Path) -> None:
    probe = (
        "import gc, sys\n"
        "from hmic_compile import __main__ as m\n"
        "import hmic_compile.cli as cli\n"
        "seen = []\n"
        "m.invoked = lambda app, argv: lambda: seen.append(gc.isenabled())\n"
        "m.main()\n"
        "from hmic_compile.tools.serve import Server, Site\n"
        f"srv = Server(Site(__import__('pathlib').Path({str(REPO / 'tests' / 'fixtures' / 'mini')!r})), port=0, interval=60).start()\n"
        "seen.append(gc.isenabled())\n"
        "srv.stop()\n"
        "print(seen)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[False, True]"


def test_the_command_line_leaves_what_lives_at_exit_to_the_system(tmp_path: Path) -> None:
    """At exit the interpreter would collect over every object still alive; main() freezes them first, whatever
    the command did (here: exit 3, as a failing command exits)."""
    probe = (
        "import atexit, gc, sys\n"
        "from hmic_compile import __main__ as m\n"
        "def command():\n"
        "    sys.exit(3)\n"
        "m.invoked = lambda app, argv: command\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0, flush=True))\n"
        "m.main()\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert out.returncode == 3, out.stderr
    assert out.stdout.strip() == "frozen True"  # and the atexit handlers still ran
