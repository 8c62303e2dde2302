"""Render stage: one Jinja environment (the user's templates sandboxed) laying the report out as Markdown, HTML and print HTML."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import jinja2

from ..diagnostics import Diagnostic, HmicError, Loc
from . import budget
from .chart import AXIS_H, CHART_H, CHART_W
from .draft import Draft, draft_mark
from .prose import ProseError, cell_filter, md_filter
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
    # it cannot reach Python internals or change the report, and its cost is counted (budget.py).
    # hmic's own templates are trusted code and skip the sandbox's per-attribute checks and the count.
    sandboxed = len(search) > 1
    env_class = budget.environment_class(sandboxed)
    cache = None
    if cache_dir is not None:
        # Compiled code differs with and without the sandbox, and the cache keys only on the template:
        # each kind keeps its own folder, so trusted code is never loaded into a sandbox.
        folder = cache_dir / (f"sandboxed-{budget.VERSION}" if sandboxed else "trusted")
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
    # Markdown output: plain strings show literally (as autoescaped HTML shows them), prose as its Markdown.
    filters = {"md": md_filter, "cell": cell_filter, "mdlink": md_filter, "css_string": css_string}
    env.filters.update({k: budget.counted_filter(k, f) for k, f in filters.items()} if sandboxed else filters)
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
    values = {
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
        template = env.get_template(name)
        if not isinstance(env, budget.CountedSandbox):
            return template.render(values)
        with budget.running():
            return budget.capped(template.generate(values))
    except budget.BudgetError as e:
        filename, line = _template_frame(e, name)
        raise HmicError([Diagnostic(Loc(filename, line, 1 if line else 0), e.code, e.message, hint=e.hint)]) from None
    except jinja2.TemplateError as e:
        raise HmicError([_template_error(e, env, name)]) from None
    except ProseError as e:
        raise HmicError([Diagnostic(Loc(report.key), "E602", str(e), hint=e.hint)]) from None
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
