"""What the command line prints, and how: diagnostics in each format, progress bars, colour, paths as typed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from msgspec.structs import replace
from typer.core import TyperArgument, TyperCommand

from .diagnostics import CommandError, Diagnostic, no_command, safe_line, summary, to_json

if TYPE_CHECKING:
    from .checks.validate import Validation
    from .inputs.environment import Cache
    from .inputs.project import Project
    from .tools.schema import Plan
    from .tools.serve import Site


class OutputFormat(str, Enum):
    """hmic validate --format: text on stderr, for people; json, sarif and github on stdout, for tools."""

    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class BuildDiagnostics(str, Enum):
    """hmic build --diagnostics: as validate's formats (no sarif: a build's problems are validate's)."""

    text = "text"
    json = "json"
    github = "github"


class GradeFormat(str, Enum):
    text = "text"
    json = "json"


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"


class ModerateFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"


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
    """The run's cache folder, checked once; when it is not safe to use, its warning (W710) is printed here:
    a GitHub annotation on stdout when the command's diagnostics are `fmt` "github", else a line of text on
    stderr (with "json" or "sarif", stdout is kept for the one document)."""
    from .inputs.environment import cache

    found = cache()
    if found.warning is not None:
        if fmt == "github":
            typer.echo(found.warning.github())  # a workflow command on purpose, its values escaped by github()
        else:
            err(found.warning.text())
    return found


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
    if fmt == "github":
        annotate(diags, prefix)
        return
    for d in diags:
        err(d.text())
    if fmt == "text":
        err(summary(list(diags)) + (" (warnings fail with --strict)" if strict and any(not d.is_error for d in diags) else ""))


def annotate(diags: Sequence[Diagnostic], prefix: str = "") -> None:
    """GitHub's workflow commands on stdout, one a problem, with paths within the repository (see `under`)."""
    for d in diags:
        typer.echo(under(prefix, d).github())  # a workflow command on purpose, its values escaped by github()


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


def serve_target(root: Path, force: str | None) -> None:
    """`hmic serve`'s project and force, before it listens: outside a project it fails as `hmic validate`
    does (the same lines, exit 1); a force with no folder under evidence/ is a CommandError."""
    from .checks.validate import Validation
    from .diagnostics import one_of
    from .inputs.project import missing_folders

    if missing := missing_folders(root):
        print_diagnostics(missing, "text")
        err(checked(Validation(0, 0, missing), strict=False))
        raise typer.Exit(1)
    if force is not None and not (root / "evidence" / force).is_dir():
        have = sorted(p.name for p in (root / "evidence").iterdir() if p.is_dir())
        raise CommandError(f"no evidence folder for force '{force}'", f"available: {one_of(force, have) or 'none'}")


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
    """The diagnostic with its path within the repository (`prefix` is the project folder's path there);
    a path outside the project (the cache folder, a --templates folder elsewhere) stays as it is."""
    if not prefix or os.path.isabs(d.loc.path):
        return d
    return replace(d, loc=replace(d.loc, path=f"{prefix}/{d.loc.path}"))


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


def report_created(folder: Path, what: str, notes: Iterable[str], next_step: str) -> None:
    """What `hmic new` wrote, its notes, and what to do next."""
    err(f"created {shown(folder)}/ {what}")
    for note in notes:
        err(f"note: {note}")
    err(f"next: {next_step}")


def print_grades(project: Project, force: str | None, explain: str | None, format: GradeFormat) -> None:
    """`hmic grade` on stdout: how each force's area was derived (`explain`), or the grades as a table or JSON."""
    from .derive import explain as report
    from .diagnostics import json_text

    if explain:
        for fo in project.forces.values():
            out(report.explain_text(project, fo, explain) + "\n")
        return
    results = [report.grade_summary(project, fo) for fo in project.forces.values()]
    if format is GradeFormat.json:
        out(json_text(results if not force else results[0], ascii=False) + "\n")
    else:
        for r in results:
            out(report.grade_table_text(r) + "\n")


def serve_until_stopped(site: Site, port: int, what: str) -> None:
    """`hmic serve`: the preview of `what` on 127.0.0.1:`port` until Ctrl-C."""
    from .tools.serve import Server

    try:
        server = Server(site, port)
    except OSError as e:
        raise CommandError(
            f"cannot listen on 127.0.0.1:{port}: {e.strerror or e}", "try another --port, or --port 0 for any free one", True
        ) from None
    server.start()
    err(f"serving {what} at {server.url} (Ctrl-C to stop)")
    try:
        server.wait()
    except KeyboardInterrupt:
        err("stopped")
    finally:
        server.stop()


def print_moderation(root: Path, framework: str | None, fmt: str, folder: Path) -> None:
    """`hmic moderate`: a framework's moderation as text or JSON on stdout, or as an internal page in `folder`/<framework>/."""
    from .report import moderation as mod

    found = mod.moderation_for(root, framework, run_cache().parse())
    if fmt == "html":
        target = mod.write_moderation(root, found, folder)
        err(f"wrote {shown(target)}/moderation.html: for the Inspectorate only, never to be published with the round")
    else:
        out(mod.moderation_json(found) if fmt == "json" else mod.moderation_text(found))
