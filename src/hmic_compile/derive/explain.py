"""Presenting derived grades: per-area summaries as data, and as text for `hmic grade`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..diagnostics import CommandError
from ..diagnostics import escape as e
from ..inputs import models as m
from ..inputs.project import ForceBundle, Project
from .grading import Derivation, derive_area

if TYPE_CHECKING:  # the paths to another grade load for `hmic grade --explain` and moderation, not for a build's view
    from .paths import Path


def area_derivations(project: Project, fo: ForceBundle) -> list[tuple[m.AreaDef, m.AreaEvidence, Derivation | None]]:
    fb = project.framework_for(fo)
    out = []
    for ad in fb.framework.areas:
        if not ad.graded:
            continue
        ev = fo.areas[ad.id]
        crit = fb.areas[ad.id].criteria if ad.id in fb.areas else []
        out.append((ad, ev, derive_area(fb.framework, crit, ev)))
    return out


def _has_criteria(project: Project, fo: ForceBundle, area_id: str) -> bool:
    fb = project.framework_for(fo)
    return bool(area_id in fb.areas and fb.areas[area_id].criteria)


def grade_summary(project: Project, fo: ForceBundle) -> dict[str, Any]:
    areas = []
    for ad, ev, d in area_derivations(project, fo):
        areas.append(
            {
                "area": ad.id,
                "name": ad.name,
                "derived": d.grade if d else None,
                "awarded": ev.grade,
                "inspected": ev.inspected,
                "rule": d.explanation
                if d
                else "not inspected in this area"
                if not ev.inspected
                else ("not judged yet" if _has_criteria(project, fo, ad.id) else "no criteria: grade not derived"),
                "criteria": {t.level: {"met": t.met, "partly_met": t.partly, "not_met": t.not_met, "total": t.total} for t in d.tallies}
                if d
                else {},
                "rationale": ev.grade_rationale,
            }
        )
    weight = project.framework_for(fo).framework.grading.partly_met_weight
    return {"force": fo.key, "name": fo.force.name, "partly_met_weight": weight, "areas": areas}


def grade_table_text(summary: dict[str, Any]) -> str:
    """The grades as a table for a terminal; what came from the input is escaped (see diagnostics.escape)."""
    rows = [("Area", "Derived", "Awarded", "Criteria met", "Rule that decided")]
    for a in summary["areas"]:
        w = summary["partly_met_weight"]
        met = ", ".join(f"{lv} {c['met'] + w * c['partly_met']:g}/{c['total']}" for lv, c in a["criteria"].items() if c["total"])
        awarded = a["awarded"] or ("-" if a["inspected"] else "not inspected")
        if a["derived"] and a["awarded"] and a["derived"] != a["awarded"]:
            awarded += " (professional judgement)"
        rows.append((e(a["name"]), e(a["derived"] or "-"), e(awarded), e(met or "-"), e(a["rule"])))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [e(f"{summary['name']} ({summary['force']})")]
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=False)) + "  " + r[4])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"(a criterion partly met counts as {summary['partly_met_weight']:g} of one met)")
    return "\n".join(lines) + "\n"


def explain_text(project: Project, fo: ForceBundle, area_id: str) -> str:
    """How an area's grade was derived, for a terminal; what came from the input is escaped (see diagnostics.escape)."""
    fb = project.framework_for(fo)
    ids = [a.id for a in fb.framework.areas if a.graded]
    if area_id not in ids:
        raise CommandError(f"unknown graded area '{area_id}'", f"expected one of: {', '.join(ids)}", usage=True)
    ad = fb.area(area_id)
    ev = fo.areas[area_id]
    criteria = fb.areas[area_id].criteria
    items = _item_texts(fo)
    judged = {j.criterion: j for j in ev.judgements}
    lines = [f"{e(ad.title)} — {e(fo.force.name)}"]
    if not ev.inspected:
        return lines[0] + "\n  not inspected in this area (inspected: false): there is no grade to derive\n"
    d = derive_area(fb.framework, criteria, ev)
    if d is None:
        return lines[0] + "\n  no criteria: the grade cannot be derived\n"
    for level in fb.framework.levels:
        at = [c for c in criteria if c.level == level]
        if not at:
            continue
        lines.append(f"\n{e(level)} criteria")
        for c in at:
            j = judged.get(c.id)
            flags = "".join(f" [{f}]" for f, on in (("significant", c.significant), ("dominant", c.dominant)) if on)
            lines.append(f"  {e(c.id)}  {e(j.judgement.value) if j else 'NOT JUDGED'}{flags}")
            lines.append(f"      {e(c.text)}")
            if j and j.note:
                lines.append(f"      note: {e(j.note)}")
            for ref in j.evidence if j else []:
                kind, text = items.get(ref, ("?", "?"))
                lines.append(f"      - {e(ref)} ({kind}): {e(_clip(text))}")
    if ev.factors:
        lines.append("\nFactors")
        for f in ev.factors:
            lines.append(f"  {e(f.factor)}  {e(f.judgement.value)}")
            if f.note:
                lines.append(f"      note: {e(f.note)}")
            for ref in f.evidence:
                kind, text = items.get(ref, ("?", "?"))
                lines.append(f"      - {e(ref)} ({kind}): {e(_clip(text))}")
    lines.append("\nRules, in order (the first that holds decides)")
    for t in d.trials:
        mark = "holds" if t.held else "does not hold"
        lines.append(f"  {e(t.grade)}: {mark}")
        for check in t.checks:
            lines.append(f"      [{'x' if check.held else ' '}] {e(check.text)}")
    lines.append(f"\nDerived grade: {e(d.grade)} — {e(d.explanation)}")
    lines.append(f"Awarded grade: {e(str(ev.grade))}")
    if ev.grade_rationale:
        lines.append(f"Professional judgement: {e(ev.grade_rationale)}")
    from .paths import paths

    found = paths(fb.framework, criteria, ev)
    if found:
        lines.append("\nPath to another grade (the fewest changes of judgements a rule looks at; for moderation, never published)")
        lines += ["  " + line for p in found for line in path_lines(p)]
    return "\n".join(lines) + "\n"


def change_text(p: Path, shown: int = 3) -> list[str]:
    """The smallest sets of changes of a path, each as one line ("ca-g3 (Good) partly met → met gives Excellent")."""
    out = []
    for st in p.steps[:shown]:
        changes = ", ".join(
            f"{e(c.item)} ({e(c.level) if c.level else 'factor'}) {c.before.value if c.before else 'not judged'} → {c.after.value}"
            for c in st.changes
        )
        out.append(f"{changes} gives {e(st.grade)}")
    if p.found > shown:
        out.append(f"and {p.found - shown} more of {p.size} change{'s' if p.size != 1 else ''}")
    return out


def path_headline(p: Path) -> str:
    """What a path comes to, in a line: "up: 1 change, 2 ways", "down: already the lowest grade of the scale"."""
    from .paths import MAX_TRIALS, UP

    head = "up" if p.direction == UP else "down"
    stopped = f" (the search stopped after {MAX_TRIALS:,} sets)" if p.stopped else ""
    if p.reason:
        return f"{head}: {p.reason}"
    if not p.steps:
        return f"{head}: no set of up to {p.searched} change{'s' if p.searched != 1 else ''} moves it{stopped}"
    n = p.size or 0
    return f"{head}: {n} change{'s' if n > 1 else ''}, {p.found} way{'s' if p.found > 1 else ''}{stopped}"


def path_lines(p: Path, shown: int = 3) -> list[str]:
    """A path for a terminal: its headline, then its smallest sets of changes, indented."""
    return [path_headline(p), *("    " + line for line in change_text(p, shown))]


def _item_texts(fo: ForceBundle) -> dict[str, tuple[str, str]]:
    out = {}
    for ev in fo.areas.values():
        for kind in m.EVIDENCE_LISTS:
            for it in getattr(ev, kind):
                if isinstance(it, m.Item) and it.id:
                    out[it.id] = (kind.replace("_", " "), it.text)
    return out


def _clip(text: str, n: int = 110) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
