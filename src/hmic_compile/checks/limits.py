"""Limits on what a file's text may ask of the renderer: at most MAX_MARKUP Markdown punctuation characters (E030).

markdown-it stops at each of these characters and tries its rules there, about a hundred times the
cost of a plain letter (a run of 5 million `[` would take minutes): a file whose printed text holds
more is refused here, with the place where the count passes the limit, before anything is rendered.
"""

from __future__ import annotations

from ..diagnostics import Diagnostics
from ..inputs.loader import Document
from .printed import Printed, markup_count, printed, printed_strings

__all__ = ["MAX_MARKUP", "check_markup", "markup_count"]

MAX_MARKUP = 50_000


def check_markup(doc: Document, diags: Diagnostics, whole: Printed | None = None) -> None:
    """E030 when `doc`'s printed text (`whole`, when worked out already) holds more than MAX_MARKUP."""
    if (whole or printed(doc)).markup <= MAX_MARKUP:
        return  # the common case: one count over the whole file's text
    total = 0
    for path, text in printed_strings(doc.data):
        total += markup_count(text)
        if total > MAX_MARKUP:
            diags.error(
                doc.loc(path),
                "E030",
                f"the file's text holds more than {MAX_MARKUP:,} Markdown punctuation characters "
                f"(such as * _ [ ] ` & \\ - :), more than the renderer can take in good time",
                "split the text across files, or remove the repeated punctuation",
            )
            return
