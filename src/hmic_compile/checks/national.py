"""Checks of the national results: against the framework, totals against per-force grades, and each force against them."""

from __future__ import annotations

import difflib

from ..derive.national import Shape, picture, tally_forces
from ..diagnostics import Diagnostics
from ..inputs.models import NOT_INSPECTED
from ..inputs.project import ForceBundle, FrameworkBundle
from .suggest import suggest

KEY_RULE = "a force's key is its evidence folder's name less its year"


def _number_of_forces(fb: FrameworkBundle) -> str:
    """'the 43 forces of number_of_forces (criteria/2007/framework.yaml:4:19)': the other end of a count mismatch."""
    n = fb.framework.number_of_forces
    return f"the {n} {'force' if n == 1 else 'forces'} of number_of_forces ({fb.docs['framework'].loc(('number_of_forces',))})"


def _said(value: str) -> str:
    return "not inspected" if value == NOT_INSPECTED else f"at {value}"


def check_national(fb: FrameworkBundle, diags: Diagnostics) -> None:
    nat = fb.national
    assert nat is not None
    doc = fb.docs["national"]
    fw = fb.framework
    grades = [g.name for g in fw.grades]
    values = [*grades, NOT_INSPECTED]
    graded = [a.id for a in fw.areas if a.graded]
    n_forces = fw.number_of_forces
    for aid, row in nat.totals.items():
        if aid not in graded:
            diags.error(
                doc.loc(("totals", aid), key=True), "E501", f"'{aid}' is not a graded area of the {fb.key} framework", suggest(aid, graded)
            )
            continue
        for g, n in row.items():
            if g not in values:
                diags.error(doc.loc(("totals", aid, g), key=True), "E502", f"grade '{g}' is not on the scale", suggest(g, values))
            if n < 0:
                diags.error(doc.loc(("totals", aid, g)), "E503", f"a count cannot be negative ({n})", "use 0 or more")
        total = sum(row.values())
        if total != n_forces:
            short = n_forces - total
            others = "the other force was" if short == 1 else f"the other {short} forces were"
            hint = (
                f"if {others} not inspected in this area, add 'not inspected: {short}'"
                if short > 0 and NOT_INSPECTED not in row
                else "correct the counts, or number_of_forces"
            )
            diags.error(
                doc.loc(("totals", aid)),
                "E503",
                f"totals for '{aid}' add up to {total}, not {_number_of_forces(fb)}",
                hint,
            )
    for force_id, force_row in nat.forces.items():
        for aid, g in force_row.items():
            if aid not in graded:
                diags.error(doc.loc(("forces", force_id, aid), key=True), "E501", f"'{aid}' is not a graded area", suggest(aid, graded))
            elif g not in values:
                diags.error(doc.loc(("forces", force_id, aid)), "E502", f"grade '{g}' is not on the scale", suggest(g, values))
    if len(nat.forces) > n_forces:
        diags.error(
            doc.loc(("forces",), key=True),
            "E513",
            f"the per-force results list {len(nat.forces)} forces, more than {_number_of_forces(fb)}",
            "remove the extra rows, or correct number_of_forces",
        )
    _cross_check(fb, diags)


def _cross_check(fb: FrameworkBundle, diags: Diagnostics) -> None:
    """Per area: per-force grades against the published totals, and thin per-force data."""
    nat = fb.national
    assert nat is not None
    doc = fb.docs["national"]
    n_forces = fb.framework.number_of_forces
    values = [*(g.name for g in fb.framework.grades), NOT_INSPECTED]
    tally = tally_forces(nat)
    for aid, results in picture(fb).areas.items():
        rows = tally.get(aid, {})
        if results.shape is Shape.FORCES and results.listed < n_forces:
            diags.warning(
                doc.loc(("forces",), key=True),
                "W530",
                f"the per-force results for '{aid}' give {results.listed} of {_number_of_forces(fb)}, so a report "
                f"compares its force with those {results.listed} alone",
                f"add the other forces' results under 'forces', or the published totals under totals.{aid}",
            )
        if results.shape is not Shape.BOTH:
            continue
        totals = nat.totals[aid]
        complete = results.listed >= n_forces
        for v in values:
            t, r = totals.get(v, 0), rows.get(v, 0)
            if r == t or (r < t and not complete):
                continue
            listed = sorted(k for k, row in nat.forces.items() if row.get(aid) == v)
            named = ", ".join(listed[:6]) + (", ..." if len(listed) > 6 else "")
            at = ("totals", aid, v) if v in totals else ("totals", aid)
            diags.error(
                doc.loc(at, key=v in totals),
                "E511",
                f"totals for '{aid}' count {t} {'force' if t == 1 else 'forces'} {_said(v)}, but the per-force results "
                f"give {r}{f' ({named})' if named else ''}",
                f"make them agree: totals.{aid}, or those forces' rows under 'forces'"
                + ("" if complete else " (the per-force results cover only some forces, so they may give fewer, never more)"),
            )


def _near_miss(slug: str, key: str, year: int, keys: list[str], strict: bool) -> str | None:
    """The key in the per-force results that was most likely meant for `slug` (e.g. 'norfolk-2007' for 'norfolk')."""
    for k in keys:
        if k in (key, f"{slug}-{year}"):
            return k  # the folder's name, year and all
    if strict:
        return None
    close = difflib.get_close_matches(slug, keys, n=1, cutoff=0.8)
    return close[0] if close else None


def check_force_national(fo: ForceBundle, fb: FrameworkBundle, diags: Diagnostics) -> None:
    """The force's grades (or 'not inspected') against the national totals and its row of per-force results."""
    nat = fb.national
    if nat is None:
        return
    national = picture(fb)
    ndoc = fb.docs["national"]
    slug = fo.key.rsplit("-", 1)[0]
    row = national.forces.get(slug)
    required = False  # does some area's distribution rest on this force's row alone?
    for ad in fb.framework.areas:
        ev = fo.areas.get(ad.id)  # None: the area file gave nothing (said where it was read)
        results = national.area(ad.id)
        own = None if ev is None else NOT_INSPECTED if not ev.inspected else ev.grade
        if not ad.graded or results is None or own is None:
            continue
        doc = fo.docs[f"area:{ad.id}"]
        here = doc.loc(("inspected",)) if own == NOT_INSPECTED else doc.loc(("grade",))
        if results.shape is not Shape.FORCES and nat.totals[ad.id].get(own, 0) < 1:
            what = "marked not inspected" if own == NOT_INSPECTED else f"graded {own}"
            diags.error(
                here,
                "E510" if own == NOT_INSPECTED else "E506",
                f"{what}, but the national totals count no force {_said(own)} for '{ad.id}'",
                f"check {ndoc.rel} (totals.{ad.id})",
            )
        if row is None:
            required = required or results.shape is Shape.FORCES
            continue
        given = row.get(ad.id)
        if given is None:
            if results.shape is Shape.FORCES:
                diags.error(
                    ndoc.loc(("forces", slug), key=True),
                    "E507",
                    f"the per-force results give '{slug}' nothing for '{ad.id}', but its evidence says {_shown(own)}",
                    f"add {ad.id}: {own} to forces.{slug}",
                )
        elif given != own and NOT_INSPECTED in (given, own):
            diags.error(
                ndoc.loc(("forces", slug, ad.id)),
                "E510",
                f"the national results give '{slug}' {_shown(given)} for '{ad.id}', but its evidence says {_shown(own)}",
                f"make them agree ({here})",
            )
        elif given != own:
            diags.error(
                ndoc.loc(("forces", slug, ad.id)),
                "E507",
                f"the national results give '{slug}' {given} for '{ad.id}', but its evidence awards {own}",
                f"make them agree ({doc.rel})",
            )
    if row is None and nat.forces:
        _missing_row(fo, fb, slug, required, diags)


def _shown(value: str) -> str:
    return "not inspected" if value == NOT_INSPECTED else value


def _missing_row(fo: ForceBundle, fb: FrameworkBundle, slug: str, required: bool, diags: Diagnostics) -> None:
    nat = fb.national
    assert nat is not None
    ndoc = fb.docs["national"]
    keys = list(nat.forces)
    year = fo.force_file.year if fo.force_file is not None else fb.framework.year  # force.yaml may have given nothing
    miss = _near_miss(slug, fo.key, year, keys, strict=not required)
    if miss is not None:
        diags.error(
            ndoc.loc(("forces", miss), key=True),
            "E512",
            f"evidence/{fo.key} has no row under its key '{slug}' ({KEY_RULE}), and this key is '{miss}'",
            f"did you mean '{slug}'?",
        )
    elif required:
        diags.error(
            ndoc.loc(("forces",), key=True),
            "E507",
            f"evidence/{fo.key} has no row in the per-force results under its key '{slug}' ({KEY_RULE})",
            f"add forces.{slug}",
        )
