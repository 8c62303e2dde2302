"""The `hmic` command line: each command parses its options, calls the library once, and prints; the one error boundary."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from . import __version__
from .console import complete_force, err, plural, print_diagnostics, report_builds, report_created, shown
from .diagnostics import CommandError, HmicError

app = typer.Typer(
    name="hmic",
    help="Compile police inspection reports from YAML criteria and evidence.",
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


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"


# Options shared by several commands.
RootOpt = Annotated[Path, typer.Option("--root", help="The project folder holding criteria/ and evidence/.", file_okay=False)]
TemplatesOpt = Annotated[
    Path | None, typer.Option("--templates", help="Your templates, searched before the defaults.", file_okay=False, exists=True)
]
ForcesArg = Annotated[list[str] | None, typer.Argument(show_default=False, metavar="FORCE")]

F = TypeVar("F", bound=Callable[..., Any])


def boundary(fn: F) -> F:
    """The error boundary of a command: problems in the input (exit 1) and usage errors (exit 2) are printed, never a traceback."""

    @functools.wraps(fn)
    def run_command(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except HmicError as e:  # a stage stopped on bad input
            for d in e.diagnostics:
                err(d.text())
            raise typer.Exit(1) from None
        except CommandError as e:
            for d in e.diagnostics:
                err(d.text())
            err(f"error: {e.message}" + (f"; {e.hint}" if e.hint else ""))
            raise typer.Exit(2 if e.usage else 1) from None

    return run_command  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hmic {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
) -> None:
    """Compile police inspection reports from YAML criteria and evidence."""


@app.command()
@boundary
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
    from .checks.validate import validate as run
    from .inputs.environment import parse_cache

    result = run(root, forces, os.cpu_count() or 1, parse_cache())
    print_diagnostics(result.diagnostics, format.value, strict)
    failed = result.failed(strict)
    if format is OutputFormat.text and not failed:
        err(f"ok: {plural(result.frameworks, 'framework')}, {plural(result.forces, 'force')}")
    raise typer.Exit(1 if failed else 0)


@app.command()
@boundary
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
    """Derive each area's grade from the framework's criteria and grading rules, and show how.

    Example: hmic grade norfolk-2007 --explain domestic-violence
    """
    from .checks.project import load_checked
    from .derive import explain as report
    from .inputs.environment import parse_cache

    project, diags = load_checked(root, [force] if force else None, parse_cache())
    if any(d.is_error for d in diags):
        print_diagnostics(diags, "text")
        raise typer.Exit(1)
    if explain:
        for fo in project.forces.values():
            typer.echo(report.explain_text(project, fo, explain))
        raise typer.Exit(0)
    results = [report.grade_summary(project, fo) for fo in project.forces.values()]
    if format is GradeFormat.json:
        import json

        typer.echo(json.dumps(results if not force else results[0], indent=2, ensure_ascii=False))
    else:
        for r in results:
            typer.echo(report.grade_table_text(r))


def run() -> None:
    """Console-script entry point, for what escapes a command's own boundary (Ctrl-C before any command runs)."""
    try:
        app()
    except KeyboardInterrupt:
        err("interrupted: reports already written are complete; the one in progress was not written")
        sys.exit(130)


@app.command()
@boundary
def build(
    forces: Annotated[
        list[str] | None, typer.Argument(help="Force folders under evidence/ to build (default: all).", show_default=False, metavar="FORCE")
    ] = None,
    root: RootOpt = Path("."),
    out: Annotated[Path, typer.Option("--out", help="Output folder; each force goes to OUT/<force>-<year>/.")] = Path("build"),
    format: Annotated[
        str, typer.Option("--format", help="Comma-separated output formats: md, html, pdf (pdf needs WeasyPrint).")
    ] = "md,html",
    templates: TemplatesOpt = None,
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
    from .checks.project import frameworks_first
    from .inputs.environment import cache_dir, parse_cache
    from .report.build import build_forces, build_options, output_formats

    formats = output_formats(format)
    # The frameworks first, once: every force depends on them. Then each force is checked and built
    # on its own (spread over the cores), so one force's problems never stop the others.
    frameworks, folders, diags = frameworks_first(root, forces, parse_cache())
    if diags.errors:
        print_diagnostics(diags.sorted(), "text")
        err("nothing was written")
        raise typer.Exit(1)
    for d in diags.sorted():
        err(d.text())
    if not folders:
        err("error: no force to build: evidence/ holds no force folder")
        raise typer.Exit(1)
    options = build_options(root, formats, draft)
    results = build_forces(root, frameworks, folders, options, templates, out, jobs or os.cpu_count() or 1, cache_dir())
    failed = report_builds(results, len(folders))
    if failed:
        err(f"{len(failed)} of {plural(len(folders), 'force')} failed: {', '.join(sorted(failed))}")
    raise typer.Exit(1 if failed else 0)


# --- the git workflow: schema, new force, diff and serve. Each is a few lines; the work is in tools/. ---


@app.command()
@boundary
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
            err(f"{shown(p)}: out of date")
        if stale:
            err(f"{plural(len(stale), 'file')} out of date; run: hmic schema{' --annotate' if annotate else ''}")
            raise typer.Exit(1)
        err(f"ok: {len(plan.schemas)} schemas{' and ' + str(len(plan.modelines)) + ' modelines' if annotate else ''} up to date")
        raise typer.Exit(0)
    try:
        sch.write({p: c for p, c in {**plan.schemas, **plan.modelines}.items() if p in stale})
    except OSError as e:
        raise CommandError(f"cannot write {e.filename}: {e.strerror}") from None
    for p in stale:
        err(f"wrote {shown(p)}")
    err(f"ok: {len(plan.schemas)} schemas in {shown(target)}" + (f", {len(plan.modelines)} YAML files point at them" if annotate else ""))


new_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
app.add_typer(new_app, name="new")


@new_app.callback()
def new() -> None:
    """Start new files: a force's evidence from its framework, or a framework from another.

    Example: hmic new force suffolk --framework 2007
    """


@new_app.command("force")
@boundary
def new_force(
    name: Annotated[str, typer.Argument(help="The force's name in lower case with hyphens, e.g. west-midlands.", show_default=False)],
    framework: Annotated[str | None, typer.Option("--framework", help="The framework's folder under criteria/, e.g. peel-2016.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Short for --framework: the one framework of YEAR.", min=1800)] = None,
    root: RootOpt = Path("."),
) -> None:
    """Scaffold evidence/NAME-YEAR/: force.yaml, glossary.yaml and one commented file per area of the framework.

    Each file says what its keys mean, the grade scale, and the criteria of its area to judge. The
    folder is never overwritten.

    Example: hmic new force suffolk --framework peel-2016
    """
    from .tools import scaffold

    sc = scaffold.plan(root, name, framework, year)
    folder = scaffold.write(root, sc)
    report_created(
        folder, f"with {len(sc.files)} files: {', '.join(sc.files)}", sc.notes, f"fill them in, then run: hmic validate {sc.key}"
    )


@new_app.command("framework")
@boundary
def new_framework(
    name: Annotated[str, typer.Argument(help="The new framework's folder under criteria/, e.g. peel-2016.", show_default=False)],
    source: Annotated[str, typer.Option("--from", help="The framework to start from, e.g. 2007.", show_default=False)],
    year: Annotated[
        int | None, typer.Option("--year", help="The framework's year (default: the year NAME ends with).", min=1800, max=9999)
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="The framework's title (default: from NAME).", show_default=False)] = None,
    root: RootOpt = Path("."),
) -> None:
    """Start criteria/NAME/ from an existing framework: its scale, levels, rules, labels and areas, to edit.

    The national results are not copied: they are the other framework's data. The folder is never overwritten.

    Example: hmic new framework peel-2016 --from 2007
    """
    from .tools.scaffold_framework import plan_framework, write_framework

    sc = plan_framework(root, name, source, year, title)
    folder = write_framework(root, sc)
    then = f"edit them, then run: hmic validate (and start a force with: hmic new force NAME --framework {sc.key})"
    report_created(folder, f"from criteria/{sc.source}/ with {len(sc.files)} files", sc.notes, then)


@app.command()
@boundary
def diff(
    old: Annotated[
        str,
        typer.Argument(
            help="The earlier evidence: a folder, a force (norfolk-2006), or REV:path (HEAD~1:evidence/norfolk-2007).",
            autocompletion=complete_force,
            show_default=False,
        ),
    ],
    new: Annotated[str, typer.Argument(help="The later evidence, given the same ways.", autocompletion=complete_force, show_default=False)],
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
    from .console import colour
    from .tools.diff import compare, read_sides
    from .tools.diff_format import format_markdown, format_text

    result = compare(*read_sides(old, new, root))
    if format is DiffFormat.markdown:
        typer.echo(format_markdown(result), nl=False)
        return
    coloured = colour(sys.stdout.isatty())
    codes = {"added": "green", "removed": "red", "heading": None}

    def style(text: str, role: str) -> str:
        return typer.style(text, fg=codes.get(role), bold=role == "heading") if coloured else text

    typer.echo(format_text(result, style), nl=False, color=coloured)


@app.command()
@boundary
def serve(
    force: Annotated[
        str | None,
        typer.Argument(
            help="A force folder under evidence/ (default: all, listed on the first page).",
            autocompletion=complete_force,
            show_default=False,
        ),
    ] = None,
    root: RootOpt = Path("."),
    port: Annotated[int, typer.Option("--port", help="The port on 127.0.0.1; 0 picks a free one.", min=0, max=65535)] = 8000,
    templates: TemplatesOpt = None,
) -> None:
    """Serve the HTML report on this machine only, rebuilt whenever a file under criteria/, evidence/ or templates/ is saved.

    The page reloads by itself, keeping your place; when the input is broken it shows what is wrong
    instead. Press Ctrl-C to stop.

    Example: hmic serve norfolk-2007 --port 8000
    """
    from .tools.serve import Server, Site

    if force is not None and not (root / "evidence" / force).is_dir():
        have = sorted(p.name for p in (root / "evidence").iterdir() if p.is_dir()) if (root / "evidence").is_dir() else []
        raise CommandError(f"no evidence folder for force '{force}'", f"available: {', '.join(have) or 'none'}")
    site = Site(root, force, templates, log=err)
    try:
        server = Server(site, port)
    except OSError as e:
        raise CommandError(
            f"cannot listen on 127.0.0.1:{port}: {e.strerror or e}", "try another --port, or --port 0 for any free one", True
        ) from None
    server.start()
    err(f"serving {force or 'every force'} at {server.url} (Ctrl-C to stop)")
    try:
        server.wait()
    except KeyboardInterrupt:
        err("stopped")
    finally:
        server.stop()
