"""What the command line prints, and how: diagnostics in each format, progress bars, colour, paths as typed."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .diagnostics import Diagnostic, summary, to_json

if TYPE_CHECKING:
    from .report.build import ForceResult


def err(text: str) -> None:
    """A line for people, on stderr (stdout is kept for what tools read)."""
    typer.echo(text, err=True)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 force', '2 forces'."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def print_diagnostics(diags: Sequence[Diagnostic], fmt: str, strict: bool = False) -> None:
    """Diagnostics as text or GitHub annotations on stderr, or as JSON on stdout."""
    if fmt == "json":
        typer.echo(to_json(list(diags)))
        return
    for d in diags:
        err(d.github() if fmt == "github" else d.text())
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


def report_created(folder: Path, what: str, notes: Iterable[str], next_step: str) -> None:
    """What `hmic new` wrote, its notes, and what to do next."""
    err(f"created {shown(folder)}/ {what}")
    for note in notes:
        err(f"note: {note}")
    err(f"next: {next_step}")
