"""`hmic new framework`: a new framework folder under criteria/, started from an existing one, its comments kept."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..checks.framework import check_framework
from ..diagnostics import Diagnostics
from ..inputs.project import load_framework
from .scaffold import FRAMEWORK_RE, ScaffoldError, choose_framework
from .yaml_text import comment, scalar

COPIED = ("framework.yaml", "introduction.yaml")  # and areas/*.yaml; national-results.yaml is the other year's data


@dataclass
class FrameworkScaffold:
    key: str
    source: str
    year: int
    files: dict[str, str]  # relative path in the new folder -> content
    notes: list[str] = field(default_factory=list)


def _year_of(name: str) -> int | None:
    m = re.search(r"(?:^|-)(\d{4})$", name)
    return int(m.group(1)) if m else None


def set_top_level(text: str, key: str, value: str) -> str:
    """`text` with its top-level `key:` (and any block value under it) replaced by `key: value`, comments kept."""
    out = text.splitlines(keepends=True)
    for i, line in enumerate(out):
        if line.startswith(f"{key}:"):
            j = i + 1
            while j < len(out) and (out[j].startswith((" ", "\t")) or not out[j].strip()) and not _next_is_top(out, j):
                j += 1
            out[i:j] = [f"{key}: {value}\n"]
            return "".join(out)
    raise ScaffoldError(f"the framework has no top-level '{key}:' line to change")


def _next_is_top(lines: list[str], j: int) -> bool:
    """Whether a blank line at j is followed by the next top-level key or comment (so it belongs between them)."""
    if lines[j].strip():
        return False
    k = j
    while k < len(lines) and not lines[k].strip():
        k += 1
    return k >= len(lines) or not lines[k].startswith((" ", "\t"))


def plan_framework(root: Path, name: str, source: str, year: int | None = None, title: str | None = None) -> FrameworkScaffold:
    """criteria/<name>/ as a copy of criteria/<source>/ with its own year and title; raises ScaffoldError when it cannot be."""
    if not FRAMEWORK_RE.match(name):
        raise ScaffoldError(
            f"'{name}' is not a framework name hmic can use as a folder",
            "use lower-case letters, digits, hyphens and dots, e.g. peel-2016",
            usage=True,
        )
    year = year if year is not None else _year_of(name)
    if year is None:
        raise ScaffoldError(
            f"'{name}' does not end with a year", f"give the framework's year: hmic new framework {name} --year YEAR ...", usage=True
        )
    target = root / "criteria" / name
    if target.exists() or target.is_symlink():
        raise ScaffoldError(f"criteria/{name} already exists; nothing was written", "choose another name, or remove the folder first")
    source = choose_framework(root, source, None)
    diags = Diagnostics()
    fb = load_framework(root / "criteria" / source, root, diags)
    if fb is not None and not diags.errors:
        check_framework(fb, diags)
    if fb is None or diags.errors:
        raise ScaffoldError(f"the {source} framework has problems; fix them first (hmic validate)", diagnostics=diags.sorted())
    folder = root / "criteria" / source
    files = {f: (folder / f).read_text(encoding="utf-8") for f in COPIED}
    for ad in fb.framework.areas:
        rel = f"areas/{ad.id}.yaml"
        files[rel] = (folder / rel).read_text(encoding="utf-8")
    title = title or " ".join(w.capitalize() for w in re.split(r"[-_.]", name) if w)
    text = set_top_level(set_top_level(files["framework.yaml"], "year", str(year)), "title", scalar(title))
    lead = comment(
        f"Started from criteria/{source}/ by `hmic new framework`: make it this framework's own. Check the title, "
        "publisher, number_of_forces, the grade scale (best first), levels, factors, grading rules, labels (the "
        "report's headings), groups and areas; then each area's criteria in areas/, and the introduction."
    )
    first, rest = _modeline_split(text)
    files["framework.yaml"] = first + "\n".join(lead) + "\n" + rest
    notes = [f"criteria/{name}/framework.yaml: year {year}, title '{title}'; everything else is {source}'s until you change it"]
    if fb.national is not None:
        notes.append(
            f"criteria/{source}/national-results.yaml was not copied (it is {source}'s data): add criteria/{name}/"
            "national-results.yaml with this framework's published totals or per-force grades (docs/format.md)"
        )
    if fb.framework.labels.running_title or fb.framework.publisher:
        notes.append(f"the labels and publisher are {source}'s words, printed in every report: reword them for this framework")
    return FrameworkScaffold(name, source, year, files, notes)


def _modeline_split(text: str) -> tuple[str, str]:
    if text.startswith("# yaml-language-server:"):
        head, _, rest = text.partition("\n")
        return head + "\n", rest
    return "", text


def write_framework(root: Path, sc: FrameworkScaffold) -> Path:
    """Write the folder whole or not at all: into a temporary folder beside it, then renamed into place."""
    crit = root / "criteria"
    target = crit / sc.key
    tmp = Path(tempfile.mkdtemp(prefix=f".{sc.key}-", dir=crit))
    try:
        for rel, text in sc.files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8", newline="\n") as f:
                f.write(text)
        os.rename(tmp, target)  # fails, leaving nothing, if the folder appeared meanwhile
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if target.exists():
            raise ScaffoldError(f"criteria/{sc.key} already exists; nothing was written") from None
        raise ScaffoldError(f"cannot write criteria/{sc.key}: {e.strerror or e}") from None
    return target
