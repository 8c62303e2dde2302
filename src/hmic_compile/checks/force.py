"""Validate stage: cross-references between files, judgements against criteria, national totals."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..derive.grading import derive_area
from ..diagnostics import Diagnostics
from ..inputs import models as m
from ..inputs.loader import Document
from ..inputs.project import ForceBundle, FrameworkBundle, Project
from .words import candidates


def _suggest(value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(value, choices, n=1)
    lead = f"did you mean '{close[0]}'? " if close else ""
    return lead + "expected one of: " + ", ".join(choices)


def check_framework(fb: FrameworkBundle, diags: Diagnostics) -> None:
    fw = fb.framework
    doc = fb.docs["framework"]
    grades = [g.name for g in fw.grades]
    seen: set[str] = set()
    for i, g in enumerate(grades):
        if g in seen:
            diags.error(doc.loc(("grades", i, "name")), "E301", f"grade '{g}' appears twice on the scale", "each grade once, best first")
        seen.add(g)
    if len(set(fw.levels)) != len(fw.levels):
        diags.error(doc.loc(("levels",)), "E301", "a criterion level appears twice", "each level once, lowest first")
    factor_ids = [f.id for f in fw.factors]
    for i, rule in enumerate(fw.grading.rules):
        base = ("grading", "rules", i)
        if rule.grade not in grades:
            diags.error(doc.loc(base + ("grade",)), "E302", f"grade '{rule.grade}' is not on the scale", _suggest(rule.grade, grades))
        w = rule.when
        levels_used = [("all_met", j, lv) for j, lv in enumerate(w.all_met)]
        levels_used += [("all_significant_met", j, lv) for j, lv in enumerate(w.all_significant_met)]
        levels_used += [("share_met", j, s.level) for j, s in enumerate(w.share_met)]
        if w.not_met_at_least:
            levels_used.append(("not_met_at_least", None, w.not_met_at_least.level))  # type: ignore[arg-type]
        for key, j, lv in levels_used:
            if lv not in fw.levels:
                path = base + ("when", key) + ((j,) if j is not None else ())
                diags.error(doc.loc(path), "E303", f"level '{lv}' is not a criterion level", _suggest(lv, fw.levels))
        for j, f in enumerate(w.factors):
            if f not in factor_ids:
                diags.error(doc.loc(base + ("when", "factors", j)), "E304", f"unknown factor '{f}'", _suggest(f, factor_ids))
        if not (w.dominant_not_met is not None or w.not_met_at_least or w.all_met or w.all_significant_met or w.share_met or w.factors):
            diags.error(
                doc.loc(base + ("when",)), "E309", "a rule with no conditions always applies", "give the rule at least one condition"
            )
    if fw.grading.otherwise not in grades:
        diags.error(
            doc.loc(("grading", "otherwise")),
            "E302",
            f"grade '{fw.grading.otherwise}' is not on the scale",
            _suggest(fw.grading.otherwise, grades),
        )
    area_ids = [a.id for a in fw.areas]
    _unique(((a.id, ("areas", i, "id")) for i, a in enumerate(fw.areas)), doc, "area", diags)
    placed: dict[str, int] = {}
    for gi, group in enumerate(fw.groups):
        for ai, aid in enumerate(group.areas):
            if aid not in area_ids:
                diags.error(doc.loc(("groups", gi, "areas", ai)), "E305", f"unknown area '{aid}'", _suggest(aid, area_ids))
            elif aid in placed:
                diags.error(
                    doc.loc(("groups", gi, "areas", ai)), "E306", f"area '{aid}' is in more than one group", "list each area in one group"
                )
            placed[aid] = gi
    for i, a in enumerate(fw.areas):
        if a.id not in placed:
            diags.error(doc.loc(("areas", i, "id")), "E306", f"area '{a.id}' is in no group", "add it to a group's areas")
    # criteria per area
    crit_seen: dict[str, str] = {}
    for aid, ac in fb.areas.items():
        adoc = fb.docs[f"area:{aid}"]
        if ac.area != aid:
            diags.error(adoc.loc(("area",)), "E308", f"area '{ac.area}' does not match the file name '{aid}.yaml'", f"write area: {aid}")
        graded = fb.area(aid).graded
        if ac.criteria and not graded:
            diags.error(
                adoc.loc(("criteria",)),
                "E311",
                f"area '{aid}' is not graded, so it has no grading criteria",
                "remove the criteria or mark the area graded",
            )
        for i, c in enumerate(ac.criteria):
            if c.id in crit_seen:
                diags.error(
                    adoc.loc(("criteria", i, "id")),
                    "E307",
                    f"criterion id '{c.id}' is already used in {crit_seen[c.id]}",
                    "give each criterion a unique id",
                )
            crit_seen.setdefault(c.id, adoc.rel)
            if c.level not in fw.levels:
                diags.error(
                    adoc.loc(("criteria", i, "level")), "E303", f"level '{c.level}' is not a criterion level", _suggest(c.level, fw.levels)
                )
        share_levels = sorted({sm.level for r in fw.grading.rules for sm in r.when.share_met})
        for lv in share_levels:
            if ac.criteria and graded and not any(c.level == lv for c in ac.criteria):
                diags.warning(
                    adoc.loc(("criteria",), key=True),
                    "W314",
                    f"area '{aid}' has no {lv} criteria, so every share rule at {lv} holds by default",
                    f"add {lv} criteria, or confirm the area is meant to have none",
                )
        if graded and not ac.criteria:
            diags.warning(
                adoc.loc(()),
                "W312",
                f"graded area '{aid}' has no criteria, so its grade cannot be derived",
                "add the Specific Grading Criteria under 'criteria'",
            )
    if fb.national is not None:
        check_national(fb, diags)


def _unique(pairs: Iterable[tuple[str, tuple]], doc: Document, what: str, diags: Diagnostics) -> None:
    first: dict[str, tuple] = {}
    for value, path in pairs:
        if value in first:
            line = doc.loc(first[value]).line
            diags.error(doc.loc(path), "E307", f"duplicate {what} id '{value}' (first at line {line})", "ids must be unique")
        else:
            first[value] = path


def check_national(fb: FrameworkBundle, diags: Diagnostics) -> None:
    nat = fb.national
    assert nat is not None
    doc = fb.docs["national"]
    fw = fb.framework
    grades = [g.name for g in fw.grades]
    graded = [a.id for a in fw.areas if a.graded]
    for aid, row in nat.totals.items():
        if aid not in graded:
            diags.error(
                doc.loc(("totals", aid), key=True), "E501", f"'{aid}' is not a graded area of the {fb.key} framework", _suggest(aid, graded)
            )
            continue
        for g in row:
            if g not in grades:
                diags.error(doc.loc(("totals", aid, g), key=True), "E502", f"grade '{g}' is not on the scale", _suggest(g, grades))
        total = sum(row.values())
        if total != fw.number_of_forces:
            diags.error(
                doc.loc(("totals", aid)),
                "E503",
                f"totals for '{aid}' add up to {total}, not {fw.number_of_forces}",
                f"the framework counts {fw.number_of_forces} forces",
            )
        for g, n in row.items():
            if n < 0:
                diags.error(doc.loc(("totals", aid, g)), "E503", f"a count cannot be negative ({n})", "use 0 or more")
    for force_id, force_row in nat.forces.items():
        for aid, g in force_row.items():
            if aid not in graded:
                diags.error(doc.loc(("forces", force_id, aid), key=True), "E501", f"'{aid}' is not a graded area", _suggest(aid, graded))
            if g not in grades:
                diags.error(doc.loc(("forces", force_id, aid)), "E502", f"grade '{g}' is not on the scale", _suggest(g, grades))
    if nat.forces and nat.totals:
        diags.error(
            doc.loc(("forces",), key=True),
            "E504",
            "give either published totals or every force's grades, not both",
            "remove 'totals' (they are counted from 'forces') or remove 'forces'",
        )
    elif nat.forces and len(nat.forces) != fw.number_of_forces:
        diags.error(
            doc.loc(("forces",), key=True),
            "E503",
            f"{len(nat.forces)} forces listed, not {fw.number_of_forces}",
            f"the framework counts {fw.number_of_forces} forces",
        )
    for aid in graded:
        if nat.totals and aid not in nat.totals:
            diags.error(doc.loc(("totals",), key=True), "E505", f"no national totals for area '{aid}'", f"add totals.{aid}")


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
    area_ids = [a.id for a in fw.areas]
    for aid, pg in fo.force.previous_grades.items():
        if aid not in area_ids:
            diags.error(fdoc.loc(("previous_grades", aid), key=True), "E305", f"unknown area '{aid}'", _suggest(aid, area_ids))
        if pg.grade not in grades:
            diags.error(
                fdoc.loc(("previous_grades", aid, "grade")), "E302", f"grade '{pg.grade}' is not on the scale", _suggest(pg.grade, grades)
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
            diags.error(doc.loc(("grade",)), "E302", f"grade '{ev.grade}' is not on the scale", _suggest(ev.grade, grades))
        _check_judgements(fo, fb, ad, ev, doc, ids, diags)


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
                _suggest(j.criterion, crit_ids),
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
            diags.error(doc.loc(("factors", i, "factor")), "E304", f"unknown factor '{fj.factor}'", _suggest(fj.factor, factor_ids))
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
                _suggest(ref, candidates) if close else "cite the id of a strength, work in progress or area for improvement",
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


def check_force_national(fo: ForceBundle, fb: FrameworkBundle, diags: Diagnostics) -> None:
    nat = fb.national
    if nat is None:
        return
    ndoc = fb.docs["national"]
    slug = fo.key.rsplit("-", 1)[0]
    for ad in fb.framework.areas:
        ev = fo.areas[ad.id]
        if not ad.graded or ev.grade is None:
            continue
        doc = fo.docs[f"area:{ad.id}"]
        if nat.totals.get(ad.id) is not None and nat.totals[ad.id].get(ev.grade, 0) < 1:
            diags.error(
                doc.loc(("grade",)),
                "E506",
                f"graded {ev.grade}, but the national totals count no force at {ev.grade} for '{ad.id}'",
                f"check {ndoc.rel} (totals.{ad.id})",
            )
        if nat.forces:
            row = nat.forces.get(slug)
            if row is None:
                diags.error(
                    ndoc.loc(("forces",), key=True), "E507", f"force '{slug}' has evidence but no national results", f"add forces.{slug}"
                )
            elif row.get(ad.id) != ev.grade:
                diags.error(
                    ndoc.loc(("forces", slug, ad.id)),
                    "E507",
                    f"national results give '{slug}' {row.get(ad.id)} for '{ad.id}', but its evidence awards {ev.grade}",
                    f"make them agree ({doc.rel})",
                )


# Keys whose values are identifiers, codes or title-page lines, not prose to scan for abbreviations.
NOT_PROSE = frozenset(
    {
        "id",
        "area",
        "criterion",
        "judgement",
        "evidence",
        "factor",
        "level",
        "grade",
        "framework",
        "labels",
        "isbn",
        "year",
        "term",
        "insert",
        "month",
        "copyright",
        "first_published",
        "unexpanded",
        "meaning",
    }
)


def _prose(data: object, path: tuple = ()) -> Iterable[tuple[tuple, str]]:
    """Each printed string in data with its path (values under NOT_PROSE keys are not printed prose)."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k not in NOT_PROSE:
                yield from _prose(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _prose(v, path + (i,))
    elif isinstance(data, str):
        yield path, data


def _texts(data: object, out: list[str]) -> None:
    """The strings _prose yields, without their paths: the fast path of the glossary check."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k not in NOT_PROSE:
                _texts(v, out)
    elif isinstance(data, list):
        for v in data:
            _texts(v, out)
    elif isinstance(data, str):
        out.append(data)


# Documents whose printed text is scanned: each with the top-level key it is limited to, or None for all of it.
Scanned = tuple[tuple[Document, "str | None"], ...]


@dataclass(frozen=True)
class PrintedWords:
    """The candidate abbreviations in some documents' printed text, as distinct (word, whole) pairs
    (see words.candidates), and the documents, to find where a word is used when one is reported."""

    pairs: frozenset[tuple[str, str]]
    scanned: Scanned

    def places(self) -> Iterator[tuple[Document, tuple, str, str]]:
        """Every use, in document order, as (document, path to the string, word, whole)."""
        for doc, only in self.scanned:
            for path, text in _prose(doc.data):
                if only is None or path[:1] == (only,):
                    for word, whole in candidates(text):
                        yield doc, path, word, whole


def printed_words(scanned: Iterable[tuple[Document, str | None]]) -> PrintedWords:
    scanned = tuple(scanned)
    texts: list[str] = []
    for doc, only in scanned:
        data = doc.data
        if only is not None:
            data = data.get(only) if isinstance(data, dict) else None
        _texts(data, texts)
    return PrintedWords(frozenset(candidates("\n".join(texts))), scanned)


def framework_words(fb: FrameworkBundle) -> PrintedWords:
    """Candidate abbreviations in what every force's report prints from the framework: the grade
    definitions, the introduction, each area's national context (not the criteria)."""
    printed = {"framework": "grades", "introduction": None}
    return printed_words((d, printed.get(role, "national_context")) for role, d in fb.docs.items() if role != "national")


def check_glossary(fo: ForceBundle, shared: PrintedWords, diags: Diagnostics, shared_incomplete: bool = False) -> None:
    """Every abbreviation in the report's text has a glossary entry; every entry is used."""
    gdoc = fo.docs["glossary"]
    terms = [t.term for t in fo.glossary.terms]
    known = set(terms) | set(fo.glossary.unexpanded)
    first: dict[str, int] = {}
    for i, t in enumerate(terms):
        if t in first:
            diags.error(
                gdoc.loc(("terms", i, "term")),
                "E307",
                f"glossary term '{t}' appears twice (first at line {gdoc.loc(('terms', first[t])).line})",
                "keep one entry",
            )
        first.setdefault(t, i)
    own = printed_words((d, None) for role, d in fo.docs.items() if role != "glossary")
    used: set[str] = set()
    missing = False
    for word, whole in shared.pairs | own.pairs:
        hit = word if word in known else whole if whole in known else None
        if hit:
            used.add(hit)
        elif word.isupper():
            missing = True
    if missing:  # report each missing word once, at its first use (rare: only now are paths walked)
        reported: set[str] = set()
        for doc, path, word, whole in [*shared.places(), *own.places()]:
            if word in known or whole in known or not word.isupper() or word in reported:
                continue
            reported.add(word)
            diags.error(
                doc.loc(path),
                "E603",
                f"abbreviation '{word}' is not in the glossary",
                f"add it to {gdoc.rel} under 'terms' (or under 'unexpanded' if the glossary deliberately leaves it out)",
            )
    if shared_incomplete:
        return  # some printed text failed to load: "never used" could be wrong, so say nothing
    for i, t in enumerate(terms):
        if t not in used:
            diags.warning(
                gdoc.loc(("terms", i, "term")),
                "W604",
                f"glossary term '{t}' is never used in the report",
                "remove the entry, or check its spelling",
            )
    for i, t in enumerate(fo.glossary.unexpanded):
        if t not in used:
            diags.warning(
                gdoc.loc(("unexpanded", i)),
                "W604",
                f"'{t}' is listed as unexpanded but never used in the report",
                "remove it from 'unexpanded'",
            )


def check_force_fully(fo: ForceBundle, fb: FrameworkBundle, diags: Diagnostics, shared: PrintedWords | None = None) -> None:
    """Every check that concerns one force (its framework already checked)."""
    check_force(fo, fb, diags)
    check_force_national(fo, fb, diags)
    incomplete = len(fb.areas) != len(fb.framework.areas)
    check_glossary(fo, framework_words(fb) if shared is None else shared, diags, incomplete)


def check_project(project: Project, diags: Diagnostics) -> None:
    shared: dict[str, PrintedWords] = {}
    for fb in project.frameworks.values():
        check_framework(fb, diags)
    for fo in project.forces.values():
        fb = project.framework_for(fo)
        if fb.key not in shared:
            shared[fb.key] = framework_words(fb)
        check_force_fully(fo, fb, diags, shared[fb.key])
