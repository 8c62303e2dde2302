"""The cost limit of sandboxed templates: an operation budget, a size limit on every value, a cap on the output.

Jinja's sandbox stops a template reaching Python's internals, not a template that never ends or fills
the memory: `{% for a in range(10**5) %}{% for b in range(10**5) %}`, `lipsum(10**6)`, `"x" * 10**9`,
`"x" | indent(10**9)`. A template from `--templates` or the project runs here with every loop
iteration, call, attribute look-up, filter and operator counted against a budget, every text or list
it makes held to a size, and its output capped; going over ends the render with a diagnostic naming the
template's file and line (E610-E612). hmic's own templates are trusted and pay none of this.
"""

from __future__ import annotations

import contextvars
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sized
from functools import wraps
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg, generate_lorem_ipsum, pass_context

MAX_OPERATIONS = 2_000_000  # loop iterations, calls, look-ups, filters, operators; ~100x what the default templates need
MAX_LENGTH = 2_000_000  # characters in a text, items in a list, that a template makes
MAX_OUTPUT = 20_000_000  # characters a template outputs in all
MAX_DIGITS = 10_000  # digits of a number a template makes
MAX_WIDTH = 10_000  # a width, an indent or a padding
CHARACTERS_PER_OPERATION = 64  # text a template makes costs one operation per this many characters

VERSION = "1"  # compiled templates depend on this module: a change here must not reuse old ones


class BudgetError(Exception):
    """A template that asked for more than its limits; `code` is E610-E612."""

    def __init__(self, code: str, message: str, hint: str):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def _over_budget() -> BudgetError:
    return BudgetError(
        "E610",
        f"the template ran more than {MAX_OPERATIONS:,} operations (loop iterations, calls, filters)",
        "loop over the report's data rather than over large ranges; nested loops multiply",
    )


def _output_too_large() -> BudgetError:
    return BudgetError(
        "E612", f"the template's output is over {MAX_OUTPUT:,} characters", "a report is far smaller: look for a loop that repeats"
    )


def _too_large(what: str) -> BudgetError:
    return BudgetError("E611", f"the template made {what}", f"keep texts and lists under {MAX_LENGTH:,} characters or items")


class Budget:
    """What one render has spent."""

    __slots__ = ("operations", "output")

    def __init__(self) -> None:
        self.operations = 0
        self.output = 0

    def charge(self, n: int = 1) -> None:
        self.operations += n
        if self.operations > MAX_OPERATIONS:
            raise _over_budget()

    def emit(self, n: int) -> None:
        self.output += n
        if self.output > MAX_OUTPUT:
            raise _output_too_large()


_CURRENT: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("hmic_template_budget", default=None)


def _budget() -> Budget:
    b = _CURRENT.get()
    if b is None:  # rendering outside render(): still bounded, from zero
        b = Budget()
        _CURRENT.set(b)
    return b


class running:
    """`with running():` gives a render its own budget."""

    def __enter__(self) -> Budget:
        self.budget = Budget()
        self.token = _CURRENT.set(self.budget)
        return self.budget

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self.token)


def capped(pieces: Iterable[str]) -> str:
    """A template's output, joined, refused past MAX_OUTPUT characters (a last guard: what the template
    writes is counted as it writes it, where the diagnostic can name the line)."""
    total, out = 0, []
    for p in pieces:
        total += len(p)
        if total > MAX_OUTPUT:
            raise _output_too_large()
        out.append(p)
    return "".join(out)


# --- what values cost ------------------------------------------------------------------------


def _cost(value: Any) -> int:
    if isinstance(value, str):
        return 1 + len(value) // CHARACTERS_PER_OPERATION
    if isinstance(value, (list, tuple, dict, set, frozenset, range)):
        return 1 + len(value)
    return 1


def _check(value: Any) -> Any:
    """A value a template made: held to MAX_LENGTH, and charged for its size."""
    if isinstance(value, (str, list, tuple, dict)) and len(value) > MAX_LENGTH:
        kind = "a text" if isinstance(value, str) else "a list"
        raise _too_large(f"{kind} of {len(value):,} {'characters' if isinstance(value, str) else 'items'}, over {MAX_LENGTH:,}")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_DIGITS * 3.33:
        raise _too_large(f"a number of more than {MAX_DIGITS:,} digits")
    _budget().charge(_cost(value))
    return value


def _counted(items: Iterable[Any]) -> Iterator[Any]:
    b = _budget()
    for item in items:
        b.charge()
        yield item


def _predict(length: float, what: str) -> None:
    if length > MAX_LENGTH:
        raise _too_large(f"{what} of {int(length):,} characters or items, over {MAX_LENGTH:,}")


def _width(value: Any, what: str) -> None:
    n = len(value) if isinstance(value, str) else value if isinstance(value, int) else 0
    if n > MAX_WIDTH:
        raise _too_large(f"{what} of {n:,}, over {MAX_WIDTH:,}")


_FORMAT_NUMBER = re.compile(r"%[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?|\{[^{}]*?:[^{}]*?(\d{5,})")


def _format_string(spec: Any) -> None:
    """Refuse a %-format or str.format string with a width or precision past MAX_WIDTH ('%999999999d')."""
    if not isinstance(spec, str):
        return
    for m in _FORMAT_NUMBER.finditer(spec):
        for g in m.groups():
            if g == "*":
                raise _too_large("a format with a width taken from its arguments ('*')")
            if g and int(g) > MAX_WIDTH:
                raise _too_large(f"a format width of {int(g):,}, over {MAX_WIDTH:,}")


def _lines(text: Any) -> int:
    return str(text).count("\n") + 1


# Filters whose arguments say how large the result is: each checked before it runs.
def _pre_filter(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    def arg(i: int, key: str, default: Any = None) -> Any:
        return args[i] if len(args) > i else kwargs.get(key, default)

    if name == "indent":
        width = arg(0, "width", 4)
        _width(width, "an indent")
        _predict(len(str(value)) + _lines(value) * (len(width) if isinstance(width, str) else int(width)), "an indented text")
    elif name == "center":
        _width(arg(0, "width", 80), "a centring width")
    elif name in ("batch", "slice"):
        _width(arg(0, "linecount" if name == "batch" else "slices", 0), f"a {name} count")
    elif name == "wordwrap":
        width, wrap = arg(0, "width", 79), arg(3, "wrapstring", "\n")
        text = str(value)
        if isinstance(width, int) and width > 0:
            _predict(len(text) + (len(text) // width + 1) * len(str(wrap or "\n")), "a wrapped text")
    elif name == "replace":
        old, new, count = str(arg(0, "old", "")), str(arg(1, "new", "")), arg(2, "count")
        text = str(value)
        hits = len(text) + 1 if old == "" else text.count(old)
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        _predict(len(text) + hits * max(len(new) - len(old), 0), "a replaced text")
    elif name == "format":
        _format_string(value)
    elif name == "join" and isinstance(value, (list, tuple)):
        sep = str(arg(0, "d", ""))
        _predict(len(sep) * max(len(value) - 1, 0) + sum(len(x) if isinstance(x, str) else 1 for x in value), "a joined text")


def counted_filter(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    """`f` as a sandboxed template calls it: its input charged, its arguments checked, its result held to a size."""
    skip = 0 if _PassArg.from_obj(f) is None else 1  # the context, eval context or environment comes first

    @wraps(f)
    def counted(*args: Any, **kwargs: Any) -> Any:
        if len(args) > skip:
            value = args[skip]
            if isinstance(value, Iterator) and not isinstance(value, Sized):
                args = (*args[:skip], _counted(value), *args[skip + 1 :])
            else:
                _budget().charge(_cost(value))
            if name == "join" and not isinstance(value, (list, tuple, str)):
                value = list(args[skip])
                args = (*args[:skip], value, *args[skip + 1 :])
            _pre_filter(name, value, args[skip + 1 :], kwargs)
        return _check(f(*args, **kwargs))

    return counted


# String methods a template can call whose arguments size the result.
_PADDING = {"ljust", "rjust", "center", "zfill", "expandtabs"}


def _pre_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if obj is generate_lorem_ipsum:
        n, top = (args[0] if args else kwargs.get("n", 5)), (args[3] if len(args) > 3 else kwargs.get("max", 100))
        if isinstance(n, int) and isinstance(top, int):
            _predict(n * max(top, 1) * 8, "lorem ipsum")
        return
    target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
    owner, name = getattr(target, "__self__", None), getattr(target, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in _PADDING and args:
        _width(args[0], f"a {name} width")
    elif name in ("format", "format_map"):
        _format_string(owner)
    elif name == "join" and args and isinstance(args[0], (list, tuple)):
        _predict(len(owner) * len(args[0]) + sum(len(x) if isinstance(x, str) else 1 for x in args[0]), "a joined text")
    elif name == "replace" and len(args) >= 2:
        hits = len(owner) + 1 if args[0] == "" else owner.count(str(args[0]))
        _predict(len(owner) + hits * max(len(str(args[1])) - len(str(args[0])), 0), "a replaced text")


# --- the transformation of a template's tree ---------------------------------------------------


@pass_context
def _loop_items(context: Any, items: Any) -> Any:
    return _counted(items)


@pass_context
def _charge(context: Any, value: Any, cost: int, size: int) -> Any:
    b = _budget()
    b.charge(cost)
    b.emit(size)
    return value


@pass_context
def _sized(context: Any, value: Any) -> Any:
    return _check(value)


def _charge_node(body: list[nodes.Node], lineno: int) -> nodes.Output:
    """A statement that charges, each time the body runs, for the literal text the body writes."""
    size = sum(len(n.data) for stmt in body for n in stmt.find_all(nodes.TemplateData))
    cost = [nodes.Const(1 + size // CHARACTERS_PER_OPERATION), nodes.Const(size)]
    return nodes.Output([nodes.Filter(nodes.Const(""), "_hmic_charge", cost, [], None, None, lineno=lineno)], lineno=lineno)


def count_everything(tree: nodes.Template) -> nodes.Template:
    """Every loop's items counted, every loop, macro and call block body charged for the text it writes,
    every `~` concatenation and `{% set %}` block held to MAX_LENGTH."""
    for node in list(tree.find_all((nodes.For, nodes.Macro, nodes.CallBlock, nodes.AssignBlock))):
        if isinstance(node, nodes.For):
            node.iter = nodes.Filter(node.iter, "_hmic_loop", [], [], None, None, lineno=node.lineno)
        if isinstance(node, nodes.AssignBlock):  # {% set x %}...{% endset %}: what it captures is a value too
            if node.filter is None:
                node.filter = nodes.Filter(None, "_hmic_sized", [], [], None, None, lineno=node.lineno)
            continue
        assert isinstance(node, (nodes.For, nodes.Macro, nodes.CallBlock))
        node.body.insert(0, _charge_node(node.body, node.lineno))
    for parent in list(tree.find_all(nodes.Node)):
        for field in parent.fields:
            child = getattr(parent, field, None)
            if isinstance(child, nodes.Concat):
                setattr(parent, field, nodes.Filter(child, "_hmic_sized", [], [], None, None, lineno=child.lineno))
            elif isinstance(child, list):
                for i, c in enumerate(child):
                    if isinstance(c, nodes.Concat):
                        child[i] = nodes.Filter(c, "_hmic_sized", [], [], None, None, lineno=c.lineno)
    return tree


class CountedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with every operation counted and every value held to a size."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

    def __init__(self, **options: Any):
        super().__init__(finalize=self._output, **options)
        self.filters = {name: counted_filter(name, f) for name, f in self.filters.items()}
        self.filters.update({"_hmic_loop": _loop_items, "_hmic_charge": _charge, "_hmic_sized": _sized})

    @staticmethod
    def _output(value: Any) -> Any:
        """Every value a template outputs (the finalize hook): charged, and counted against MAX_OUTPUT."""
        if isinstance(value, str):
            b = _budget()
            b.charge(_cost(value))
            b.emit(len(value))
        return value

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = count_everything(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        b = _budget()
        b.charge(1 + sum(_cost(a) - 1 for a in args))
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level: its items count too
            args = (_counted(args[0]), *args[1:])
        _pre_call(__obj, args, kwargs)
        return _check(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        _budget().charge()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _budget().charge()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().charge()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    _predict(len(seq) * n, "a repeated text or list")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
            if right * math.log10(abs(left)) > MAX_DIGITS:
                raise _too_large(f"a number of more than {MAX_DIGITS:,} digits")
        elif operator == "%" and isinstance(left, str):
            _format_string(left)
        return _check(super().call_binop(context, operator, left, right))


def environment_class(sandboxed: bool) -> type[jinja2.Environment]:
    return CountedSandbox if sandboxed else jinja2.Environment
