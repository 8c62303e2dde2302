"""`hmic build --numbered`: every paragraph and list item of the findings has its number, area.section.n, and the
same number stands before the same words in report.md, report.html, report.pdf and report.docx."""

from __future__ import annotations

import io
import json
import re
from functools import cache
from pathlib import Path

import docx
from typer.testing import CliRunner

from hmic_compile.checks.project import load_checked
from hmic_compile.cli import app
from hmic_compile.report.build import BuildOptions, build_force
from hmic_compile.report.numbering import parts
from hmic_compile.report.render import make_environment
from hmic_compile.report.view import build_report

from .conftest import REPO
from .test_coverage import html_text
from .test_frameworks import _require_weasyprint, pdf_text

NUMBER = r"\d+\.\d+\.\d+"


@cache
def _files(numbered: bool = True, formats: tuple[str, ...] = ("md", "html", "docx")) -> dict[str, bytes]:
    project, _ = load_checked(REPO, ["norfolk-2007"])
    return build_force(project, project.forces["norfolk-2007"], make_environment(None, REPO), BuildOptions(formats, numbered=numbered))


def _words(text: str, n: int = 6) -> str:
    return " ".join(re.sub(r"[*\\]", "", text).split()[:n])


def md_numbers(md: str) -> list[tuple[str, str]]:
    return [(m.group(1), _words(m.group(2))) for m in re.finditer(rf"\*\*({NUMBER})\*\* (.*)", md)]


def html_numbers(html: str) -> list[tuple[str, str]]:
    found = re.finditer(rf'<span class="para-number">({NUMBER})</span> (.*)', html)
    return [(m.group(1), _words(html_text(m.group(2)))) for m in found]


def docx_numbers(data: bytes) -> list[tuple[str, str]]:
    out = []
    for p in docx.Document(io.BytesIO(data)).iter_inner_content():
        paragraphs = [p] if hasattr(p, "runs") else [q for row in p.rows for c in row.cells for q in c.paragraphs]
        for q in paragraphs:
            runs = q.runs
            for k, r in enumerate(runs):
                if r.style.name == "Paragraph Number":
                    out.append((r.text, _words("".join(x.text for x in runs[k + 1 :]))))
    return out


def test_the_same_numbers_before_the_same_words_in_md_html_and_docx() -> None:
    files = _files()
    md = md_numbers(files["report.md"].decode())
    assert len(md) > 300
    assert html_numbers(files["report.html"].decode()) == md
    assert docx_numbers(files["report.docx"]) == md
    manifest = json.loads(files["manifest.json"])
    closing = len(build_report(*_norfolk(), numbered=True).recommendations)
    assert manifest["numbered"] == {"scheme": "area.section.n", "paragraphs": len(md) - closing}


def _norfolk():  # type: ignore[no-untyped-def]
    project, _ = load_checked(REPO, ["norfolk-2007"])
    return project, project.forces["norfolk-2007"]


def test_the_pdf_shows_the_same_numbers(tmp_path: Path) -> None:
    _require_weasyprint()
    text = pdf_text(_files(formats=("md", "pdf"))["report.pdf"], tmp_path)
    shown = re.findall(rf"(?<![\d.])({NUMBER})(?![\d.])", text)
    assert shown == [n for n, _ in md_numbers(_files()["report.md"].decode())]


def test_numbers_are_area_section_n_in_the_findings_only() -> None:
    report = build_report(*_norfolk(), numbered=True)
    for a, area in enumerate(report.areas, start=1):
        for s, prose in enumerate(parts(area), start=1):
            assert [p.number for p in prose] == [f"{a}.{s}.{n}" for n in range(1, len(prose) + 1)]
    md = _files()["report.md"].decode()
    before, findings = md.split("\n## Findings\n", 1)
    assert not re.search(rf"\*\*{NUMBER}\*\*", before), "the introduction and the force overview are not numbered"
    area = findings.split("\n## Neighbourhood Policing\n", 1)[1].split("\n## ", 1)[0]
    assert "**1.1.1** The national Neighbourhood Policing programme" in area
    assert re.search(r"\n- \*\*1\.4\.1\*\* ", area), "the first strength is the 4th part: after national and contextual factors"
    closing = md.split("\n## Recommendation\n", 1)[1]
    in_area = md.split("\n### RECOMMENDATION\n", 1)[1].split("\n## ", 1)[0]
    assert re.findall(rf"\*\*({NUMBER})\*\*", closing) == re.findall(rf"\*\*({NUMBER})\*\*", in_area) == ["5.6.1"], "the same number"


def test_a_published_build_has_no_numbers() -> None:
    files = _files(numbered=False)
    assert "para-number" not in files["report.html"].decode().split("</style>", 1)[1]
    assert not md_numbers(files["report.md"].decode())
    assert not docx_numbers(files["report.docx"])
    assert "numbered" not in json.loads(files["manifest.json"])


def test_build_numbered_from_the_command_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["build", "testshire-2024", "--root", str(REPO / "tests" / "fixtures" / "mini"), "--out", str(tmp_path), "--numbered"]
    )
    assert result.exit_code == 0, result.output
    md = (tmp_path / "testshire-2024" / "report.md").read_text(encoding="utf-8")
    assert md_numbers(md) and md_numbers(md)[0][0] == "1.1.1"
