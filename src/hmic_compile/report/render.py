"""Render stage: one Jinja environment (the user's templates sandboxed) laying the report out as Markdown, HTML and print HTML."""

from __future__ import annotations

import datetime as dt
import marshal
import types
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..diagnostics import Diagnostic, HmicError, Loc
from ..inputs.cache import Entries, template_folder
from ..inputs.files import inside, within
from .chart import AXIS_H, CHART_H, CHART_W
from .draft import Draft, draft_mark
from .prose import ProseError, md_cell, md_escape
from .templates import FolderLoader, TemplateRefused
from .view import Report

FORMATS = ("md", "html", "pdf")


# The PDF is the HTML template rendered with medium="pdf", which adds the paged-media stylesheet.
TEMPLATE_NAMES = {"md": "report.md.j2", "html": "report.html.j2", "pdf": "report.html.j2"}


def packaged_templates() -> Path:
    """The default templates: inside the installed package, or the repository's top-level templates/."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent.parent / "templates"


def css_string(text: str) -> str:
    """`text` for the inside of a double-quoted CSS string, safe inside an HTML <style> element too."""
    return "".join(f"\\{ord(c):06x}" if c in '"\\<>&' or ord(c) < 32 or ord(c) == 127 else c for c in text)


class _CheckedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept between runs, keyed by each template's name and file, checked against its source.

    Not Jinja's FileSystemBytecodeCache, whose entries start with a pickle: each entry here is the
    source's checksum and the marshalled code, behind the cache's own header (length and SHA-256,
    inputs/cache.py), in a folder that is the user's own; anything else is ignored and the template compiled."""

    def __init__(self, folder: Path):
        self.entries = Entries(folder)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        payload = self.entries.read(bucket.key)
        if payload is None:
            return
        checksum, _, code = payload.partition(b"\n")
        if checksum != bucket.checksum.encode("ascii"):
            return  # the template changed since
        try:
            loaded = marshal.loads(code)
        except (EOFError, ValueError, TypeError):
            return
        if isinstance(loaded, types.CodeType):
            bucket.code = loaded

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is not None:
            self.entries.write(bucket.key, bucket.checksum.encode("ascii") + b"\n" + marshal.dumps(bucket.code))


def _leads_out(shown: str) -> HmicError:
    return HmicError(
        [
            Diagnostic(
                Loc(shown),
                "E205",
                "is a symbolic link leading outside the project; hmic reads only what is inside it",
                hint="replace the link with the folder itself, or with a link to a folder inside the project",
            )
        ]
    )


def make_environment(user_templates: Path | None, root: Path, cache_dir: Path | None = None) -> jinja2.Environment:
    """One environment: the user's templates first, then the project's, then the defaults (also as 'default/...').

    `cache_dir` is the cache root, already checked (inputs/environment.py `cache`). The project's templates/,
    or a --templates folder in the project, that is a symbolic link leading out of the project is refused (E205)."""
    default = packaged_templates()
    search: list[str] = []
    if user_templates is not None:
        if within(user_templates, root) and not inside(user_templates, root):  # named on the command line, but a link in the project
            raise _leads_out(str(user_templates).rstrip("/") + "/")
        search.append(str(user_templates))
    own = root / "templates"
    if own.is_dir() or own.is_symlink():
        if not inside(own, root):
            raise _leads_out("templates/")
        if own.resolve() != default.resolve():
            search.append(str(own))
    search.append(str(default))
    loader = jinja2.ChoiceLoader([FolderLoader(search), jinja2.PrefixLoader({"default": FolderLoader([str(default)])})])
    # A template from --templates or the project's own templates/ runs in Jinja's immutable sandbox:
    # it cannot reach Python internals or change the report. hmic's own templates are trusted code
    # and skip the sandbox's per-attribute checks.
    sandboxed = len(search) > 1
    env_class = ImmutableSandboxedEnvironment if sandboxed else jinja2.Environment
    # Compiled code differs with and without the sandbox, and the cache keys only on the template:
    # each kind keeps its own folder, so trusted code is never loaded into a sandbox.
    cache = _CheckedBytecodeCache(template_folder(cache_dir, sandboxed)) if cache_dir is not None else None
    env = env_class(
        loader=loader,
        bytecode_cache=cache,
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["cell"] = md_cell
    env.filters["mdlink"] = lambda text: md_escape(text).replace("[", "\\[").replace("]", "\\]")
    env.filters["css_string"] = css_string
    return env


def _template_frame(e: BaseException, name: str) -> tuple[str, int]:
    """The innermost template file and line in an exception's traceback."""
    filename, line = name, 0
    tb = e.__traceback__
    while tb is not None:
        co = tb.tb_frame.f_code
        if co.co_filename.endswith(".j2"):
            filename, line = co.co_filename, tb.tb_lineno
        tb = tb.tb_next
    return filename, line


def _template_error(e: jinja2.TemplateError, env: jinja2.Environment, name: str) -> Diagnostic:
    if isinstance(e, TemplateRefused):  # at the line that named the template, or else the file refused
        filename, line = _template_frame(e, e.path or name)
        return Diagnostic(Loc(filename, line, 1) if line else Loc(e.path or name), e.code, e.text, hint=e.hint)
    filename = getattr(e, "filename", None) or name
    line = getattr(e, "lineno", None) or 0
    if isinstance(e, jinja2.UndefinedError) or not getattr(e, "lineno", None):
        # Find the template frame in the traceback for the line of an error raised while rendering.
        tb = e.__traceback__
        while tb is not None:
            co = tb.tb_frame.f_code
            if co.co_filename.endswith(".j2"):
                filename = co.co_filename
                line = tb.tb_lineno
            tb = tb.tb_next
    hint = "check the variable's spelling against docs/templates.md" if isinstance(e, jinja2.UndefinedError) else "fix the template"
    return Diagnostic(Loc(filename, line, 1 if line else 0), "E601", f"template error: {e.message or e}", hint=hint)


def render(report: Report, env: jinja2.Environment, fmt: str, draft: Draft | None = None, source_date_epoch: int | None = None) -> str:
    """One output format's text (for "pdf", the HTML that pdf.py lays out on pages).

    `source_date_epoch` dates the PDF's metadata; without it the PDF carries no date.
    """
    name = TEMPLATE_NAMES[fmt]
    created = None
    if fmt == "pdf" and source_date_epoch is not None:
        created = dt.datetime.fromtimestamp(source_date_epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        template = env.get_template(name)
        return template.render(
            report=report,
            labels=report.labels,
            chart_width=CHART_W,
            chart_height=CHART_H,
            axis_y=CHART_H - AXIS_H + 14,
            medium=fmt,
            created=created,
            draft=draft_mark(draft, report.labels) if draft else None,
        )
    except jinja2.TemplateError as e:
        raise HmicError([_template_error(e, env, name)]) from None
    except ProseError as e:
        raise HmicError([Diagnostic(Loc(report.key), "E602", str(e), hint="flatten the nested lists")]) from None
    except (OverflowError, RecursionError, MemoryError) as e:
        # A template that asks for too much (range(10**9), a macro calling itself): a diagnostic, not a crash.
        filename, line = _template_frame(e, name)
        what = {RecursionError: "recursion too deep", OverflowError: "a number too large", MemoryError: "out of memory"}[type(e)]
        raise HmicError(
            [
                Diagnostic(
                    Loc(filename, line, 1 if line else 0),
                    "E601",
                    f"template error: {what} ({e})",
                    hint="fix the template: a macro calling itself, or a loop or string far too large",
                )
            ]
        ) from None
