"""`python -m hmic_compile` and the `hmic` console script: the command line."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import interrupts

if TYPE_CHECKING:
    import typer


def main() -> None:
    # Ctrl-C and SIGTERM are handled from the first moment, so an interrupt while Python is still
    # importing hmic's modules ends in exit 130 (143 for SIGTERM), never a traceback.
    interrupts.install()
    try:
        # A run is short and makes many small objects, few of them cyclic: no garbage collection at all
        # (about a tenth of a one-force command's time). What runs long turns it back on: `hmic serve`
        # and `hmic lsp`, and a process checking or building force after force collects between them
        # (checks/parallel.py).
        gc.disable()
        # pydantic looks for plugins in every installed distribution's metadata when the first model is
        # built; hmic's models use none (typer builds its own adapters with plugins off the same way).
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
        no_plugin_search()
        from .cli import app

        invoked(app, sys.argv[1:])()  # typer builds the command run alone
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(interrupts.exit_code())
    finally:
        # The process ends here. At exit the interpreter collects garbage over every object still alive
        # (a fifth of a short command's time, for what its modules, models and results hold); frozen, they
        # are left to the operating system, which frees the whole process at once. Everything else at exit
        # (atexit handlers, flushing, freeing modules) happens as before.
        gc.freeze()


PLUGIN_LOADER = "pydantic.plugin._loader"


def no_plugin_search() -> None:
    """With every pydantic plugin disabled (PYDANTIC_DISABLE_PLUGINS=__all__, as hmic sets it), pydantic still
    imports its plugin loader on the first model it builds, and the loader imports importlib.metadata (with
    email, zipfile and csv: a twentieth of a short command's time) only to find that it may load nothing.
    Its one function, `get_plugins`, then returns nothing: this stands in for the loader while that holds,
    and imports the real one the moment anything else of it is asked for, so a pydantic whose loader has
    more to offer still gets it."""
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") != "__all__" or PLUGIN_LOADER in sys.modules:
        return
    import types

    shim = types.ModuleType(PLUGIN_LOADER, no_plugin_search.__doc__)

    def get_plugins() -> tuple[()]:
        return ()

    def real(name: str) -> object:  # PEP 562: any other name is the real loader's
        import importlib

        if name.startswith("__"):  # what the import system asks of any module (__path__, __spec__, ...)
            raise AttributeError(name)
        if sys.modules.get(PLUGIN_LOADER) is shim:
            del sys.modules[PLUGIN_LOADER]
        return getattr(importlib.import_module(PLUGIN_LOADER), name)

    shim.get_plugins = get_plugins  # type: ignore[attr-defined]
    shim.__getattr__ = real  # type: ignore[method-assign]
    sys.modules[PLUGIN_LOADER] = shim


def invoked(app: typer.Typer, args: Sequence[str]) -> typer.Typer:
    """`app` with only the command `args` starts with, when it names one (`hmic validate ...`): typer builds
    every command's parameters before it runs one, a tenth of a short command's time for hmic's. Anything
    else (no command, an option first, an unknown name, shell completion) gets the whole app, and its help."""
    if not args or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return app
    from copy import copy

    from typer.main import get_command_name

    commands = [c for c in app.registered_commands if c.callback and (c.name or get_command_name(c.callback.__name__)) == args[0]]
    groups = [g for g in app.registered_groups if g.name == args[0]]
    if not commands and not groups:
        return app
    lean = copy(app)
    lean.registered_commands, lean.registered_groups = commands, groups
    return lean


if __name__ == "__main__":
    main()
