"""Shared test fixtures: project paths and the golden-file switch."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO.parent / "shared" / "seeds" / "000_b58d774295a081e0.txt"
MINI = REPO / "tests" / "fixtures" / "mini"  # the smallest whole project: one framework, one force

# Runs hmic's command line (argv after the modules), then prints which of the modules it had loaded.
_NOTING = (
    "import sys\n"
    "from hmic_compile.__main__ import main\n"
    "modules = sys.argv.pop(1).split(',')\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    print('LOADED ' + ','.join(m for m in modules if m in sys.modules), file=sys.stderr)\n"
)


def run_noting_modules(args: list[str], modules: tuple[str, ...], env: dict[str, str]) -> tuple[int, str, str, set[str]]:
    """`hmic ARGS` in a new process with `env` added to this one's: its exit code, stdout and stderr, and which
    of `modules` it had imported by the time it ended (a run told from the cache imports less)."""
    argv = [sys.executable, "-c", _NOTING, ",".join(modules), *args]
    proc = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **env}, cwd=REPO)
    lines = proc.stderr.splitlines(keepends=True)
    assert lines and lines[-1].startswith("LOADED "), proc.stderr
    return proc.returncode, proc.stdout, "".join(lines[:-1]), set(filter(None, lines[-1].removeprefix("LOADED").strip().split(",")))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the current output")


class Golden:
    def __init__(self, update: bool):
        self.update = update

    def check(self, path: Path, actual: str) -> None:
        """Compare `actual` with the golden file at `path`, printing a diff; rewrite it with --update-golden.
        Line ends are compared as they are (a CSV's are CRLF): nothing is translated either way."""
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="")
            return
        if not path.exists():
            pytest.fail(f"golden file {path.relative_to(REPO)} is missing; run pytest --update-golden and review it")
        with path.open(encoding="utf-8", newline="") as f:
            expected = f.read()
        if expected != actual:
            diff = "".join(
                difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(path.relative_to(REPO)), "actual", n=2)
            )
            pytest.fail(f"output differs from {path.relative_to(REPO)} (pytest --update-golden rewrites it):\n{diff[:20000]}")


@pytest.fixture(scope="session", autouse=True)
def _cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The commands' caches (compiled templates, parsed YAML) in a folder of this test session, not the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HMIC_CACHE_DIR", str(tmp_path_factory.mktemp("hmic-cache")))
        yield


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the mini project to change (a test module may define its own `project` instead)."""
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return root
