"""Build pipeline for one force: view model -> rendered formats -> manifest, all in memory."""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from .. import __version__
from ..checks import parallel
from ..diagnostics import Diagnostic, HmicError, Loc
from ..inputs.cache import ParseCache
from ..inputs.project import ForceBundle, FrameworkBundle, Project
from . import template_files as tf
from .options import OUTPUT_NAMES, BuildOptions, build_options, output_formats
from .results import ForceResult
from .template_files import TEMPLATE_NAMES, packaged_templates
from .uptodate import has_manifest, unchanged
from .write import manifest, recover, refuse_unsafe_out, write_atomic

if TYPE_CHECKING:
    # The view model, markdown-it, Jinja and the renderer load when a force is built (_build_folder), and
    # before workers fork (_build_forces): not for a build that stops first (a usage error, a framework
    # with errors).
    import jinja2

    from .renderings import Renderings
    from .view import Report

ROUND_TEMPLATES = "round/"  # the templates of a framework's round (report/site.py), not of a force's report


@functools.lru_cache(maxsize=8)
def template_files(env: jinja2.Environment) -> tuple[tuple[str, str], ...]:
    """Every template file that can be loaded, with its hash, as (path, sha256): read once per environment.

    Only regular files of bounded size inside their templates folder are read (report/templates.py)."""
    import jinja2

    from .templates import FolderLoader

    loader = env.loader
    assert isinstance(loader, jinja2.ChoiceLoader)
    fs = loader.loaders[0]
    assert isinstance(fs, FolderLoader)
    return folder_hashes(fs.folders)


def folder_hashes(folders: list[str]) -> tuple[tuple[str, str], ...]:
    """template_files.hashes, a refused file as its diagnostic."""
    try:
        return tf.hashes(folders)
    except tf.Refused as e:
        raise HmicError([Diagnostic(Loc(e.path), e.code, e.text, hint=e.hint)]) from None


def _no_draft_mark(fmt: str, where: str = "") -> HmicError:
    return HmicError(
        [
            Diagnostic(
                Loc(TEMPLATE_NAMES[fmt]),
                "E604",
                f"the {fmt} output of a --draft build does not show the draft mark{where}",
                hint="show {{ draft.text }} when `draft` is set, as the default templates do, where the reader sees it",
            )
        ]
    )


def _require_draft_mark(text: str, mark: str, fmt: str) -> None:
    """A draft must never pass for the published report, whatever templates a house style brings: the
    Markdown holds the mark; the HTML shows it to a reader (not in a comment, an attribute or an element
    the CSS hides); each PDF page shows it (checked as the pages are laid out, in pdf.html_to_pdf)."""
    from .prose import md_text
    from .visible import shows

    if fmt == "md" and md_text(mark) not in text:
        raise _no_draft_mark(fmt)
    if fmt == "html" and not shows(text, mark):
        raise _no_draft_mark(fmt, " where a reader sees it")


def kept_renderings(cache_dir: Path, root: Path) -> Renderings:
    """The prose renderings of the project at `root` kept in the cache root `cache_dir` (report/renderings.py)."""
    from ..inputs.cache import prose_folder
    from .renderings import Renderings

    return Renderings(prose_folder(cache_dir), root)


def build_force(
    project: Project, fo: ForceBundle, env: jinja2.Environment, options: BuildOptions, report: Report | None = None
) -> dict[str, bytes]:
    """All output files of one force's report (of its view `report`, when made already), rendered in memory;
    raises HmicError on a template problem."""
    from .prose import ProseError
    from .render import render
    from .view import build_report

    report = report or build_report(project, fo, options.numbered)
    shown = None  # the draft mark, for a --draft build only
    if options.draft:
        from .draft import draft_mark

        shown = draft_mark(options.draft, report.labels)
    files: dict[str, bytes] = {}
    for fmt in options.formats:
        if fmt == "docx":
            from .docx import report_docx  # python-docx loads only when a Word document is asked for

            try:
                files[OUTPUT_NAMES[fmt]] = report_docx(report, shown, options.source_date_epoch)
            except ProseError as e:  # as render() reports it for the other formats
                raise HmicError([Diagnostic(Loc(report.key), "E602", str(e), hint=e.hint)]) from None
            continue
        text = render(report, env, fmt, options.draft, options.source_date_epoch)
        if shown is not None:
            _require_draft_mark(text, shown.text, fmt)
        if fmt == "pdf":
            from .pdf import NotOnEveryPage, PdfTooLarge, html_to_pdf  # WeasyPrint loads only when a PDF is asked for

            try:
                files[OUTPUT_NAMES[fmt]] = html_to_pdf(text, on_every_page=shown.text if shown else None)
            except NotOnEveryPage as e:
                pages = ", ".join(map(str, e.pages[:10])) + (f" and {len(e.pages) - 10} more" if len(e.pages) > 10 else "")
                raise _no_draft_mark(fmt, f" on page{'s' if len(e.pages) > 1 else ''} {pages} of {e.total}") from None
            except PdfTooLarge as e:
                folder = fo.docs["force"].rel.rpartition("/")[0] if "force" in fo.docs else f"evidence/{fo.key}"
                raise HmicError([Diagnostic(Loc(folder), e.code, e.message, hint=e.hint)]) from None
        else:
            files[OUTPUT_NAMES[fmt]] = text.encode("utf-8")
    files["manifest.json"] = recorder(project, fo, report, options, template_files(env))(files)
    return files


def recorder(
    project: Project, fo: ForceBundle, report: Report, options: BuildOptions, templates: tuple[tuple[str, str], ...]
) -> Callable[[dict[str, bytes]], bytes]:
    """The manifest of a build of `fo` (its view `report`) with `options` and `templates`, given its outputs."""
    fb = project.framework_for(fo)
    inputs = [(d.rel, d.sha256) for d in [*fb.docs.values(), *fo.docs.values()]]
    templates = tuple(t for t in templates if not t[0].startswith(ROUND_TEMPLATES))  # a round's never make a report

    def record(outputs: dict[str, bytes]) -> bytes:
        return manifest(
            version=__version__,
            force=fo.key,
            inputs=inputs,
            templates=templates,
            outputs=outputs,
            git_commit=options.git_commit,
            source_date_epoch=options.source_date_epoch,
            draft_date=options.draft.date.isoformat() if options.draft else None,
            numbered=report.paragraphs if options.numbered else None,
        )

    return record


def is_unchanged(
    target: Path, project: Project, fo: ForceBundle, report: Report, options: BuildOptions, templates: tuple[tuple[str, str], ...]
) -> bool:
    """Whether `target` holds what a build of `fo` with `options` would write (report/uptodate.py)."""
    names = {OUTPUT_NAMES[f] for f in options.formats}
    return has_manifest(target) and unchanged(target, names, recorder(project, fo, report, options, templates))


class _Job(Struct, frozen=True):
    options: BuildOptions
    templates: Path | None
    out: Path
    cache_dir: Path | None
    rebuild: bool = False  # render and write even a force whose outputs are up to date


_ENV: jinja2.Environment | None = None  # one per process
_KEPT: Renderings | None = None  # prose renderings remembered between runs, one store per process (None: no cache)
_TEMPLATES: tuple[tuple[str, str], ...] | None = None  # the template files' hashes, read once per process


def _build_folder(folder: Path) -> ForceResult:
    """Load, check, render and write one force: everything about it is checked before anything is written."""
    global _ENV, _TEMPLATES
    from .round_record import force_record
    from .view import build_report

    global _KEPT
    root, frameworks, job, _ = parallel.state()
    target = job.out / folder.name
    fo, diags = parallel.load_and_check(folder)
    found = tuple(diags.sorted())
    if fo is None or diags.errors:
        return ForceResult(folder.name, target, diagnostics=found)
    project = Project(root, frameworks, {fo.key: fo})
    try:
        # The view is made even for a force left unchanged: the framework's round needs its record.
        if _KEPT is None and job.cache_dir is not None:
            _KEPT = kept_renderings(job.cache_dir, root)
        report = build_report(project, fo, job.options.numbered, _KEPT)
        if not job.rebuild and has_manifest(target):
            if _TEMPLATES is None:
                _TEMPLATES = folder_hashes(tf.search_folders(job.templates, root))
            if is_unchanged(target, project, fo, report, job.options, _TEMPLATES):
                written = tuple(sorted([*(OUTPUT_NAMES[f] for f in job.options.formats), "manifest.json"]))
                return ForceResult(folder.name, target, written, found, force_record(fo, project.framework_for(fo), report), unchanged=True)
        if _ENV is None:
            from .render import make_environment

            _ENV = make_environment(job.templates, root, job.cache_dir)
        files = build_force(project, fo, _ENV, job.options, report)
        write_atomic(target, files, str(target))
    except HmicError as e:
        return ForceResult(folder.name, target, diagnostics=found + tuple(e.diagnostics))
    finally:
        if _KEPT is not None:
            _KEPT.save()  # what this force's report rendered anew, for the next build
    return ForceResult(folder.name, target, tuple(sorted(files)), found, force_record(fo, project.framework_for(fo), report))


def build_forces(
    root: Path,
    frameworks: dict[str, FrameworkBundle],
    folders: list[Path],
    options: BuildOptions,
    templates: Path | None,
    out: Path,
    jobs: int = 1,
    cache_dir: Path | None = None,
    rebuild: bool = False,
) -> Generator[ForceResult, None, None]:
    """Check and build each force folder, spread over `jobs` processes; one force's failure never stops the rest.

    The frameworks are loaded and checked by the caller, once, before any force is built. `cache_dir`
    is the cache root (checked by inputs/environment.py `cache`) for compiled templates and parsed YAML.
    An `out` where a build would replace its own inputs is refused here, before anything is built
    (CommandError, exit 2). A force whose folder holds what its build would write is left as it is
    (report/uptodate.py; ForceResult.unchanged), unless `rebuild`.
    """
    inputs = [root / "criteria", root / "evidence", root / "templates", packaged_templates()]
    keys = [f.name for f in folders] + sorted(frameworks)  # each force's report folder, and each framework's round
    refuse_unsafe_out(out, root, [*inputs, *([templates] if templates is not None else [])], keys)
    return _build_forces(root, frameworks, folders, _Job(options, templates, out, cache_dir, rebuild), jobs)


def _build_forces(
    root: Path, frameworks: dict[str, FrameworkBundle], folders: list[Path], job: _Job, jobs: int
) -> Generator[ForceResult, None, None]:
    global _ENV, _TEMPLATES, _KEPT
    _ENV, _TEMPLATES, _KEPT = None, None, None
    parse_cache = ParseCache(job.cache_dir) if job.cache_dir is not None else None
    if jobs > 1 and len(folders) > 1:  # workers will fork: each inherits what it builds with, rather than import it again
        from . import render, round_record, view  # noqa: F401

    def died(folder: Path, how: str, pid: int) -> ForceResult:
        target = job.out / folder.name
        recover(target, pid)
        return ForceResult(folder.name, target, diagnostics=(parallel.worker_died(folder, how, "building"),))

    try:
        yield from parallel.each_force(_build_folder, root, frameworks, folders, job, jobs, parse_cache, died)
    finally:
        _ENV, _TEMPLATES, _KEPT = None, None, None


__all__ = ["OUTPUT_NAMES", "BuildOptions", "ForceResult", "build_force", "build_forces", "build_options", "output_formats"]
