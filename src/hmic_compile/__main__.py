"""`python -m hmic_compile` and the `hmic` console script: the command line."""

import gc
import os
import sys

from . import interrupts


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
        from .cli import run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(interrupts.exit_code())


if __name__ == "__main__":
    main()
