"""Every check, for one force and for a whole project."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, Diagnostics, Loc
from ..inputs.project import ForceBundle, FrameworkBundle, Overrides, Project, force_folders, load_frameworks, load_project
from .force import check_force
from .framework import check_framework
from .glossary import PrintedWords, check_glossary, framework_words
from .limits import check_markup
from .national import check_force_national
from .printed import printed

if TYPE_CHECKING:
    from ..inputs.cache import Facts, ParseCache


def check_force_fully(
    fo: ForceBundle, fb: FrameworkBundle, diags: Diagnostics, shared: PrintedWords | None = None, kept: Facts | None = None
) -> None:
    """Every check that concerns one force (its framework already checked). `kept`: what the checks of a file's
    printed text found in earlier runs (checks/printed.py), by its SHA-256."""
    check_force(fo, fb, diags)
    texts = {id(doc): printed(doc, kept) for doc in fo.docs.values()}  # each file's, worked out once
    for doc in fo.docs.values():
        check_markup(doc, diags, texts[id(doc)])
    if "national" in fb.broken and fo.force_file is not None:
        diags.warning(
            fo.docs["force"].loc(()),
            "W804",
            f"grades of {fo.key} not checked against the national results: criteria/{fb.key}/national-results.yaml has errors",
            "fix that file, and the grades are checked",
        )
    else:
        check_force_national(fo, fb, diags)
    incomplete = bool(fb.broken.keys() - {"national"})  # some printed text of the framework is missing or in error
    check_glossary(fo, framework_words(fb) if shared is None else shared, diags, incomplete, lambda doc: texts.get(id(doc)) or printed(doc))


def check_round_folders(frameworks: dict[str, FrameworkBundle], forces: list[str], diags: Diagnostics) -> None:
    """A framework's round is built in OUT/<framework>/ and a force's report in OUT/<force>/: no name may be both (E900)."""
    for key in sorted(set(frameworks) & set(forces)):
        doc = frameworks[key].docs.get("framework")
        diags.error(
            doc.loc(()) if doc else Loc(f"criteria/{key}/framework.yaml"),
            "E900",
            f"the framework folder criteria/{key}/ has the name of the force folder evidence/{key}/: "
            f"the round and the force's report would both be built in {key}/",
            "rename the framework's folder, e.g. to the inspection's name and year",
        )


def check_project(project: Project, diags: Diagnostics) -> None:
    shared: dict[str, PrintedWords] = {}
    for fb in project.frameworks.values():
        check_framework(fb, diags)
    check_round_folders(project.frameworks, list(project.forces), diags)
    for fo in project.forces.values():
        fb = project.framework_for(fo)
        if fb.key not in shared:
            shared[fb.key] = framework_words(fb)
        check_force_fully(fo, fb, diags, shared[fb.key])


def frameworks_first(
    root: Path, forces: list[str] | None, cache: ParseCache | None = None
) -> tuple[dict[str, FrameworkBundle], list[Path], Diagnostics]:
    """The frameworks, loaded and checked once, and the force folders to work on (forces come after)."""
    found = Diagnostics()
    frameworks = load_frameworks(root, found, cache)
    for fb in frameworks.values():
        check_framework(fb, found)
    folders = force_folders(root, forces, found)
    check_round_folders(frameworks, [f.name for f in folders], found)
    return frameworks, folders, found


def load_checked(
    root: Path, forces: list[str] | None, cache: ParseCache | None = None, overrides: Overrides | None = None
) -> tuple[Project, list[Diagnostic]]:
    """The whole project (or the forces named) loaded and checked in one process, with every problem found;
    `overrides` (an editor's unsaved text) are read instead of the files they name."""
    project, diags = load_project(root, forces or None, cache, overrides)
    # Cross-checks run on whatever did load, so every problem is reported at once.
    check_project(project, diags)
    return project, diags.sorted()
