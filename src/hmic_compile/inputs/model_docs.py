"""Field descriptions from attribute docstrings, read once per module rather than once per model.

The models take each field's description from the docstring under it (`use_attribute_docstrings`, so
that `hmic schema` and editors show it). On Python before 3.13 pydantic finds each model's source by
walking the call stack and re-reading its block, for every one of hmic's models: about a sixth of the
start-up of every command. `install` has pydantic's field collection read hmic's modules instead: each
parsed once, every class's docstrings the same as pydantic's own extraction gives (tests/test_model_docs.py).
A class this cannot place for certain (not hmic's, nested, or named twice in its module) goes to pydantic's.
"""

from __future__ import annotations

import ast
import inspect
import sys
import tokenize
from collections.abc import Callable
from typing import Any

_OURS = "hmic_compile."
_PARSED: dict[str, dict[str, dict[str, str]] | None] = {}  # module -> class name -> field -> description


def class_docstrings(node: ast.ClassDef) -> dict[str, str]:
    """Each annotated field of the class body followed at once by a string, with that string cleaned (as pydantic does)."""
    attrs: dict[str, str] = {}
    target: str | None = None
    previous: ast.stmt | None = None
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign):
            if isinstance(stmt.target, ast.Name):
                target = stmt.target.id
        elif (
            isinstance(stmt, ast.Expr)
            and isinstance(previous, ast.AnnAssign)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        ):
            if target:
                attrs[target] = inspect.cleandoc(stmt.value.value)
            target = None
        previous = stmt
    return attrs


def _module(name: str) -> dict[str, dict[str, str]] | None:
    if name not in _PARSED:
        path = getattr(sys.modules.get(name), "__file__", None)
        try:
            if not path:
                raise OSError("no source file")
            with tokenize.open(path) as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError, ValueError):
            _PARSED[name] = None
            return None
        classes: dict[str, dict[str, str]] = {}
        twice: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                if node.name in classes:
                    twice.add(node.name)
                classes[node.name] = class_docstrings(node)
        _PARSED[name] = {k: v for k, v in classes.items() if k not in twice}
    return _PARSED[name]


def _extractor(original: Callable[..., dict[str, str]]) -> Callable[..., dict[str, str]]:
    def extract(cls: type[Any], use_inspect: bool = False) -> dict[str, str]:
        if cls.__module__.startswith(_OURS) and cls.__qualname__ == cls.__name__:
            classes = _module(cls.__module__)
            if classes is not None and cls.__name__ in classes:
                return dict(classes[cls.__name__])
        return original(cls, use_inspect=use_inspect)

    extract.__wrapped__ = original  # type: ignore[attr-defined]
    return extract


def install() -> None:
    """Route pydantic's field collection through `extract` (once; a pydantic without that hook is left as it is)."""
    try:
        from pydantic._internal import _fields
    except ImportError:
        return
    original = getattr(_fields, "extract_docstrings_from_cls", None)
    if callable(original) and not hasattr(original, "__wrapped__"):
        _fields.extract_docstrings_from_cls = _extractor(original)
