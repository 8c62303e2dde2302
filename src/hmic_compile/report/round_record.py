"""What a round needs of each force's report: made where the report is built (a worker), small, and sent back whole.

A round's pages link into each force's report at its areas' anchors, so the record is made from the
report's own view (report/view.py): its anchors are the ones the report has (the HTML's, and the ids
GitHub and pandoc give report.md's headings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct

from ..inputs.project import ForceBundle, FrameworkBundle
from .tables import JUDGEMENTS, Row, Written, written
from .view import Report

if TYPE_CHECKING:
    from ..inputs.models import Criterion


class CaseRecord(Struct, frozen=True):
    """A developing-practice case study: where it is in the report, and what the catalogue shows of it."""

    anchor: str
    inspection_area: str
    title: str
    outcomes: tuple[str, ...]


class AreaRecord(Struct, frozen=True):
    id: str
    anchor: str  # the area's section in the report
    graded: bool
    inspected: bool
    grade: str | None  # awarded
    previous: tuple[str, str] | None  # (grade, assessment) at the previous inspection
    case_studies: tuple[CaseRecord, ...]
    recommendations: tuple[tuple[str, str], ...]  # (id, text)

    @property
    def recommendations_anchor(self) -> str:
        return f"{self.anchor}-recommendation"


class ForceRecord(Struct, frozen=True):
    key: str  # the evidence folder, e.g. norfolk-2007
    framework: str
    name: str
    abbreviations: tuple[tuple[str, str], ...]  # the force's glossary, for its prose
    inputs: tuple[tuple[str, str], ...]  # the force's files (path, sha256), for the round's manifest
    areas: tuple[AreaRecord, ...]  # every area of the framework, in its order
    md_ids: tuple[tuple[str, str], ...] = ()  # (the HTML's anchor, the id of its heading in report.md), by anchor
    judgements: Written = Written()  # its rows of the round's judgements table (report/tables.py), written in its worker

    @property
    def national_key(self) -> str:
        """The force's key in the national results: the evidence folder's name less its year."""
        return self.key.rsplit("-", 1)[0]

    def area(self, area_id: str) -> AreaRecord | None:
        return next((a for a in self.areas if a.id == area_id), None)

    def md_id(self, anchor: str) -> str:
        """The id in report.md of the heading the HTML's `anchor` names (GitHub's and pandoc's, report/md_anchors.py)."""
        return dict(self.md_ids).get(anchor, anchor)


def judgement_rows(fo: ForceBundle, fb: FrameworkBundle, report: Report) -> list[Row]:
    """The force's rows of the round's judgements table: each criterion it judges, in the framework's order of
    areas (those its report holds), then of criteria."""
    national_key = fo.key.rsplit("-", 1)[0]  # as ForceRecord.national_key
    held = {av.id for av in report.areas}
    rows = []
    for ad in fb.framework.areas:
        criteria: list[Criterion] = fb.areas[ad.id].criteria if ad.id in fb.areas else []
        if ad.id not in held or not criteria:
            continue
        judged = {j.criterion: j for j in fo.areas[ad.id].judgements}
        for c in criteria:
            j = judged.get(c.id)
            if j is None:
                continue
            rows.append(
                {
                    "force": national_key,
                    "area": ad.id,
                    "criterion": c.id,
                    "level": c.level,
                    "significant": c.significant,
                    "dominant": c.dominant,
                    "judgement": j.judgement.value,
                    "evidence": " ".join(j.evidence) or None,
                }
            )
    return rows


def force_record(fo: ForceBundle, fb: FrameworkBundle, report: Report) -> ForceRecord:
    """The record of one force of the framework `fb`, from its report's view (its anchors) and its evidence."""
    areas = []
    for av in report.areas:
        ev = fo.areas[av.id]
        previous = (av.previous.grade, av.previous.assessment) if av.previous else None
        areas.append(
            AreaRecord(
                av.id,
                av.anchor,
                av.graded,
                av.inspected,
                av.grade,
                previous,
                tuple(
                    # The report's template gives each case study the anchor <area>-dp-<n> (templates/report.html.j2).
                    CaseRecord(f"{av.anchor}-dp-{i}", c.inspection_area, c.title, tuple(c.outcomes))
                    for i, c in enumerate(ev.developing_practice, 1)
                ),
                tuple((r.id, r.text) for r in ev.recommendations),
            )
        )
    return ForceRecord(
        fo.key,
        fo.framework_key,
        fo.force.name,
        tuple(report.abbreviations.items()),
        tuple(sorted((d.rel, d.sha256) for d in fo.docs.values())),
        tuple(areas),
        tuple(sorted(report.md_ids.items())),
        written(JUDGEMENTS, judgement_rows(fo, fb, report)),
    )
