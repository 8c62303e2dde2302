"""Build pipeline for one force: view model -> rendered formats -> manifest, all in memory."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import escape

from .. import __version__
from ..checks import parallel
from ..diagnostics import CommandError, Diagnostic, HmicError, Loc
from ..inputs.cache import ParseCache
from ..inputs.project import ForceBundle, FrameworkBundle, Project
from .draft import Draft, draft_mark
from .prose import md_text
from .render import FORMATS, TEMPLATE_NAMES, make_environment, render
from .view import build_report
from .write import manifest, sha256, write_atomic

OUTPUT_NAMES = {"md": "report.md", "html": "report.html", "pdf": "report.pdf"}


def output_formats(text: str) -> tuple[str, ...]:
    """The formats a comma-separated --format asks for; a usage error when one is unknown or cannot be made here."""
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise CommandError(
            f"unknown format {', '.join(bad) or '(none)'}", f"expected a comma-separated list of: {', '.join(FORMATS)}", True
        )
    if "pdf" in formats:
        from .pdf import INSTALL_HINT, unavailable

        why = unavailable()
        if why:
            raise CommandError(why, INSTALL_HINT, usage=True)
    return formats


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] = ("md", "html")
    git_commit: str | None = None
    source_date_epoch: int | None = None
    draft: Draft | None = None  # mark every page "DRAFT — for factual accuracy check", with the date and commit


def build_options(root: Path, formats: tuple[str, ...], draft: bool) -> BuildOptions:
    """What a build takes from outside the project, read once here: the git commit, SOURCE_DATE_EPOCH and the date."""
    from ..inputs.environment import SettingError, build_date, git_commit, source_date_epoch

    try:
        epoch = source_date_epoch()
    except SettingError as e:
        raise CommandError(str(e), usage=True) from None
    commit = git_commit(root)
    return BuildOptions(formats, commit, epoch, Draft(build_date(epoch), commit) if draft else None)


@functools.lru_cache(maxsize=8)
def template_files(env: jinja2.Environment) -> tuple[tuple[str, str], ...]:
    """Every template file that can be loaded, with its hash, as (path, sha256): read once per environment."""
    out: dict[str, str] = {}
    loader = env.loader
    assert isinstance(loader, jinja2.ChoiceLoader)
    fs = loader.loaders[0]
    assert isinstance(fs, jinja2.FileSystemLoader)
    for folder in fs.searchpath:
        for p in sorted(Path(folder).rglob("*")):
            if p.is_file():
                name = p.relative_to(folder).as_posix()
                out.setdefault(name, sha256(p.read_bytes()))
    return tuple(sorted(out.items()))


def _require_draft_mark(text: str, mark: str, fmt: str) -> None:
    """A draft must never pass for the published report, whatever templates a house style brings."""
    shown = md_text(mark) if fmt == "md" else str(escape(mark))
    if shown not in text:
        raise HmicError(
            [
                Diagnostic(
                    Loc(TEMPLATE_NAMES[fmt]),
                    "E604",
                    f"the {fmt} output of a --draft build does not show the draft mark",
                    hint="show {{ draft.text }} when `draft` is set, as the default templates do",
                )
            ]
        )


def build_force(project: Project, fo: ForceBundle, env: jinja2.Environment, options: BuildOptions) -> dict[str, bytes]:
    """All output files of one force's report, rendered in memory; raises HmicError on a template problem."""
    report = build_report(project, fo)
    files: dict[str, bytes] = {}
    for fmt in options.formats:
        if fmt not in TEMPLATE_NAMES:
            continue
        text = render(report, env, fmt, options.draft, options.source_date_epoch)
        if options.draft:
            _require_draft_mark(text, draft_mark(options.draft, report.labels).text, fmt)
        if fmt == "pdf":
            from .pdf import PdfTooLarge, html_to_pdf  # WeasyPrint loads only when a PDF is asked for

            try:
                files[OUTPUT_NAMES[fmt]] = html_to_pdf(text)
            except PdfTooLarge as e:
                folder = fo.docs["force"].rel.rpartition("/")[0] if "force" in fo.docs else f"evidence/{fo.key}"
                raise HmicError([Diagnostic(Loc(folder), e.code, e.message, hint=e.hint)]) from None
        else:
            files[OUTPUT_NAMES[fmt]] = text.encode("utf-8")
    fb = project.framework_for(fo)
    inputs = [(d.rel, d.sha256) for d in [*fb.docs.values(), *fo.docs.values()]]
    files["manifest.json"] = manifest(
        version=__version__,
        force=fo.key,
        inputs=inputs,
        templates=template_files(env),
        outputs=files,
        git_commit=options.git_commit,
        source_date_epoch=options.source_date_epoch,
        draft_date=options.draft.date.isoformat() if options.draft else None,
    )
    return files


@dataclass(frozen=True)
class ForceResult:
    key: str
    target: Path
    written: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()  # errors (the force was not built) and warnings

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


@dataclass(frozen=True)
class _Job:
    options: BuildOptions
    templates: Path | None
    out: Path
    cache_dir: Path | None


_ENV: jinja2.Environment | None = None  # one per process


def _build_folder(folder: Path) -> ForceResult:
    """Load, check, render and write one force: everything about it is checked before anything is written."""
    global _ENV
    root, frameworks, job, _ = parallel.state()
    target = job.out / folder.name
    fo, diags = parallel.load_and_check(folder)
    found = tuple(diags.sorted())
    if fo is None or diags.errors:
        return ForceResult(folder.name, target, diagnostics=found)
    if _ENV is None:
        _ENV = make_environment(job.templates, root, job.cache_dir)
    project = Project(root, frameworks, {fo.key: fo})
    try:
        files = build_force(project, fo, _ENV, job.options)
        write_atomic(target, files, str(target))
    except HmicError as e:
        return ForceResult(folder.name, target, diagnostics=found + tuple(e.diagnostics))
    return ForceResult(folder.name, target, tuple(sorted(files)), found)


def build_forces(
    root: Path,
    frameworks: dict[str, FrameworkBundle],
    folders: list[Path],
    options: BuildOptions,
    templates: Path | None,
    out: Path,
    jobs: int = 1,
    cache_dir: Path | None = None,
) -> Iterator[ForceResult]:
    """Check and build each force folder, spread over `jobs` processes; one force's failure never stops the rest.

    The frameworks are loaded and checked by the caller, once, before any force is built. `cache_dir`
    keeps compiled templates and parsed YAML between runs.
    """
    global _ENV
    _ENV = None
    templates_cache = cache_dir / f"templates-{__version__}" if cache_dir is not None else None
    parse_cache = ParseCache(cache_dir) if cache_dir is not None else None
    job = _Job(options, templates, out, templates_cache)
    try:
        yield from parallel.each_force(_build_folder, root, frameworks, folders, job, jobs, parse_cache)
    finally:
        _ENV = None
