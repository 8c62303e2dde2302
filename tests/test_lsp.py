"""`hmic lsp` driven as an editor drives it: the real server spawned over stdio, spoken to in LSP."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO
from .lsp_client import LspClient, position_of, uri

MINI = REPO / "tests" / "fixtures" / "mini"
FORCE = Path("evidence") / "testshire-2024"
HMIC = [sys.executable, "-m", "hmic_compile", "lsp"]


@pytest.fixture
def lsp(project: Path) -> Iterator[LspClient]:
    client = LspClient(HMIC, cwd=project)
    caps = client.initialize(project)["capabilities"]
    assert caps["hoverProvider"] and caps["definitionProvider"] and caps["completionProvider"]
    assert caps["codeActionProvider"]["codeActionKinds"] == ["quickfix"]
    yield client
    client.close()


def _codes(diags: list[dict[str, Any]]) -> list[str]:
    return sorted(d["code"] for d in diags)


def _text_at(text: str, rng: dict[str, Any]) -> str:
    line = text.split("\n")[rng["start"]["line"]]
    return line[rng["start"]["character"] : rng["end"]["character"]]


def _apply(text: str, edit: dict[str, Any]) -> str:
    lines = text.split("\n")
    r = edit["range"]
    assert r["start"]["line"] == r["end"]["line"]
    line = lines[r["start"]["line"]]
    lines[r["start"]["line"]] = line[: r["start"]["character"]] + edit["newText"] + line[r["end"]["character"] :]
    return "\n".join(lines)


MISTAKES = {
    "mistyped evidence id": ("evidence: [pc-answer-times]", "evidence: [pc-answer-time]"),
    "misspelt grade": ("grade: Good", "grade: Goood"),
    "unknown criterion": ("  - criterion: pc-g2\n", "  - criterion: pc-g22\n"),
    "misspelt key": ("work_in_progress:", "work_in_progres:"),
    "wrong type": ("evidence: [pc-complaints-review]", "evidence: pc-complaints-review"),
}


def test_every_problem_is_published_as_typed_and_fixed_by_its_quick_fix(lsp: LspClient, project: Path) -> None:
    path = project / FORCE / "public-contact.yaml"
    on_disk = path.read_text(encoding="utf-8")
    text = on_disk
    for old, new in MISTAKES.values():
        text = text.replace(old, new)
    u = lsp.open(path, text)
    diags = lsp.diagnostics(u, lambda ds: len(ds) >= 5)
    by_code = {d["code"]: d for d in diags}
    assert {"E404", "E302", "E403", "E104", "E102"} <= set(by_code), diags
    assert _text_at(text, by_code["E102"]["range"]) == "pc-complaints-review"
    # Each range covers exactly what is wrong, and each has a quick fix that puts right what it says.
    assert [_text_at(text, by_code[c]["range"]) for c in ("E404", "E302", "E403", "E104")] == [
        "pc-answer-time",
        "Goood",
        "pc-g22",
        "work_in_progres",
    ]
    for code, meant in (("E404", "pc-answer-times"), ("E302", "Good"), ("E104", "work_in_progress")):
        (action,) = lsp.request(
            "textDocument/codeAction",
            {"textDocument": {"uri": u}, "range": by_code[code]["range"], "context": {"diagnostics": [by_code[code]]}},
        )
        assert action["kind"] == "quickfix" and action["title"] == f"Change to '{meant}'"
        (edit,) = action["edit"]["changes"][u]
        assert edit["newText"] == meant
        text = _apply(text, edit)
    # E403's hint has no single "did you mean" (pc-g22 is as close to pc-g2 as to others): no quick fix is invented.
    lsp.change(
        u,
        text.replace("criterion: pc-g22", "criterion: pc-g2").replace("evidence: pc-complaints-review", "evidence: [pc-complaints-review]"),
    )
    assert lsp.diagnostics(u, lambda ds: ds == []) == []
    assert path.read_text(encoding="utf-8") == on_disk  # the editor's text was checked, not the file


def test_a_change_in_one_file_shows_in_another(lsp: LspClient, project: Path) -> None:
    """The glossary loses an entry in the editor: the file that uses the abbreviation gets the problem."""
    vp = project / FORCE / "vulnerable-people.yaml"
    glossary = project / FORCE / "glossary.yaml"
    u_vp = lsp.open(vp)
    assert lsp.diagnostics(u_vp) == []
    text = glossary.read_text(encoding="utf-8")
    u_gl = lsp.open(glossary, text)
    lines = text.split("\n")
    mash = next(i for i, line in enumerate(lines) if "MASH" in line)
    edited = "\n".join(line for i, line in enumerate(lines) if i not in (mash, mash + 1))
    assert "MASH" not in edited, "the mini glossary's MASH entry spans two lines"
    lsp.change(u_gl, edited)
    (d,) = lsp.diagnostics(u_vp, lambda ds: len(ds) > 0)
    assert d["code"] == "E603" and "'MASH'" in d["message"] and d["severity"] == 1
    vp_text = vp.read_text(encoding="utf-8")
    assert _text_at(vp_text, d["range"]) == "MASH"
    # Closing the glossary without saving: the file on disk counts again, and the problem goes.
    lsp.notify("textDocument/didClose", {"textDocument": {"uri": u_gl}})
    assert lsp.diagnostics(u_vp, lambda ds: ds == []) == []


def test_many_quick_changes_end_in_the_diagnostics_of_the_last(lsp: LspClient, project: Path) -> None:
    path = project / FORCE / "public-contact.yaml"
    text = path.read_text(encoding="utf-8")
    u = lsp.open(path, text)
    lsp.diagnostics(u)
    for i in range(10):
        lsp.change(u, text.replace("grade: Good", f"grade: Good{i}"))
    final = lsp.diagnostics(u, lambda ds: any("'Good9'" in d["message"] for d in ds))
    assert _codes(final) == ["E302"]


def test_hover_shows_a_criterion_and_an_evidence_item(lsp: LspClient, project: Path) -> None:
    path = project / FORCE / "vulnerable-people.yaml"
    text = path.read_text(encoding="utf-8")
    u = lsp.open(path, text)
    at = {"textDocument": {"uri": u}}
    crit = lsp.request("textDocument/hover", {**at, "position": position_of(text, "criterion: vp-g1", len("criterion: v"))})
    assert crit["contents"]["kind"] == "markdown"
    assert crit["contents"]["value"] == (
        "**vp-g1** — Good criterion (significant, dominant)\n\nRisk to every domestic abuse victim is assessed at first contact."
    )
    assert _text_at(text, crit["range"]) == "vp-g1"
    item = lsp.request("textDocument/hover", {**at, "position": position_of(text, "[vp-referral-delays]", 3)})
    assert item["contents"]["value"] == (
        "**vp-referral-delays** — area for improvement, vulnerable-people.yaml\n\nReferrals to the MASH often take three days or more."
    )
    assert lsp.request("textDocument/hover", {**at, "position": position_of(text, "judgement: met", 2)}) is None


def test_definition_goes_from_a_cited_id_to_its_item(lsp: LspClient, project: Path) -> None:
    pc = project / FORCE / "public-contact.yaml"
    vp = project / FORCE / "vulnerable-people.yaml"
    # Cite, from public-contact.yaml, an item defined in vulnerable-people.yaml.
    text = pc.read_text(encoding="utf-8").replace("evidence: [pc-attendance-times]", "evidence: [pc-attendance-times, vp-risk-assessment]")
    u = lsp.open(pc, text)
    loc = lsp.request("textDocument/definition", {"textDocument": {"uri": u}, "position": position_of(text, "vp-risk-assessment]", 4)})
    assert loc["uri"] == uri(vp)
    vp_text = vp.read_text(encoding="utf-8")
    assert loc["range"]["start"] == position_of(vp_text, "id: vp-risk-assessment", len("id: "))
    assert _text_at(vp_text, loc["range"]) == "vp-risk-assessment"
    here = lsp.request("textDocument/definition", {"textDocument": {"uri": u}, "position": position_of(text, "[pc-answer-times]", 2)})
    assert here["uri"] == u and _text_at(text, here["range"]) == "pc-answer-times"


def _labels(result: dict[str, Any]) -> list[str]:
    return [i["label"] for i in result["items"]]


EVIDENCE_IDS = [
    "pc-answer-times",
    "pc-attendance-times",
    "pc-complaints-review",
    "vp-risk-assessment",
    "vp-missing-searches",
    "vp-referral-delays",
    "vp-no-evaluation",
]


def test_evidence_ids_complete_in_evidence_lists(lsp: LspClient, project: Path) -> None:
    path = project / FORCE / "public-contact.yaml"
    text = path.read_text(encoding="utf-8")
    flow = text.replace("evidence: [pc-answer-times]", "evidence: [pc-answer-times, pc-a")
    u = lsp.open(path, flow)
    result = lsp.request("textDocument/completion", {"textDocument": {"uri": u}, "position": position_of(flow, ", pc-a", len(", pc-a"))})
    assert _labels(result) == EVIDENCE_IDS
    first = result["items"][0]
    assert first["detail"] == "strength" and first["documentation"]["value"] == "Emergency calls are answered in six seconds on average."
    assert _text_at(flow, first["textEdit"]["range"]) == "pc-a"  # what was typed is replaced
    block = text.replace("    evidence: [pc-complaints-review]", "    evidence:\n      - pc-complaints-review\n      - ")
    lsp.change(u, block)
    at = position_of(block, "      - \n", len("      - "))
    assert _labels(lsp.request("textDocument/completion", {"textDocument": {"uri": u}, "position": at})) == EVIDENCE_IDS
    crit = text.replace("  - criterion: pc-o1", "  - criterion: ")
    lsp.change(u, crit)
    at = position_of(crit, "criterion: \n", len("criterion: "))
    assert _labels(lsp.request("textDocument/completion", {"textDocument": {"uri": u}, "position": at})) == ["pc-g1", "pc-g2", "pc-o1"]
    at = position_of(crit, "grade: Good", len("grade: Go"))
    assert _labels(lsp.request("textDocument/completion", {"textDocument": {"uri": u}, "position": at})) == []


def test_a_file_that_cannot_be_parsed_is_reported_and_the_server_carries_on(lsp: LspClient, project: Path) -> None:
    path = project / FORCE / "public-contact.yaml"
    text = path.read_text(encoding="utf-8")
    u = lsp.open(path, text + "judgements: [\n")
    (d,) = lsp.diagnostics(u, lambda ds: len(ds) > 0)
    assert d["code"] in ("E002", "E004")
    assert lsp.request("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": 1, "character": 2}}) is None
    lsp.change(u, text)
    assert lsp.diagnostics(u, lambda ds: ds == []) == []


def test_a_file_outside_any_project_is_left_alone(lsp: LspClient, tmp_path: Path) -> None:
    stray = tmp_path / "stray.yaml"
    stray.write_text("a: [\n", encoding="utf-8")
    u = lsp.open(stray)
    assert lsp.request("textDocument/hover", {"textDocument": {"uri": u}, "position": {"line": 0, "character": 0}}) is None
    assert lsp.request("textDocument/completion", {"textDocument": {"uri": u}, "position": {"line": 0, "character": 4}})["items"] == []


# --- the editors' setup (docs/editor.md) ----------------------------------------------------


def test_the_vscode_extension_starts_hmic_lsp_for_the_project_files() -> None:
    import json
    import os
    import subprocess

    folder = REPO / "editors" / "vscode"
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    assert manifest["main"] == "./extension.js" and "onLanguage:yaml" in manifest["activationEvents"]
    assert "vscode-languageclient" in manifest["dependencies"]
    assert manifest["contributes"]["configuration"]["properties"]["hmic.command"]["default"] == "hmic"
    source = (folder / "extension.js").read_text(encoding="utf-8")
    assert 'args: ["lsp"]' in source and "{criteria,evidence}" in source
    node = shutil.which("node")
    if node is None:
        if os.environ.get("HMIC_REQUIRE_YAMLLS"):
            pytest.fail("node is missing")
        pytest.skip("node is not installed")
    subprocess.run([node, "--check", str(folder / "extension.js")], check=True, timeout=60)


def test_the_neovim_setup_starts_hmic_lsp_at_the_project_root() -> None:
    text = (REPO / "docs" / "editor.md").read_text(encoding="utf-8")
    lua = text.split("```lua\n", 1)[1].split("```", 1)[0]
    assert 'cmd = { "hmic", "lsp" }' in lua and 'vim.fs.root(args.buf, { "criteria", "evidence" })' in lua
