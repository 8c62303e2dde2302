"""A build's options: the formats asked for, and what it takes from outside the project (commit, SOURCE_DATE_EPOCH, date).

Light on purpose: a build found up to date (report/replay.py) reads its options without loading a renderer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from ..diagnostics import CommandError
from .template_files import FORMATS

if TYPE_CHECKING:  # the draft mark loads for --draft only
    from .draft import Draft

OUTPUT_NAMES = {"md": "report.md", "html": "report.html", "pdf": "report.pdf", "docx": "report.docx"}


def output_formats(text: str) -> tuple[str, ...]:
    """The formats a comma-separated --format asks for; a usage error when one is unknown or cannot be made here."""
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise CommandError(
            f"unknown format {', '.join(bad) or '(none)'}", f"expected a comma-separated list of: {', '.join(FORMATS)}", True
        )
    if "pdf" in formats:
        from .pdf import INSTALL_HINT, unavailable

        why = unavailable()
        if why:
            raise CommandError(why, INSTALL_HINT, usage=True)
    if "docx" in formats:
        from . import docx

        why = docx.unavailable()
        if why:
            raise CommandError(why, docx.INSTALL_HINT, usage=True)
    return formats


class BuildOptions(Struct, frozen=True):
    formats: tuple[str, ...] = ("md", "html")
    git_commit: str | None = None
    source_date_epoch: int | None = None
    draft: Draft | None = None  # mark every page "DRAFT — for factual accuracy check", with the date and commit
    numbered: bool = False  # number every paragraph and list item of the findings (report/numbering.py)


def build_options(root: Path, formats: tuple[str, ...], draft: bool, numbered: bool = False) -> BuildOptions:
    """What a build takes from outside the project, read once here: the git commit, SOURCE_DATE_EPOCH and the date."""
    from ..inputs.environment import SettingError, build_date, git_commit, source_date_epoch

    try:
        epoch = source_date_epoch()
    except SettingError as e:
        raise CommandError(str(e), usage=True) from None
    commit = git_commit(root)
    if not draft:
        return BuildOptions(formats, commit, epoch, None, numbered)
    from .draft import Draft

    return BuildOptions(formats, commit, epoch, Draft(build_date(epoch), commit), numbered)
