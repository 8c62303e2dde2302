"""What the command line prints, and how: diagnostics in each format, progress bars, colour, paths as typed."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperArgument, TyperCommand

from .diagnostics import CommandError, Diagnostic, summary, to_json

if TYPE_CHECKING:
    from .report.build import ForceResult
    from .tools.schema import Plan


class OutputFormat(str, Enum):
    """hmic validate --format: text and github on stderr, json and sarif on stdout."""

    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class GradeFormat(str, Enum):
    text = "text"
    json = "json"


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"


def err(text: str) -> None:
    """A line for people, on stderr (stdout is kept for what tools read)."""
    typer.echo(text, err=True)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 force', '2 forces'."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def print_diagnostics(diags: Sequence[Diagnostic], fmt: str, strict: bool = False, prefix: str = "") -> None:
    """Diagnostics for people as text on stderr; for tools on stdout: JSON, SARIF (paths under `prefix`,
    the project's folder within its repository) or GitHub's workflow commands."""
    if fmt == "json":
        typer.echo(to_json(list(diags)))
        return
    if fmt == "sarif":
        from .tools.ci import sarif

        typer.echo(sarif(list(diags), prefix))
        return
    for d in diags:
        if fmt == "github":
            typer.echo(under(prefix, d).github())
        else:
            err(d.text())
    if fmt == "text":
        err(summary(list(diags)) + (" (warnings fail with --strict)" if strict and any(not d.is_error for d in diags) else ""))


@contextmanager
def progress(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal (for more than one item); plain lines otherwise."""
    if total < 2 or not sys.stderr.isatty():
        yield err
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


def report_builds(results: Iterable[ForceResult], total: int) -> list[str]:
    """Each force's outcome as it completes (a progress bar on a terminal); returns the forces that failed."""
    failed = []
    with progress(total) as report:
        for r in results:
            lines = [d.text() for d in r.diagnostics]
            if r.ok:
                report("\n".join(lines + [f"built {r.target}/ ({', '.join(r.written)})"]))
            else:
                failed.append(r.key)
                report("\n".join(lines + [f"{r.key}: not built; previous output left unchanged"]))
    return failed


def colour(isatty: bool) -> bool:
    """Colour on a terminal or when FORCE_COLOR asks for it; never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return isatty and os.environ.get("TERM") != "dumb"


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def complete_force(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion for force folders under the project's evidence/."""
    evidence = Path(ctx.params.get("root") or ".") / "evidence"
    try:
        return sorted(p.name for p in evidence.iterdir() if p.is_dir() and p.name.startswith(incomplete))
    except OSError:
        return []


HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}  # -h works as --help for every command


class _Argument(TyperArgument):
    """An argument shown in help by its name alone, 'FORCE...', never by its Python type ('<list[str]>')."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _rich_display_name(self) -> str:
        return self.display_name_raw + ("..." if self.nargs != 1 else "")


class Command(TyperCommand):
    """Every hmic command: its arguments shown as people type them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for p in self.params:
            if type(p) is TyperArgument:
                p.__class__ = _Argument


def styler(coloured: bool) -> Callable[[str, str], str]:
    """How `hmic diff` marks text by its role: added green, removed red, headings bold (plain without colour)."""
    codes = {"added": "green", "removed": "red", "heading": None}

    def style(text: str, role: str) -> str:
        return typer.style(text, fg=codes.get(role), bold=role == "heading") if coloured else text

    return style


def apply_schemas(plan: Plan, target: Path, annotate: bool, check: bool) -> int:
    """`hmic schema`: write what is out of date, or with `check` only name it; the exit code."""
    from .tools.schema import write

    stale = plan.stale()
    if check:
        for p in stale:
            err(f"{shown(p)}: out of date")
        if stale:
            err(f"{plural(len(stale), 'file')} out of date; run: hmic schema{' --annotate' if annotate else ''}")
            return 1
        err(f"ok: {len(plan.schemas)} schemas{' and ' + str(len(plan.modelines)) + ' modelines' if annotate else ''} up to date")
        return 0
    try:
        write({p: c for p, c in {**plan.schemas, **plan.modelines}.items() if p in stale})
    except OSError as e:
        raise CommandError(f"cannot write {e.filename}: {e.strerror}") from None
    for p in stale:
        err(f"wrote {shown(p)}")
    err(f"ok: {len(plan.schemas)} schemas in {shown(target)}" + (f", {len(plan.modelines)} YAML files point at them" if annotate else ""))
    return 0


def under(prefix: str, d: Diagnostic) -> Diagnostic:
    """The diagnostic with its path within the repository (`prefix` is the project folder's path there)."""
    return replace(d, loc=replace(d.loc, path=f"{prefix}/{d.loc.path}")) if prefix else d


def append_step_summary(diags: Sequence[Diagnostic], title: str, prefix: str = "") -> None:
    """In a GitHub Actions job, every problem as a Markdown table in the job's summary ($GITHUB_STEP_SUMMARY),
    with paths within the repository."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    from .tools.ci import step_summary

    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(step_summary([under(prefix, d) for d in diags], title))
    except OSError as e:
        err(f"warning: cannot append to $GITHUB_STEP_SUMMARY ({path}): {e.strerror or e}")
