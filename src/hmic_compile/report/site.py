"""A round's site: its pages, open data and manifest made in memory, and written by `hmic build` after its forces.

The round of a framework (OUT/<framework>/) is rebuilt when a build covers every force folder under
evidence/ and every force was built: its pages link into each force's report, so a round is never
written beside a report that failed, nor from only some of its forces (docs/round.md).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .. import __version__
from ..diagnostics import Diagnostic, Diagnostics, HmicError, Loc, json_text
from ..inputs.project import FrameworkBundle, force_folders
from .build import BuildOptions, build_forces, template_files
from .draft import draft_mark
from .opendata import data_files
from .prose import md_text
from .render import make_environment, render_template
from .results import ForceResult, RoundResult
from .round import PAGES, page_formats, round_view
from .round_record import ForceRecord
from .uptodate import same_files
from .visible import shows
from .write import sha256, write_atomic


def _require_mark(text: str, mark: str, medium: str, name: str) -> None:
    """A draft round's page shows its draft mark where a reader sees it, as a force's report must (E604)."""
    if (medium == "md" and md_text(mark) not in text) or (medium == "html" and not shows(text, mark)):
        raise HmicError(
            [
                Diagnostic(
                    Loc(name),
                    "E604",
                    f"the {medium} page of a --draft round does not show the draft mark where a reader sees it",
                    hint="show {{ draft.text }} when `draft` is set, as the default templates do",
                )
            ]
        )


def round_manifest(
    fb: FrameworkBundle, records: Sequence[ForceRecord], env: jinja2.Environment, options: BuildOptions, outputs: dict[str, bytes]
) -> bytes:
    inputs = {d.rel: d.sha256 for d in fb.docs.values()}
    for r in records:
        inputs.update(dict(r.inputs))
    data: dict[str, Any] = {
        "hmic_version": __version__,
        "framework": fb.key,
        "forces": sorted(r.key for r in records),
        "git_commit": options.git_commit,
        "source_date_epoch": options.source_date_epoch,
        "draft": options.draft is not None,
        **({"draft_date": options.draft.date.isoformat()} if options.draft else {}),
        "inputs": [{"path": p, "sha256": h} for p, h in sorted(inputs.items())],
        "templates": [{"path": p, "sha256": h} for p, h in sorted(template_files(env))],
        "outputs": [{"path": name, "sha256": sha256(b)} for name, b in sorted(outputs.items())],
    }
    return (json_text(data, ascii=False) + "\n").encode("utf-8")


def round_files(fb: FrameworkBundle, records: Sequence[ForceRecord], env: jinja2.Environment, options: BuildOptions) -> dict[str, bytes]:
    """Every file of the round of `fb` for the forces of `records`, in memory; HmicError on a template problem."""
    view = round_view(fb, records, options.formats)
    draft = draft_mark(options.draft, view.labels) if options.draft else None
    files: dict[str, bytes] = {}
    for medium in page_formats(options.formats):
        for page, _ in PAGES:
            name = f"round/{page}.{medium}.j2"
            context: dict[str, object] = {"round": view, "labels": view.labels, "medium": medium, "page": page, "draft": draft}
            text = render_template(env, name, context, f"criteria/{fb.key}")
            if draft is not None:
                _require_mark(text, draft.text, medium, name)
            files[f"{page}.{medium}"] = text.encode("utf-8")
    for name, data in data_files(fb, view, records, draft.text if draft else None).items():
        files[f"data/{name}"] = data
    files["manifest.json"] = round_manifest(fb, records, env, options, files)
    return files


@dataclass
class _RoundJob:
    root: Path
    frameworks: dict[str, FrameworkBundle]
    options: BuildOptions
    templates: Path | None
    out: Path
    cache_dir: Path | None
    every: bool  # the build covers every force folder under evidence/
    rebuild: bool = False  # write the round even when the folder already holds it

    def build(self, key: str, records: Sequence[ForceRecord], failed: int) -> RoundResult:
        target = self.out / key
        if not self.every:
            return RoundResult(
                key,
                target,
                note=f"the round of {key} ({target}/) is rebuilt only when every force is built: run hmic build naming no force",
            )
        if failed:
            return RoundResult(
                key, target, note=f"the round of {key} ({target}/) is not rebuilt while a force is not built; it is unchanged"
            )
        try:
            env = make_environment(self.templates, self.root, self.cache_dir)
            files = round_files(self.frameworks[key], records, env, self.options)
            if not self.rebuild and same_files(target, files):
                return RoundResult(key, target, tuple(sorted(files)), unchanged=True)
            write_atomic(target, files, str(target))
        except HmicError as e:
            return RoundResult(key, target, diagnostics=tuple(e.diagnostics))
        return RoundResult(key, target, tuple(sorted(files)))


def _with_rounds(results: Generator[ForceResult, None, None], job: _RoundJob) -> Generator[ForceResult | RoundResult, None, None]:
    records: dict[str, list[ForceRecord]] = {}
    failed = 0
    try:
        for r in results:
            if r.ok and r.record is not None:
                records.setdefault(r.record.framework, []).append(r.record)
            elif not r.ok:
                failed += 1
            yield r
    finally:
        results.close()  # stops the workers when the caller stops early (Ctrl-C)
    for key in sorted(records):
        yield job.build(key, sorted(records[key], key=lambda rec: rec.key), failed)


def build_site(
    root: Path,
    frameworks: dict[str, FrameworkBundle],
    folders: list[Path],
    options: BuildOptions,
    templates: Path | None,
    out: Path,
    jobs: int = 1,
    cache_dir: Path | None = None,
    rebuild: bool = False,
) -> Generator[ForceResult | RoundResult, None, None]:
    """Every force of `folders` (report/build.py build_forces), then the round of each framework they follow.

    A round is made in memory after every build that covers every force (a force left unchanged gives its
    record too); when its folder already holds exactly those files, byte for byte, it is left untouched
    (RoundResult.unchanged), unless `rebuild`."""
    every = {f.name for f in folders} >= {f.name for f in force_folders(root, None, Diagnostics())}
    forces = build_forces(root, frameworks, folders, options, templates, out, jobs, cache_dir, rebuild)  # refuses an unsafe --out at once
    return _with_rounds(forces, _RoundJob(root, frameworks, options, templates, out, cache_dir, every, rebuild))
