"""The parse cache: a file's data comes back exactly as parsed, and only the file's exact bytes find it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.diagnostics import HmicError
from hmic_compile.inputs.cache import ParseCache
from hmic_compile.inputs.loader import load

from .conftest import REPO

runner = CliRunner()
NORFOLK = REPO / "evidence" / "norfolk-2007"


def _entries(cache: ParseCache) -> list[Path]:
    return sorted(p for p in cache.folder.iterdir() if not p.name.startswith(".")) if cache.folder.is_dir() else []


def test_a_cached_document_equals_the_parsed_one(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path)
    for path in sorted(NORFOLK.glob("*.yaml")) + sorted((REPO / "criteria" / "2007").rglob("*.yaml")):
        fresh = load(path, REPO)
        first = load(path, REPO, cache)  # a miss: parsed, then kept
        again = load(path, REPO, cache)  # a hit
        for doc in (first, again):
            assert (doc.rel, doc.data, doc.sha256, doc.locs, doc.key_locs) == (
                fresh.rel,
                fresh.data,
                fresh.sha256,
                fresh.locs,
                fresh.key_locs,
            )
            assert list(doc.data) == list(fresh.data)  # key order too: the report follows it
    assert len(_entries(cache)) == len(list(NORFOLK.glob("*.yaml"))) + len(list((REPO / "criteria" / "2007").rglob("*.yaml")))


def test_an_edited_file_is_parsed_again(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    path = tmp_path / "f.yaml"
    path.write_text("a: one\n", encoding="utf-8")
    assert load(path, tmp_path, cache).data == {"a": "one"}
    path.write_text("a: two\n", encoding="utf-8")
    assert load(path, tmp_path, cache).data == {"a": "two"}
    assert len(_entries(cache)) == 2


def test_a_file_with_an_error_is_never_cached_and_fails_every_time(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    path = tmp_path / "f.yaml"
    path.write_text("a: &x one\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(HmicError) as e:
            load(path, tmp_path, cache)
        assert e.value.diagnostics[0].code == "E005"
    assert _entries(cache) == []


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"\xe9" * 40])
def test_a_damaged_entry_is_ignored(tmp_path: Path, damage: bytes) -> None:
    cache = ParseCache(tmp_path / "cache")
    path = tmp_path / "f.yaml"
    path.write_text("a: one\nb:\n  - two\n", encoding="utf-8")
    doc = load(path, tmp_path, cache)
    (entry,) = _entries(cache)
    entry.write_bytes(damage)
    again = load(path, tmp_path, cache)
    assert (again.data, again.locs, again.key_locs) == (doc.data, doc.locs, doc.key_locs)


def test_an_entry_of_the_wrong_shape_is_ignored(tmp_path: Path) -> None:
    import marshal

    cache = ParseCache(tmp_path / "cache")
    path = tmp_path / "f.yaml"
    path.write_text("a: one\n", encoding="utf-8")
    load(path, tmp_path, cache)
    (entry,) = _entries(cache)
    entry.write_bytes(marshal.dumps(["not", "a", "parse"]))
    assert load(path, tmp_path, cache).data == {"a": "one"}


def test_a_cache_that_cannot_be_written_is_not_used(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    cache = ParseCache(blocker)
    doc = load(NORFOLK / "force.yaml", REPO, cache)
    assert doc.data["name"]


def test_validate_and_build_give_the_same_results_with_a_cold_a_warm_and_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "criteria", root / "criteria")
    shutil.copytree(REPO / "evidence", root / "evidence")
    bad = root / "evidence" / "norfolk-2007" / "glossary.yaml"
    text = bad.read_text(encoding="utf-8")
    bad.write_text(text.replace("terms:\n", "terms:\n  - term: ACPO\n    meaning: twice\n", 1), encoding="utf-8")  # an error
    outputs = []
    for setting in (str(tmp_path / "cache"), str(tmp_path / "cache"), "off"):  # cold, warm, none
        monkeypatch.setenv("HMIC_CACHE_DIR", setting)
        v = runner.invoke(app, ["validate", "--root", str(root), "--format", "json"])
        b = runner.invoke(app, ["build", "--root", str(root), "--out", str(tmp_path / "out"), "--format", "md"])
        outputs.append((v.exit_code, v.output, b.exit_code))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][0] == 1 and "E307" in outputs[0][1]
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith("yaml-")]


def test_entries_live_in_a_folder_only_their_user_can_read(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    load(NORFOLK / "force.yaml", REPO, cache)
    assert cache.folder.stat().st_mode & 0o077 == 0
