"""`hmic moderate`: a round's moderation (derive/moderation.py) as text, JSON, or an internal HTML page written apart from the site.

The page is for the Inspectorate before publication: it is marked internal on every screen, asks search
engines to stay away, and is written to its own folder (default internal/<framework>/), never under a
round's site, which never links to it (docs/moderation.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from .. import __version__
from ..checks.project import load_checked
from ..derive.explain import change_text, path_headline
from ..derive.moderation import Moderation, moderate
from ..derive.paths import MAX_CHANGES, MAX_TRIALS
from ..diagnostics import CommandError, HmicError, escape, json_text, one_of
from ..inputs.project import FrameworkBundle
from .palette import GradeStyle, styles
from .render import make_environment, packaged_templates, render_template
from .write import refuse_unsafe_out, sha256, write_atomic

if TYPE_CHECKING:
    from ..derive.paths import Path as GradePath
    from ..inputs.cache import ParseCache

INTERNAL = "INTERNAL — for moderation by the Inspectorate, not for publication"


class Moderated(Struct, frozen=True):
    fb: FrameworkBundle
    moderation: Moderation
    inputs: tuple[tuple[str, str], ...]  # every file read, (path, sha256): the framework's and its forces'


def moderation_for(root: Path, framework: str | None, cache: ParseCache | None = None) -> Moderated:
    """The project loaded and checked whole, and the moderation of `framework` (the only one, when None)."""
    project, diags = load_checked(root, None, cache)
    if any(d.is_error for d in diags):
        raise HmicError(diags)
    keys = sorted(project.frameworks)
    if framework is None and len(keys) == 1:
        framework = keys[0]
    if framework is None:
        raise CommandError("name the framework to moderate", f"one of: {', '.join(keys) or 'none'}", usage=True)
    if framework not in project.frameworks:
        raise CommandError(f"unknown framework '{framework}'", f"expected one of: {one_of(framework, keys) or 'none'}", usage=True)
    fb = project.frameworks[framework]
    forces = [fo for fo in project.forces.values() if fo.framework_key == framework]
    if not forces:
        raise CommandError(
            f"the {framework} framework has no force under evidence/ to moderate", f"start one: hmic new force NAME --framework {framework}"
        )
    inputs = {d.rel: d.sha256 for d in fb.docs.values()} | {d.rel: d.sha256 for fo in forces for d in fo.docs.values()}
    return Moderated(fb, moderate(fb, forces), tuple(sorted(inputs.items())))


# --- the view: every line and cell the text and the page show ---------------------------------


class PathView(Struct, frozen=True):
    force: str
    name: str
    area_id: str
    area: str
    derived: str
    up: tuple[str, ...]  # headline, then its sets of changes
    down: tuple[str, ...]


class RateArea(Struct, frozen=True):
    name: str
    rows: tuple[tuple[str, str, str, str, str, str], ...]  # criterion, level, met, partly met, not met, looked at


class ModerationView(Struct, frozen=True):
    key: str
    title: str
    internal: str
    forces: int
    styles: tuple[GradeStyle, ...]
    max_changes: int
    max_trials: int
    differing: tuple[tuple[str, str, str, str, str], ...]  # force, area, awarded, derived, rationale
    alike: tuple[tuple[str, str, str], ...]  # area, forces and their grades, how alike
    rates: tuple[RateArea, ...]
    one_away: tuple[PathView, ...]
    paths: tuple[PathView, ...]


def _lines(p: GradePath | None) -> tuple[str, ...]:
    return (path_headline(p), *("  " + line for line in change_text(p))) if p is not None else ("no derived grade",)


def moderation_view(fb: FrameworkBundle, mod: Moderation) -> ModerationView:
    names = {a.id: a.name for a in fb.framework.areas}
    forces = {g.force: g.name for g in mod.graded}
    paths = tuple(
        PathView(g.force, g.name, g.area, names[g.area], g.derived or "", _lines(g.up), _lines(g.down)) for g in mod.graded if g.derived
    )
    one = {(g.force, g.area) for g in mod.one_away}
    rates = []
    for ad in fb.framework.areas:
        rows = tuple(
            (
                r.criterion,
                r.level,
                f"{r.met} ({r.percent(r.met)}%)",
                f"{r.partly} ({r.percent(r.partly)}%)",
                f"{r.not_met} ({r.percent(r.not_met)}%)",
                "yes" if r.looked_at else "no",
            )
            for r in mod.rates
            if r.area == ad.id
        )
        if rows:
            rates.append(RateArea(ad.name, rows))
    return ModerationView(
        key=fb.key,
        title=fb.framework.title,
        internal=INTERNAL,
        forces=len(mod.forces),
        styles=styles([g.name for g in fb.framework.grades]),
        max_changes=MAX_CHANGES,
        max_trials=MAX_TRIALS,
        differing=tuple(
            (f"{g.name} ({g.force})", names[g.area], g.awarded or "", g.derived or "", g.rationale or "(no rationale given)")
            for g in mod.differing
        ),
        alike=tuple(
            (
                names[a.area],
                ", ".join(f"{forces[f]} ({f}): {grade or 'not graded'}" for f, grade in a.forces),
                "identical judgements"
                if a.identical
                else "judgements differ only in what no rule looks at" + (f": {', '.join(a.differing)}" if a.differing else " (factors)"),
            )
            for a in mod.alike
        ),
        rates=tuple(rates),
        one_away=tuple(p for p in paths if (p.force, p.area_id) in one),
        paths=paths,
    )


# --- text and JSON -----------------------------------------------------------------------------


def moderation_text(m: Moderated) -> str:
    """The moderation for a terminal; what came from the input is escaped (diagnostics.escape)."""
    v = moderation_view(m.fb, m.moderation)
    e = escape
    out = [f"Moderation of {e(v.title)} (criteria/{e(v.key)}/): {v.forces} force{'s' if v.forces != 1 else ''}", v.internal]
    out.append("\nGrades awarded that differ from the derived grade")
    out += [f"  {e(f)}, {e(a)}: awarded {e(aw)}, derived {e(d)}; rationale: {e(r)}" for f, a, aw, d, r in v.differing] or ["  none"]
    out.append("\nForces judged alike on everything a rule looks at, but graded differently")
    out += [f"  {e(a)}: {e(fs)} ({e(how)})" for a, fs, how in v.alike] or ["  none"]
    out.append("\nOne changed judgement from another derived grade")
    for p in v.one_away:
        out.append(f"  {e(p.name)} ({e(p.force)}), {e(p.area)}, derived {e(p.derived)}")
        out += [f"    {line}" for line in (*p.up, *p.down)]
    if not v.one_away:
        out.append("  none")
    out.append("\nEach criterion's national rate: met, partly met, not met (of the forces judging it); whether a rule looks at it")
    for ra in v.rates:
        out.append(f"  {e(ra.name)}")
        out += [
            f"    {e(c)} ({e(lv)}): met {m_}, partly met {p_}, not met {n_}; rule looks at it: {lk}" for c, lv, m_, p_, n_, lk in ra.rows
        ]
    out.append(f"\nPath to another grade: the fewest changes (up to {v.max_changes}) of judgements a rule looks at, per force and area")
    for p in v.paths:
        out.append(f"  {e(p.name)} ({e(p.force)}), {e(p.area)}, derived {e(p.derived)}")
        out += [f"    {line}" for line in (*p.up, *p.down)]
    return "\n".join(out) + "\n"


def _path_json(p: GradePath | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "grade": p.grade,
        "size": p.size,
        "found": p.found,
        "searched": p.searched,
        "stopped": p.stopped,
        "reason": p.reason or None,
        "sets": [
            {
                "grade": st.grade,
                "changes": [
                    {
                        "item": c.item,
                        "factor": c.factor,
                        "level": c.level or None,
                        "before": c.before.value if c.before else None,
                        "after": c.after.value,
                    }
                    for c in st.changes
                ],
            }
            for st in p.steps
        ],
    }


def moderation_json(m: Moderated) -> str:
    fb, mod = m.fb, m.moderation
    data = {
        "framework": fb.key,
        "internal": INTERNAL,
        "forces": list(mod.forces),
        "differing": [
            {"force": g.force, "area": g.area, "awarded": g.awarded, "derived": g.derived, "rationale": g.rationale} for g in mod.differing
        ],
        "alike": [
            {
                "area": a.area,
                "forces": [{"force": f, "awarded": gr} for f, gr in a.forces],
                "identical": a.identical,
                "differing": list(a.differing),
            }
            for a in mod.alike
        ],
        "rates": [
            {
                "area": r.area,
                "criterion": r.criterion,
                "level": r.level,
                "met": r.met,
                "partly_met": r.partly,
                "not_met": r.not_met,
                "looked_at": r.looked_at,
            }
            for r in mod.rates
        ],
        "one_away": [{"force": g.force, "area": g.area} for g in mod.one_away],
        "areas": [
            {
                "force": g.force,
                "area": g.area,
                "inspected": g.inspected,
                "awarded": g.awarded,
                "derived": g.derived,
                "up": _path_json(g.up),
                "down": _path_json(g.down),
            }
            for g in mod.graded
        ],
        "limits": {"max_changes": MAX_CHANGES, "max_trials": MAX_TRIALS},
    }
    return json_text(data, ascii=False) + "\n"


# --- the internal page -------------------------------------------------------------------------


def write_moderation(root: Path, m: Moderated, folder: Path) -> Path:
    """The internal page (moderation.html and a manifest) written whole, or not at all, to `folder`/<framework>/."""
    fb = m.fb
    refuse_unsafe_out(folder, root, [root / "criteria", root / "evidence", root / "templates", packaged_templates()], [fb.key])
    env = make_environment(None, root)
    html = render_template(env, "round/moderation.html.j2", {"moderation": moderation_view(fb, m.moderation)}, f"criteria/{fb.key}")
    files = {"moderation.html": html.encode("utf-8")}
    record: dict[str, Any] = {"hmic_version": __version__, "framework": fb.key, "internal": INTERNAL}
    record["inputs"] = [{"path": p, "sha256": h} for p, h in m.inputs]
    record["outputs"] = [{"path": n, "sha256": sha256(b)} for n, b in sorted(files.items())]
    files["manifest.json"] = (json_text(record, ascii=False) + "\n").encode("utf-8")
    target = folder / fb.key
    write_atomic(target, files, str(target))
    return target
