"""`hmic build --draft`: every page of every format says it is a draft, with the build date and commit."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.report.draft import Draft, draft_mark
from hmic_compile.report.labels import DEFAULT_LABELS
from hmic_compile.report.render import css_string

from .conftest import REPO

runner = CliRunner()
EPOCH = "1700000000"  # 14 November 2023, 22:13:20 UTC
LABEL = "DRAFT — for factual accuracy check"


def _build(out: Path, *extra: str, root: Path = REPO, force: str = "norfolk-2007", epoch: str | None = EPOCH) -> tuple[int, str]:
    env = {"SOURCE_DATE_EPOCH": epoch} if epoch else {"SOURCE_DATE_EPOCH": ""}
    r = runner.invoke(app, ["build", force, "--root", str(root), "--out", str(out), *extra], env=env)
    return r.exit_code, r.output


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _mark(folder: Path, date: str = "14 November 2023") -> str:
    commit = _manifest(folder)["git_commit"]
    return f"{LABEL} · built {date} · commit {commit[:12] if commit else 'none'}"


def test_markdown_opens_with_the_draft_banner(tmp_path: Path) -> None:
    code, output = _build(tmp_path, "--draft", "--format", "md")
    assert code == 0, output
    folder = tmp_path / "norfolk-2007"
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert md.startswith(f"> **{_mark(folder)}**\n\n# ")


def test_html_carries_a_fixed_banner_a_watermark_and_a_mark_on_each_printed_page(tmp_path: Path) -> None:
    code, output = _build(tmp_path, "--draft", "--format", "html")
    assert code == 0, output
    folder = tmp_path / "norfolk-2007"
    html = (folder / "report.html").read_text(encoding="utf-8")
    mark = _mark(folder)
    banner = '<div class="draft-mark" role="region" aria-label="DRAFT — for factual accuracy check">'  # a landmark of its own
    assert re.search(r"<body>\n" + re.escape(banner + mark) + "</div>", html), "the banner opens the body"
    assert '<div class="draft-watermark" aria-hidden="true" data-watermark="DRAFT"></div>' in html
    assert ".draft-watermark::before { content: attr(data-watermark); }" in html
    style = html[html.index("<style>") : html.index("</style>")]
    assert re.search(r"\.draft-mark \{\s*position: fixed; top: 0;", style), "fixed to the top of the window"
    assert f'@top-center {{\n    content: "{mark}";' in style, "on every printed page"


def test_manifest_records_a_draft(tmp_path: Path) -> None:
    code, output = _build(tmp_path / "draft", "--draft")
    assert code == 0, output
    draft = _manifest(tmp_path / "draft" / "norfolk-2007")
    assert draft["draft"] is True
    assert draft["draft_date"] == "2023-11-14"
    code, output = _build(tmp_path / "final")
    assert code == 0, output
    final = _manifest(tmp_path / "final" / "norfolk-2007")
    assert final["draft"] is False and "draft_date" not in final


def test_the_published_report_carries_no_draft_mark(tmp_path: Path) -> None:
    code, output = _build(tmp_path)
    assert code == 0, output
    for name in ("report.md", "report.html"):
        text = (tmp_path / "norfolk-2007" / name).read_text(encoding="utf-8")
        assert "DRAFT" not in text and "draft-mark" not in text, name


def test_without_source_date_epoch_the_date_is_today(tmp_path: Path) -> None:
    before = dt.date.today()
    code, output = _build(tmp_path, "--draft", "--format", "md", epoch=None)
    after = dt.date.today()
    assert code == 0, output
    folder = tmp_path / "norfolk-2007"
    assert _manifest(folder)["draft_date"] in {before.isoformat(), after.isoformat()}
    first = (folder / "report.md").read_text(encoding="utf-8").splitlines()[0]
    assert any(f"built {d.day} {d:%B} {d.year} ·" in first for d in (before, after)), first


def test_outside_git_the_mark_says_so(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", root)
    code, output = _build(tmp_path / "out", "--draft", "--format", "md", root=root, force="testshire-2024")
    assert code == 0, output
    md = (tmp_path / "out" / "testshire-2024" / "report.md").read_text(encoding="utf-8")
    assert md.startswith(f"> **{LABEL} · built 14 November 2023 · commit none**\n")


def test_draft_mark_is_rendered_from_what_it_is_given() -> None:
    mark = draft_mark(Draft(dt.date(2001, 2, 3), "0123456789abcdef0123456789abcdef01234567"), DEFAULT_LABELS)
    assert mark.text == f"{LABEL} · built 3 February 2001 · commit 0123456789ab"
    assert draft_mark(Draft(dt.date(2001, 2, 3), None), {**DEFAULT_LABELS, "draft": "ENTWURF"}).text.startswith("ENTWURF · built")


def test_css_string_cannot_break_out_of_the_stylesheet() -> None:
    escaped = css_string('a "quoted" \\ </style><script>\n')
    assert not set('"<>&\n') & set(escaped.replace("\\", ""))
    assert escaped == r"a \000022quoted\000022 \00005c \00003c/style\00003e\00003cscript\00003e\00000a"


def test_a_house_style_that_hides_the_draft_mark_fails_the_draft_build(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md.j2").write_text("# {{ report.force.title }}\n", encoding="utf-8")
    code, output = _build(tmp_path / "out", "--draft", "--format", "md", "--templates", str(mine))
    assert code == 1
    assert "report.md.j2: error[E604]: the md output of a --draft build does not show the draft mark" in output
    assert not (tmp_path / "out" / "norfolk-2007").exists()
    code, output = _build(tmp_path / "out", "--format", "md", "--templates", str(mine))
    assert code == 0, output
