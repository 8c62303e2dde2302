"""`hmic diff`: what changed in meaning between two evidence folders: grades, judgements and evidence items."""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from msgspec import Struct

from ..derive.grading import derive_area
from ..diagnostics import CommandError, Diagnostics
from ..inputs import models as m
from ..inputs.files import within
from ..inputs.project import ForceBundle, FrameworkBundle, load_force, load_framework
from . import diff_match
from .diff_match import SIMILAR, Entry, ItemChange, similarity, words

__all__ = ["SIMILAR", "Entry", "ItemChange", "similarity", "words", "match_items", "compare", "Snapshot", "ForceDiff", "AreaDiff"]


LIST_NAMES = {
    "strengths": "strengths",
    "work_in_progress": "work in progress",
    "areas_for_improvement": "areas for improvement",
    "recommendations": "recommendations",
}


class DiffError(CommandError):
    """Why a side could not be read: a message and hint (usage: exit 2), or the input's diagnostics (exit 1)."""


class Snapshot(Struct, frozen=True):
    """One side of a comparison: a force's evidence and the framework it is judged against."""

    label: str
    force: ForceBundle
    framework: FrameworkBundle


class JudgementChange(Struct, frozen=True):
    criterion: str  # a criterion id, or "factor <id>"
    old: str | None  # the judgement, None when not judged
    new: str | None
    added: tuple[str, ...]  # evidence ids now cited
    removed: tuple[str, ...]  # evidence ids no longer cited


class AreaDiff(Struct, frozen=True):
    id: str
    name: str
    graded: bool
    in_old: bool
    in_new: bool
    awarded: tuple[str | None, str | None]
    derived: tuple[str | None, str | None]
    rationale: tuple[str | None, str | None]
    judgements: tuple[JudgementChange, ...]
    items: tuple[ItemChange, ...]

    @property
    def rationale_changed(self) -> bool:
        return self.rationale[0] != self.rationale[1]

    @property
    def detailed(self) -> bool:
        """Whether there is more to say than the grades."""
        return bool(self.judgements or self.items or self.rationale_changed or not (self.in_old and self.in_new))

    @property
    def changed(self) -> bool:
        return (
            not (self.in_old and self.in_new)
            or self.awarded[0] != self.awarded[1]
            or self.derived[0] != self.derived[1]
            or self.rationale_changed
            or bool(self.judgements)
            or bool(self.items)
        )


class ForceDiff(Struct, frozen=True):
    old_label: str
    new_label: str
    old_name: str
    new_name: str
    areas: tuple[AreaDiff, ...]

    @property
    def changed(self) -> bool:
        return self.old_name != self.new_name or any(a.changed for a in self.areas)


def _entries(ev: m.AreaEvidence | None) -> list[Entry]:
    if ev is None:
        return []
    out = []
    for kind in m.EVIDENCE_LISTS:
        for it in getattr(ev, kind):
            if isinstance(it, m.Item):
                out.append(Entry(kind, it.id, " ".join([it.text, *it.items])))
            else:
                out.append(Entry(kind, None, it))
    out += [Entry("recommendations", r.id, r.text) for r in ev.recommendations]
    return out


def match_items(old: list[Entry], new: list[Entry]) -> list[ItemChange]:
    """Pair old and new items by id, then by identical text, then by similar text (diff_match.py); the rest are added or removed."""
    return diff_match.match_items(old, new, [*m.EVIDENCE_LISTS, "recommendations"])


def _judgements(old: m.AreaEvidence | None, new: m.AreaEvidence | None) -> list[JudgementChange]:
    def table(ev: m.AreaEvidence | None) -> dict[str, tuple[str, tuple[str, ...]]]:
        if ev is None:
            return {}
        out = {j.criterion: (j.judgement.value, tuple(j.evidence)) for j in ev.judgements}
        out.update({f"factor {f.factor}": (f.judgement.value, tuple(f.evidence)) for f in ev.factors})
        return out

    a, b = table(old), table(new)
    out = []
    for key in [*a, *(k for k in b if k not in a)]:
        oj, oe = a.get(key, (None, ()))
        nj, ne = b.get(key, (None, ()))
        added = tuple(e for e in ne if e not in oe)
        removed = tuple(e for e in oe if e not in ne)
        if oj != nj or added or removed:
            out.append(JudgementChange(key, oj, nj, added, removed))
    return out


def _derived(snap: Snapshot, area: str) -> str | None:
    fb = snap.framework
    ev = snap.force.areas.get(area)
    crit = fb.areas[area].criteria if area in fb.areas else []
    if ev is None or not ev.judgements:
        return None
    d = derive_area(fb.framework, crit, ev)
    return d.grade if d else None


def compare(old: Snapshot, new: Snapshot) -> ForceDiff:
    """The differences in meaning between two snapshots of a force's evidence. Pure."""
    old_defs = {a.id: a for a in old.framework.framework.areas}
    new_defs = {a.id: a for a in new.framework.framework.areas}
    ids = [*new_defs, *(a for a in old_defs if a not in new_defs)]
    areas = []
    for aid in ids:
        ad = new_defs.get(aid) or old_defs[aid]
        o, n = old.force.areas.get(aid), new.force.areas.get(aid)
        areas.append(
            AreaDiff(
                id=aid,
                name=ad.name,
                graded=ad.graded,
                in_old=o is not None,
                in_new=n is not None,
                awarded=(o.grade if o else None, n.grade if n else None),
                derived=(_derived(old, aid), _derived(new, aid)),
                rationale=(o.grade_rationale if o else None, n.grade_rationale if n else None),
                judgements=tuple(_judgements(o, n)),
                items=tuple(match_items(_entries(o), _entries(n))),
            )
        )
    return ForceDiff(old.label, new.label, old.force.force.name, new.force.force.name, tuple(areas))


def load_snapshot(root: Path, folder: Path, label: str) -> Snapshot:
    """Load one force folder and the frameworks beside it; raises DiffError with the diagnostics when it cannot."""
    if not (folder / "force.yaml").is_file():
        raise DiffError(
            f"{label} is not a force's evidence folder (no force.yaml)",
            "give evidence/<force>-<year>, a force key, or REV:path",
            usage=True,
        )
    frameworks: dict[str, FrameworkBundle] = {}
    fw_diags = Diagnostics()
    crit = root / "criteria"
    if crit.is_dir():
        for f in sorted(p for p in crit.iterdir() if p.is_dir()):
            fb = load_framework(f, root, fw_diags)
            if fb:
                frameworks[fb.key] = fb
    diags = Diagnostics()
    fo = load_force(folder, root, frameworks, diags)
    # Grades are derived from the framework's rules and each area's criteria: none may be missing or in error.
    rules = fo is not None and any(r == "framework" or r.startswith("area:") for r in frameworks[fo.framework_key].broken)
    if fo is None or not fo.complete or rules:
        raise DiffError(f"{label} cannot be read", diagnostics=sorted(set(diags.errors + fw_diags.errors), key=lambda d: (d.loc, d.code)))
    return Snapshot(label, fo, frameworks[fo.framework_key])


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        raise DiffError(f"cannot run git: {e}", "install git, or compare two folders", usage=True) from None


def materialise(root: Path, rev: str, path: str, into: Path) -> Path:
    """Extract criteria/ and `path` (relative to the project root) as they were at git revision `rev`; returns the folder."""
    prefix = _git(root, "rev-parse", "--show-prefix")
    top = _git(root, "rev-parse", "--show-toplevel")
    if prefix.returncode != 0 or top.returncode != 0:
        raise DiffError(f"{root} is not in a git repository, so '{rev}:{path}' cannot be read", "compare two folders instead", usage=True)
    base = prefix.stdout.decode().strip()
    toplevel = Path(top.stdout.decode().strip())
    check = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if check.returncode != 0:
        raise DiffError(f"unknown git revision '{rev}'", "e.g. HEAD~1, main, a tag or a commit id", usage=True)
    rel = path.strip("/")
    if not _git(root, "cat-file", "-e", f"{rev}:{base}{rel}").returncode == 0:
        raise DiffError(f"'{rel}' does not exist at {rev}", f"git ls-tree {rev} {base}evidence/ lists what does", usage=True)
    paths = [rel] + (["criteria"] if _git(root, "cat-file", "-e", f"{rev}:{base}criteria").returncode == 0 else [])
    tar = _git(toplevel, "archive", "--format=tar", f"{rev}:{base}", "--", *paths)  # from the top: paths are the tree's own
    if tar.returncode != 0:
        raise DiffError(f"git archive failed: {tar.stderr.decode(errors='replace').strip()}", usage=True)
    try:
        with tarfile.open(fileobj=BytesIO(tar.stdout)) as tf:
            tf.extractall(into, filter="data")  # refuses links out of `into`, absolute paths and special files
    except tarfile.FilterError as e:
        link = f" (a link to '{e.tarinfo.linkname}')" if e.tarinfo.issym() or e.tarinfo.islnk() else ""
        raise DiffError(
            f"{rev}:{path} cannot be read: '{e.tarinfo.name}'{link} would lead outside the project",
            "hmic diff reads a revision's own files only; replace the link with the file it points to",
        ) from None
    except (tarfile.TarError, OSError) as e:
        raise DiffError(f"{rev}:{path} cannot be read from git: {e}") from None
    return into / rel


def local_side(spec: str, root: Path) -> tuple[Path, Path] | None:
    """An evidence folder as given (relative to the working folder, then to the project) or a force key: (project, folder)."""
    for p in (Path(spec), root / spec, root / "evidence" / spec):
        if p.is_dir():
            if within(p, root):  # the project's own folder: read as the project's, so a link out of it is refused (E205)
                return root.resolve(), Path(os.path.abspath(p))
            folder = p.resolve()
            return (folder.parent.parent if folder.parent.name == "evidence" else root.resolve()), folder
    return None


def rev_side(spec: str, root: Path) -> tuple[str, str]:
    """REV:path (or REV:force) as (rev, path relative to the project)."""
    rev, _, path = spec.partition(":")
    if not (rev and path):
        raise DiffError(
            f"'{spec}' is neither an evidence folder, a force under {root / 'evidence'}, nor REV:path",
            "e.g. evidence/norfolk-2007, norfolk-2007 or HEAD~1:evidence/norfolk-2007",
            usage=True,
        )
    path = path.strip("/")
    return rev, path if "/" in path else f"evidence/{path}"


def sides(specs: Iterable[str], root: Path, tmp: Path) -> list[Snapshot]:
    """Load each side, materialising REV:path sides under `tmp`."""
    out = []
    for i, spec in enumerate(specs):
        local = local_side(spec, root)
        if local is not None:
            proj, folder = local
            label = spec.rstrip("/")
        else:
            rev, path = rev_side(spec, root)
            proj = tmp / f"side{i}"
            folder = materialise(root, rev, path, proj)
            label = f"{rev}:{path}"
        out.append(load_snapshot(proj, folder, label))
    return out


def read_sides(old: str, new: str, root: Path) -> tuple[Snapshot, Snapshot]:
    """Both sides of `hmic diff`, each a folder, a force key or REV:path; a REV:path side is read from git into a
    temporary folder that is gone when this returns."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hmic-diff-") as tmp:
        a, b = sides([old, new], root, Path(tmp))
    return a, b
