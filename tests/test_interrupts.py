"""Interrupts and crashes, with real processes and real signals: Ctrl-C and SIGTERM stop a build of many forces
at once and leave every previous output as it was; a worker killed (as by the out-of-memory killer) fails its
own force only; workers never outlive the main process; Ctrl-C while hmic starts is exit 130, no traceback.

Each test slows a build down with a sitecustomize hook (never with hooks in hmic itself): the hook marks
when a worker reached the slow step, with the worker's pid, and the test sends its signal then.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.report.write import recover

from .test_build_all import NAMES, national  # noqa: F401 - the five-force project, a fixture

FORCES = [f"{n}-2024" for n in NAMES]

# Every build of a force waits at the start (the hook's `where`), so the test knows what is running.
SLOW_BUILD = """
    import os, pathlib, time
    import hmic_compile.report.build as build
    _build_force = build.build_force
    def slow(project, fo, env, options, *report):
        if fo.key in os.environ["HOOK_FORCES"].split(","):
            pathlib.Path(os.environ["HOOK_MARKS"], f"{fo.key}.{os.getpid()}").touch()
            time.sleep(60)
        return _build_force(project, fo, env, options, *report)
    build.build_force = slow
"""

# The force's previous output has been moved aside and the new one is not yet in place.
BETWEEN_RENAMES = """
    import os, pathlib, time
    _rename = os.rename
    def slow_rename(src, dst, *args, **kwargs):
        _rename(src, dst, *args, **kwargs)
        name = pathlib.Path(str(src)).name
        if str(dst).endswith(".old") and name in os.environ["HOOK_FORCES"].split(","):
            pathlib.Path(os.environ["HOOK_MARKS"], f"{name}.{os.getpid()}").touch()
            time.sleep(60)
    os.rename = slow_rename
"""

# A report file is being created in the temporary folder (.<force>.<pid>.XXXXXXXX.tmp/<force>/report.html).
WHILE_WRITING = """
    import os, pathlib, time
    _open = os.open
    def slow_open(file, flags, *args, **kwargs):
        path = pathlib.Path(os.fspath(file))
        if flags & os.O_CREAT and path.name == "report.html" and path.parent.parent.name.endswith(".tmp"):
            force = path.parent.name
            if force in os.environ["HOOK_FORCES"].split(","):
                pathlib.Path(os.environ["HOOK_MARKS"], f"{force}.{os.getpid()}").touch()
                time.sleep(60)
        return _open(file, flags, *args, **kwargs)
    os.open = slow_open
"""

# hmic's start-up: Python still importing typer.
SLOW_START = """
    import os, pathlib, sys, time
    class SlowStart:
        def find_spec(self, name, path=None, target=None):
            if name == "typer":
                pathlib.Path(os.environ["HOOK_MARKS"], "starting.0").touch()
                time.sleep(60)
            return None
    sys.meta_path.insert(0, SlowStart())
"""


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


class Run:
    """hmic in a subprocess with a hook; `marks()` are (force, pid) pairs the hook has reached."""

    def __init__(self, tmp_path: Path, hook: str, forces: list[str], *args: str):
        self.marks_dir = tmp_path / "marks"
        self.marks_dir.mkdir()
        site = tmp_path / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(textwrap.dedent(hook), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(site), "HOOK_MARKS": str(self.marks_dir), "HOOK_FORCES": ",".join(forces)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hmic_compile", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def marks(self) -> dict[str, int]:
        return {p.name.rsplit(".", 1)[0]: int(p.name.rsplit(".", 1)[1]) for p in self.marks_dir.iterdir()}

    def wait_for(self, count: int) -> dict[str, int]:
        deadline = time.monotonic() + 60
        while len(self.marks()) < count:
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.monotonic() < deadline, f"the hook was reached {len(self.marks())} times, not {count}"
            time.sleep(0.02)
        return self.marks()

    def finish(self) -> tuple[int, str, str]:
        """Its exit code and output; a run that does not end within 30 seconds (the hook sleeps 60) fails the test."""
        try:
            stdout, stderr = self.proc.communicate(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        assert "Traceback" not in stdout + stderr, stderr
        return self.proc.returncode, stdout, stderr


def _gone(pid: int) -> bool:
    """Whether process `pid` has exited (a zombie nobody has reaped yet counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def _wait_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + 15
    while any(not _gone(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if not _gone(p)]


@pytest.fixture
def built(national: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:  # noqa: F811
    """The five forces built once, in-process: the previous output every later test must leave intact."""
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", "--root", str(national), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return national, out, _snapshot(out)


def _build_args(root: Path, out: Path) -> list[str]:
    # --rebuild: `built` is up to date, and these builds must render and write it again to be interrupted
    return ["build", "--root", str(root), "--out", str(out), "--jobs", "2", "--rebuild"]


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see whether a process has exited")


@needs_proc
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_a_build_of_many_forces_at_once(built, tmp_path: Path, sig: int, code: int) -> None:
    root, out, before = built
    run = Run(tmp_path, SLOW_BUILD, FORCES, *_build_args(root, out))
    workers = list(run.wait_for(2).values())  # two workers are building; three forces wait their turn
    run.proc.send_signal(sig)
    exit_code, stdout, stderr = run.finish()
    assert exit_code == code, stderr
    assert stderr == (
        f"interrupted: built 0 of 5 forces; not built: {', '.join(FORCES)}\nthe previous output of every force not built is unchanged\n"
    )
    assert stdout == ""
    assert len(run.marks()) == 2, "a queued force was started after the interrupt"
    assert _wait_gone(workers) == [], "a worker outlived the interrupt"
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2024", *FORCES]  # no temporary or .old folder left


@needs_proc
def test_ctrl_c_again_and_again_while_stopping_never_hangs(built, tmp_path: Path) -> None:
    root, out, before = built
    run = Run(tmp_path, WHILE_WRITING, FORCES, *_build_args(root, out))
    workers = list(run.wait_for(2).values())  # two workers are writing report.html into their temporary folders
    for _ in range(5):
        run.proc.send_signal(signal.SIGINT)
        for pid in workers:  # as a terminal's Ctrl-C does, to the whole process group
            os.kill(pid, signal.SIGINT)
    exit_code, _, stderr = run.finish()
    assert exit_code == 130, stderr
    assert stderr.startswith("interrupted: built 0 of 5 forces; not built: alpha-2024, bravo-2024, charlie-2024")
    assert _wait_gone(workers) == []
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2024", *FORCES]


@needs_proc
def test_a_worker_killed_while_building_fails_that_force_alone(built, tmp_path: Path) -> None:
    root, out, before = built
    run = Run(tmp_path, SLOW_BUILD, ["charlie-2024"], *_build_args(root, out))
    pid = run.wait_for(1)["charlie-2024"]
    os.kill(pid, signal.SIGKILL)  # as the out-of-memory killer does
    exit_code, _, stderr = run.finish()
    assert exit_code == 1, stderr
    assert (
        "evidence/charlie-2024: error[E720]: the worker building this force died: killed by SIGKILL "
        "(the system may have run out of memory); run again with more memory free, or with --jobs 1" in stderr
    )
    assert "charlie-2024: not built; previous output left unchanged" in stderr
    for force in FORCES:
        if force != "charlie-2024":
            assert f"/out/{force}/ (manifest.json, report.html, report.md)" in stderr
    assert stderr.endswith("built 4 of 5 forces; not built: charlie-2024\n")
    assert _snapshot(out) == before


@needs_proc
def test_a_worker_killed_between_the_renames_has_its_previous_output_put_back(built, tmp_path: Path) -> None:
    root, out, before = built
    run = Run(tmp_path, BETWEEN_RENAMES, ["bravo-2024"], *_build_args(root, out))
    pid = run.wait_for(1)["bravo-2024"]
    assert not (out / "bravo-2024").exists()  # moved aside: a SIGKILL now runs no `finally`
    os.kill(pid, signal.SIGKILL)
    exit_code, _, stderr = run.finish()
    assert exit_code == 1, stderr
    assert "evidence/bravo-2024: error[E720]: the worker building this force died: killed by SIGKILL" in stderr
    assert stderr.endswith("built 4 of 5 forces; not built: bravo-2024\n")
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2024", *FORCES]


@needs_proc
def test_a_worker_killed_while_writing_leaves_no_temporary_folder(built, tmp_path: Path) -> None:
    root, out, before = built
    run = Run(tmp_path, WHILE_WRITING, ["alpha-2024"], *_build_args(root, out))
    pid = run.wait_for(1)["alpha-2024"]
    assert [p.name for p in out.glob(f".alpha-2024.{pid}.*.tmp")], "the worker writes into a folder named with its pid"
    os.kill(pid, signal.SIGKILL)
    exit_code, _, stderr = run.finish()
    assert exit_code == 1, stderr
    assert "evidence/alpha-2024: error[E720]: the worker building this force died: killed by SIGKILL" in stderr
    assert stderr.endswith("built 4 of 5 forces; not built: alpha-2024\n")
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2024", *FORCES]  # the dead worker's fresh folder is gone


def test_the_clean_up_after_a_dead_worker_follows_no_link(tmp_path: Path) -> None:
    # Only a folder write_atomic made is cleaned up: a link planted under the same name is left, never followed.
    out = tmp_path / "out"
    (out / "alpha-2024").mkdir(parents=True)
    (out / "alpha-2024" / "report.md").write_text("new\n", encoding="utf-8")
    victim = tmp_path / "victim"
    (victim / "alpha-2024.old").mkdir(parents=True)
    os.symlink(victim, out / ".alpha-2024.4242.planted.tmp")
    stage = out / ".alpha-2024.4242.abcdefgh.tmp"
    (stage / "alpha-2024.old").mkdir(parents=True)
    (stage / "alpha-2024.old" / "report.md").write_text("old\n", encoding="utf-8")
    recover(out / "alpha-2024", 4242)
    assert (out / "alpha-2024" / "report.md").read_text(encoding="utf-8") == "new\n"  # the new output was in place: kept
    assert sorted(p.name for p in out.iterdir()) == [".alpha-2024.4242.planted.tmp", "alpha-2024"]
    assert sorted(p.name for p in victim.iterdir()) == ["alpha-2024.old"]
    recover(out / "alpha-2024", 1)  # another pid's folders are not its own
    assert (out / ".alpha-2024.4242.planted.tmp").is_symlink()


@needs_proc
def test_workers_do_not_outlive_a_main_process_killed_outright(built, tmp_path: Path) -> None:
    root, out, before = built
    run = Run(tmp_path, SLOW_BUILD, FORCES, *_build_args(root, out))
    workers = list(run.wait_for(2).values())
    run.proc.kill()  # SIGKILL: the main process runs no clean-up at all
    run.proc.communicate(timeout=30)
    assert _wait_gone(workers) == [], "workers kept running after their parent died"
    assert _snapshot(out) == before


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_a_signal_while_hmic_starts_is_a_clean_exit(tmp_path: Path, sig: int, code: int) -> None:
    run = Run(tmp_path, SLOW_START, [], "validate", "--root", str(tmp_path))
    run.wait_for(1)
    run.proc.send_signal(sig)
    exit_code, stdout, stderr = run.finish()
    assert (exit_code, stdout, stderr) == (code, "", "interrupted\n")


@needs_proc
def test_ctrl_c_during_validate_of_many_forces(national: Path, tmp_path: Path) -> None:  # noqa: F811
    hook = SLOW_BUILD.replace("hmic_compile.report.build as build", "hmic_compile.checks.parallel as build").replace(
        "build.build_force", "build.load_and_check"
    )
    hook = hook.replace("def slow(project, fo, env, options, *report):", "def slow(folder):").replace("fo.key", "folder.name")
    hook = hook.replace("return _build_force(project, fo, env, options, *report)", "return _build_force(folder)")
    run = Run(tmp_path, hook, FORCES, "validate", "--root", str(national))
    workers = list(run.wait_for(1).values())  # in a worker (or in the main process, on a single core)
    run.proc.send_signal(signal.SIGINT)
    exit_code, stdout, stderr = run.finish()
    assert (exit_code, stdout, stderr) == (130, "", "interrupted\n")
    assert _wait_gone(workers) == []


def test_a_build_left_alone_is_not_disturbed(built, tmp_path: Path) -> None:
    """The control: the same hooks with no signal build everything (the hook that waits is never reached)."""
    root, out, before = built
    shutil.rmtree(out)
    run = Run(tmp_path, SLOW_BUILD, [], *_build_args(root, out))
    exit_code, _, stderr = run.finish()
    assert exit_code == 0, stderr
    assert stderr.endswith("built 5 of 5 forces\n")
    assert _snapshot(out) == before
