"""`hmic new framework`: a new framework folder under criteria/, started from an existing one, its comments kept."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from msgspec import Struct, field

from ..checks.framework import check_framework
from ..diagnostics import Diagnostics
from ..inputs.files import create_exclusive, inside, within
from ..inputs.project import FrameworkBundle, load_framework
from .scaffold import FRAMEWORK_RE, ScaffoldError, choose_framework
from .schema import MODELINE_PREFIX, dump, kind_of, modeline_to, read_text, with_modeline
from .schema import write as write_schemas
from .schema_framework import framework_schemas, schema_in
from .yaml_text import comment, scalar

COPIED = ("framework.yaml", "introduction.yaml")  # and areas/*.yaml; national-results.yaml is the other year's data


class FrameworkScaffold(Struct):
    key: str
    source: str
    year: int
    files: dict[str, str]  # relative path in the new folder -> content
    notes: list[str] = field(default_factory=list)
    schemas: dict[Path, str] = field(default_factory=dict)  # the framework's own, schemas/<key>/ (a project with schemas/)


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
    files = {rel: _source_text(folder, rel, source) for rel in [*COPIED, *(f"areas/{ad.id}.yaml" for ad in fb.framework.areas)]}
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
    # The new framework as `hmic schema` will load it: the source's, under its own name, year and title.
    own = FrameworkBundle(name, fb.framework.model_copy(update={"year": year, "title": title}), fb.introduction_file, fb.areas, None)
    files, schemas = _with_schemas(root, own, files)
    if schemas:
        notes.append(f"schemas/{name}/: the framework's own schemas for editors, and each file's first line points at its own")
    return FrameworkScaffold(name, source, year, files, notes, schemas)


def _source_text(folder: Path, rel: str, source: str) -> str:
    text = read_text(folder / rel)
    if text is None:
        raise ScaffoldError(f"criteria/{source}/{rel} is not a regular UTF-8 file hmic can read; nothing was written")
    return text


def _with_schemas(root: Path, fb: FrameworkBundle, files: dict[str, str]) -> tuple[dict[str, str], dict[Path, str]]:
    """The files with their first lines pointing at `fb`'s own schemas, and those schemas, as `hmic schema
    --annotate` would write them; in a project without schemas/, the files without the source's modelines."""
    schemas = root / "schemas"
    if not schemas.is_dir():
        return {rel: _without_modeline(text) for rel, text in files.items()}, {}
    if within(schemas, root) and not inside(schemas, root):
        raise ScaffoldError(
            "schemas/ is a symbolic link leading outside the project; nothing was written",
            "replace the link with the folder itself",
            usage=True,
        )
    own = schemas / fb.key
    if own.exists() or own.is_symlink():
        raise ScaffoldError(f"schemas/{fb.key} already exists; nothing was written", "remove it first, or choose another name")
    target = root / "criteria" / fb.key
    out = {}
    for rel, text in files.items():
        kind = kind_of(f"criteria/{fb.key}/{rel}")
        assert kind is not None  # framework.yaml, introduction.yaml and areas/*.yaml
        out[rel] = with_modeline(text, modeline_to(target / rel, schemas / schema_in(fb, kind, Path(rel).stem)))
    return out, {own / name: dump(s) for name, s in framework_schemas(fb).items()}


def _without_modeline(text: str) -> str:
    return text.split("\n", 1)[1] if text.startswith(MODELINE_PREFIX) and "\n" in text else text


def _modeline_split(text: str) -> tuple[str, str]:
    if text.startswith(MODELINE_PREFIX):
        head, _, rest = text.partition("\n")
        return head + "\n", rest
    return "", text


def write_framework(root: Path, sc: FrameworkScaffold) -> Path:
    """Write the folder whole or not at all, then the framework's schemas.

    The files go into a fresh folder created exclusively in criteria/ (an unpredictable name), each file
    created exclusively, and the folder is then renamed into place: nothing is written through a symbolic
    link, and an interrupted run leaves nothing behind. A criteria/ that leads out of the project is refused."""
    crit = root / "criteria"
    target = crit / sc.key
    if not inside(crit, root):
        raise ScaffoldError(
            "criteria/ is a symbolic link leading outside the project; nothing was written",
            "replace the link with the folder itself",
            usage=True,
        )
    stage: Path | None = None
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{sc.key}.", suffix=".tmp", dir=crit))
        for rel, text in sc.files.items():
            path = stage / rel
            path.parent.mkdir(exist_ok=True)
            create_exclusive(path, text.encode("utf-8"))
        for folder in {stage, *(p.parent for p in stage.rglob("*"))}:
            os.chmod(folder, 0o755)
        if target.exists() or target.is_symlink():
            raise ScaffoldError(f"criteria/{sc.key} already exists; nothing was written")
        os.rename(stage, target)
        stage = None
    except OSError as e:
        raise ScaffoldError(f"cannot write criteria/{sc.key}: {e.strerror or e}") from None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    try:
        write_schemas(sc.schemas)
    except OSError as e:
        raise ScaffoldError(f"criteria/{sc.key} was written, but not its schemas: {e.strerror or e}", "run: hmic schema") from None
    return target
