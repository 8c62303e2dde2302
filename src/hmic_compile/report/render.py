"""Render stage: one Jinja environment (the user's templates sandboxed) laying the report out as Markdown, HTML and print HTML."""

from __future__ import annotations

import datetime as dt
import marshal
import types
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from ..diagnostics import Diagnostic, HmicError, Loc
from ..inputs.cache import Entries, template_folder
from . import budget
from .prose import ProseError, cell_filter, md_filter
from .template_files import FORMATS as FORMATS  # re-exported: report/template_files.py holds it
from .template_files import TEMPLATE_NAMES, packaged_templates, search_folders
from .templates import FolderLoader, TemplateRefused
from .view import Report

if TYPE_CHECKING:  # the draft mark loads for a --draft build only
    from .draft import Draft


def css_string(text: str) -> str:
    """`text` for the inside of a double-quoted CSS string, safe inside an HTML <style> element too."""
    return "".join(f"\\{ord(c):06x}" if c in '"\\<>&' or ord(c) < 32 or ord(c) == 127 else c for c in text)


class _CheckedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept between runs, keyed by each template's name and file, checked against its source.

    Not Jinja's FileSystemBytecodeCache, whose entries start with a pickle: each entry here is the
    source's checksum and the marshalled code, behind the cache's own header (length and SHA-256,
    inputs/cache.py), in a folder that is the user's own; anything else is ignored and the template compiled.
    `compiler` names what else the code depends on (the budget's version, for sandboxed code): it is part of the checksum."""

    def __init__(self, folder: Path, compiler: str = ""):
        self.entries = Entries(folder)
        self.compiler = compiler

    def _checksum(self, bucket: jinja2.bccache.Bucket) -> bytes:
        return (bucket.checksum + (f":{self.compiler}" if self.compiler else "")).encode("ascii")

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        payload = self.entries.read(bucket.key)
        if payload is None:
            return
        checksum, _, code = payload.partition(b"\n")
        if checksum != self._checksum(bucket):
            return  # the template (or the compiler) changed since
        try:
            loaded = marshal.loads(code)
        except (EOFError, ValueError, TypeError):
            return
        if isinstance(loaded, types.CodeType):
            bucket.code = loaded

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is not None:
            self.entries.write(bucket.key, self._checksum(bucket) + b"\n" + marshal.dumps(bucket.code))


def make_environment(user_templates: Path | None, root: Path, cache_dir: Path | None = None) -> jinja2.Environment:
    """One environment: the user's templates first, then the project's, then the defaults (also as 'default/...').

    `cache_dir` is the cache root, already checked (inputs/environment.py `cache`). The project's templates/,
    or a --templates folder in the project, that is a symbolic link leading out of the project is refused (E205)."""
    default = packaged_templates()
    search = search_folders(user_templates, root)
    loader = jinja2.ChoiceLoader([FolderLoader(search), jinja2.PrefixLoader({"default": FolderLoader([str(default)])})])
    # A template from --templates or the project's own templates/ runs in Jinja's immutable sandbox:
    # it cannot reach Python internals or change the report, and its cost is counted (budget.py).
    # hmic's own templates are trusted code and skip the sandbox's per-attribute checks and the count.
    sandboxed = len(search) > 1
    env_class = budget.environment_class(sandboxed)
    # Compiled code differs with and without the sandbox, and the cache keys only on the template:
    # each kind keeps its own folder, so trusted code is never loaded into a sandbox. Sandboxed code is
    # compiled through budget.py's counting too: an entry from another version of it is not used.
    cache = None
    if cache_dir is not None:
        cache = _CheckedBytecodeCache(template_folder(cache_dir, sandboxed), f"budget-{budget.VERSION}" if sandboxed else "")
    env = env_class(
        loader=loader,
        bytecode_cache=cache,
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Markdown output: plain strings show literally (as autoescaped HTML shows them), prose as its Markdown.
    filters = {"md": md_filter, "cell": cell_filter, "mdlink": md_filter, "css_string": css_string}
    env.filters.update({k: budget.counted_filter(k, f) for k, f in filters.items()} if sandboxed else filters)
    return env


def _template_frame(e: BaseException, name: str) -> tuple[str, int]:
    """The innermost template file and line in an exception's traceback: a template's own frame while it
    runs; while Jinja compiles it (folding `10**5000` into a constant), the node being compiled."""
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


def _refuse_lone_surrogates(value: object) -> object:
    if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
        raise _NotText(value)
    return value


class _NotText(Exception):
    """A template wrote a lone surrogate (half of a UTF-16 pair), which is no character and cannot be saved."""


def _locate_lone_surrogate(env: jinja2.Environment, name: str, context: dict[str, object]) -> Diagnostic:
    """Render once more, refusing every value that holds a lone surrogate, to name the template line that wrote it."""
    outer = env.finalize  # a sandbox's own: what it outputs is counted
    refuse = _refuse_lone_surrogates if outer is None else lambda value: _refuse_lone_surrogates(outer(value))
    checking = env.overlay(finalize=refuse, bytecode_cache=None)  # compiled anew: the cache never sees it
    filename, line = name, 0
    try:
        with budget.running():  # the same budget as the render that wrote it
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
    shown = None
    if draft:
        from .draft import draft_mark

        shown = draft_mark(draft, report.labels)
    context: dict[str, object] = {"report": report, "labels": report.labels, "medium": fmt, "created": created, "draft": shown}
    return render_template(env, name, context, report.key)


def render_template(env: jinja2.Environment, name: str, context: dict[str, object], where: str) -> str:
    """Template `name` rendered with `context`; any problem is an HmicError naming the template's line (`where`
    names what was being rendered, for prose that cannot be rendered)."""
    try:
        template = env.get_template(name)
        if isinstance(env, budget.CountedSandbox):
            with budget.running():
                text = budget.capped(template.generate(context))
        else:
            text = template.render(context)
        try:
            text.encode("utf-8")  # the only failure: a lone surrogate the template wrote
        except UnicodeEncodeError:
            raise HmicError([_locate_lone_surrogate(env, name, context)]) from None
        return text
    except budget.BudgetError as e:
        filename, line = _template_frame(e, name)
        raise HmicError([Diagnostic(Loc(filename, line, 1 if line else 0), e.code, e.message, hint=e.hint)]) from None
    except jinja2.TemplateError as e:
        raise HmicError([_template_error(e, env, name)]) from None
    except ProseError as e:
        raise HmicError([Diagnostic(Loc(where), "E602", str(e), hint=e.hint)]) from None
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
    except tuple(kind for kind, _, _ in _RUNTIME_ERRORS) as e:
        raise HmicError([_runtime_error(e, name)]) from None
