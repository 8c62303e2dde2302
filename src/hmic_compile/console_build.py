"""What `hmic build` prints: its frameworks' problems, each force's outcome as it completes (a progress bar
on a terminal), each framework's round, and how many forces were built."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from . import interrupts
from .console import annotate, err, plural, print_diagnostics
from .diagnostics import Diagnostic, safe_line, sort_key, to_json

if TYPE_CHECKING:
    from .diagnostics import Diagnostics
    from .inputs.cache import ParseCache
    from .inputs.project import FrameworkBundle
    from .report.results import ForceResult, RoundResult


@contextmanager
def progress(total: int) -> Iterator[Callable[..., None]]:
    """A progress bar on a terminal (for more than one item); plain lines otherwise.

    Each report is one item's lines, each already safe to print (escaped, or a workflow command on purpose),
    and moves the bar on unless `advance` is false."""
    if total < 2 or not sys.stderr.isatty():

        def lines(lines: list[str], advance: bool = True) -> None:
            for line in lines:
                typer.echo(line, err=True)

        yield lines
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, highlight=False)
    with Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("build", total=total)

        def report(lines: list[str], advance: bool = True) -> None:
            bar.console.print("\n".join(lines), markup=False)
            if advance:
                bar.advance(task)

        yield report


def report_builds(
    results: Generator[ForceResult | RoundResult, None, None],
    keys: Sequence[str],
    fmt: str = "text",
    found: Sequence[Diagnostic] = (),
    prefix: str = "",
) -> list[str]:
    """Each force's outcome as it completes (a progress bar on a terminal), then each framework's round, then
    how many of `keys` were built; returns the forces (and the frameworks' rounds) that failed. On Ctrl-C or
    SIGTERM: which were left unbuilt, and exit 130 or 143.

    `found` are the problems found before any force was built (the frameworks' warnings). Diagnostics
    are shown in `fmt`: text lines on stderr or github annotations on stdout (paths under `prefix`) as
    each force completes, or one JSON document on stdout at the end. What people read is on stderr."""
    from .report.results import RoundResult

    failed: list[str] = []
    failed_rounds: list[str] = []
    built: list[str] = []
    kept: list[str] = []  # built before and unchanged since: left as they were
    every = list(found)
    if fmt == "github":
        annotate(found, prefix)
    elif fmt == "text":  # the frameworks' warnings, before any force
        for d in found:
            err(d.text())
    try:
        with progress(len(keys)) as report:
            for r in results:
                every += r.diagnostics
                if fmt == "github":
                    annotate(r.diagnostics, prefix)
                lines = [d.text() for d in r.diagnostics] if fmt == "text" else []
                if isinstance(r, RoundResult):  # a framework's round, after its forces
                    report([*lines, safe_line(r.line)], advance=False)
                    failed_rounds += [r.key] if r.failed else []
                elif r.ok:
                    built.append(r.key)
                    kept += [r.key] if r.unchanged else []
                    report([*lines, safe_line(f"{'unchanged: ' if r.unchanged else 'built '}{r.target}/ ({', '.join(r.written)})")])
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
        typer.echo(to_json(sorted(every, key=sort_key), built=sorted(built), not_built=sorted(failed), unchanged=sorted(kept)))
    rounds = f"; the round of {', '.join(failed_rounds)} not built" if failed_rounds else ""
    summary = f"built {len(built)} of {plural(len(keys), 'force')}" + (f" ({len(kept)} unchanged)" if kept else "")
    err(summary + (f"; not built: {', '.join(sorted(failed))}" if failed else "") + rounds)
    return failed + failed_rounds


def frameworks_to_build(
    root: Path, forces: list[str] | None, parse: ParseCache | None, fmt: str, prefix: str
) -> tuple[dict[str, FrameworkBundle], list[Path], Diagnostics]:
    """`hmic build`'s frameworks, loaded and checked, and the force folders to build; when a framework has
    errors, or there is no force, says so and exits 1 with nothing written."""
    from .checks.project import frameworks_first

    frameworks, folders, diags = frameworks_first(root, forces, parse)
    if diags.errors:
        print_diagnostics(diags.sorted(), fmt, prefix=prefix)
        err("nothing was written")
        raise typer.Exit(1)
    if not folders:
        err("error: no force to build: evidence/ holds no force folder")
        raise typer.Exit(1)
    return frameworks, folders, diags
