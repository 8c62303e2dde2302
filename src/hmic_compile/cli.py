"""The `hmic` command line: each command parses its options, calls the library once, and prints; the one error boundary."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from . import __version__, interrupts
from .console import (
    HELP_OPTIONS,
    BuildDiagnostics,
    Command,
    DiffFormat,
    GradeFormat,
    ModerateFormat,
    OutputFormat,
    append_step_summary,
    checked,
    complete_force,
    err,
    out,
    print_diagnostics,
    report_created,
    run_cache,
)
from .console_build import frameworks_to_build, report_builds
from .diagnostics import CommandError, HmicError

app = typer.Typer(
    name="hmic",
    help="Compile police inspection reports from YAML criteria and evidence.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings=HELP_OPTIONS,
)

RootOpt = Annotated[Path, typer.Option("--root", help="The project folder holding criteria/ and evidence/.", file_okay=False)]
TemplatesOpt = Annotated[
    Path | None, typer.Option("--templates", help="Your templates, searched before the defaults.", file_okay=False, exists=True)
]
ForceArg = Annotated[
    str | None,
    typer.Argument(
        help="A force folder under evidence/, e.g. norfolk-2007 (default: all).", metavar="FORCE", autocompletion=complete_force
    ),
]
ForcesArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Force folders under evidence/ (default: all).", show_default=False, metavar="FORCE", autocompletion=complete_force
    ),
]

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
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see interrupts.py): every `finally` has run
            err("interrupted")
            raise typer.Exit(interrupts.exit_code()) from None

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


@app.command(cls=Command)
@boundary
def validate(
    forces: ForcesArg = None,
    root: RootOpt = Path("."),
    format: Annotated[
        OutputFormat,
        typer.Option("--format", help="text for people (stderr); json, sarif (code scanning) or github (annotations) on stdout."),
    ] = OutputFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check every criteria and evidence file; report all problems with file:line:col.

    Example: hmic validate --format github
    """
    from .checks.validate import remembered
    from .inputs.environment import repository_prefix

    cache = run_cache(format.value)
    result = remembered(root, forces, os.cpu_count() or 1, cache.folder, cache.parse())
    prefix = repository_prefix(root)  # CI names files by their path in the repository
    print_diagnostics(result.diagnostics, format.value, strict, prefix if format in (OutputFormat.sarif, OutputFormat.github) else "")
    append_step_summary(result.diagnostics, "hmic validate", prefix)
    if format is OutputFormat.text:  # for people only: what was checked, and which failed
        err(checked(result, strict))
    raise typer.Exit(1 if result.failed(strict) else 0)


@app.command(cls=Command)
@boundary
def grade(
    force: ForceArg = None,
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
    from .console import print_grades

    project, diags = load_checked(root, [force] if force else None, run_cache().parse())
    if any(d.is_error for d in diags):
        print_diagnostics(diags, "text")
        raise typer.Exit(1)
    print_grades(project, force, explain, format)


@app.command(cls=Command)
@boundary
def build(
    forces: ForcesArg = None,
    root: RootOpt = Path("."),
    out: Annotated[Path, typer.Option("--out", help="Output folder of OUT/<force>-<year>/ and OUT/<framework>/ (its round).")] = Path(
        "build"
    ),
    format: Annotated[
        str, typer.Option("--format", metavar="<md,html,pdf,docx>", help="Comma-separated: md, html, pdf, docx.")
    ] = "md,html",
    templates: TemplatesOpt = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, metavar="<n>", help="Forces built at once (default: the number of cores).", show_default=False),
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Mark every page 'DRAFT — for factual accuracy check' with the build date and git commit.")
    ] = False,
    numbered: Annotated[bool, typer.Option("--numbered", help="Number each paragraph of the findings: area.section.n.")] = False,
    diagnostics: Annotated[
        BuildDiagnostics,
        typer.Option("--diagnostics", help="How problems are shown: text for people (stderr); github (annotations) or json on stdout."),
    ] = BuildDiagnostics.text,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Render and write every force and round, even one up to date.")] = False,
    round: Annotated[
        bool | None, typer.Option("--round/--no-round", help="A round of just the forces named, or no round (default: when all are built).")
    ] = None,
) -> None:
    """Render each force's report to Markdown and HTML (and PDF and Word on request) from one view model, then each round.

    Example: hmic build norfolk-2007 --out build --format md,html,pdf,docx --draft --numbered
    """
    from .inputs.environment import repository_prefix
    from .report.options import build_options, output_formats
    from .report.replay import Memo

    formats = output_formats(format)
    cache = run_cache(diagnostics.value)
    prefix = repository_prefix(root) if diagnostics is BuildDiagnostics.github else ""  # as validate --format github
    memo = Memo(cache.folder, root, forces, out, templates, round, lambda: build_options(root, formats, draft, numbered))
    if not rebuild and (record := memo.recall()):  # a build that would change nothing, told from the last one's record
        raise typer.Exit(1 if report_builds(record.replayed(), record.keys, diagnostics.value, record.found, prefix) else 0)
    from .report.site import build_site

    # The frameworks first, once: every force depends on them. Then each force is checked and built
    # on its own (spread over the cores), so one force's problems never stop the others.
    frameworks, folders, diags = frameworks_to_build(root, forces, cache.parse(), diagnostics.value, prefix)
    options = memo.options or build_options(root, formats, draft, numbered)
    results = build_site(root, frameworks, folders, options, templates, out, jobs or os.cpu_count() or 1, cache.folder, rebuild, round)
    keys, found = [f.name for f in folders], diags.sorted()
    failed = report_builds(memo.recording(results), keys, diagnostics.value, found, prefix)
    memo.remember(keys, found)  # only a build whose every force and round was built
    raise typer.Exit(1 if failed else 0)


# --- the git workflow: schema, new force, diff and serve. Each is a few lines; the work is in tools/. ---


@app.command(cls=Command)
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
    from .console import apply_schemas
    from .tools import schema as sch

    target = out if out is not None else root / "schemas"
    raise typer.Exit(apply_schemas(sch.plan(root, target, annotate), target, annotate, check))


new_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, context_settings=HELP_OPTIONS)
app.add_typer(new_app, name="new")


@new_app.callback()
def new() -> None:
    """Start new files: a force's evidence from its framework, or a framework from another.

    Example: hmic new force suffolk --framework 2007
    """


@new_app.command("force", cls=Command)
@boundary
def new_force(
    name: Annotated[
        str, typer.Argument(help="The force's name in lower case with hyphens, e.g. west-midlands.", show_default=False, metavar="NAME")
    ],
    framework: Annotated[
        str | None, typer.Option("--framework", metavar="<framework>", help="The framework's folder under criteria/, e.g. peel-2016.")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", metavar="<year>", help="Short for --framework: the one framework of YEAR.", min=1800, max=9999)
    ] = None,
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


@new_app.command("framework", cls=Command)
@boundary
def new_framework(
    name: Annotated[
        str, typer.Argument(help="The new framework's folder under criteria/, e.g. peel-2016.", show_default=False, metavar="NAME")
    ],
    source: Annotated[
        str, typer.Option("--from", metavar="<framework>", help="The framework to start from, e.g. 2007.", show_default=False)
    ],
    year: Annotated[
        int | None, typer.Option("--year", metavar="<year>", help="The framework's year (default: NAME's last part).", min=1800, max=9999)
    ] = None,
    title: Annotated[str | None, typer.Option("--title", metavar="<title>", help="The framework's title (default: from NAME).")] = None,
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


@app.command(cls=Command)
@boundary
def diff(
    old: Annotated[
        str,
        typer.Argument(
            help="The earlier evidence: a folder, a force (norfolk-2006), or REV:path (HEAD~1:evidence/norfolk-2007).",
            metavar="OLD",
            autocompletion=complete_force,
            show_default=False,
        ),
    ],
    new: Annotated[
        str,
        typer.Argument(help="The later evidence, given the same ways.", metavar="NEW", autocompletion=complete_force, show_default=False),
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
    from .console import colour, styler
    from .tools.diff import compare, read_sides
    from .tools.diff_format import format_markdown, format_text

    result = compare(*read_sides(old, new, root))
    if format is DiffFormat.markdown:
        out(format_markdown(result))
        return
    coloured = colour(sys.stdout.isatty())
    out(format_text(result, styler(coloured)), styled=coloured)


@app.command(cls=Command)
def lsp() -> None:
    """Run the language server on stdin and stdout for an editor: every problem as you type, quick fixes, hovers (docs/editor.md).

    Example: hmic lsp  (the editor starts it, e.g. Neovim: vim.lsp.start({ cmd = { "hmic", "lsp" } }))
    """
    from .tools.lsp import serve_stdio

    serve_stdio()


@app.command(cls=Command)
@boundary
def serve(
    force: ForceArg = None,
    root: RootOpt = Path("."),
    port: Annotated[
        int, typer.Option("--port", metavar="<port>", help="The port on 127.0.0.1; 0 picks a free one.", min=0, max=65535)
    ] = 8000,
    templates: TemplatesOpt = None,
) -> None:
    """Serve the HTML report on this machine only, rebuilt whenever a file under criteria/, evidence/ or templates/ is saved.

    The page reloads by itself, keeping your place; when the input is broken it shows what is wrong
    instead. Press Ctrl-C to stop.

    Example: hmic serve norfolk-2007 --port 8000
    """
    from .console import serve_target, serve_until_stopped
    from .tools.serve import Site

    serve_target(root, force)  # outside a project, fails as `hmic validate` does
    serve_until_stopped(Site(root, force, templates, log=err), port, force or "every force")


@app.command(cls=Command)
@boundary
def moderate(
    framework: Annotated[str | None, typer.Argument(help="The framework (default: the only one).", metavar="FRAMEWORK")] = None,
    root: RootOpt = Path("."),
    format: Annotated[ModerateFormat, typer.Option("--format", help="text or json; html writes OUT/<framework>/.")] = ModerateFormat.text,
    out: Annotated[Path, typer.Option("--out", help="The folder for --format html: never the published site.")] = Path("internal"),
) -> None:
    """For the Inspectorate before a round is published: grades against the rules, like judged alike, each criterion's
    national rates, and each area's path to another grade (docs/moderation.md).

    Example: hmic moderate 2007 --format html
    """
    from .console import print_moderation

    print_moderation(root, framework, format.value, out)
