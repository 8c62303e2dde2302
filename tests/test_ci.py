"""CI formats and recipes: SARIF against the official schema, the job summary, the composite action and the
pull-request comment of docs/ci.md, run as GitHub would run them (in a repository that is not hmic's)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.tools import ci

from .conftest import REPO

runner = CliRunner()
MINI = REPO / "tests" / "fixtures" / "mini"
SARIF_SCHEMA = json.loads((REPO / "tests" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))  # OASIS, errata 01
FORCE = "evidence/testshire-2024"
HOSTILE = "| <script>alert(1)</script> [x](https://example.org) ![i](j) *b* `c` \\| &amp;"


def _consumer(tmp_path: Path, sub: str = "inspections") -> Path:
    """A repository that is not hmic's, holding a project in a subfolder, with problems in it."""
    repo = tmp_path / "repo"
    root = repo / sub if sub else repo
    shutil.copytree(MINI, root)
    (repo / ".git").mkdir()  # enough for hmic to find the repository's top folder
    pc = root / FORCE / "public-contact.yaml"
    pc.write_text(pc.read_text(encoding="utf-8").replace("[pc-answer-times]", "[pc-answer-time]"), encoding="utf-8")
    fo = root / FORCE / "force.yaml"
    fo.write_text(fo.read_text(encoding="utf-8").replace("month: March", f"month: March\nseason: '{HOSTILE}'"), encoding="utf-8")
    return root


def _validate(root: Path, *args: str, env: dict[str, str] | None = None):
    r = runner.invoke(app, ["validate", "--root", str(root), *args], env=env)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


# --- SARIF --------------------------------------------------------------------------------


def test_sarif_is_valid_sarif_2_1_0_with_a_rule_per_code(tmp_path: Path) -> None:
    root = _consumer(tmp_path)
    r = _validate(root, "--format", "sarif")
    assert r.exit_code == 1 and r.stderr == ""
    log = json.loads(r.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [x["id"] for x in rules] == ["E104", "E404"]
    docs = ci.codes_from_docs((REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8"))
    for rule in rules:
        assert rule["fullDescription"]["text"] == docs[rule["id"]].replace("`", "")
        assert docs[rule["id"]] in rule["help"]["markdown"]
    by_rule = {res["ruleId"]: res for res in run["results"]}
    e404 = by_rule["E404"]
    assert rules[e404["ruleIndex"]]["id"] == "E404" and e404["level"] == "error"
    loc = e404["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": f"inspections/{FORCE}/public-contact.yaml", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 16, "startColumn": 16}
    assert "did you mean 'pc-answer-times'?" in e404["message"]["text"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert _validate(root, "--format", "sarif").stdout == r.stdout  # deterministic


def test_sarif_of_a_clean_project_at_the_top_of_its_repository(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(MINI, root)
    (root / ".git").mkdir()
    r = _validate(root, "--format", "sarif")
    assert r.exit_code == 0
    log = json.loads(r.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_a_location_with_unusual_characters_is_a_valid_uri() -> None:
    from hmic_compile.diagnostics import Diagnostic, Loc

    log = json.loads(ci.sarif([Diagnostic(Loc("evidence/a b#c%d/x.yaml", 2, 3), "E404", "m"), Diagnostic(Loc("criteria/"), "E201", "m")]))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    uris = [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in log["runs"][0]["results"]]
    assert uris == ["evidence/a%20b%23c%25d/x.yaml", "criteria/"]


def test_github_annotations_name_files_by_their_path_in_the_repository(tmp_path: Path) -> None:
    r = _validate(_consumer(tmp_path), "--format", "github")
    assert r.exit_code == 1 and r.stderr == ""
    assert r.stdout.startswith(f"::error file=inspections/{FORCE}/force.yaml,line=")
    assert f"::error file=inspections/{FORCE}/public-contact.yaml,line=16,col=16,title=E404::" in r.stdout


def test_build_annotations_are_validate_s_on_stdout_and_people_s_lines_on_stderr(tmp_path: Path) -> None:
    root = _consumer(tmp_path)
    validate = _validate(root, "--format", "github")
    r = runner.invoke(app, ["build", "--root", str(root), "--out", str(tmp_path / "out"), "--diagnostics", "github"])
    assert r.exit_code == 1
    assert r.stdout == validate.stdout  # the same annotations, with the same paths in the repository
    assert r.stderr.splitlines() == [
        "testshire-2024: not built; previous output left unchanged",
        "built 0 of 1 force; not built: testshire-2024",
    ]


def test_the_codes_beside_the_sarif_writer_are_those_of_docs_diagnostics_md(golden) -> None:
    docs = ci.codes_from_docs((REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8"))
    golden.check(REPO / "src" / "hmic_compile" / "tools" / ci.CODES_FILE, json.dumps(docs, indent=2, ensure_ascii=False) + "\n")


# --- the job summary ----------------------------------------------------------------------


def _cells(markdown: str) -> list[list[str]]:
    """The table's rows as a GFM renderer shows them: each cell's text, HTML entities decoded."""
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<script" not in rendered and "<a " not in rendered and "<img" not in rendered and "<em>" not in rendered, rendered
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, re.S)
    return [[html.unescape(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)] for row in rows]


def test_the_step_summary_lists_every_problem_escaped(tmp_path: Path) -> None:
    root = _consumer(tmp_path)
    out = tmp_path / "summary.md"
    out.write_text("earlier step\n", encoding="utf-8")
    r = _validate(root, env={"GITHUB_STEP_SUMMARY": str(out)})
    assert r.exit_code == 1
    text = out.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### hmic validate: 2 errors, 0 warnings\n")
    rows = _cells(text.split("\n", 1)[1])
    assert rows[0] == ["", "file", "line", "code", "problem"]
    problems = r.stderr.splitlines()[:-2]  # the summary line and what was checked aside
    assert len(rows) - 1 == len(problems) == 2
    for row, line in zip(rows[1:], problems, strict=True):
        severity, path, place, code, problem = row
        assert line == f"{path.removeprefix('inspections/')}:{place}: {severity}[{code}]: {problem}"
    assert "unknown key 'season'" in rows[1][4]


def test_a_hostile_message_stays_one_cell_of_plain_text() -> None:
    from hmic_compile.diagnostics import Diagnostic, Loc

    message = f"value '{HOSTILE}'\nsecond line"
    table = ci.step_summary([Diagnostic(Loc("a|b.yaml", 1, 2), "E106", message, hint="www.example.org <b>")], "hmic validate")
    (header, row) = _cells(table)
    assert len(header) == len(row) == 5
    assert row[1] == "a|b.yaml" and row[4] == " ".join(message.split()) + "; www.example.org <b>"


def test_what_a_terminal_or_a_page_acts_on_is_escaped_in_the_summary_and_in_sarif(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control and format characters and the lone surrogates of a name that is not UTF-8, as main's escaping
    rules have them for every line hmic prints: escaped in the table's cells and SARIF's messages,
    percent-encoded (the name's own bytes) in SARIF's locations; the summary file is still written."""
    from hmic_compile.console import append_step_summary
    from hmic_compile.diagnostics import Diagnostic, Loc

    path = "evidence/x\udcff\x1b-2024/force.yaml"
    d = Diagnostic(Loc(path, 1, 2), "E104", "unknown key 'a\x1b[2Jb\u202ec'", hint="##[error]x")
    out = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(out))
    append_step_summary([d], "hmic validate")
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\u202e" not in text and r"\x1b" in text and r"\udcff" in text
    (_, row) = _cells(text.split("\n", 1)[1])
    assert row[1] == "evidence/x\\udcff\\x1b-2024/force.yaml"
    assert row[4] == "unknown key 'a\\x1b[2Jb\\u202ec'; ##[error]x"
    log_text = ci.sarif([d])
    log_text.encode("utf-8")  # I-JSON: no lone surrogate
    assert "##[" not in log_text
    (result,) = json.loads(log_text)["runs"][0]["results"]
    assert result["message"]["text"] == "unknown key 'a\\x1b[2Jb\\u202ec'; ##[error]x"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "evidence/x%FF%1B-2024/force.yaml"


def test_no_problems_is_said_and_an_unwritable_summary_only_warns(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(MINI, root)
    out = tmp_path / "summary.md"
    assert _validate(root, env={"GITHUB_STEP_SUMMARY": str(out)}).exit_code == 0
    assert out.read_text(encoding="utf-8") == "### hmic validate: 0 errors, 0 warnings\n\nNo problems.\n\n"
    r = _validate(root, env={"GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "summary.md")})
    assert r.exit_code == 0 and "warning: cannot append to $GITHUB_STEP_SUMMARY" in r.stderr


# --- the composite action -----------------------------------------------------------------

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def test_the_action_is_a_composite_with_its_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"path", "args", "python-version", "sarif"}
    assert ACTION["inputs"]["path"]["default"] == "." and ACTION["inputs"]["sarif"]["default"] == "false"
    steps = ACTION["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@") and steps[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    install = next(s for s in steps if s.get("name") == "Install hmic")
    assert '"$GITHUB_ACTION_PATH"' in install["run"] and "pip install" in install["run"]  # hmic from the action's own folder
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["if"] == "inputs.sarif == 'true'"
    assert steps[-1]["name"] == "hmic validate" and "--format github" in steps[-1]["run"]
    for s in steps:
        if "run" in s:
            assert s["shell"] == "bash"
            assert "${{" not in s["run"], "inputs reach scripts through env, never pasted into them"


def _expand(value: str, inputs: dict[str, str], temp: Path) -> str:
    def one(m: re.Match[str]) -> str:
        expr = m.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr.removeprefix("inputs.")]
        assert expr == "runner.temp", expr
        return str(temp)

    return re.sub(r"\$\{\{(.*?)\}\}", one, value)


def _run_action(repo: Path, tmp_path: Path, **given: str) -> tuple[int, str, Path, Path]:
    """The action's shell steps, as the runner runs them: hmic already installed (the install step is pip's)."""
    inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | given
    temp = tmp_path / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary = tmp_path / "step-summary.md"
    bin_dir = str(Path(sys.executable).parent)
    code, out = 0, ""
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or step.get("name") == "Install hmic":
            continue
        if "if" in step and not (step["if"] == "inputs.sarif == 'true'" and inputs["sarif"] == "true"):
            continue
        env = {k: _expand(str(v), inputs, temp) for k, v in step.get("env", {}).items()}
        cwd = repo / _expand(step.get("working-directory", "."), inputs, temp)
        base = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        base |= {"PATH": bin_dir + os.pathsep + os.environ["PATH"], "RUNNER_TEMP": str(temp), "GITHUB_STEP_SUMMARY": str(summary)}
        p = subprocess.run(
            ["bash", "-e", "-c", step["run"]], cwd=cwd, env=base | env, capture_output=True, text=True, timeout=120, check=False
        )
        code, out = p.returncode, out + p.stdout + p.stderr
        if code:
            break
    return code, out, summary, temp / "hmic.sarif"


def test_the_action_validates_a_project_in_a_subfolder_of_another_repository(tmp_path: Path) -> None:
    root = _consumer(tmp_path)
    code, out, summary, sarif = _run_action(root.parent, tmp_path, path="inspections", args="--strict testshire-2024", sarif="true")
    assert code == 1
    assert f"::error file=inspections/{FORCE}/public-contact.yaml,line=16,col=16,title=E404::" in out
    # One table in the job's summary, though hmic ran twice; the SARIF log is valid and names files in the repository.
    assert summary.read_text(encoding="utf-8").count("### hmic validate") == 1
    log = json.loads(sarif.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]} == {
        f"inspections/{FORCE}/public-contact.yaml",
        f"inspections/{FORCE}/force.yaml",
    }


def test_the_action_passes_a_clean_project_and_refuses_a_bad_argument(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(MINI, repo)
    code, out, summary, _ = _run_action(repo, tmp_path)
    assert code == 0, out
    assert "No problems." in summary.read_text(encoding="utf-8")
    code, out, _, _ = _run_action(repo, tmp_path, args="--no-such-option", sarif="true")
    assert code == 2, out  # a usage error stops the action at the SARIF step, not silently


# --- the pull-request comment -------------------------------------------------------------


def _comment_script() -> str:
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "name: Comment" in b)
    job = yaml.safe_load(block)["diff"]
    return next(s for s in job["steps"] if s.get("name") == "Comment")["run"]


FAKE_GH = r"""#!/usr/bin/env python3
# Stands in for the GitHub CLI: comments kept in a JSON file; every call logged.
import json, os, sys
state = os.environ["FAKE_GH_STATE"]
comments = json.load(open(state)) if os.path.exists(state) else []
args = sys.argv[1:]
open(state + ".log", "a").write(" ".join(args) + "\n")
assert args[0] == "api"
method = args[args.index("--method") + 1] if "--method" in args else "GET"
body = None
if "-F" in args:
    field = args[args.index("-F") + 1]
    assert field.startswith("body=@")
    body = open(field[len("body=@"):]).read()
if method == "GET":
    jq = args[args.index("--jq") + 1]
    marker = jq.split('startswith("')[1].split('")')[0]
    for c in comments:
        if c["body"].startswith(marker):
            print(c["id"])
elif method == "POST":
    comments.append({"id": 100 + len(comments), "body": body})
elif method == "PATCH":
    cid = int(next(a for a in args if a.startswith("repos/")).rsplit("/", 1)[1])
    next(c for c in comments if c["id"] == cid)["body"] = body
json.dump(comments, open(state, "w"))
"""


def test_the_comment_recipe_keeps_one_comment_up_to_date(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH, encoding="utf-8")
    gh.chmod(0o755)
    state = tmp_path / "comments.json"
    state.write_text(json.dumps([{"id": 7, "body": "an unrelated comment"}]), encoding="utf-8")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_GH_STATE": str(state)}
    env |= {"GITHUB_REPOSITORY": "someone/inspections", "PR": "12", "GH_TOKEN": "x"}
    script = _comment_script()

    def push(diff: str) -> list[dict]:
        (tmp_path / "diff.md").write_text(diff, encoding="utf-8")
        subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, check=True, timeout=60)
        return json.loads(state.read_text(encoding="utf-8"))

    assert push("") == [{"id": 7, "body": "an unrelated comment"}]  # nothing to say: no comment
    first = push("## Testshire\n\nGrade changed.\n")
    assert len(first) == 2 and first[1]["body"] == "<!-- hmic diff -->\n\n## Testshire\n\nGrade changed.\n"
    second = push("## Testshire\n\nGrade changed back.\n")
    assert len(second) == 2 and second[1]["body"].endswith("Grade changed back.\n")  # the same comment, updated
    third = push("")
    assert len(third) == 2 and "No change to the evidence any more." in third[1]["body"]
    log = (tmp_path / "comments.json.log").read_text(encoding="utf-8")
    assert log.count("--method POST") == 1 and log.count("--method PATCH") == 2
    assert "repos/someone/inspections/issues/12/comments" in log and "repos/someone/inspections/issues/comments/101" in log


def test_the_workflow_recipe_uses_the_action_not_a_local_install() -> None:
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith("name: hmic"))
    steps = yaml.safe_load(block)["jobs"]["report"]["steps"]
    assert any(s.get("uses", "").startswith("your-org/hmic@") for s in steps)
    assert not any(s.get("run", "").startswith("pip install .") for s in steps)
