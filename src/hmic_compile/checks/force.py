"""Checks of a force's evidence: its areas and grades, unique ids, and each judgement with its citations."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..derive.grading import derive_area
from ..diagnostics import Diagnostics
from ..inputs import models as m
from ..inputs.loader import Document
from ..inputs.project import ForceBundle, FrameworkBundle
from .suggest import suggest


def _items(evidence: m.AreaEvidence) -> Iterable[tuple[str, int, m.Item | str]]:
    for kind in m.EVIDENCE_LISTS:
        for i, it in enumerate(getattr(evidence, kind)):
            yield kind, i, it


def check_force(fo: ForceBundle, fb: FrameworkBundle, diags: Diagnostics) -> None:
    fw = fb.framework
    fdoc = fo.docs["force"]
    grades = [g.name for g in fw.grades]
    if fo.force.year != fw.year:
        diags.error(
            fdoc.loc(("year",)), "E310", f"year {fo.force.year} does not match the framework's year {fw.year}", f"write year: {fw.year}"
        )
    if not fo.key.endswith(f"-{fo.force.year}"):
        diags.error(
            fdoc.loc(("year",)),
            "E310",
            f"folder '{fo.key}' should be named '<force>-{fo.force.year}'",
            f"rename it, e.g. evidence/{fo.key.rsplit('-', 1)[0]}-{fo.force.year}",
        )
    published = fo.force.publication_year
    if published is not None and published < fo.force.year:
        diags.error(
            fdoc.loc(("publication_year",)),
            "E322",
            f"publication year {published} is before the inspection year {fo.force.year}",
            f"a report is published in its inspection year or later: write publication_year: {fo.force.year} or later, or leave it out",
        )
    if fo.force.publisher is None and fw.publisher is None:
        diags.warning(
            fdoc.loc(()),
            "W340",
            "no publisher: the report's title page names none",
            f"give 'publisher:' here, or in criteria/{fb.key}/framework.yaml for every force of the framework",
        )
    area_ids = [a.id for a in fw.areas]
    for aid, pg in fo.force.previous_grades.items():
        if aid not in area_ids:
            diags.error(fdoc.loc(("previous_grades", aid), key=True), "E305", f"unknown area '{aid}'", suggest(aid, area_ids))
        if pg.grade not in grades:
            diags.error(
                fdoc.loc(("previous_grades", aid, "grade")), "E302", f"grade '{pg.grade}' is not on the scale", suggest(pg.grade, grades)
            )

    # ids across the whole force: items and recommendations
    ids: dict[str, tuple[str, str, m.Item | m.Recommendation]] = {}  # id -> (area, kind, item)
    for aid, ev in fo.areas.items():
        doc = fo.docs[f"area:{aid}"]
        entries: list[tuple[str, tuple, m.Item | m.Recommendation, str]] = [
            (it.id, (kind, i, "id"), it, kind) for kind, i, it in _items(ev) if isinstance(it, m.Item) and it.id
        ]
        entries += [(r.id, ("recommendations", i, "id"), r, "recommendations") for i, r in enumerate(ev.recommendations)]
        for iid, path, it, kind in entries:
            if iid in ids:
                diags.error(
                    doc.loc(path),
                    "E307",
                    f"duplicate id '{iid}' (already used in {ids[iid][0]}.yaml)",
                    "ids must be unique within the force",
                )
            else:
                ids[iid] = (aid, kind, it)

    for ad in fw.areas:
        ev = fo.areas[ad.id]
        doc = fo.docs[f"area:{ad.id}"]
        if ev.area != ad.id:
            diags.error(doc.loc(("area",)), "E308", f"area '{ev.area}' does not match the file name '{ad.id}.yaml'", f"write area: {ad.id}")
        if not ev.inspected:
            _check_not_inspected(ad, ev, doc, diags)
            continue
        if ad.graded and ev.grade is None and not ev.judgements and not ev.factors and not ev.grade_rationale:
            # A draft, as `hmic new force` writes it: nothing judged or awarded yet. A warning (--strict fails it).
            diags.warning(
                doc.loc(()),
                "W315",
                f"area '{ad.id}' is not judged or graded yet",
                "judge each criterion under 'judgements', then award 'grade:' with one of: " + ", ".join(grades),
            )
            continue
        if ad.graded and ev.grade is None:
            diags.error(doc.loc(()), "E313", f"area '{ad.id}' is graded but has no grade", "add 'grade:' with one of: " + ", ".join(grades))
        if not ad.graded:
            for key in ("grade", "judgements", "factors"):
                if getattr(ev, key):
                    diags.error(doc.loc((key,), key=True), "E313", f"area '{ad.id}' is not graded, so it takes no {key}", f"remove '{key}'")
            continue
        if ev.grade is not None and ev.grade not in grades:
            diags.error(doc.loc(("grade",)), "E302", f"grade '{ev.grade}' is not on the scale", suggest(ev.grade, grades))
        _check_judgements(fo, fb, ad, ev, doc, ids, diags)


def _check_not_inspected(ad: m.AreaDef, ev: m.AreaEvidence, doc: Document, diags: Diagnostics) -> None:
    """An area the force was not inspected in: it has findings, perhaps, but nothing graded."""
    if not ad.graded:
        diags.error(
            doc.loc(("inspected",)),
            "E323",
            f"area '{ad.id}' is not graded, so it cannot be marked not inspected",
            "remove 'inspected: false'",
        )
        return
    for key in ("grade", "grade_rationale", "judgements", "factors"):
        if getattr(ev, key):
            diags.error(
                doc.loc((key,), key=True),
                "E321",
                f"area '{ad.id}' is marked not inspected (inspected: false), so it takes no {key}",
                f"remove '{key}', or 'inspected: false' if the force was inspected",
            )


def _check_judgements(
    fo: ForceBundle,
    fb: FrameworkBundle,
    ad: m.AreaDef,
    ev: m.AreaEvidence,
    doc: Document,
    ids: dict[str, tuple[str, str, m.Item | m.Recommendation]],
    diags: Diagnostics,
) -> None:
    fw = fb.framework
    if ad.id not in fb.areas:
        return  # the area's criteria file has errors (already reported): judging against it would only cascade
    criteria = fb.areas[ad.id].criteria
    crit_ids = [c.id for c in criteria]
    judged: dict[str, int] = {}
    twice = False
    cited: set[str] = set()
    for i, j in enumerate(ev.judgements):
        p = ("judgements", i)
        if j.criterion not in crit_ids:
            diags.error(
                doc.loc(p + ("criterion",)),
                "E403",
                f"'{j.criterion}' is not a criterion of area '{ad.id}'",
                suggest(j.criterion, crit_ids),
            )
        elif j.criterion in judged:
            line = doc.loc(("judgements", judged[j.criterion])).line
            diags.error(
                doc.loc(p + ("criterion",)),
                "E402",
                f"criterion '{j.criterion}' is judged twice (first at line {line})",
                "judge each criterion exactly once",
            )
            twice = True
        else:
            judged[j.criterion] = i
        kinds, all_resolved = _citations(j.evidence, p, doc, ids, cited, diags)
        if j.judgement is m.Judgement.MET and "strengths" not in kinds and all_resolved:
            diags.error(
                doc.loc(p + ("judgement",)),
                "E405",
                f"criterion '{j.criterion}' is judged met but cites no strength",
                "cite at least one strength's id under 'evidence'",
            )
        if j.judgement is m.Judgement.NOT_MET and "areas_for_improvement" not in kinds and all_resolved:
            diags.error(
                doc.loc(p + ("judgement",)),
                "E406",
                f"criterion '{j.criterion}' is judged not met but cites no area for improvement",
                "cite at least one area for improvement's id under 'evidence'",
            )
    for c in criteria:
        if c.id not in judged:
            diags.error(
                doc.loc(("judgements",), key=True) if ev.judgements else doc.loc(()),
                "E401",
                f"criterion '{c.id}' ({c.level}) is not judged",
                "add a judgement: met, partly met or not met",
            )
    factor_ids = [f.id for f in fw.factors]
    factor_seen: dict[str, int] = {}
    for i, fj in enumerate(ev.factors):
        if fj.factor not in factor_ids:
            diags.error(doc.loc(("factors", i, "factor")), "E304", f"unknown factor '{fj.factor}'", suggest(fj.factor, factor_ids))
        elif fj.factor in factor_seen:
            line = doc.loc(("factors", factor_seen[fj.factor])).line
            diags.error(
                doc.loc(("factors", i, "factor")),
                "E402",
                f"factor '{fj.factor}' is judged twice (first at line {line})",
                "judge each factor once",
            )
        factor_seen.setdefault(fj.factor, i)
        _citations(fj.evidence, ("factors", i), doc, ids, cited, diags)
    if criteria:
        # An area for improvement that no judgement cites may be outside the criteria, or a judgement
        # may be missing its evidence: worth a look, not a failure (--strict makes it one).
        for k, it in enumerate(ev.areas_for_improvement):
            iid = it.id if isinstance(it, m.Item) else None
            if iid is None or iid not in cited:
                name = f"'{iid}'" if iid else f"number {k + 1}"
                diags.warning(
                    doc.loc(("areas_for_improvement", k)),
                    "W407",
                    f"area for improvement {name} is not cited by any judgement",
                    "cite it from the judgement it bears on, or confirm it lies outside the criteria",
                )
    levels_ok = all(c.level in fw.levels for c in criteria)
    # Derive only from a clean set of judgements; otherwise E408 would repeat an error already reported.
    on_scale = ev.grade in [g.name for g in fw.grades]
    if criteria and levels_ok and not twice and on_scale and len(judged) == len(criteria):
        d = derive_area(fw, criteria, ev)
        assert d is not None
        if d.grade != ev.grade and not ev.grade_rationale:
            diags.error(
                doc.loc(("grade",)),
                "E408",
                f"grade '{ev.grade}' differs from the grade derived from the judgements, '{d.grade}' ({d.explanation})",
                "record the professional judgement under 'grade_rationale', or revisit the judgements",
            )
        elif d.grade == ev.grade and ev.grade_rationale:
            diags.warning(
                doc.loc(("grade_rationale",), key=True),
                "W409",
                "a grade rationale is given but the awarded grade equals the derived grade",
                "remove 'grade_rationale'",
            )


def _citations(
    refs: list[str],
    path: tuple,
    doc: Document,
    ids: dict[str, tuple[str, str, m.Item | m.Recommendation]],
    cited: set[str],
    diags: Diagnostics,
) -> tuple[set[str], bool]:
    """Check that each cited id is an evidence item; returns the kinds cited and whether all resolved."""
    kinds: set[str] = set()
    ok = True
    for k, ref in enumerate(refs):
        where = doc.loc(path + ("evidence", k))
        if ref not in ids:
            ok = False
            candidates = sorted(i for i in ids if ids[i][1] in m.EVIDENCE_LISTS)  # only on a miss: it costs
            close = difflib.get_close_matches(ref, candidates, n=1)
            diags.error(
                where,
                "E404",
                f"no evidence item with id '{ref}'",
                suggest(ref, candidates) if close else "cite the id of a strength, work in progress or area for improvement",
            )
        elif ids[ref][1] not in m.EVIDENCE_LISTS:
            ok = False
            diags.error(
                where,
                "E404",
                f"'{ref}' is a recommendation, not an evidence item",
                "cite the strengths, work in progress or areas for improvement that support the judgement",
            )
        else:
            kinds.add(ids[ref][1])
            cited.add(ref)
    return kinds, ok
