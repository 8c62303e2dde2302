"""Checks of the national results: against the framework, and each force's grades against them."""

from __future__ import annotations

from ..diagnostics import Diagnostics
from ..inputs.project import ForceBundle, FrameworkBundle
from .suggest import suggest


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
                doc.loc(("totals", aid), key=True), "E501", f"'{aid}' is not a graded area of the {fb.key} framework", suggest(aid, graded)
            )
            continue
        for g in row:
            if g not in grades:
                diags.error(doc.loc(("totals", aid, g), key=True), "E502", f"grade '{g}' is not on the scale", suggest(g, grades))
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
                diags.error(doc.loc(("forces", force_id, aid), key=True), "E501", f"'{aid}' is not a graded area", suggest(aid, graded))
            if g not in grades:
                diags.error(doc.loc(("forces", force_id, aid)), "E502", f"grade '{g}' is not on the scale", suggest(g, grades))
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


def check_force_national(fo: ForceBundle, fb: FrameworkBundle, diags: Diagnostics) -> None:
    nat = fb.national
    if nat is None:
        return
    ndoc = fb.docs["national"]
    slug = fo.key.rsplit("-", 1)[0]
    for ad in fb.framework.areas:
        ev = fo.areas.get(ad.id)
        if ev is None or not ad.graded or ev.grade is None:
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
