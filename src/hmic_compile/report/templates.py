"""The templates folders: a Jinja loader that opens only regular files inside its own folder, and every
template file with its hash for the manifest.

A templates folder may come from a pull request (the project's templates/) or be named on the command
line (--templates): a name with '..', a leading '/' or a backslash, or a symbolic link leading out of the
folder, is refused (E014) rather than followed; a named pipe, device or socket is never opened (E015);
a file is at most MAX_TEMPLATE_BYTES (E016) and UTF-8 when it is a template (E017). See docs/security.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import jinja2

from ..inputs.files import inside
from . import template_files
from .template_files import MAX_TEMPLATE_BYTES, Refused

__all__ = ["MAX_TEMPLATE_BYTES", "FolderLoader", "TemplateRefused"]


class TemplateRefused(jinja2.TemplateError):
    """A template name or file hmic will not load, as a diagnostic's code, message and hint; `path` is the
    file refused, for a refusal that no template's line led to."""

    def __init__(self, code: str, message: str, hint: str, path: str = ""):
        super().__init__(message)
        self.code, self.text, self.hint, self.path = code, message, hint, path

    @classmethod
    def of(cls, e: Refused) -> TemplateRefused:
        return cls(e.code, e.text, e.hint, e.path)


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
                raise TemplateRefused.of(template_files.escaping(template, path))
            real = os.path.realpath(path)
            if not os.path.exists(real) or os.path.isdir(real):
                continue  # not in this folder: the next one may have it
            try:
                raw = template_files.read_template(real, template, path)
            except Refused as e:
                raise TemplateRefused.of(e) from None
            text = _decode(raw, template, path)
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
        try:
            yield from template_files.files(self.folders)
        except Refused as e:
            raise TemplateRefused.of(e) from None

    def hashes(self) -> tuple[tuple[str, str], ...]:
        """(name, sha256) of every file that can be loaded, the one found first of each name (template_files.hashes)."""
        try:
            return template_files.hashes(self.folders)
        except Refused as e:
            raise TemplateRefused.of(e) from None


def _decode(raw: bytes, name: str, path: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TemplateRefused(
            "E017", f"template '{name}' is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start:,})", "save it as UTF-8", path
        ) from None
