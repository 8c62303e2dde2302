"""A round's site: its pages, open data and manifest made in memory, and written by `hmic build` after its forces.

The round of a framework (OUT/<framework>/) is rebuilt when every force of the build was built (its pages
link into each force's report, so a round is never written beside a report that failed) and the build
covers every force folder under evidence/; with --round, also from only the forces named, its pages saying
which; with --no-round, never (docs/round.md, "When it is built").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from .. import __version__
from ..diagnostics import Diagnostic, Diagnostics, HmicError, Loc, json_text
from ..inputs.loader import load
from ..inputs.project import FrameworkBundle, force_folders
from .build import BuildOptions, build_forces, kept_renderings, template_files
from .results import ForceResult, RoundResult
from .uptodate import same_files
from .write import sha256, write_atomic

if TYPE_CHECKING:  # Jinja and the renderer load when a round is made (report/build.py: when a force is built)
    import jinja2

    from .renderings import Renderings
    from .round_record import ForceRecord


def _require_mark(text: str, mark: str, medium: str, name: str) -> None:
    """A draft round's page shows its draft mark where a reader sees it, as a force's report must (E604)."""
    from .prose import md_text
    from .visible import shows  # its CSS parser loads for a --draft build only

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


def round_files(
    fb: FrameworkBundle,
    records: Sequence[ForceRecord],
    env: jinja2.Environment,
    options: BuildOptions,
    of: int | None = None,
    kept: Renderings | None = None,
) -> dict[str, bytes]:
    """Every file of the round of `fb` for the forces of `records`, in memory; HmicError on a template problem.
    `of`: the framework's force folders in evidence/, when `records` are only some of them (round_view);
    `kept`: prose renderings remembered between runs (report/prose.py)."""
    from .opendata import data_files  # the round's own modules load when a round is made
    from .render import render_template
    from .round import PAGES, page_formats, round_view

    view = round_view(fb, records, options.formats, of, kept)
    draft = None
    if options.draft:
        from .draft import draft_mark

        draft = draft_mark(options.draft, view.labels)
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


class _RoundJob(Struct):
    root: Path
    frameworks: dict[str, FrameworkBundle]
    options: BuildOptions
    templates: Path | None
    out: Path
    cache_dir: Path | None
    every: bool  # the build covers every force folder under evidence/
    rebuild: bool = False  # write the round even when the folder already holds it
    rounds: bool | None = None  # --round (True: of the forces built, even some), --no-round (False), or neither
    left_out: Mapping[str, int] = field(default_factory=dict)  # per framework, its force folders the build does not cover

    def build(self, key: str, records: Sequence[ForceRecord], failed: int) -> RoundResult:
        target = self.out / key
        if self.rounds is False:
            return RoundResult(key, target, note=f"the round of {key} ({target}/) is not rebuilt with --no-round; it is unchanged")
        if not self.every and self.rounds is None:
            return RoundResult(
                key,
                target,
                note=f"the round of {key} ({target}/) is rebuilt only when every force is built: run hmic build naming no force, "
                "or add --round for a round of only the forces named",
            )
        if failed:
            return RoundResult(
                key, target, note=f"the round of {key} ({target}/) is not rebuilt while a force is not built; it is unchanged"
            )
        left = self.left_out.get(key, 0)
        from .render import make_environment

        try:
            env = make_environment(self.templates, self.root, self.cache_dir)
            kept = kept_renderings(self.cache_dir, self.root) if self.cache_dir is not None else None
            files = round_files(self.frameworks[key], records, env, self.options, len(records) + left if left else None, kept)
            if kept is not None:
                kept.save()
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
    rounds: bool | None = None,
) -> Generator[ForceResult | RoundResult, None, None]:
    """Every force of `folders` (report/build.py build_forces), then the round of each framework they follow.

    A round is made in memory after every build that covers every force (a force left unchanged gives its
    record too), or, with `rounds` (--round), after any build, from the forces it covers; never when `rounds`
    is False (--no-round). When its folder already holds exactly those files, byte for byte, it is left
    untouched (RoundResult.unchanged), unless `rebuild`."""
    covered = {f.name for f in folders}
    everything = force_folders(root, None, Diagnostics())
    every = covered >= {f.name for f in everything}
    # A round of only some forces says how many of its framework's it holds: each folder left out is counted
    # for the framework its force.yaml names.
    left_out = Counter(_framework_named(f, root) for f in everything if f.name not in covered) if rounds and not every else Counter()
    forces = build_forces(root, frameworks, folders, options, templates, out, jobs, cache_dir, rebuild)  # refuses an unsafe --out at once
    job = _RoundJob(root, frameworks, options, templates, out, cache_dir, every, rebuild, rounds, {k: n for k, n in left_out.items() if k})
    return _with_rounds(forces, job)


def _framework_named(folder: Path, root: Path) -> str | None:
    """The framework a force folder's force.yaml names, or its name's year when force.yaml cannot be read (as
    inputs/project.py load_force guesses); None when it names none."""
    try:
        data = load(folder / "force.yaml", root).data
    except HmicError:
        return folder.name.rsplit("-", 1)[-1]
    named = data.get("framework") if isinstance(data, dict) else None
    return named if isinstance(named, str) else None
