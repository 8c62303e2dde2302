"""The schemas in the editor: the real YAML language server (the one VS Code's YAML extension runs), driven
over stdio, reading each file's modeline as an editor would. Of the five mistakes an inspector makes, it
catches the four a schema can see; the fifth (citing an evidence id that does not exist) is hmic lsp's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import REPO
from .lsp_client import LspClient, position_of

SERVER = REPO / ".ci" / "node" / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
MINI = REPO / "tests" / "fixtures" / "mini"
SETTINGS = {"yaml": {"validate": True, "hover": True, "completion": True, "schemaStore": {"enable": False}, "format": {"enable": False}}}


@pytest.fixture(scope="module")
def yamlls(tmp_path_factory: pytest.TempPathFactory):
    node = shutil.which("node")
    if not SERVER.exists() or node is None:
        if os.environ.get("HMIC_REQUIRE_YAMLLS"):
            pytest.fail(f"yaml-language-server is missing: npm ci --prefix .ci/node (looked for {SERVER})")
        pytest.skip("yaml-language-server is not installed (npm ci --prefix .ci/node); CI runs these tests")
    root = tmp_path_factory.mktemp("editor") / "project"
    shutil.copytree(MINI, root)
    client = LspClient([node, str(SERVER), "--stdio"], cwd=root, settings=SETTINGS)
    client.initialize(root)
    client.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})
    yield client, root
    client.close()


PLANTED = {
    "misspelt key": ("work_in_progress:", "work_in_progres:"),
    "wrong type": (
        "    judgement: partly met\n    evidence: [pc-complaints-review]",
        "    judgement: partly met\n    evidence: pc-complaints-review",
    ),
    "misspelt grade": ("grade: Good", "grade: Goood"),
    "unknown criterion": ("  - criterion: pc-g2\n", "  - criterion: pc-g9\n"),
    "mistyped evidence id": ("evidence: [pc-answer-times]", "evidence: [pc-answer-tims]"),
}
CAUGHT_BY_THE_SCHEMA = ["misspelt key", "wrong type", "misspelt grade", "unknown criterion"]


def _planted(root: Path) -> tuple[Path, str]:
    path = root / "evidence" / "testshire-2024" / "public-contact.yaml"
    text = (MINI / "evidence" / "testshire-2024" / "public-contact.yaml").read_text(encoding="utf-8")
    for old, new in PLANTED.values():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return path, text


def test_the_server_flags_each_mistake_a_schema_can_see(yamlls) -> None:
    client, root = yamlls
    path, text = _planted(root)
    u = client.open(path, text)
    diags = client.diagnostics(u, lambda ds: len(ds) > 0)
    lines = {d["range"]["start"]["line"] for d in diags}
    for name in CAUGHT_BY_THE_SCHEMA:
        new = PLANTED[name][1]
        line = position_of(text, new.strip().splitlines()[-1])["line"]
        assert line in lines, f"{name} (line {line + 1}) not flagged: {diags}"
    # What only hmic sees: a citation of an id no item has. The schema cannot know the file's ids.
    cited = position_of(text, "pc-answer-tims")["line"]
    assert cited not in lines
    assert len(diags) == len(CAUGHT_BY_THE_SCHEMA), diags


def test_the_unchanged_files_are_clean(yamlls) -> None:
    client, root = yamlls
    for rel in (
        "evidence/testshire-2024/vulnerable-people.yaml",
        "evidence/testshire-2024/force.yaml",
        "criteria/2024/areas/public-contact.yaml",
    ):
        u = client.open(root / rel)
        assert client.diagnostics(u) == [], rel


def _labels(result) -> list[str]:
    items = result["items"] if isinstance(result, dict) else result
    return [i["label"] for i in items]


def test_grades_and_criteria_are_completed_and_keys_described(yamlls) -> None:
    client, root = yamlls
    path = root / "evidence" / "testshire-2024" / "vulnerable-people.yaml"
    text = path.read_text(encoding="utf-8").replace("grade: Requires improvement", "grade: ").replace("criterion: vp-g3", "criterion: ")
    u = client.open(path, text)
    at = {"textDocument": {"uri": u}}
    grades = _labels(client.request("textDocument/completion", {**at, "position": position_of(text, "grade: ", len("grade: "))}))
    assert sorted(grades) == sorted(["Outstanding", "Good", "Requires improvement", "Inadequate"])
    place = position_of(text, "criterion: \n", len("criterion: "))
    criteria = _labels(client.request("textDocument/completion", {**at, "position": place}))
    assert sorted(criteria) == ["vp-g1", "vp-g2", "vp-g3", "vp-o1"]
    hover = client.request("textDocument/hover", {**at, "position": position_of(text, "strengths:", 2)})
    assert "The strengths found" in str(hover["contents"])


def test_a_misspelt_level_in_the_criteria_is_flagged(yamlls) -> None:
    client, root = yamlls
    path = root / "criteria" / "2024" / "areas" / "vulnerable-people.yaml"
    text = path.read_text(encoding="utf-8").replace("    level: Outstanding", "    level: Outstandin")
    u = client.open(path, text)
    diags = client.diagnostics(u, lambda ds: len(ds) > 0)
    assert [d["range"]["start"]["line"] for d in diags] == [position_of(text, "level: Outstandin")["line"]]
