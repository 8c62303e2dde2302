"""Drafts for the factual-accuracy check: the mark every page carries, with the build date and git commit."""

from __future__ import annotations

import datetime as dt

from msgspec import Struct

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


class Draft(Struct, frozen=True):
    """What marks a draft build: the build date (read from the clock or SOURCE_DATE_EPOCH by the CLI) and the git commit."""

    date: dt.date
    commit: str | None


class DraftMark(Struct, frozen=True):
    """The draft mark as the templates show it on every page."""

    label: str  # "DRAFT — for factual accuracy check"
    watermark: str  # "DRAFT"
    date: str  # "1 November 2026"
    commit: str  # the commit's first 12 hex digits, or "none" outside git
    text: str  # the whole line: label, date and commit


def long_date(d: dt.date) -> str:
    """'1 November 2026', the same whatever the locale."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def draft_mark(draft: Draft, labels: dict[str, str]) -> DraftMark:
    date = long_date(draft.date)
    commit = draft.commit[:12] if draft.commit else "none"
    return DraftMark(labels["draft"], labels["draft_watermark"], date, commit, f"{labels['draft']} · built {date} · commit {commit}")
