"""The templates folders without Jinja: which folders are searched, and every template file with its hash.

A build whose manifest shows its outputs up to date (report/uptodate.py) needs the template hashes but
never a template: this module lets it find them without importing Jinja. report/templates.py's loader
opens the same files through the same checks (see there and docs/security.md).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..diagnostics import Diagnostic, HmicError, Loc
from ..inputs.files import NotRegular, TooLarge, inside, read_regular, within

MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
FORMATS = ("md", "html", "pdf", "docx")  # what a build can write; docx is made from the view model by report/docx.py, not from a template
# The PDF is the HTML template rendered with medium="pdf", which adds the paged-media stylesheet.
TEMPLATE_NAMES = {"md": "report.md.j2", "html": "report.html.j2", "pdf": "report.html.j2"}


class Refused(Exception):
    """A template file hmic will not read, as a diagnostic's code, message and hint; `path` is the file refused."""

    def __init__(self, code: str, message: str, hint: str, path: str = ""):
        super().__init__(message)
        self.code, self.text, self.hint, self.path = code, message, hint, path


def packaged_templates() -> Path:
    """The default templates: inside the installed package, or the repository's top-level templates/."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent.parent / "templates"


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


def search_folders(user_templates: Path | None, root: Path) -> list[str]:
    """The folders templates are looked up in, in order: the user's, then the project's, then the defaults.

    The project's templates/, or a --templates folder in the project, that is a symbolic link leading
    out of the project is refused (E205)."""
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
    return search


def escaping(name: str, path: str) -> Refused:
    return Refused(
        "E014",
        f"template '{name}' is a symbolic link leading outside its templates folder",
        "replace the link with the file itself; hmic reads only what is inside the templates folder",
        path,
    )


def files(folders: list[str]) -> Iterator[tuple[str, str]]:
    """Every file of every folder as (name, path), the first folder's file of a name first; an entry that
    leads outside its folder is refused, as the loader would refuse it."""
    for folder in folders:
        base = os.path.realpath(folder)
        yield from _walk(os.path.abspath(folder), "", base, {base})


def hashes(folders: list[str]) -> tuple[tuple[str, str], ...]:
    """(name, sha256) of every file that can be loaded, the one found first of each name."""
    out: dict[str, str] = {}
    for name, path in files(folders):
        if name not in out:
            out[name] = hashlib.sha256(read_template(os.path.realpath(path), name, path)).hexdigest()
    return tuple(sorted(out.items()))


def _walk(folder: str, prefix: str, base: str, seen: set[str]) -> Iterator[tuple[str, str]]:
    """Files under `folder` (names relative to the templates folder), following links only while they stay
    inside `base`, each folder once (a link to a folder above it would otherwise never end)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        raise Refused(
            "E015", f"cannot read the templates folder '{prefix or '.'}': {e.strerror or e}", "check its permissions", folder
        ) from None
    for entry in entries:
        name = f"{prefix}{entry.name}"
        if entry.is_symlink() and not inside(entry.path, base):
            raise escaping(name, entry.path)
        if entry.is_dir():
            real = os.path.realpath(entry.path)
            if real not in seen:
                seen.add(real)
                yield from _walk(entry.path, f"{name}/", base, seen)
        else:
            yield name, entry.path


def read_template(real: str, name: str, path: str) -> bytes:
    """The bytes of template `name` (at `path`, resolved to `real`): a regular file of at most
    MAX_TEMPLATE_BYTES, never a pipe or a device."""
    try:
        return read_regular(real, MAX_TEMPLATE_BYTES)
    except NotRegular as e:
        raise Refused(
            "E015", f"template '{name}' is {e.kind}, not a regular file", "replace it with a regular file, or remove it", path
        ) from None
    except TooLarge as e:
        raise Refused(
            "E016",
            f"template '{name}' is {e.size:,} bytes, over the {MAX_TEMPLATE_BYTES:,}-byte limit",
            "make it smaller: a template lays the report out, the report's text comes from the evidence",
            path,
        ) from None
    except OSError as e:
        raise Refused("E015", f"cannot read template '{name}': {e.strerror or e}", "check its permissions", path) from None
