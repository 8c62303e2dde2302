"""inputs/snapshot.py: the digest of everything a remembered result depends on, and what it refuses to judge."""

from __future__ import annotations

import marshal
import os
import shutil
from pathlib import Path

import pytest

from hmic_compile.inputs import loader, snapshot
from hmic_compile.inputs.cache import Entries, ParseCache, files_folder
from hmic_compile.inputs.loader import load
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


# --- the files' record kept between runs (files/), and the loader reading nothing the record vouches for ---


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new run: nothing read in this process yet, no record read. Every file counts as written long
    before it is read, as a checkout's are by the next run: a test cannot set a file's status-change time
    back, and a file written within STABLE_NS of being read is never recorded."""
    monkeypatch.setattr(snapshot, "_READ", {})
    monkeypatch.setattr(snapshot, "_INDEXED", set())
    monkeypatch.setattr(snapshot, "STABLE_NS", 0)


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file the digest and the loader open from now on."""
    opened: list[str] = []
    for module in (snapshot, loader):
        real = module.read_regular

        def counting(path, limit, real=real):  # type: ignore[no-untyped-def]
            opened.append(os.path.basename(path))
            return real(path, limit)

        monkeypatch.setattr(module, "read_regular", counting)
    return opened


def _later_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "_READ", {})
    monkeypatch.setattr(snapshot, "_INDEXED", set())


@pytest.mark.usefixtures("fresh_process")
def test_a_later_run_reads_no_file_the_record_vouches_for(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = digest("validate", root, None, cache=cache)
    opened = _reads(monkeypatch)
    _later_run(monkeypatch)
    assert digest("validate", root, None, cache=cache) == first
    assert opened == []  # every file as recorded: none read
    assert digest("validate", root, None) == first  # the same digest as a run without a cache, which reads every file


@pytest.mark.usefixtures("fresh_process")
def test_a_file_edited_since_the_record_is_read_again(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = digest("validate", root, None, cache=cache)
    glossary = root / "evidence" / "testshire-2024" / "glossary.yaml"
    st = os.stat(glossary)
    text = glossary.read_bytes()
    glossary.write_bytes(text[:-2] + (b"x\n" if text[-2:] != b"x\n" else b"y\n"))  # the same size ...
    os.utime(glossary, ns=(st.st_atime_ns, st.st_mtime_ns))  # ... and modification time: only its status-change time moved
    opened = _reads(monkeypatch)
    _later_run(monkeypatch)
    assert digest("validate", root, None, cache=cache) not in (None, first)
    assert opened == ["glossary.yaml"]


@pytest.mark.usefixtures("fresh_process")
@pytest.mark.parametrize("damage", ["other project", "not numbers", "not marshal"])
def test_a_record_that_is_not_hmics_own_is_not_trusted(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    cache = tmp_path / "cache"
    first = digest("validate", root, None, cache=cache)
    real = os.path.realpath(root)
    entries = Entries(files_folder(cache))
    recorded = marshal.loads(entries.read(snapshot._index_name(real)) or b"")
    if damage == "other project":  # the same files' record, said to be of another folder
        payload = marshal.dumps({p.replace(real, str(tmp_path / "elsewhere")): v for p, v in recorded.items()})
    elif damage == "not numbers":
        payload = marshal.dumps({p: (tuple(str(n) for n in v[0]), v[1]) for p, v in recorded.items()})
    else:
        payload = b"\xff not marshal"
    entries.write(snapshot._index_name(real), payload)
    opened = _reads(monkeypatch)
    _later_run(monkeypatch)
    assert digest("validate", root, None, cache=cache) == first
    assert len(opened) == len(recorded)  # every file read again


@pytest.mark.usefixtures("fresh_process")
def test_the_loader_opens_no_file_a_digest_just_read_and_the_parse_cache_holds(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    parse = ParseCache(cache)
    glossary = root / "evidence" / "testshire-2024" / "glossary.yaml"
    parsed = load(glossary, root, parse)  # parsed and kept
    _later_run(monkeypatch)
    digest("validate", root, None, cache=cache)
    opened = _reads(monkeypatch)
    known = load(glossary, root, parse)
    assert opened == [] and known == parsed
    glossary.write_bytes(glossary.read_bytes() + b"\n")  # changed since the digest: read
    assert load(glossary, root, parse).sha256 != parsed.sha256 and opened == ["glossary.yaml"]
