"""The `hmic` command line: parses options, runs the pipeline, and is the only place that prints."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import __version__

if TYPE_CHECKING:
    from .inputs.cache import ParseCache

app = typer.Typer(
    name="hmic",
    help="Compile HMIC police inspection reports from YAML criteria and evidence.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"


class GradeFormat(str, Enum):
    text = "text"
    json = "json"


RootOpt = Annotated[Path, typer.Option("--root", help="The project folder holding criteria/ and evidence/.", file_okay=False)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hmic {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
) -> None:
    """Compile HMIC police inspection reports from YAML criteria and evidence."""


def _err(text: str) -> None:
    typer.echo(text, err=True)


def _print_diagnostics(diags: list, fmt: OutputFormat, strict: bool = False) -> None:
    from .diagnostics import summary, to_json

    if fmt is OutputFormat.json:
        typer.echo(to_json(diags))
        return
    for d in diags:
        _err(d.github() if fmt is OutputFormat.github else d.text())
    if fmt is OutputFormat.text:
        _err(summary(diags) + (" (warnings fail with --strict)" if strict and any(not d.is_error for d in diags) else ""))


def _load(root: Path, forces: list[str] | None):
    from .checks.force import check_project
    from .inputs.project import load_project

    project, diags = load_project(root, forces or None, _parse_cache())
    # Cross-checks run on whatever did load, so every problem is reported at once.
    check_project(project, diags)
    return project, diags.sorted()


def _frameworks_first(root: Path, forces: list[str] | None, cache: ParseCache | None = None):
    """The frameworks, loaded and checked once, and the force folders to work on (forces come after)."""
    from .checks.force import check_framework
    from .diagnostics import Diagnostics
    from .inputs.project import force_folders, load_frameworks

    found = Diagnostics()
    frameworks = load_frameworks(root, found, cache)
    for fb in frameworks.values():
        check_framework(fb, found)
    return frameworks, force_folders(root, forces, found), found


@app.command()
def validate(
    forces: Annotated[
        list[str] | None, typer.Argument(help="Force folders under evidence/ to check (default: all).", show_default=False, metavar="FORCE")
    ] = None,
    root: RootOpt = Path("."),
    format: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for tools, github for Actions annotations.")
    ] = OutputFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check every criteria and evidence file; report all problems with file:line:col.

    Example: hmic validate --format github
    """
    from .checks.parallel import check_folder, each_force

    # The frameworks once, then each force on its own (over the cores when there are several).
    cache = _parse_cache()
    frameworks, folders, found = _frameworks_first(root, forces, cache)
    loaded = 0
    for ok, diags in each_force(check_folder, root, frameworks, folders, None, os.cpu_count() or 1, cache):
        loaded += ok
        found.extend(diags)
    ordered = found.sorted()
    _print_diagnostics(ordered, format, strict)
    failed = any(d.is_error for d in ordered) or (strict and ordered)
    if format is OutputFormat.text and not failed:
        _err(f"ok: {len(frameworks)} framework{'s' if len(frameworks) != 1 else ''}, {loaded} force{'s' if loaded != 1 else ''}")
    raise typer.Exit(1 if failed else 0)


@app.command()
def grade(
    force: Annotated[
        str | None, typer.Argument(help="A force folder under evidence/, e.g. norfolk-2007 (default: all).", show_default=False)
    ] = None,
    root: RootOpt = Path("."),
    explain: Annotated[
        str | None, typer.Option("--explain", metavar="AREA", help="List each criterion of AREA with its judgement and cited evidence.")
    ] = None,
    format: Annotated[GradeFormat, typer.Option("--format", help="text or json.")] = GradeFormat.text,
) -> None:
    """Derive each area's grade from the Specific Grading Criteria and show how.

    Example: hmic grade norfolk-2007 --explain domestic-violence
    """
    from .derive import explain as report

    project, diags = _load(root, [force] if force else None)
    errors = [d for d in diags if d.is_error]
    if errors:
        _print_diagnostics(diags, OutputFormat.text)
        raise typer.Exit(1)
    results = [report.grade_summary(project, fo) for fo in project.forces.values()]
    if explain:
        try:
            for fo in project.forces.values():
                typer.echo(report.explain_text(project, fo, explain))
        except KeyError as e:
            _err(f"error: {e.args[0]}")
            raise typer.Exit(2) from None
        raise typer.Exit(0)
    if format is GradeFormat.json:
        import json

        typer.echo(json.dumps(results if not force else results[0], indent=2, ensure_ascii=False))
    else:
        for r in results:
            typer.echo(report.grade_table_text(r))


def run() -> None:
    """Console-script entry point and the outermost error boundary."""
    from .diagnostics import HmicError

    try:
        app()
    except HmicError as e:  # a stage raised on bad input that no command caught: still a diagnostic, never a traceback
        for d in e.diagnostics:
            _err(d.text())
        sys.exit(1)
    except KeyboardInterrupt:
        _err("interrupted: reports already written are complete; the one in progress was not written")
        sys.exit(130)


def _git_commit(root: Path) -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _cache_dir() -> Path | None:
    """Where compiled templates and parsed YAML are kept between runs: $HMIC_CACHE_DIR, else hmic's
    folder in the user's cache folder. HMIC_CACHE_DIR=off turns the cache off. The cache changes
    speed only, never output."""
    raw = os.environ.get("HMIC_CACHE_DIR")
    if raw:
        return None if raw.lower() in ("0", "off", "no", "none") else Path(raw)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory: run without the cache
            return None
    return Path(base) / "hmic"


def _parse_cache() -> ParseCache | None:
    from .inputs.cache import ParseCache

    folder = _cache_dir()
    return ParseCache(folder) if folder is not None else None


def _source_date_epoch() -> int | None:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        _err(f"error: SOURCE_DATE_EPOCH must be a whole number of seconds, not {raw!r}")
        raise typer.Exit(2) from None


def _build_date(epoch: int | None) -> date:
    """The date a draft is marked with: SOURCE_DATE_EPOCH's (UTC) when set, else today's. The only clock read in hmic."""
    if epoch is not None:
        return datetime.fromtimestamp(epoch, UTC).date()
    return date.today()


@app.command()
def build(
    forces: Annotated[
        list[str] | None, typer.Argument(help="Force folders under evidence/ to build (default: all).", show_default=False, metavar="FORCE")
    ] = None,
    root: RootOpt = Path("."),
    out: Annotated[Path, typer.Option("--out", help="Output folder; each force goes to OUT/<force>-<year>/.")] = Path("build"),
    format: Annotated[
        str, typer.Option("--format", help="Comma-separated output formats: md, html, pdf (pdf needs WeasyPrint).")
    ] = "md,html",
    templates: Annotated[
        Path | None, typer.Option("--templates", help="Your templates, searched before the defaults.", file_okay=False, exists=True)
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Forces built at once (default: the number of cores).", show_default=False)
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Mark every page 'DRAFT — for factual accuracy check' with the build date and git commit.")
    ] = False,
) -> None:
    """Render each force's report to Markdown and HTML (and PDF on request) through the Jinja templates.

    Example: hmic build norfolk-2007 --out build --format md,html,pdf --draft
    """
    from .report.build import BuildOptions, build_forces
    from .report.render import FORMATS, Draft

    formats = tuple(f.strip() for f in format.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        _err(f"error: unknown format {', '.join(bad) or '(none)'}; expected a comma-separated list of: {', '.join(FORMATS)}")
        raise typer.Exit(2)
    if "pdf" in formats:
        from .report.pdf import INSTALL_HINT, unavailable

        why = unavailable()
        if why:
            _err(f"error: {why}; {INSTALL_HINT}")
            raise typer.Exit(2)
    # The frameworks first, once: every force depends on them. Then each force is checked and built
    # on its own (spread over the cores), so one force's problems never stop the others.
    cache = _parse_cache()
    frameworks, folders, diags = _frameworks_first(root, forces, cache)
    if diags.errors:
        _print_diagnostics(diags.sorted(), OutputFormat.text)
        _err("nothing was written")
        raise typer.Exit(1)
    for d in diags.sorted():
        _err(d.text())
    if not folders:
        _err("error: no force to build: evidence/ holds no force folder")
        raise typer.Exit(1)
    commit, epoch = _git_commit(root), _source_date_epoch()
    options = BuildOptions(formats, commit, epoch, Draft(_build_date(epoch), commit) if draft else None)
    results = build_forces(root, frameworks, folders, options, templates, out, jobs or os.cpu_count() or 1, _cache_dir())
    failed = []
    with _progress(len(folders)) as report:
        for r in results:
            lines = [d.text() for d in r.diagnostics]
            if r.ok:
                report("\n".join(lines + [f"built {r.target}/ ({', '.join(r.written)})"]))
            else:
                failed.append(r.key)
                report("\n".join(lines + [f"{r.key}: not built; previous output left unchanged"]))
    if failed:
        _err(f"{len(failed)} of {len(folders)} force{'s' if len(folders) != 1 else ''} failed: {', '.join(sorted(failed))}")
    raise typer.Exit(1 if failed else 0)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal (for more than one force); plain lines otherwise."""
    if total < 2 or not sys.stderr.isatty():
        yield _err
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, highlight=False)
    with Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("build", total=total)

        def report(line: str) -> None:
            bar.console.print(line, markup=False)
            bar.advance(task)

        yield report


# --- git workflow commands ---
# schema, new force, diff and serve (issue 8). Each is a few lines; the work is in schema.py, scaffold.py,
# diff.py and serve.py.


def _colour(isatty: bool) -> bool:
    """Colour on a terminal or when FORCE_COLOR asks for it; never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return isatty and os.environ.get("TERM") != "dumb"


def _complete_force(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion for force folders under the project's evidence/."""
    evidence = Path(ctx.params.get("root") or ".") / "evidence"
    try:
        return sorted(p.name for p in evidence.iterdir() if p.is_dir() and p.name.startswith(incomplete))
    except OSError:
        return []


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


@app.command()
def schema(
    root: RootOpt = Path("."),
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the schemas (default: ROOT/schemas).", file_okay=False, show_default=False)
    ] = None,
    annotate: Annotated[
        bool,
        typer.Option("--annotate", help="Also make the first line of every YAML file under criteria/ and evidence/ point at its schema."),
    ] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; fail if anything is missing or out of date (for CI).")] = False,
) -> None:
    """Write a JSON Schema for each kind of YAML file, generated from hmic's models, for editors to check and complete as you type.

    A file whose first line is '# yaml-language-server: $schema=<path>' is checked by the VS Code YAML
    extension (and other editors using the YAML language server); --annotate writes that line.

    Example: hmic schema --annotate --check
    """
    from .tools import schema as sch

    target = out if out is not None else root / "schemas"
    plan = sch.plan(root, target, annotate)
    stale = plan.stale()
    if check:
        for p in stale:
            _err(f"{_shown(p)}: out of date")
        if stale:
            _err(f"{len(stale)} file{'s' if len(stale) != 1 else ''} out of date; run: hmic schema{' --annotate' if annotate else ''}")
            raise typer.Exit(1)
        _err(f"ok: {len(plan.schemas)} schemas{' and ' + str(len(plan.modelines)) + ' modelines' if annotate else ''} up to date")
        raise typer.Exit(0)
    try:
        sch.write({p: c for p, c in {**plan.schemas, **plan.modelines}.items() if p in stale})
    except OSError as e:
        _err(f"error: cannot write {e.filename}: {e.strerror}")
        raise typer.Exit(1) from None
    for p in stale:
        _err(f"wrote {_shown(p)}")
    _err(f"ok: {len(plan.schemas)} schemas in {_shown(target)}" + (f", {len(plan.modelines)} YAML files point at them" if annotate else ""))


new_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
app.add_typer(new_app, name="new")


@new_app.callback()
def new() -> None:
    """Start new files from a framework.

    Example: hmic new force suffolk --year 2007
    """


@new_app.command("force")
def new_force(
    name: Annotated[str, typer.Argument(help="The force's name in lower case with hyphens, e.g. west-midlands.", show_default=False)],
    year: Annotated[
        int, typer.Option("--year", help="The inspection year; its framework is criteria/YEAR/.", min=1800, max=9999, show_default=False)
    ],
    root: RootOpt = Path("."),
) -> None:
    """Scaffold evidence/NAME-YEAR/: force.yaml, glossary.yaml and one commented file per area of the year's framework.

    Each file says what its keys mean, the grade scale, and the criteria of its area to judge. The
    folder is never overwritten.

    Example: hmic new force suffolk --year 2007
    """
    from .tools import scaffold

    try:
        sc = scaffold.plan(root, name, year)
        folder = scaffold.write(root, sc)
    except scaffold.ScaffoldError as e:
        for d in e.diagnostics:
            _err(d.text())
        _err(f"error: {e.message}" + (f"; {e.hint}" if e.hint else ""))
        raise typer.Exit(2 if e.usage else 1) from None
    except OSError as e:
        _err(f"error: cannot write evidence/{name}-{year}: {e.strerror or e}")
        raise typer.Exit(1) from None
    _err(f"created {_shown(folder)}/ with {len(sc.files)} files: {', '.join(sc.files)}")
    for note in sc.notes:
        _err(f"note: {note}")
    _err(f"next: fill them in, then run: hmic validate {sc.key}")


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"


@app.command()
def diff(
    old: Annotated[
        str,
        typer.Argument(
            help="The earlier evidence: a folder, a force (norfolk-2006), or REV:path (HEAD~1:evidence/norfolk-2007).",
            autocompletion=_complete_force,
            show_default=False,
        ),
    ],
    new: Annotated[
        str, typer.Argument(help="The later evidence, given the same ways.", autocompletion=_complete_force, show_default=False)
    ],
    root: RootOpt = Path("."),
    format: Annotated[
        DiffFormat, typer.Option("--format", help="text for a terminal, markdown for a pull-request comment.")
    ] = DiffFormat.text,
) -> None:
    """Compare two evidence folders by meaning: grades awarded and derived, judgements, and items added, removed or reworded.

    Formatting, comments and the order of keys make no difference; an item is matched by its id, then
    by its text.

    Example: hmic diff HEAD~1:evidence/norfolk-2007 evidence/norfolk-2007 --format markdown
    """
    import tempfile

    from .tools import diff as d

    with tempfile.TemporaryDirectory(prefix="hmic-diff-") as tmp:
        try:
            a, b = d.sides([old, new], root, Path(tmp))
        except d.DiffError as e:
            for diag in e.diagnostics:
                _err(diag.text())
            _err(f"error: {e.message}" + (f"; {e.hint}" if e.hint else ""))
            raise typer.Exit(2 if e.usage else 1) from None
    result = d.compare(a, b)
    if format is DiffFormat.markdown:
        typer.echo(d.format_markdown(result), nl=False)
        return
    colour = _colour(sys.stdout.isatty())
    codes = {"added": "green", "removed": "red", "heading": None}

    def style(text: str, role: str) -> str:
        return typer.style(text, fg=codes.get(role), bold=role == "heading") if colour else text

    typer.echo(d.format_text(result, style), nl=False, color=colour)


@app.command()
def serve(
    force: Annotated[
        str | None,
        typer.Argument(
            help="A force folder under evidence/ (default: all, listed on the first page).",
            autocompletion=_complete_force,
            show_default=False,
        ),
    ] = None,
    root: RootOpt = Path("."),
    port: Annotated[int, typer.Option("--port", help="The port on 127.0.0.1; 0 picks a free one.", min=0, max=65535)] = 8000,
    templates: Annotated[
        Path | None, typer.Option("--templates", help="Your templates, searched before the defaults.", file_okay=False, exists=True)
    ] = None,
) -> None:
    """Serve the HTML report on this machine only, rebuilt whenever a file under criteria/, evidence/ or templates/ is saved.

    The page reloads by itself, keeping your place; when the input is broken it shows what is wrong
    instead. Press Ctrl-C to stop.

    Example: hmic serve norfolk-2007 --port 8000
    """
    from .tools.serve import Server, Site

    if force is not None and not (root / "evidence" / force).is_dir():
        have = sorted(p.name for p in (root / "evidence").iterdir() if p.is_dir()) if (root / "evidence").is_dir() else []
        _err(f"error: no evidence folder for force '{force}'; available: {', '.join(have) or 'none'}")
        raise typer.Exit(1)
    site = Site(root, force, templates, log=lambda line: _err(line))
    try:
        server = Server(site, port)
    except OSError as e:
        _err(f"error: cannot listen on 127.0.0.1:{port}: {e.strerror or e}; try another --port, or --port 0 for any free one")
        raise typer.Exit(2) from None
    server.start()
    _err(f"serving {force or 'every force'} at {server.url} (Ctrl-C to stop)")
    try:
        server.wait()
    except KeyboardInterrupt:
        _err("stopped")
    finally:
        server.stop()
