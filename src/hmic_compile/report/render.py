"""Render stage: one Jinja environment (the user's templates sandboxed) laying the report out as Markdown, HTML and print HTML."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..diagnostics import Diagnostic, HmicError, Loc
from .chart import AXIS_H, CHART_H, CHART_W
from .draft import Draft, draft_mark
from .prose import ProseError, md_cell, md_escape
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


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs (keyed by each template's source); a cache that cannot be
    read or written is simply not used."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def make_environment(user_templates: Path | None, root: Path, cache_dir: Path | None = None) -> jinja2.Environment:
    """One environment: the user's templates first, then the project's, then the defaults (also as 'default/...')."""
    default = packaged_templates()
    search: list[str] = []
    if user_templates is not None:
        search.append(str(user_templates))
    if (root / "templates").is_dir() and (root / "templates").resolve() != default.resolve():
        search.append(str(root / "templates"))
    search.append(str(default))
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(search),
            jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(default))}),
        ]
    )
    # A template from --templates or the project's own templates/ runs in Jinja's immutable sandbox:
    # it cannot reach Python internals or change the report. hmic's own templates are trusted code
    # and skip the sandbox's per-attribute checks.
    sandboxed = len(search) > 1
    env_class = ImmutableSandboxedEnvironment if sandboxed else jinja2.Environment
    cache = None
    if cache_dir is not None:
        # Compiled code differs with and without the sandbox, and the cache keys only on the template:
        # each kind keeps its own folder, so trusted code is never loaded into a sandbox.
        folder = cache_dir / ("sandboxed" if sandboxed else "trusted")
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            cache = _QuietBytecodeCache(str(folder))
        except OSError:
            cache = None
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
    """The innermost template file and line in an exception's traceback: a template's own frame while it
    runs; while Jinja compiles it (folding `10**5000` into a constant), the node being compiled; while
    Jinja's loader reads it, the file."""
    filename, line = name, 0
    tb = e.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename.endswith(".j2"):
            filename, line = frame.f_code.co_filename, tb.tb_lineno
        elif isinstance(frame.f_locals.get("self"), jinja2.compiler.CodeGenerator):
            generator, node = frame.f_locals["self"], frame.f_locals.get("node")
            filename = generator.filename or generator.name or filename
            line = getattr(node, "lineno", None) or line
        elif frame.f_code.co_name == "get_source" and isinstance(frame.f_locals.get("filename"), str):
            filename = frame.f_locals["filename"]
        tb = tb.tb_next
    return filename, line


# What a template's own expressions can raise as they run (or as Jinja folds constants), each a
# diagnostic at the template's line: code, what is wrong, what would be right.
_RUNTIME_ERRORS: tuple[tuple[type[Exception], str, str], ...] = (
    (ZeroDivisionError, "E605", "fix the template: divide only by a number that is not zero, e.g. inside {% if n %}"),
    (TypeError, "E606", "fix the template: the values are of kinds the operation cannot take; convert with |int, |float or |string"),
    (ValueError, "E607", "fix the template: the value is out of the operation's range"),
    (LookupError, "E607", "fix the template: the index or key is not there"),
)


def _runtime_error(e: Exception, name: str) -> Diagnostic:
    filename, line = _template_frame(e, name)
    code, hint = next((code, hint) for kind, code, hint in _RUNTIME_ERRORS if isinstance(e, kind))
    what = str(e)
    if isinstance(e, ValueError) and "integer string conversion" in what:
        what = "a number of more than 4,300 digits cannot be written out"
    return Diagnostic(Loc(filename, line, 1 if line else 0), code, f"template error: {what}", hint=hint)


def _unreadable(e: OSError | UnicodeDecodeError, name: str) -> Diagnostic:
    filename, _ = _template_frame(e, name)
    if isinstance(e, OSError):
        filename = e.filename or filename
        what = f"cannot read the template: {e.strerror or e}"
        hint = "check the file's permissions"
    else:
        what = f"the template is not UTF-8 text: byte 0x{e.object[e.start]:02x} at position {e.start}"
        hint = "save the template as UTF-8"
    return Diagnostic(Loc(str(filename)), "E609", what, hint=hint)


def _refuse_lone_surrogates(value: object) -> object:
    if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
        raise _NotText(value)
    return value


class _NotText(Exception):
    """A template wrote a lone surrogate (half of a UTF-16 pair), which is no character and cannot be saved."""


def _locate_lone_surrogate(env: jinja2.Environment, name: str, context: dict[str, object]) -> Diagnostic:
    """Render once more, refusing every value that holds a lone surrogate, to name the template line that wrote it."""
    checking = env.overlay(finalize=_refuse_lone_surrogates, bytecode_cache=None)  # compiled anew: the cache never sees it
    filename, line = name, 0
    try:
        checking.get_template(name).render(**context)
    except _NotText as e:
        filename, line = _template_frame(e, name)
    return Diagnostic(
        Loc(filename, line, 1 if line else 0),
        "E608",
        "template error: the output holds a lone surrogate (such as \\udcff), which is not a character and cannot be saved",
        hint="fix the template: write characters, not halves of UTF-16 pairs",
    )


def _template_error(e: jinja2.TemplateError, env: jinja2.Environment, name: str) -> Diagnostic:
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
    context: dict[str, object] = {
        "report": report,
        "labels": report.labels,
        "chart_width": CHART_W,
        "chart_height": CHART_H,
        "axis_y": CHART_H - AXIS_H + 14,
        "medium": fmt,
        "created": created,
        "draft": draft_mark(draft, report.labels) if draft else None,
    }
    try:
        text = env.get_template(name).render(**context)
        try:
            text.encode("utf-8")  # the only failure: a lone surrogate the template wrote
        except UnicodeEncodeError:
            raise HmicError([_locate_lone_surrogate(env, name, context)]) from None
        return text
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
    except (OSError, UnicodeDecodeError) as e:  # a template file that cannot be read, or is not UTF-8
        raise HmicError([_unreadable(e, name)]) from None
    except tuple(kind for kind, _, _ in _RUNTIME_ERRORS) as e:
        raise HmicError([_runtime_error(e, name)]) from None
