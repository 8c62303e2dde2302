"""The `hmic` command line: parses options, runs the pipeline, and is the only place that prints."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, Iterator, Optional

import typer

from . import __version__

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
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
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
    from .load import load_project
    from .validate import check_project

    project, diags = load_project(root, forces or None)
    if not diags.errors:
        check_project(project, diags)
    else:
        # Cross-checks on what did load still help: report everything at once.
        try:
            check_project(project, diags)
        except (KeyError, StopIteration):  # pragma: no cover - partial project; schema errors already say why
            pass
    return project, diags.sorted()


@app.command()
def validate(
    forces: Annotated[Optional[list[str]], typer.Argument(help="Force folders under evidence/ to check (default: all).", show_default=False)] = None,
    root: RootOpt = Path("."),
    format: Annotated[OutputFormat, typer.Option("--format", help="text for people, json for tools, github for Actions annotations.")] = OutputFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check every criteria and evidence file; report all problems with file:line:col.

    Example: hmic validate --format github
    """
    project, diags = _load(root, forces)
    _print_diagnostics(diags, format, strict)
    failed = any(d.is_error for d in diags) or (strict and diags)
    if format is OutputFormat.text and not failed:
        n = len(project.forces)
        _err(f"ok: {len(project.frameworks)} framework{'s' if len(project.frameworks) != 1 else ''}, {n} force{'s' if n != 1 else ''}")
    raise typer.Exit(1 if failed else 0)


@app.command()
def grade(
    force: Annotated[Optional[str], typer.Argument(help="A force folder under evidence/, e.g. norfolk-2007 (default: all).", show_default=False)] = None,
    root: RootOpt = Path("."),
    explain: Annotated[Optional[str], typer.Option("--explain", metavar="AREA", help="List each criterion of AREA with its judgement and cited evidence.")] = None,
    format: Annotated[GradeFormat, typer.Option("--format", help="text or json.")] = GradeFormat.text,
) -> None:
    """Derive each area's grade from the Specific Grading Criteria and show how.

    Example: hmic grade norfolk-2007 --explain domestic-violence
    """
    from . import explain as report

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


def _source_date_epoch() -> int | None:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        _err(f"error: SOURCE_DATE_EPOCH must be a whole number of seconds, not {raw!r}")
        raise typer.Exit(2) from None


@app.command()
def build(
    forces: Annotated[Optional[list[str]], typer.Argument(help="Force folders under evidence/ to build (default: all).", show_default=False)] = None,
    root: RootOpt = Path("."),
    out: Annotated[Path, typer.Option("--out", help="Output folder; each force goes to OUT/<force>-<year>/.")] = Path("build"),
    format: Annotated[str, typer.Option("--format", help="Comma-separated output formats: md, html.")] = "md,html",
    templates: Annotated[Optional[Path], typer.Option("--templates", help="Your templates, searched before the defaults.", file_okay=False, exists=True)] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Forces built at once (default: the number of cores).", show_default=False)] = None,
) -> None:
    """Render each force's report to Markdown and HTML through the Jinja templates.

    Example: hmic build norfolk-2007 --out build --format md,html
    """
    from .build import BuildOptions, build_forces
    from .render import FORMATS

    formats = tuple(f.strip() for f in format.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        _err(f"error: unknown format {', '.join(bad) or '(none)'}; expected a comma-separated list of: {', '.join(FORMATS)}")
        raise typer.Exit(2)
    project, diags = _load(root, forces)
    if any(d.is_error for d in diags):
        _print_diagnostics(diags, OutputFormat.text)
        _err("nothing was written")
        raise typer.Exit(1)
    for d in diags:
        _err(d.text())
    keys = list(project.forces)
    if not keys:
        _err("error: no force to build: evidence/ holds no force folder")
        raise typer.Exit(1)
    options = BuildOptions(formats, _git_commit(root), _source_date_epoch())
    results = build_forces(project, keys, options, templates, out, jobs or os.cpu_count() or 1)
    failed = []
    with _progress(len(keys)) as report:
        for r in results:
            if r.ok:
                report(f"built {r.target}/ ({', '.join(r.written)})")
            else:
                failed.append(r.key)
                report("\n".join([d.text() for d in r.diagnostics] + [f"{r.key}: not built; previous output left unchanged"]))
    if failed:
        _err(f"{len(failed)} of {len(keys)} force{'s' if len(keys) != 1 else ''} failed: {', '.join(sorted(failed))}")
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
