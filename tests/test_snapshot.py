"""inputs/snapshot.py: the digest of everything a remembered result depends on, and what it refuses to judge."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hmic_compile.inputs.snapshot import digest

from .conftest import REPO

MINI = REPO / "tests" / "fixtures" / "mini"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "p")
    return tmp_path / "p"


def test_the_same_files_give_the_same_digest_and_any_change_another(root: Path) -> None:
    first = digest("validate", root, None)
    assert first is not None and digest("validate", root, None) == first
    assert digest("build", root, None) != first  # a kind of result of its own
    assert digest("validate", root, ["testshire-2024"]) != first  # and the caller's parts
    glossary = root / "evidence" / "testshire-2024" / "glossary.yaml"
    text = glossary.read_bytes()
    glossary.write_bytes(text + b" ")
    assert digest("validate", root, None) not in (None, first)
    glossary.write_bytes(text)
    assert digest("validate", root, None) == first
    (root / "evidence" / "empty").mkdir()  # even an empty folder: a force folder with nothing in it is an error
    assert digest("validate", root, None) != first


def test_a_copy_elsewhere_is_another_project(root: Path, tmp_path: Path) -> None:
    shutil.copytree(root, tmp_path / "q")
    assert digest("validate", root, None) != digest("validate", tmp_path / "q", None)


def test_a_missing_folder_is_recorded_as_missing(root: Path) -> None:
    shutil.rmtree(root / "evidence")
    assert digest("validate", root, None) is not None


@pytest.mark.parametrize("what", ["link", "pipe", "name", "criteria is a file"])
def test_what_only_a_full_run_can_judge_is_never_digested(root: Path, what: str) -> None:
    force = root / "evidence" / "testshire-2024"
    if what == "link":
        (force / "other.yaml").symlink_to(force / "glossary.yaml")
    elif what == "pipe":
        os.mkfifo(force / "pipe.yaml")  # never opened: a read would block
    elif what == "name":
        with open(os.fsencode(force) + b"/bad-\xff.yaml", "wb") as f:  # a name that is not UTF-8
            f.write(b"a: 1\n")
    else:
        shutil.rmtree(root / "criteria")
        (root / "criteria").write_text("x", encoding="utf-8")
    assert digest("validate", root, None) is None


def test_a_file_rewritten_with_its_size_and_times_kept_is_read_again(root: Path) -> None:
    """What was read once in a run is not read again while nothing about the file changed; a write with the
    same size, its modification time set back, still moves the status-change time, so it is read again."""
    glossary = root / "evidence" / "testshire-2024" / "glossary.yaml"
    old = os.stat(glossary)
    os.utime(glossary, ns=(old.st_atime_ns, old.st_mtime_ns - 10_000_000_000))  # written long ago: its digest is kept
    first = digest("validate", root, None)
    assert digest("validate", root, None) == first
    st = os.stat(glossary)
    text = glossary.read_bytes()
    glossary.write_bytes(text[:-2] + (b"x\n" if text[-2:] != b"x\n" else b"y\n"))
    os.utime(glossary, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(glossary).st_size == st.st_size and os.stat(glossary).st_mtime_ns == st.st_mtime_ns
    assert digest("validate", root, None) != first
