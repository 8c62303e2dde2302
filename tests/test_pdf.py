"""report.pdf as the Inspectorate publishes it, checked from the text a reader's PDF tool extracts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.inputs.project import load_project
from hmic_compile.report import pdf
from hmic_compile.report.render import make_environment, render
from hmic_compile.report.view import Report, build_report

from .conftest import REPO
from .test_coverage import _coverage, source  # noqa: F401  (source is a fixture)

EPOCH = "1700000000"  # 14 November 2023, 22:13:20 UTC
MM = 72 / 25.4
HEAD, FOOT = 24 * MM, 22 * MM  # the page margins of templates/report.pdf.css, where the running header and page number sit


def _require_weasyprint() -> None:
    why = pdf.unavailable()
    if why is None:
        return
    if os.environ.get("HMIC_REQUIRE_PDF") == "1":
        pytest.fail(f"PDF output is required here (HMIC_REQUIRE_PDF=1), but: {why}; {pdf.INSTALL_HINT}")
    pytest.skip(f"{why}; {pdf.INSTALL_HINT}")


@dataclass(frozen=True)
class Page:
    head: str  # the top margin: running header, draft mark
    body: str  # the page area, without figures' own text (the chart's labels)
    foot: str  # the bottom margin: page number


def read_pages(path: Path) -> list[Page]:
    """Each page's text, split by where it sits on the page."""
    pages = []
    for page in PdfReader(path).pages:
        height = float(page.mediabox.height)
        zones: dict[str, list[str]] = {"head": [], "body": [], "foot": [], "figure": []}
        zone = ["body"]

        def visit(
            text: str,
            cm: list[float],
            tm: list[float],
            font: object,
            size: float,
            height: float = height,
            zones: dict[str, list[str]] = zones,
            zone: list[str] = zone,
        ) -> None:
            if text.strip():
                if list(cm) == [1, 0, 0, 1, 0, 0]:
                    zone[0] = "figure"  # drawn in a form XObject (an inline SVG), whose placement pypdf does not apply
                else:
                    y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                    zone[0] = "head" if y > height - HEAD else "foot" if y < FOOT else "body"
            zones[zone[0]].append(text)  # line breaks go with the text before them

        page.extract_text(visitor_text=visit)
        pages.append(Page(*("".join(zones[z]).strip() for z in ("head", "body", "foot"))))
    return pages


def reading_text(pages: list[Page]) -> str:
    """The pages' body text as one stream, with the marks of the layout undone."""
    text = "\n".join(p.body for p in pages).replace("\u00ad", "")  # soft hyphens
    text = re.sub(r"(?m)^\s*(\d+\.|•)\s*$", "", text)  # list markers, which the PDF draws after the page's text
    return re.sub(r"(?<=\w)([-/])\n(?=\w)", r"\1", text)  # a line broken after a hyphen or slash is one word


def _build(out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(
        app, ["build", "norfolk-2007", "--root", str(REPO), "--out", str(out), "--format", "pdf", *extra], env={"SOURCE_DATE_EPOCH": EPOCH}
    )
    assert result.exit_code == 0, result.output
    return out / "norfolk-2007"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_weasyprint()
    return _build(tmp_path_factory.mktemp("pdf"))


@pytest.fixture(scope="module")
def pages(built: Path) -> list[Page]:
    return read_pages(built / "report.pdf")


@pytest.fixture(scope="module")
def report() -> Report:
    project, diags = load_project(REPO, ["norfolk-2007"])
    assert not diags.errors
    return build_report(project, project.forces["norfolk-2007"])


def test_pdf_carries_every_word(source: str, pages: list[Page]) -> None:  # noqa: F811
    _coverage(source, reading_text(pages), "report.pdf")


def test_running_header_and_page_number_on_every_page_after_the_title_page(pages: list[Page], report: Report) -> None:
    assert len(pages) > 30
    assert pages[0].head == "" and pages[0].foot == "", "the title page carries no running header or page number"
    assert report.force.title in " ".join(pages[0].body.split())
    for n, page in enumerate(pages[1:], start=2):
        assert f"{report.force.name} – HMIC Inspection Report" in page.head, f"page {n}: running header missing: {page.head!r}"
        assert "October 2007" in page.head, f"page {n}: month and year missing from the header: {page.head!r}"
        assert page.foot == str(n), f"page {n}: page number {page.foot!r}"


def _contents(pages: list[Page]) -> dict[str, int]:
    first = next(p for p in pages if p.body.startswith("Contents"))
    entries = re.findall(r"^(\S.*?)\s*(?:\.\s*){3,}(\d+)$", first.body, re.M)
    return {title: int(n) for title, n in entries}


def test_contents_page_numbers_are_where_each_part_starts(built: Path, pages: list[Page], report: Report) -> None:
    contents = _contents(pages)
    reader = PdfReader(built / "report.pdf")
    dests = reader.named_destinations
    entries = [e for top in report.contents for e in (top, *top.children)]
    assert [e.title for e in entries] == list(contents), "the contents lists every part, in order"
    for e in entries:
        assert reader.get_destination_page_number(dests[e.anchor]) + 1 == contents[e.title], f"{e.title}: wrong page number"
    for top in report.contents:
        body = pages[contents[top.title] - 1].body
        assert body.startswith(top.title), f"{top.title} should open page {contents[top.title]}, which begins {body[:80]!r}"
    for area in report.areas:
        assert area.title in contents, f"{area.title} is not in the contents"


def test_tables_are_not_split_across_pages(pages: list[Page], report: Report) -> None:
    summary = next(p.body for p in pages if "National summary of judgements\n" in p.body and "Force summary of judgements\n" in p.body)
    for row in report.summary:
        counts = " ".join(str(c.count) for c in row.area.distribution.cells)
        assert f"{row.area.name} {counts}" in summary
    for area in report.areas:
        if area.distribution:
            page = next(p.body for p in pages if p.body.startswith(area.title))
            assert "Forces " in page and "Per cent of forces " in page, f"{area.title}: distribution table split"


def test_glossary_comes_last(pages: list[Page], report: Report) -> None:
    contents = _contents(pages)
    glossary = contents[report.labels["glossary"]]
    assert glossary == max(contents.values())
    last_term, last_meaning = report.glossary[-1][1][-1]
    assert f"{last_term} {last_meaning}" in " ".join(pages[-1].body.split())


def test_metadata_language_and_tags(built: Path, report: Report) -> None:
    reader = PdfReader(built / "report.pdf")
    meta = reader.metadata
    assert meta is not None
    assert meta.title == report.force.title
    assert meta.author == report.force.publisher
    assert meta.subject is not None and "Norfolk Constabulary, October 2007" in meta.subject
    assert meta["/CreationDate"] == "D:20231114221320Z", "dated from SOURCE_DATE_EPOCH, not the clock"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"]), "a tagged PDF"
    assert "/StructTreeRoot" in root


def test_draft_mark_on_every_page(tmp_path: Path) -> None:
    _require_weasyprint()
    folder = _build(tmp_path, "--draft")
    commit = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["git_commit"]
    mark = f"DRAFT — for factual accuracy check · built 14 November 2023 · commit {commit[:12] if commit else 'none'}"
    pages = read_pages(folder / "report.pdf")
    for n, page in enumerate(pages, start=1):
        assert mark in " ".join(page.head.split()), f"page {n} has no draft mark: {page.head!r}"


def test_same_inputs_give_a_byte_identical_pdf(built: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "TZ")}
    env.update({"SOURCE_DATE_EPOCH": EPOCH, "PYTHONHASHSEED": "4242", "TZ": "Pacific/Auckland"})
    subprocess.run(
        [sys.executable, "-m", "hmic_compile", "build", "norfolk-2007", "--root", str(REPO), "--out", str(tmp_path), "--format", "pdf"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (tmp_path / "norfolk-2007" / "report.pdf").read_bytes() == (built / "report.pdf").read_bytes()


# --- without WeasyPrint ---------------------------------------------------------------------


@pytest.mark.parametrize("error", [ImportError("No module named 'weasyprint'"), OSError("cannot load library 'libpango-1.0-0'")])
def test_missing_weasyprint_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def broken() -> None:
        raise error

    monkeypatch.setattr(pdf, "_weasyprint", broken)
    result = CliRunner().invoke(app, ["build", "norfolk-2007", "--root", str(REPO), "--out", str(tmp_path), "--format", "md,pdf"])
    assert result.exit_code == 2
    assert str(error) in result.output
    assert "pip install 'hmic-compile[pdf]'" in result.output
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "norfolk-2007").exists()


def test_weasyprint_loads_only_for_a_pdf(tmp_path: Path) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from hmic_compile.cli import app; "
        f"r = CliRunner().invoke(app, ['build', 'norfolk-2007', '--root', {str(REPO)!r}, '--out', {str(tmp_path)!r}]); "
        "assert r.exit_code == 0, r.output; print('weasyprint' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"
    assert sorted(p.name for p in (tmp_path / "norfolk-2007").iterdir()) == ["manifest.json", "report.html", "report.md"]


def test_the_pdf_is_the_html_template_with_the_paged_stylesheet(tmp_path: Path, report: Report) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.pdf.css").write_text("@page { size: letter; } /* house style */\n", encoding="utf-8")
    html = render(report, make_environment(None, REPO), "html")
    for_pdf = render(report, make_environment(None, REPO), "pdf")
    house = render(report, make_environment(mine, REPO), "pdf")
    assert "string-set" not in html and "@top-left" not in html, "the HTML report carries no paged-media rules"
    assert "target-counter(attr(href), page)" in for_pdf and 'class="running-strings"' in for_pdf
    assert "/* house style */" in house and "target-counter" not in house, "a house style's report.pdf.css replaces the default"
    assert html.split("<main", 1)[1].split("<svg", 1)[0] == for_pdf.split("<main", 1)[1].split("<svg", 1)[0], "one layout for both"
