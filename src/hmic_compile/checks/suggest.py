"""'Did you mean' hints: the closest of the allowed values, then a few of the allowed values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..diagnostics import one_of


def suggest(value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(value, choices, n=1)
    lead = f"did you mean '{close[0]}'? " if close else ""
    return lead + "expected one of: " + one_of(value, choices)
