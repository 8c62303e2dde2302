"""Checks of a force's evidence: its areas and grades, unique ids, and each judgement with its citations."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from msgspec import Struct, field

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


class _Ids(Struct):
    """The force's ids, for its citations: those that loaded, those only in files with errors, and what
    could not be checked because an area file could not be read at all."""

    loaded: dict[str, tuple[str, str, m.Item | m.Recommendation]]  # id -> (area, kind, item)
    in_error: set[str]  # ids of entries that failed the schema: cited, they are not dangling
    unread: list[str]  # area files that gave nothing: a citation not found may be to one of their items
    unchecked: list[tuple[Document, tuple, str]] = field(default_factory=list)  # such citations, reported once


def check_force(fo: ForceBundle, fb: FrameworkBundle, diags: Diagnostics) -> None:
    fw = fb.framework
    grades = [g.name for g in fw.grades]
    on_scale = set(grades) | fb.as_read("framework", "grades", "*", "name")
    if fo.force_file is not None:
        _check_title_page(fo, fo.force_file, fb, grades, on_scale, diags)

    # ids across the whole force: items and recommendations
    ids = _Ids({}, set(), [role.removeprefix("area:") for role, d in fo.broken.items() if d is None and role.startswith("area:")])
    for role in fo.broken:
        for kind in (*m.EVIDENCE_LISTS, "recommendations"):
            ids.in_error |= fo.as_read(role, kind, "*", "id")
    for aid, ev in fo.areas.items():
        doc = fo.docs[f"area:{aid}"]
        entries: list[tuple[str, tuple, m.Item | m.Recommendation, str]] = [
            (it.id, (kind, i, "id"), it, kind) for kind, i, it in _items(ev) if isinstance(it, m.Item) and it.id
        ]
        entries += [(r.id, ("recommendations", i, "id"), r, "recommendations") for i, r in enumerate(ev.recommendations)]
        for iid, path, it, kind in entries:
            if iid in ids.loaded:
                diags.error(
                    doc.loc(path),
                    "E307",
                    f"duplicate id '{iid}' (already used in {ids.loaded[iid][0]}.yaml)",
                    "ids must be unique within the force",
                )
            else:
                ids.loaded[iid] = (aid, kind, it)

    for ad in fw.areas:
        if ad.id not in fo.areas:
            continue  # the file could not be read (already reported)
        ev = fo.areas[ad.id]
        role = f"area:{ad.id}"
        doc = fo.docs[role]
        if ev.area != ad.id:
            diags.error(doc.loc(("area",)), "E308", f"area '{ev.area}' does not match the file name '{ad.id}.yaml'", f"write area: {ad.id}")
        if not ev.inspected:
            _check_not_inspected(ad, ev, doc, diags)
            continue
        as_read = fo.broken.get(role)  # a file with errors: its keys as written count too
        written = set(as_read.data) if as_read is not None and isinstance(as_read.data, dict) else set()
        # 'inspected' in error: the force may not have been inspected here, so a missing grade may be right.
        judged = bool(ev.judgements or ev.factors or ev.grade_rationale or written & {"grade", "judgements", "factors", "grade_rationale"})
        judged = judged or "inspected" in written
        if ad.graded and ev.grade is None and not judged:
            # A draft, as `hmic new force` writes it: nothing judged or awarded yet. A warning (--strict fails it).
            diags.warning(
                doc.loc(()),
                "W315",
                f"area '{ad.id}' is not judged or graded yet",
                "judge each criterion under 'judgements', then award 'grade:' with one of: " + ", ".join(grades),
            )
            continue
        if ad.graded and ev.grade is None and not written & {"grade", "inspected"}:
            diags.error(doc.loc(()), "E313", f"area '{ad.id}' is graded but has no grade", "add 'grade:' with one of: " + ", ".join(grades))
        if not ad.graded:
            for key in ("grade", "judgements", "factors"):
                if getattr(ev, key):
                    diags.error(doc.loc((key,), key=True), "E313", f"area '{ad.id}' is not graded, so it takes no {key}", f"remove '{key}'")
            continue
        if ev.grade is not None and ev.grade not in on_scale:
            diags.error(doc.loc(("grade",)), "E302", f"grade '{ev.grade}' is not on the scale", suggest(ev.grade, grades))
        _check_judgements(fo, fb, ad, ev, doc, ids, diags)
    if ids.unchecked:
        d, path, ref = ids.unchecked[0]
        files = ", ".join(f"evidence/{fo.key}/{a}.yaml" for a in ids.unread)
        more = f" and {len(ids.unchecked) - 1} more" if len(ids.unchecked) > 1 else ""
        diags.warning(
            d.loc(path),
            "W802",
            f"citation of '{ref}'{more} not checked: {files} could not be read, and may hold the item",
            "fix that file, and every citation is checked",
        )


def _check_title_page(
    fo: ForceBundle, force: m.Force, fb: FrameworkBundle, grades: list[str], on_scale: set[str], diags: Diagnostics
) -> None:
    """force.yaml against its framework and its folder's name."""
    fw = fb.framework
    fdoc = fo.docs["force"]
    if force.year != fw.year:
        diags.error(
            fdoc.loc(("year",)), "E310", f"year {force.year} does not match the framework's year {fw.year}", f"write year: {fw.year}"
        )
    if not fo.key.endswith(f"-{force.year}"):
        diags.error(
            fdoc.loc(("year",)),
            "E310",
            f"folder '{fo.key}' should be named '<force>-{force.year}'",
            f"rename it, e.g. evidence/{fo.key.rsplit('-', 1)[0]}-{force.year}",
        )
    published = force.publication_year
    if published is not None and published < force.year:
        diags.error(
            fdoc.loc(("publication_year",)),
            "E322",
            f"publication year {published} is before the inspection year {force.year}",
            f"a report is published in its inspection year or later: write publication_year: {force.year} or later, or leave it out",
        )
    # A publisher in a file with errors was written, only not valid: that file's error says so, not W340.
    written = _wrote(fo.broken.get("force"), "publisher") or _wrote(fb.broken.get("framework"), "publisher")
    if force.publisher is None and fw.publisher is None and not written:
        diags.warning(
            fdoc.loc(()),
            "W340",
            "no publisher: the report's title page names none",
            f"give 'publisher:' here, or in criteria/{fb.key}/framework.yaml for every force of the framework",
        )
    area_ids = [a.id for a in fw.areas]
    for aid, pg in force.previous_grades.items():
        if aid not in area_ids and aid not in fb.as_read("framework", "areas", "*", "id"):
            diags.error(fdoc.loc(("previous_grades", aid), key=True), "E305", f"unknown area '{aid}'", suggest(aid, area_ids))
        if pg.grade not in on_scale:
            diags.error(
                fdoc.loc(("previous_grades", aid, "grade")), "E302", f"grade '{pg.grade}' is not on the scale", suggest(pg.grade, grades)
            )


def _wrote(as_read: Document | None, key: str) -> bool:
    """Whether a file with errors, as read, gives `key` at its top (a value in error, dropped from its valid parts)."""
    return as_read is not None and isinstance(as_read.data, dict) and key in as_read.data


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
    fo: ForceBundle, fb: FrameworkBundle, ad: m.AreaDef, ev: m.AreaEvidence, doc: Document, ids: _Ids, diags: Diagnostics
) -> None:
    fw = fb.framework
    role = f"area:{ad.id}"
    cited: set[str] = set()
    area = fb.areas.get(ad.id)
    if area is None:  # the area's criteria file could not be read: check the citations, say once what is not checked
        if ev.judgements:
            diags.warning(
                doc.loc(("judgements",), key=True),
                "W801",
                f"judgements of area '{ad.id}' not checked against its criteria: criteria/{fb.key}/areas/{ad.id}.yaml could not be read",
                "fix that file, and the judgements are checked",
            )
        for i, j in enumerate(ev.judgements):
            _citations(j.evidence, ("judgements", i), doc, ids, cited, diags)
        for i, fj in enumerate(ev.factors):
            _citations(fj.evidence, ("factors", i), doc, ids, cited, diags)
        return
    criteria = area.criteria
    crit_ids = [c.id for c in criteria]
    known_criteria = set(crit_ids) | fb.as_read(role, "criteria", "*", "id")
    judged: dict[str, int] = {}
    twice = False
    for i, j in enumerate(ev.judgements):
        p = ("judgements", i)
        if j.criterion not in known_criteria:
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
        all_resolved = all_resolved and not fo.lost(role, p)  # a citation in error is still a citation
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
    judged_as_read = fo.as_read(role, "judgements", "*", "criterion")  # a judgement in error is still a judgement
    for c in criteria:
        if c.id not in judged and c.id not in judged_as_read:
            diags.error(
                doc.loc(("judgements",), key=True) if ev.judgements else doc.loc(()),
                "E401",
                f"criterion '{c.id}' ({c.level}) is not judged",
                "add a judgement: met, partly met or not met",
            )
    factor_ids = [f.id for f in fw.factors]
    known_factors = set(factor_ids) | fb.as_read("framework", "factors", "*", "id")
    factor_seen: dict[str, int] = {}
    for i, fj in enumerate(ev.factors):
        if fj.factor not in known_factors:
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
    # What follows weighs the whole file and the whole criteria: not done while either has errors, when
    # an entry in error would be taken for one that is missing.
    whole = role not in fo.broken and role not in fb.broken and "framework" not in fb.broken
    if criteria and whole:
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
    if whole and criteria and levels_ok and not twice and on_scale and len(judged) == len(criteria):
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


def _citations(refs: list[str], path: tuple, doc: Document, ids: _Ids, cited: set[str], diags: Diagnostics) -> tuple[set[str], bool]:
    """Check that each cited id is an evidence item; returns the kinds cited and whether all resolved."""
    kinds: set[str] = set()
    ok = True
    for k, ref in enumerate(refs):
        found = ids.loaded.get(ref)
        if found is None:
            ok = False
            if ref in ids.in_error:
                continue  # the item is there but fails the schema (already reported)
            if ids.unread:
                ids.unchecked.append((doc, path + ("evidence", k), ref))
                continue
            candidates = sorted(i for i, (_, kind, _) in ids.loaded.items() if kind in m.EVIDENCE_LISTS)  # only on a miss: it costs
            close = difflib.get_close_matches(ref, candidates, n=1)
            diags.error(
                doc.loc(path + ("evidence", k)),
                "E404",
                f"no evidence item with id '{ref}'",
                suggest(ref, candidates) if close else "cite the id of a strength, work in progress or area for improvement",
            )
        elif found[1] not in m.EVIDENCE_LISTS:
            ok = False
            diags.error(
                doc.loc(path + ("evidence", k)),
                "E404",
                f"'{ref}' is a recommendation, not an evidence item",
                "cite the strengths, work in progress or areas for improvement that support the judgement",
            )
        else:
            kinds.add(found[1])
            cited.add(ref)
    return kinds, ok
