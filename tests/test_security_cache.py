"""The cache cannot be poisoned (docs/security.md, "The cache"): hmic makes its cache folders 0700 and uses none
it did not make (another owner, writable by others, a link), with one warning (W710) a run; entries are read
only as regular files of bounded size whose checksum holds, so a damaged, truncated, planted or blocking
entry is ignored; and nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import pickle
import shutil
import threading
from pathlib import Path

import jinja2
import pytest
from typer.testing import CliRunner

from hmic_compile import __version__
from hmic_compile.cli import app
from hmic_compile.inputs import cache as cache_mod
from hmic_compile.inputs.cache import MAGIC, MAX_ENTRY, Entries, ParseCache, template_folder, yaml_folder
from hmic_compile.inputs.loader import load
from hmic_compile.report.render import make_environment

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
KEY = "testshire-2024"
NOBODY = 65534
HINT = "remove it, or set HMIC_CACHE_DIR to a folder only you can write (HMIC_CACHE_DIR=off turns the cache off)"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), f"hmic raised {result.exception!r}"
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _build(root: Path, out: Path, *extra: str) -> tuple[int, str]:
    return _run("build", "--root", str(root), "--out", str(out), "--format", "md", *extra)


def _report(out: Path) -> str:
    return (out / KEY / "report.md").read_text(encoding="utf-8")


def _give_away(path: Path) -> None:
    """Make `path` another user's, as a cache folder planted by someone else would be."""
    if os.geteuid() != 0:
        pytest.skip("only root can give a folder to another user")
    os.chown(path, NOBODY, NOBODY)


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if "warning[W710]" in line]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home" / "cache" / "hmic"
    monkeypatch.setenv("HMIC_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def plain(tmp_path: Path) -> str:
    """The report built with no cache at all: what every cached build must give."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HMIC_CACHE_DIR", "off")
        code, output = _build(MINI, tmp_path / "plain")
    assert code == 0, output
    return _report(tmp_path / "plain")


# --- the folders -----------------------------------------------------------------------------


def test_every_cache_folder_hmic_makes_is_its_user_s_alone(tmp_path: Path, cache: Path) -> None:
    old = os.umask(0o002)  # even a lax umask gives no one else a way in
    try:
        assert _build(MINI, tmp_path / "out")[0] == 0
    finally:
        os.umask(old)
    made = [cache.parent, cache, yaml_folder(cache), template_folder(cache, False).parent, template_folder(cache, False)]
    made.append(template_folder(cache, True))
    assert {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777 for p in made} == {
        p.relative_to(tmp_path).as_posix(): 0o700 for p in made
    }
    for entry in [*yaml_folder(cache).iterdir(), *template_folder(cache, False).iterdir()]:
        assert entry.stat().st_mode & 0o077 == 0 and entry.read_bytes().startswith(MAGIC)


def _problem(kind: str, cache: Path, tmp_path: Path) -> str:
    """Set up one way a cache folder is not the user's own; returns what W710 says about it."""
    if kind == "another-owner":
        cache.mkdir(parents=True)
        _give_away(cache)
        return f"the cache folder belongs to another user (uid {NOBODY})"
    if kind in ("group-writable", "world-writable"):
        cache.mkdir(parents=True)
        os.chmod(cache, 0o770 if kind == "group-writable" else 0o777)
        return f"the cache folder can be written by other users (mode {0o770 if kind == 'group-writable' else 0o777:04o})"
    if kind == "a-file":
        cache.parent.mkdir(parents=True)
        cache.write_text("not a folder\n", encoding="utf-8")
        return "the cache folder is not a folder"
    if kind == "subfolder-of-another-owner":
        sub = template_folder(cache, False)
        sub.mkdir(parents=True, mode=0o700)
        _give_away(sub)
        return f"the cache folder holds templates-{__version__}/trusted, which belongs to another user (uid {NOBODY})"
    if kind == "subfolder-a-link":
        planted = tmp_path / "planted"
        planted.mkdir(mode=0o700)
        yaml_folder(cache).parent.mkdir(parents=True)
        os.symlink(planted, yaml_folder(cache))
        return f"the cache folder holds {yaml_folder(cache).name}, which is a symbolic link"
    if kind == "under-a-folder-anyone-can-write":
        os.makedirs(cache.parent.parent)
        os.chmod(cache.parent.parent, 0o777)  # no sticky bit: anyone could rename our folder away and put theirs
        return f"the cache folder lies in {cache.parent.parent}, which anybody can write"
    raise AssertionError(kind)


KINDS = [
    "another-owner",
    "group-writable",
    "world-writable",
    "a-file",
    "subfolder-of-another-owner",
    "subfolder-a-link",
    "under-a-folder-anyone-can-write",
]


@pytest.mark.parametrize("kind", KINDS)
def test_a_cache_folder_hmic_did_not_make_is_not_used_with_one_warning(tmp_path: Path, cache: Path, plain: str, kind: str) -> None:
    said = _problem(kind, cache, tmp_path)
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if not {"out", "plain"} & set(p.parts))
    code, output = _build(MINI, tmp_path / "out")
    assert code == 0, output
    assert _warnings(output) == [f"{cache}: warning[W710]: {said}; running without the cache; {HINT}"]
    assert _report(tmp_path / "out") == plain
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if not {"out", "plain"} & set(p.parts))
    assert after == before  # nothing was written in, or next to, the cache


def test_a_sticky_folder_anyone_can_write_above_the_cache_is_fine(tmp_path: Path, cache: Path) -> None:
    os.makedirs(cache.parent.parent)
    os.chmod(cache.parent.parent, 0o1777)  # as /tmp is: nobody can rename what is not theirs
    code, output = _build(MINI, tmp_path / "out")
    assert code == 0 and _warnings(output) == []
    assert list(yaml_folder(cache).iterdir())


@pytest.mark.parametrize("command", ["validate", "grade", "build"])
def test_the_warning_is_printed_once_a_run_however_many_forces(tmp_path: Path, cache: Path, command: str) -> None:
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    shutil.copytree(root / "evidence" / KEY, root / "evidence" / "westshire-2024")  # the same grades as testshire
    cache.mkdir(parents=True)
    os.chmod(cache, 0o777)
    extra = ["--out", str(tmp_path / "out"), "--jobs", "2"] if command == "build" else []
    code, output = _run(command, "--root", str(root), *extra)
    assert code == 0, output
    assert len(_warnings(output)) == 1


@pytest.mark.parametrize("command", ["validate", "build"])
def test_the_warning_is_an_annotation_when_github_is_asked_for(tmp_path: Path, cache: Path, command: str) -> None:
    cache.mkdir(parents=True)
    os.chmod(cache, 0o777)
    extra = ["--out", str(tmp_path / "out"), "--diagnostics", "github"] if command == "build" else ["--format", "github"]
    result = CliRunner().invoke(app, [command, "--root", str(MINI), *extra])
    assert result.exit_code == 0, result.output
    said = "the cache folder can be written by other users (mode 0777); running without the cache; " + HINT
    annotation = f"::warning file={str(cache).replace(':', '%3A').replace(',', '%2C')},title=W710::{said}"
    assert [line for line in result.stdout.splitlines() if "W710" in line] == [annotation]  # on stdout, with the others
    assert "W710" not in result.stderr


@pytest.mark.parametrize("command", ["validate", "build"])
def test_the_warning_leaves_json_on_stdout_alone(tmp_path: Path, cache: Path, command: str) -> None:
    cache.mkdir(parents=True)
    os.chmod(cache, 0o777)
    extra = ["--out", str(tmp_path / "out"), "--diagnostics", "json"] if command == "build" else ["--format", "json"]
    result = CliRunner().invoke(app, [command, "--root", str(MINI), *extra])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # one JSON document, the warning on stderr as a line of text
    assert len(_warnings(result.stderr)) == 1


# --- planted entries ---------------------------------------------------------------------------


def _plant_template(cache: Path, source: str) -> None:
    """An entry for the default report.md.j2 whose code prints `source`'s text, as only the cache's owner can write it."""
    env = make_environment(None, MINI, cache)
    real, filename, _ = env.loader.get_source(env, "report.md.j2")  # type: ignore[union-attr]
    bcc = env.bytecode_cache
    assert bcc is not None
    code = env.compile(source, "report.md.j2", filename)
    key = bcc.get_cache_key("report.md.j2", filename)
    payload = bcc.get_source_checksum(real).encode() + b"\n" + marshal.dumps(code)
    Entries(template_folder(cache, False)).write(key, payload)


def test_compiled_code_planted_in_a_folder_of_another_user_never_runs(tmp_path: Path, cache: Path, plain: str) -> None:
    assert _build(MINI, tmp_path / "warm")[0] == 0
    _plant_template(cache, "PWNED\n")
    assert _build(MINI, tmp_path / "own")[0] == 0
    assert _report(tmp_path / "own") == "PWNED\n"  # in the user's own folder, an entry is trusted: the test can fail
    _give_away(template_folder(cache, False))
    code, output = _build(MINI, tmp_path / "foreign")
    assert code == 0 and len(_warnings(output)) == 1
    assert _report(tmp_path / "foreign") == plain


def test_parsed_yaml_planted_in_a_folder_of_another_user_is_never_used(tmp_path: Path, cache: Path, plain: str) -> None:
    glossary = MINI / "evidence" / KEY / "glossary.yaml"
    doc = load(glossary, MINI)
    doc.data["terms"][1]["meaning"] = "PWNED"
    digest = hashlib.sha256(glossary.read_bytes()).hexdigest()
    ParseCache(cache).put(digest, (doc.data, doc.locs, doc.key_locs))
    assert _build(MINI, tmp_path / "own")[0] == 0
    assert "| MASH | PWNED |" in _report(tmp_path / "own")  # the user's own entry is used
    _give_away(yaml_folder(cache))
    code, output = _build(MINI, tmp_path / "foreign")
    assert code == 0 and len(_warnings(output)) == 1
    assert _report(tmp_path / "foreign") == plain


def test_no_pickle_is_ever_loaded_from_the_cache(tmp_path: Path, cache: Path, plain: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _build(MINI, tmp_path / "cold")[0] == 0

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    compiled: list[str] = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    assert _build(MINI, tmp_path / "warm")[0] == 0
    assert compiled == []  # every template came from the cache, and no pickle was read
    assert _report(tmp_path / "warm") == plain


# --- damaged entries -----------------------------------------------------------------------------


def _entry(tmp_path: Path) -> tuple[Entries, Path, bytes]:
    entries = Entries(tmp_path / "cache")
    entries.write("e", b"payload " * 100)
    return entries, tmp_path / "cache" / "e", (tmp_path / "cache" / "e").read_bytes()


def _flip(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 1]) + blob[at + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1],  # truncated
        lambda b: b[: len(MAGIC) + 4],  # cut inside the header
        lambda b: b + b"x",  # grown
        lambda b: _flip(b, len(b) - 10),  # a byte of the payload
        lambda b: _flip(b, 0),  # the magic
        lambda b: _flip(b, len(MAGIC) + 3),  # the length
        lambda b: b"",
        lambda b: pickle.dumps({"x": 1}),
    ],
    ids=["truncated", "short-header", "grown", "payload-byte", "magic", "length", "empty", "a-pickle"],
)
def test_a_damaged_entry_is_ignored(tmp_path: Path, damage) -> None:
    entries, path, blob = _entry(tmp_path)
    assert entries.read("e") == b"payload " * 100
    path.write_bytes(damage(blob))
    assert entries.read("e") is None


def test_an_entry_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    entries, path, blob = _entry(tmp_path)
    (tmp_path / "elsewhere").write_bytes(blob)
    path.unlink()
    os.symlink(tmp_path / "elsewhere", path)
    assert entries.read("e") is None


def test_an_entry_over_the_limit_is_not_read(tmp_path: Path) -> None:
    entries, path, _ = _entry(tmp_path)
    with open(path, "r+b") as f:
        f.truncate(MAX_ENTRY + 1)  # sparse: no disk used, and never read
    assert entries.read("e") is None


def _in_thread(fn, *args):
    result: list[object] = []
    t = threading.Thread(target=lambda: result.append(fn(*args)), daemon=True)
    t.start()
    t.join(10)
    assert result, "reading the entry did not finish within 10 s"
    return result[0]


def test_an_entry_that_is_a_named_pipe_never_blocks(tmp_path: Path) -> None:
    entries, path, _ = _entry(tmp_path)
    path.unlink()
    os.mkfifo(path)
    assert _in_thread(entries.read, "e") is None


def test_the_parse_cache_parses_again_when_its_entry_is_damaged_or_blocking(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    path = MINI / "evidence" / KEY / "force.yaml"
    fresh = load(path, MINI, cache)
    (entry,) = [p for p in cache.folder.iterdir() if not p.name.startswith(".")]
    entry.unlink()
    os.mkfifo(entry)
    again = _in_thread(load, path, MINI, cache)
    assert again.data == fresh.data  # type: ignore[attr-defined]


def test_a_cache_of_another_user_is_never_even_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_mod, "_euid", lambda: os.geteuid() + 1)  # every folder now looks like someone else's
    cache = ParseCache(tmp_path / "cache")
    path = MINI / "evidence" / KEY / "force.yaml"
    load(path, MINI, cache)
    assert not [p for p in cache.folder.iterdir()]  # nothing written
    monkeypatch.undo()
    load(path, MINI, ParseCache(tmp_path / "cache"))
    monkeypatch.setattr(cache_mod, "_euid", lambda: os.geteuid() + 1)
    reads: list[str] = []
    real = cache_mod.read_regular
    monkeypatch.setattr(cache_mod, "read_regular", lambda p, limit: reads.append(str(p)) or real(p, limit))
    load(path, MINI, ParseCache(tmp_path / "cache"))
    assert reads == []
