"""Build pipeline for one force: view model -> rendered formats -> manifest, all in memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from . import __version__
from .load import ForceBundle, Project
from .render import TEMPLATE_NAMES, build_report, render
from .write import manifest, sha256

OUTPUT_NAMES = {"md": "report.md", "html": "report.html"}


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] = ("md", "html")
    git_commit: str | None = None
    source_date_epoch: int | None = None


def template_files(env: jinja2.Environment) -> list[tuple[str, str]]:
    """Every template file that can be loaded, with its hash, as (path, sha256)."""
    out: dict[str, str] = {}
    loader = env.loader
    assert isinstance(loader, jinja2.ChoiceLoader)
    fs = loader.loaders[0]
    assert isinstance(fs, jinja2.FileSystemLoader)
    for folder in fs.searchpath:
        for p in sorted(Path(folder).rglob("*")):
            if p.is_file():
                name = p.relative_to(folder).as_posix()
                out.setdefault(name, sha256(p.read_bytes()))
    return sorted(out.items())


def build_force(project: Project, fo: ForceBundle, env: jinja2.Environment, options: BuildOptions) -> dict[str, bytes]:
    """All output files of one force's report, rendered in memory; raises HmicError on a template problem."""
    report = build_report(project, fo)
    files = {OUTPUT_NAMES[fmt]: render(report, env, fmt).encode("utf-8") for fmt in options.formats if fmt in TEMPLATE_NAMES}
    fb = project.framework_for(fo)
    inputs = [(d.rel, d.sha256) for d in [*fb.docs.values(), *fo.docs.values()]]
    files["manifest.json"] = manifest(
        version=__version__, force=fo.key, inputs=inputs, templates=template_files(env), outputs=files,
        git_commit=options.git_commit, source_date_epoch=options.source_date_epoch,
    )
    return files
