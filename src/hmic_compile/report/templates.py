"""The templates folders: a Jinja loader that opens only regular files inside its own folder, and every
template file with its hash for the manifest.

A templates folder may come from a pull request (the project's templates/) or be named on the command
line (--templates): a name with '..', a leading '/' or a backslash, or a symbolic link leading out of the
folder, is refused (E014) rather than followed; a named pipe, device or socket is never opened (E015);
a file is at most MAX_TEMPLATE_BYTES (E016) and UTF-8 when it is a template (E017). See docs/security.md.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator

import jinja2

from ..inputs.files import NotRegular, TooLarge, inside, read_regular

MAX_TEMPLATE_BYTES = 2 * 1024 * 1024


class TemplateRefused(jinja2.TemplateError):
    """A template name or file hmic will not load, as a diagnostic's code, message and hint; `path` is the
    file refused, for a refusal that no template's line led to."""

    def __init__(self, code: str, message: str, hint: str, path: str = ""):
        super().__init__(message)
        self.code, self.text, self.hint, self.path = code, message, hint, path


def _pieces(name: str) -> list[str]:
    """The steps of a template name inside its folder; a name that would leave it is refused."""
    steps = name.split("/")
    if name.startswith("/") or "\\" in name or ".." in steps or (len(name) > 1 and name[1] == ":"):
        raise TemplateRefused(
            "E014",
            f"template name '{name}' leads outside the templates folder",
            "name a template by its path inside the templates folder, with no '..', leading '/' or '\\'",
        )
    return [p for p in steps if p and p != "."]


def _escaping(name: str, path: str) -> TemplateRefused:
    return TemplateRefused(
        "E014",
        f"template '{name}' is a symbolic link leading outside its templates folder",
        "replace the link with the file itself; hmic reads only what is inside the templates folder",
        path,
    )


class FolderLoader(jinja2.BaseLoader):
    """Templates from folders searched in order, as jinja2.FileSystemLoader, but opening only regular files of
    bounded size inside the folder they are found in: a symbolic link is followed only while it stays inside."""

    def __init__(self, folders: list[str]):
        self.folders = [os.path.abspath(f) for f in folders]
        self._bases = [os.path.realpath(f) for f in self.folders]

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = _pieces(template)
        for folder, base in zip(self.folders, self._bases, strict=True):
            path = os.path.join(folder, *pieces)
            if not inside(path, base):
                raise _escaping(template, path)
            real = os.path.realpath(path)
            if not os.path.exists(real) or os.path.isdir(real):
                continue  # not in this folder: the next one may have it
            text = _decode(read_template(real, template, path), template, path)
            mtime = os.stat(real).st_mtime_ns

            def uptodate(real: str = real, mtime: int = mtime) -> bool:
                try:
                    return os.stat(real).st_mtime_ns == mtime
                except OSError:
                    return False

            return text, os.path.normpath(path), uptodate
        raise jinja2.TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        return sorted({name for name, _ in self.files()})

    def files(self) -> Iterator[tuple[str, str]]:
        """Every file of every folder as (name, path), the first folder's file of a name first; an entry that
        leads outside its folder is refused, as get_source would refuse it."""
        for folder, base in zip(self.folders, self._bases, strict=True):
            yield from _walk(folder, "", base, {base})

    def hashes(self) -> tuple[tuple[str, str], ...]:
        """(name, sha256) of every file that can be loaded, the one found first of each name."""
        out: dict[str, str] = {}
        for name, path in self.files():
            if name not in out:
                out[name] = hashlib.sha256(read_template(os.path.realpath(path), name, path)).hexdigest()
        return tuple(sorted(out.items()))


def _walk(folder: str, prefix: str, base: str, seen: set[str]) -> Iterator[tuple[str, str]]:
    """Files under `folder` (names relative to the templates folder), following links only while they stay
    inside `base`, each folder once (a link to a folder above it would otherwise never end)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        raise TemplateRefused(
            "E015", f"cannot read the templates folder '{prefix or '.'}': {e.strerror or e}", "check its permissions", folder
        ) from None
    for entry in entries:
        name = f"{prefix}{entry.name}"
        if entry.is_symlink() and not inside(entry.path, base):
            raise _escaping(name, entry.path)
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
        raise TemplateRefused(
            "E015", f"template '{name}' is {e.kind}, not a regular file", "replace it with a regular file, or remove it", path
        ) from None
    except TooLarge as e:
        raise TemplateRefused(
            "E016",
            f"template '{name}' is {e.size:,} bytes, over the {MAX_TEMPLATE_BYTES:,}-byte limit",
            "make it smaller: a template lays the report out, the report's text comes from the evidence",
            path,
        ) from None
    except OSError as e:
        raise TemplateRefused("E015", f"cannot read template '{name}': {e.strerror or e}", "check its permissions", path) from None


def _decode(raw: bytes, name: str, path: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TemplateRefused(
            "E017", f"template '{name}' is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start:,})", "save it as UTF-8", path
        ) from None
