"""A build that would change nothing, told from the record of the last one: no model, template or renderer loaded.

After a build in which every force was built (or found unchanged) and every round it made was built too,
hmic keeps in its cache, under the digest of everything that build depended on (inputs/snapshot.py: every
file under criteria/ and evidence/ byte for byte and hmic itself; here also the forces named, the --out and
--templates folders, --round or --no-round, every template file's hash, the formats, --draft and its date, --numbered, the git
commit and SOURCE_DATE_EPOCH), what it said of each force and round and the SHA-256 of every file it left in
each output folder, as that folder's manifest records them. A later build with the same digest, whose output
folders still hold exactly those files, says `unchanged` for each without loading a model or rendering a
page: a full build would find each manifest and file the same (report/uptodate.py) and leave them as they
are. Any difference, in any input, template, option or output file, does the build in full; so does
`--rebuild`. Problems found in the input (warnings) are shown again as they were.
"""

from __future__ import annotations

import json
import marshal
import os
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from msgspec import Struct

from ..checks.validate import plain_names
from ..diagnostics import CommandError, Diagnostic, HmicError, from_plain_diagnostics, plain_diagnostics
from ..inputs.cache import Entries, results_folder
from ..inputs.files import NotRegular, TooLarge, read_regular
from ..inputs.snapshot import digest
from . import template_files as tf
from .options import BuildOptions
from .results import ForceResult, RoundResult
from .uptodate import MANIFEST, MAX_OUTPUT_BYTES, file_names
from .write import sha256

Result = ForceResult | RoundResult


def build_key(
    root: Path,
    forces: list[str] | None,
    out: Path,
    templates: Path | None,
    round_option: bool | None,
    options: BuildOptions,
    cache: Path | None = None,
) -> str | None:
    """The digest a build with these arguments depends on; None when it cannot be told (a template folder
    refused, a link or a special file among the inputs): then the build is done in full, which says why.
    `cache`: the cache root, where the project's files are recorded between runs (inputs/snapshot.py)."""
    try:
        folders = tf.search_folders(templates, root)
        hashes = tf.hashes(folders)
    except (HmicError, tf.Refused, OSError):
        return None
    where = [os.path.realpath(f) for f in folders]
    draft_date = options.draft.date.isoformat() if options.draft else None
    return digest(
        "build",
        root,
        str(root),
        forces,
        round_option,
        str(out),
        os.path.realpath(out),
        where,
        hashes,
        options.formats,
        options.numbered,
        draft_date,
        options.git_commit,
        options.source_date_epoch,
        cache=cache,
    )


def _files(target: Path) -> dict[str, str] | None:
    """Every file under `target` (relative paths) with its SHA-256; None when `target` is not a real folder or
    holds anything but folders and regular files."""
    try:
        names = file_names(target)
        if names is None:
            return None
        return {name: sha256(read_regular(target / name, MAX_OUTPUT_BYTES)) for name in names}
    except (OSError, NotRegular, TooLarge):
        return None


def _as_recorded(target: Path) -> dict[str, str] | None:
    """What the manifest of `target`, just written or found unchanged, records: each output with its SHA-256,
    and the manifest's own. The files themselves are not read here: a later build compares the folder with
    this, file by file and byte for byte, before it tells anything from the record."""
    try:
        raw = read_regular(target / MANIFEST, MAX_OUTPUT_BYTES)
        recorded = {o["path"]: o["sha256"] for o in json.loads(raw)["outputs"]}
    except (OSError, NotRegular, TooLarge, ValueError, KeyError, TypeError):
        return None
    if not all(type(k) is str and type(v) is str for k, v in recorded.items()) or MANIFEST in recorded:
        return None
    return {**recorded, MANIFEST: sha256(raw)}


class Record(Struct, frozen=True):
    """What the last build with the same digest said, its output folders checked to be as it left them."""

    keys: tuple[str, ...]  # the force folders it covered
    found: list[Diagnostic]  # the frameworks' problems (warnings), found before any force
    results: tuple[Result, ...]  # each force, then each round, as they came; every one built now `unchanged`

    def replayed(self) -> Generator[Result, None, None]:
        """The results, as a build yields them (console.py report_builds)."""
        yield from self.results


def _plain(keys: list[str], found: list[Diagnostic], results: list[Result]) -> tuple[Any, ...] | None:
    rows: list[tuple[Any, ...]] = []
    for r in results:
        if isinstance(r, RoundResult):
            if r.failed or (not r.ok and not r.note):
                return None
            files = _as_recorded(r.target) if r.ok else {}
            if files is None:
                return None
            rows.append(("round", r.key, str(r.target), r.written, plain_diagnostics(r.diagnostics), r.note, files))
        else:
            files = _as_recorded(r.target) if r.ok else None
            if files is None:
                return None  # a force not built: nothing is remembered
            rows.append(("force", r.key, str(r.target), r.written, plain_diagnostics(r.diagnostics), "", files))
    return (tuple(keys), plain_diagnostics(found), rows)


def _unplain(value: Any) -> Record | None:
    """The record, or None when an output folder no longer holds what the build left there."""
    keys, found, rows = value
    results: list[Result] = []
    for kind, key, target, written, diags, note, files in rows:
        if type(key) is not str or type(target) is not str or type(note) is not str or type(files) is not dict:
            raise ValueError("not a result")
        where = Path(target)
        if files and _files(where) != files:
            return None
        if kind == "force":
            results.append(ForceResult(key, where, plain_names(written), tuple(from_plain_diagnostics(diags)), unchanged=True))
        elif kind == "round":
            ok = bool(written)
            results.append(RoundResult(key, where, plain_names(written), tuple(from_plain_diagnostics(diags)), note, unchanged=ok))
        else:
            raise ValueError("not a result")
    return Record(plain_names(keys), from_plain_diagnostics(found), tuple(results))


class Memo:
    """The record of a build with these arguments: recalled before it (a build that would change nothing is
    told from it), kept after it. Inert without a cache folder, or when the digest cannot be told."""

    def __init__(
        self,
        cache_folder: Path | None,
        root: Path,
        forces: list[str] | None,
        out: Path,
        templates: Path | None,
        round_option: bool | None,
        options: Callable[[], BuildOptions],
    ):
        self._entries = Entries(results_folder(cache_folder)) if cache_folder is not None else None
        self._args = (root, forces, out, templates, round_option)
        self._cache = cache_folder
        self.key: str | None = None
        self._seen: list[Result] = []
        self._options = None
        if self._entries is not None:
            try:
                self._options = options()
            except CommandError:  # a setting hmic cannot use: said where a build says it, after the frameworks' problems
                self._options = None
            self.key = build_key(*self._args, self._options, self._cache) if self._options is not None else None

    @property
    def options(self) -> BuildOptions | None:
        """The build's options as read for its digest (None without a cache): the build uses the same."""
        return self._options

    def recall(self) -> Record | None:
        """The record kept under this build's digest, when every output folder still holds what it records."""
        if self._entries is None or self.key is None:
            return None
        payload = self._entries.read(self.key)
        if payload is None:
            return None
        try:
            return _unplain(marshal.loads(payload))
        except (ValueError, TypeError, EOFError):
            return None  # not a record this hmic wrote: the build is done in full, and recorded again

    def recording(self, results: Generator[Result, None, None]) -> Generator[Result, None, None]:
        """`results` as they come, each seen for `remember`; closing this closes them (the workers stop on Ctrl-C)."""
        if self.key is None:
            yield from results
            return
        try:
            for r in results:
                self._seen.append(r)
                yield r
        finally:
            results.close()

    def remember(self, keys: list[str], found: list[Diagnostic]) -> None:
        """Keep what the build said, when every force was built, every round made was built, and nothing
        the build depends on changed while it ran."""
        if self._entries is None or self.key is None or self._options is None:
            return
        if build_key(*self._args, self._options, self._cache) != self.key:
            return
        plain = _plain(keys, found, self._seen)
        if plain is not None:
            self._entries.write(self.key, marshal.dumps(plain))
