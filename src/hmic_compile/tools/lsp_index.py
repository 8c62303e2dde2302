"""What the language server knows of a project after checking it: the diagnostics by file, each force's
evidence items and each area's criteria, and the hovers, definitions, completions and quick fixes they give."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from msgspec import Struct, field

from ..checks.project import load_checked
from ..diagnostics import Diagnostic, Loc
from ..inputs import models as m
from ..inputs.loader import Document, Path_
from ..inputs.project import ForceBundle, Overrides, Project

KINDS = {"strengths": "strength", "work_in_progress": "work in progress", "areas_for_improvement": "area for improvement"}
_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?")


def project_root(path: Path) -> Path | None:
    """The project a file belongs to: the nearest folder above it holding criteria/ and evidence/."""
    for folder in path.parents:
        if (folder / "criteria").is_dir() and (folder / "evidence").is_dir():
            return folder
    return None


class Place(Struct, frozen=True):
    """Where something is defined: a file relative to the root, and hmic's line and column there."""

    rel: str
    loc: Loc


class EvidenceItem(Struct, frozen=True):
    id: str
    kind: str  # strengths, work_in_progress, areas_for_improvement
    text: str
    place: Place


class Checked(Struct):
    """One check of a project (with the editor's unsaved text), and what it makes known."""

    root: Path
    project: Project
    diagnostics: list[Diagnostic]
    _items: dict[str, dict[str, EvidenceItem]] = field(default_factory=dict)

    def by_file(self) -> dict[str, list[Diagnostic]]:
        out: dict[str, list[Diagnostic]] = defaultdict(list)
        for d in self.diagnostics:
            if not d.loc.path.endswith("/"):  # a missing folder is no document
                out[d.loc.path].append(d)
        return dict(out)

    def force_of(self, rel: str) -> ForceBundle | None:
        parts = rel.split("/")
        return self.project.forces.get(parts[1]) if len(parts) == 3 and parts[0] == "evidence" else None

    def items(self, fo: ForceBundle) -> dict[str, EvidenceItem]:
        """Every evidence item with an id in the force, by id."""
        if fo.key not in self._items:
            found: dict[str, EvidenceItem] = {}
            for aid, ev in fo.areas.items():
                doc = fo.docs[f"area:{aid}"]
                for kind in KINDS:
                    for i, it in enumerate(getattr(ev, kind)):
                        if isinstance(it, m.Item) and it.id and it.id not in found:
                            found[it.id] = EvidenceItem(it.id, kind, it.text, Place(doc.rel, doc.loc((kind, i, "id"))))
            self._items[fo.key] = found
        return self._items[fo.key]

    def criteria(self, fo: ForceBundle, rel: str) -> list[tuple[m.Criterion, Place]]:
        """The criteria of the area whose evidence is the file `rel`, each with where it is defined."""
        fb = self.project.frameworks.get(fo.framework_key)
        area = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if fb is None or area not in fb.areas:
            return []
        doc = fb.docs[f"area:{area}"]
        return [(c, Place(doc.rel, doc.loc(("criteria", i, "id")))) for i, c in enumerate(fb.areas[area].criteria)]

    # -- what the cursor is on --

    def hover(self, rel: str, path: Path_, value: str) -> str | None:
        """Markdown for the value at `path` of the file `rel`: a criterion's level and text, an item's text."""
        fo = self.force_of(rel)
        if fo is None:
            return None
        if _is_criterion(path):
            for c, _ in self.criteria(fo, rel):
                if c.id == value:
                    flags = [f for f, on in (("significant", c.significant), ("dominant", c.dominant)) if on]
                    return f"**{c.id}** — {c.level} criterion{' (' + ', '.join(flags) + ')' if flags else ''}\n\n{c.text}"
            return None
        if _is_citation(path) or _is_item_id(path):
            it = self.items(fo).get(value)
            if it is not None:
                return f"**{it.id}** — {KINDS[it.kind]}, {it.place.rel.rsplit('/', 1)[-1]}\n\n{it.text}"
        return None

    def definition(self, rel: str, path: Path_, value: str) -> Place | None:
        fo = self.force_of(rel)
        if fo is None:
            return None
        if _is_citation(path):
            it = self.items(fo).get(value)
            return it.place if it else None
        if _is_criterion(path):
            return next((p for c, p in self.criteria(fo, rel) if c.id == value), None)
        return None

    def completions(self, rel: str, context: str, remembered: dict[str, EvidenceItem] | None = None) -> list[tuple[str, str, str]]:
        """(label, detail, documentation) for what is being typed: evidence ids (with the `remembered` items
        of files that do not parse as they stand, mid-edit), or criterion ids."""
        fo = self.force_of(rel)
        if fo is None:
            return []
        if context == "evidence":
            items = {**(remembered or {}), **self.items(fo)}
            return [(it.id, KINDS[it.kind], it.text) for it in sorted(items.values(), key=lambda it: (it.place.rel, it.place.loc))]
        if context == "criterion":
            return [(c.id, f"{c.level} criterion", c.text) for c, _ in self.criteria(fo, rel)]
        return []


def items_of(doc: Document) -> dict[str, EvidenceItem]:
    """The evidence items with an id in one file's data as read (what completion offers from it)."""
    out: dict[str, EvidenceItem] = {}
    data = doc.data if isinstance(doc.data, dict) else {}
    for kind in KINDS:
        entries = data.get(kind)
        for i, it in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(it, dict) and isinstance(it.get("id"), str) and isinstance(it.get("text"), str):
                out.setdefault(it["id"], EvidenceItem(it["id"], kind, it["text"], Place(doc.rel, doc.loc((kind, i, "id")))))
    return out


def _is_citation(path: Path_) -> bool:
    return len(path) == 4 and path[0] in ("judgements", "factors") and path[2] == "evidence"


def _is_criterion(path: Path_) -> bool:
    return len(path) == 3 and path[0] == "judgements" and path[2] == "criterion"


def _is_item_id(path: Path_) -> bool:
    return len(path) == 3 and path[0] in KINDS and path[2] == "id"


def fix(d: Diagnostic) -> str | None:
    """What a diagnostic's "did you mean" proposes, or None."""
    found = _DID_YOU_MEAN.search(d.message) or _DID_YOU_MEAN.search(d.hint)
    return found.group(1) if found else None


def check(root: Path, overrides: Overrides) -> Checked:
    """Load and check the whole project, reading the open documents' text instead of their files."""
    from ..inputs.environment import parse_cache

    project, diags = load_checked(root, None, parse_cache(), overrides)
    return Checked(root, project, diags)
