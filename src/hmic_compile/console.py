"""What the command line prints, and how: diagnostics in each format, progress bars, colour, paths as typed."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from . import interrupts
from .diagnostics import Diagnostic, no_command, safe_line, sort_key, summary, to_json

if TYPE_CHECKING:
    from .checks.validate import Validation
    from .inputs.environment import Cache
    from .report.build import ForceResult


def err(text: str) -> None:
    """A line for people, on stderr (stdout is kept for what tools read); what came from the input is escaped."""
    typer.echo(safe_line(text), err=True)


def out(text: str, *, styled: bool = False) -> None:
    """Lines of text on stdout, each made safe to print (see diagnostics.safe_line).

    `styled` text carries hmic's own colour codes, its values escaped by whoever formatted it (as
    tools/diff_format.format_text does): then only workflow commands are neutralised."""
    lines = text.split("\n")
    trailing = lines[-1] == ""
    if trailing:
        lines.pop()
    typer.echo("\n".join(no_command(line) if styled else safe_line(line) for line in lines), nl=trailing, color=True if styled else None)


def run_cache(fmt: str = "text") -> Cache:
    """The run's cache folder, checked once; when it is not safe to use, its warning (W710) is printed here,
    on stderr: a GitHub annotation when the command's diagnostics are `fmt` "github", else a line of text
    (with "json", stdout is kept for the JSON document)."""
    from .inputs.environment import cache

    found = cache()
    if found.warning is not None:
        if fmt == "github":
            typer.echo(found.warning.github(), err=True)  # a workflow command on purpose, its values escaped by github()
        else:
            err(found.warning.text())
    return found


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 force', '2 forces'."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def print_diagnostics(diags: Sequence[Diagnostic], fmt: str, strict: bool = False) -> None:
    """Diagnostics as text or GitHub annotations on stderr, or as JSON on stdout."""
    if fmt == "json":
        typer.echo(to_json(list(diags)))
        return
    for d in diags:
        if fmt == "github":
            typer.echo(d.github(), err=True)  # a workflow command on purpose, its values escaped by github()
        else:
            err(d.text())
    if fmt == "text":
        err(summary(list(diags)) + (" (warnings fail with --strict)" if strict and any(not d.is_error for d in diags) else ""))


@contextmanager
def progress(total: int) -> Iterator[Callable[[list[str]], None]]:
    """A progress bar on a terminal (for more than one item); plain lines otherwise.

    Each report is one item's lines, each already safe to print (escaped, or a workflow command on purpose)."""
    if total < 2 or not sys.stderr.isatty():

        def lines(lines: list[str]) -> None:
            for line in lines:
                typer.echo(line, err=True)

        yield lines
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, highlight=False)
    with Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("build", total=total)

        def report(lines: list[str]) -> None:
            bar.console.print("\n".join(lines), markup=False)
            bar.advance(task)

        yield report


def report_builds(
    results: Generator[ForceResult, None, None], keys: Sequence[str], fmt: str = "text", found: Sequence[Diagnostic] = ()
) -> list[str]:
    """Each force's outcome as it completes (a progress bar on a terminal), then how many of `keys` were
    built; returns the forces that failed. On Ctrl-C or SIGTERM: which were left unbuilt, and exit 130 or 143.

    `found` are the problems found before any force was built (the frameworks' warnings). Diagnostics
    are shown in `fmt`: text or github lines as each force completes, or one JSON document on stdout at the end."""
    failed: list[str] = []
    built: list[str] = []
    every = list(found)
    if fmt != "json":
        for d in found:
            typer.echo(d.github() if fmt == "github" else d.text(), err=True)
    try:
        with progress(len(keys)) as report:
            for r in results:
                every += r.diagnostics
                lines = [] if fmt == "json" else [d.github() if fmt == "github" else d.text() for d in r.diagnostics]
                if r.ok:
                    built.append(r.key)
                    report([*lines, safe_line(f"built {r.target}/ ({', '.join(r.written)})")])
                else:
                    failed.append(r.key)
                    report([*lines, safe_line(f"{r.key}: not built; previous output left unchanged")])
    except KeyboardInterrupt:
        results.close()  # stops the workers, if the interrupt came while a line was printed
        left = sorted(set(keys) - set(built) - set(failed))
        err(f"interrupted: built {len(built)} of {plural(len(keys), 'force')}; not built: {', '.join(sorted(failed + left))}")
        err("the previous output of every force not built is unchanged")
        raise typer.Exit(interrupts.exit_code()) from None
    if fmt == "json":
        typer.echo(to_json(sorted(every, key=sort_key), built=sorted(built), not_built=sorted(failed)))
    err(f"built {len(built)} of {plural(len(keys), 'force')}" + (f"; not built: {', '.join(sorted(failed))}" if failed else ""))
    return failed


def checked(result: Validation, strict: bool) -> str:
    """`hmic validate`'s last line: how many frameworks and forces it checked, and which failed."""
    if not result.failed(strict):
        return f"ok: {plural(result.frameworks, 'framework')}, {plural(result.forces, 'force')}"
    frameworks, forces = result.framework_folders, result.force_folders
    parts = [f"not ok: checked {plural(len(frameworks.names), 'framework')} and {plural(len(forces.names), 'force')}"]
    what = "errors or warnings" if strict else "errors"
    for kind, failing in (("framework", frameworks.failing(strict)), ("force", forces.failing(strict))):
        if failing:
            parts.append(f"{plural(len(failing), kind)} with {what}: {', '.join(failing)}")
    if result.unchecked:
        n, their = len(result.unchecked), "its" if len(result.unchecked) == 1 else "their"
        parts.append(f"{plural(n, 'force')} not checked in full, as {their} framework has errors: {', '.join(result.unchecked)}")
    return "; ".join(parts)


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
