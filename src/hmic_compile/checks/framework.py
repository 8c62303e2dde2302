"""Checks of a framework: its grade scale, levels, rules, areas and groups, and each area's criteria."""

from __future__ import annotations

from collections.abc import Iterable

from ..derive.chart_text import MAX_GRADES, MAX_LABEL_PX, text_width
from ..diagnostics import Diagnostics
from ..inputs.loader import Document
from ..inputs.models import NOT_INSPECTED
from ..inputs.project import FrameworkBundle
from .limits import check_markup
from .national import check_national
from .suggest import suggest


def check_framework(fb: FrameworkBundle, diags: Diagnostics) -> None:
    for d in fb.docs.values():
        check_markup(d, diags)
    fw = fb.framework
    doc = fb.docs["framework"]
    grades = [g.name for g in fw.grades]
    seen: set[str] = set()
    for i, g in enumerate(grades):
        if g in seen:
            diags.error(doc.loc(("grades", i, "name")), "E301", f"grade '{g}' appears twice on the scale", "each grade once, best first")
        seen.add(g)
        if g.casefold() == NOT_INSPECTED:
            diags.error(
                doc.loc(("grades", i, "name")),
                "E320",
                f"'{g}' cannot be a grade: the national results and a force's evidence use it for a force not inspected",
                "name the grade otherwise; mark a force not inspected with 'inspected: false' in its area file",
            )
    _check_chartable(fb, diags)
    if len(set(fw.levels)) != len(fw.levels):
        diags.error(doc.loc(("levels",)), "E301", "a criterion level appears twice", "each level once, lowest first")
    factor_ids = [f.id for f in fw.factors]
    # With errors in framework.yaml, a name in an entry in error is still a name (only the schema error is reported).
    on_scale = set(grades) | fb.as_read("framework", "grades", "*", "name")
    levels = set(fw.levels) | fb.as_read("framework", "levels", "*")
    factors = set(factor_ids) | fb.as_read("framework", "factors", "*", "id")
    for i, rule in enumerate(fw.grading.rules):
        base = ("grading", "rules", i)
        if rule.grade not in on_scale:
            diags.error(doc.loc(base + ("grade",)), "E302", f"grade '{rule.grade}' is not on the scale", suggest(rule.grade, grades))
        w = rule.when
        levels_used = [("all_met", j, lv) for j, lv in enumerate(w.all_met)]
        levels_used += [("all_significant_met", j, lv) for j, lv in enumerate(w.all_significant_met)]
        levels_used += [("share_met", j, s.level) for j, s in enumerate(w.share_met)]
        if w.not_met_at_least:
            levels_used.append(("not_met_at_least", None, w.not_met_at_least.level))  # type: ignore[arg-type]
        for key, j, lv in levels_used:
            if lv not in levels:
                path = base + ("when", key) + ((j,) if j is not None else ())
                diags.error(doc.loc(path), "E303", f"level '{lv}' is not a criterion level", suggest(lv, fw.levels))
        for j, f in enumerate(w.factors):
            if f not in factors:
                diags.error(doc.loc(base + ("when", "factors", j)), "E304", f"unknown factor '{f}'", suggest(f, factor_ids))
        if not (w.dominant_not_met is not None or w.not_met_at_least or w.all_met or w.all_significant_met or w.share_met or w.factors):
            diags.error(
                doc.loc(base + ("when",)), "E309", "a rule with no conditions always applies", "give the rule at least one condition"
            )
    if fw.grading.otherwise not in on_scale:
        diags.error(
            doc.loc(("grading", "otherwise")),
            "E302",
            f"grade '{fw.grading.otherwise}' is not on the scale",
            suggest(fw.grading.otherwise, grades),
        )
    area_ids = [a.id for a in fw.areas]
    _unique(((a.id, ("areas", i, "id")) for i, a in enumerate(fw.areas)), doc, "area", diags)
    placed: dict[str, int] = {}
    for gi, group in enumerate(fw.groups):
        for ai, aid in enumerate(group.areas):
            if aid not in area_ids and aid not in fb.as_read("framework", "areas", "*", "id"):
                diags.error(doc.loc(("groups", gi, "areas", ai)), "E305", f"unknown area '{aid}'", suggest(aid, area_ids))
            elif aid in placed:
                diags.error(
                    doc.loc(("groups", gi, "areas", ai)), "E306", f"area '{aid}' is in more than one group", "list each area in one group"
                )
            placed[aid] = gi
    for i, a in enumerate(fw.areas):
        if a.id not in placed and a.id not in fb.as_read("framework", "groups", "*", "areas", "*"):
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
            if c.level not in levels:
                diags.error(
                    adoc.loc(("criteria", i, "level")), "E303", f"level '{c.level}' is not a criterion level", suggest(c.level, fw.levels)
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
                "add the area's grading criteria under 'criteria'",
            )
    if fb.national is not None and "national" not in fb.broken:  # its totals would be counted without the entries in error
        check_national(fb, diags)


def _check_chartable(fb: FrameworkBundle, diags: Diagnostics) -> None:
    """Every grade gets its own colour, badge and chart bar with a label that fits: a scale the report cannot show is refused here."""
    fw, doc = fb.framework, fb.docs["framework"]
    if len(fw.grades) > MAX_GRADES:
        diags.error(
            doc.loc(("grades",), key=True),
            "E620",
            f"a scale of {len(fw.grades)} grades is too long to chart and style: at most {MAX_GRADES}, each its own colour and pattern",
            f"use at most {MAX_GRADES} grades",
        )
        return
    for i, g in enumerate(fw.grades):
        label, key = (g.short, "short") if g.short else (g.name, "name")
        width = text_width(label)
        if width > MAX_LABEL_PX:
            diags.error(
                doc.loc(("grades", i, key)),
                "E621",
                f"grade {key} '{label}' is too long to label a chart bar (about {width:.0f} pixels; at most {MAX_LABEL_PX})",
                "give the grade a shorter 'short:' name for charts" if key == "name" else "shorten 'short:'",
            )


def _unique(pairs: Iterable[tuple[str, tuple]], doc: Document, what: str, diags: Diagnostics) -> None:
    first: dict[str, tuple] = {}
    for value, path in pairs:
        if value in first:
            line = doc.loc(first[value]).line
            diags.error(doc.loc(path), "E307", f"duplicate {what} id '{value}' (first at line {line})", "ids must be unique")
        else:
            first[value] = path
