"""`hmic diff`: two evidence folders compared by meaning, as text and as a pull-request comment; REV:path through git."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from hmic_compile.cli import app
from hmic_compile.inputs.loader import parse
from hmic_compile.tools import diff as d

from .conftest import REPO

runner = CliRunner()
MINI = REPO / "tests" / "fixtures" / "mini"
FORCE = "evidence/testshire-2024"


def _copy(dest: Path) -> Path:
    shutil.copytree(MINI, dest)
    return dest


def _edit(root: Path, name: str, *pairs: tuple[str, str]) -> None:
    p = root / FORCE / name
    text = p.read_text(encoding="utf-8")
    for a, b in pairs:
        assert a in text, a
        text = text.replace(a, b)
    p.write_text(text, encoding="utf-8")


EDITS = (
    ("grade: Good", "grade: Outstanding\ngrade_rationale: A national leader in call handling."),
    ("Emergency calls are answered in six seconds on average.", "Emergency calls are answered in five seconds on average."),
    (
        "  - criterion: pc-o1\n    judgement: partly met\n    evidence: [pc-complaints-review]",
        "  - criterion: pc-o1\n    judgement: met\n    evidence: [pc-complaints-review, pc-answer-times]",
    ),
    (
        "work_in_progress:\n  - id: pc-complaints-review\n    text: A review of call-handling complaints has begun.\n",
        "work_in_progress:\n  - A pilot of video calls has started.\n",
    ),
    ("strengths:\n", "strengths:\n  - id: pc-complaints-review\n    text: A review of call-handling complaints has begun.\n"),
    ("  - id: pc-attendance-times\n    text: Callers are given an attendance time and told if it changes.\n", ""),
    (
        "  - criterion: pc-g2\n    judgement: met\n    evidence: [pc-attendance-times]",
        "  - criterion: pc-g2\n    judgement: met\n    evidence: [pc-answer-times]",
    ),
)


def _sides(tmp_path: Path) -> tuple[Path, Path]:
    old, new = _copy(tmp_path / "old"), _copy(tmp_path / "new")
    _edit(new, "public-contact.yaml", *EDITS)
    _edit(
        new,
        "vulnerable-people.yaml",
        ("Referrals to the MASH often take three days or more.", "Referrals to the MASH often take two days or more."),
    )
    return old, new


def _snap(root: Path) -> d.Snapshot:
    return d.load_snapshot(root, root / FORCE, str(root.name))


def test_a_change_in_meaning_is_found(tmp_path: Path) -> None:
    old, new = _sides(tmp_path)
    result = d.compare(_snap(old), _snap(new))
    assert result.changed
    pc = next(a for a in result.areas if a.id == "public-contact")
    assert pc.awarded == ("Good", "Outstanding")
    assert pc.derived == ("Good", "Outstanding")
    assert pc.rationale == (None, "A national leader in call handling.")
    assert [(j.criterion, j.old, j.new, j.added, j.removed) for j in pc.judgements] == [
        ("pc-g2", "met", "met", ("pc-answer-times",), ("pc-attendance-times",)),
        ("pc-o1", "partly met", "met", ("pc-answer-times",), ()),
    ]
    changes = {(c.change, (c.old or c.new).id if (c.old or c.new) else None) for c in pc.items}  # type: ignore[union-attr]
    assert changes == {
        ("reworded", "pc-answer-times"),
        ("removed", "pc-attendance-times"),
        ("moved", "pc-complaints-review"),
        ("added", None),
    }
    vp = next(a for a in result.areas if a.id == "vulnerable-people")
    assert vp.awarded == ("Requires improvement", "Requires improvement") and not vp.judgements
    assert [c.change for c in vp.items] == ["reworded"]
    overview = next(a for a in result.areas if a.id == "force-overview")
    assert not overview.changed and not overview.graded


def test_formatting_comments_and_key_order_make_no_difference(tmp_path: Path) -> None:
    old, new = _copy(tmp_path / "old"), _copy(tmp_path / "new")
    for p in (new / FORCE).glob("*.yaml"):
        data = parse(p.read_text(encoding="utf-8"), p.name).data
        p.write_text(yaml.safe_dump(data, sort_keys=True, default_flow_style=True, width=60), encoding="utf-8")
    result = d.compare(_snap(old), _snap(new))
    assert not result.changed
    r = runner.invoke(app, ["diff", str(old / FORCE), str(new / FORCE)])
    assert r.exit_code == 0, r.output
    assert r.stdout.endswith("no differences in grades, judgements or evidence\n")


def _e(kind: str, id: str | None, text: str) -> d.Entry:
    return d.Entry(kind, id, text)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ([_e("strengths", "a", "Calls are answered fast.")], [_e("strengths", "a", "Calls are answered quickly.")], ["reworded"]),
        (
            [_e("strengths", None, "Calls are answered within six seconds on average.")],
            [_e("strengths", None, "Calls are answered within five seconds on average.")],
            ["reworded"],
        ),
        (
            [_e("strengths", None, "Calls are answered fast.")],
            [_e("strengths", None, "The estate is old and costly.")],
            ["removed", "added"],
        ),
        ([_e("work_in_progress", "a", "A review has begun.")], [_e("strengths", "a", "A review has begun.")], ["moved"]),
        ([_e("strengths", "a", "Same words.")], [_e("strengths", "b", "Same words.")], ["renamed"]),
        ([_e("strengths", None, "Same words.")], [_e("strengths", "b", "Same words.")], []),  # an id given to cite it is no change
        ([_e("strengths", "a", "One."), _e("strengths", "b", "Two.")], [_e("strengths", "b", "Two."), _e("strengths", "a", "One.")], []),
        ([_e("recommendations", "r", "The force should act.")], [], ["removed"]),
    ],
)
def test_items_are_matched_by_id_then_by_text(old: list[d.Entry], new: list[d.Entry], expected: list[str]) -> None:
    assert sorted(c.change for c in d.match_items(old, new)) == sorted(expected)


def test_text_output(tmp_path: Path) -> None:
    old, new = _sides(tmp_path)
    r = runner.invoke(app, ["diff", str(old / FORCE), str(new / FORCE)])
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "  Public contact     Good → Outstanding    Good → Outstanding\n" in out
    assert "  ~ pc-o1: partly met → met (evidence +pc-answer-times)\n" in out
    assert "  ~ reworded strengths pc-answer-times: Emergency calls are answered in [-six-] {+five+} seconds on average.\n" in out
    assert (
        "  ~ moved strengths pc-complaints-review (moved from work in progress): A review of call-handling complaints has begun.\n"
    ) in out
    assert "  - strengths pc-attendance-times: Callers are given an attendance time and told if it changes.\n" in out
    assert "  + work in progress: A pilot of video calls has started.\n" in out
    assert "  ~ grade rationale: {+A national leader in call handling.+}\n" in out
    assert "\x1b[" not in out


def test_markdown_output_for_a_pull_request_comment(tmp_path: Path) -> None:
    old, new = _sides(tmp_path)
    _edit(
        new,
        "vulnerable-people.yaml",
        (
            "Searches for missing children start within the hour.",
            "Searches start <img src=x onerror=alert(1)> within [the hour](javascript:alert(1)) | `x` *y*.",
        ),
    )
    r = runner.invoke(app, ["diff", str(old / FORCE), str(new / FORCE), "--format", "markdown"])
    assert r.exit_code == 0, r.output
    md = r.stdout
    assert md.startswith(f"### hmic diff: `{old / FORCE}` → `{new / FORCE}`\n")
    assert "| Public contact | Good → **Outstanding** | Good → **Outstanding** |\n" in md
    assert "<details>\n<summary><b>Public contact</b>: 2 judgements changed," in md
    assert "- **reworded** strengths pc-answer-times: Emergency calls are answered in ~~six~~ **five** seconds on average.\n" in md
    # Evidence text cannot become markup, HTML or a link in the comment.
    assert not re.search(r"(?<!\\)<img", md) and not re.search(r"(?<!\\)\]\(javascript", md)
    rendered = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(md)  # raw HTML on, as GitHub has it
    assert "<img" not in rendered and "href=" not in rendered
    assert "<table>" in rendered and "<s>six</s>" in rendered
    assert r"\<img src=x onerror=alert\(1\)\>" in md and r"\[the hour\]\(javascript\:alert\(1\)\) \| \`x\` \*y\*." in md


def test_identical_markdown(tmp_path: Path) -> None:
    root = _copy(tmp_path / "p")
    r = runner.invoke(app, ["diff", "testshire-2024", "testshire-2024", "--root", str(root), "--format", "markdown"])
    assert r.exit_code == 0, r.output
    assert r.stdout == "### hmic diff: `testshire-2024` → `testshire-2024`\n\nNo differences in grades, judgements or evidence.\n"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nowhere", "testshire-2024"], 2, "error: 'nowhere' is neither an evidence folder"),
        (["criteria", "testshire-2024"], 2, "is not a force's evidence folder (no force.yaml)"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    root = _copy(tmp_path / "p")
    r = runner.invoke(app, ["diff", *[str(root / a) if a == "criteria" else a for a in args], "--root", str(root)])
    assert r.exit_code == code, r.output
    assert message in r.output


def test_a_broken_side_is_reported(tmp_path: Path) -> None:
    old, new = _copy(tmp_path / "old"), _copy(tmp_path / "new")
    _edit(new, "public-contact.yaml", ("strengths:", "strenghts:"))
    r = runner.invoke(app, ["diff", str(old / FORCE), str(new / FORCE)])
    assert r.exit_code == 1
    assert "evidence/testshire-2024/public-contact.yaml:" in r.output and "unknown key 'strenghts'" in r.output
    assert "cannot be read" in r.output


@pytest.mark.parametrize("how", ["in error", "unreadable", "linked out"])
def test_a_framework_read_only_in_part_stops_the_diff(tmp_path: Path, how: str) -> None:
    """Grades are derived from every area's criteria: a framework that loads only in part (its files' valid
    parts, an area file that cannot be read, areas/ refused as a link out: E205) is said, never diffed with '-'."""
    old, new = _copy(tmp_path / "old"), _copy(tmp_path / "new")
    _edit(new, "public-contact.yaml", ("grade: Good", "grade: Outstanding\ngrade_rationale: Better than it was."))
    areas = new / "criteria" / "2024" / "areas"
    if how == "in error":
        text = (areas / "public-contact.yaml").read_text(encoding="utf-8")
        (areas / "public-contact.yaml").write_text(text.replace("criteria:", "critera:", 1), encoding="utf-8")
    elif how == "unreadable":
        (areas / "public-contact.yaml").write_text("criteria: [\n", encoding="utf-8")
    else:
        shutil.move(areas, tmp_path / "elsewhere")
        areas.symlink_to(tmp_path / "elsewhere")
    r = runner.invoke(app, ["diff", str(old / FORCE), str(new / FORCE)])
    assert r.exit_code == 1, r.output
    assert f"error: {new / FORCE} cannot be read" in r.output
    assert {"in error": "error[E104]", "unreadable": "error[E002]", "linked out": "error[E205]"}[how] in r.output
    assert "Outstanding" not in r.output


# --- git revisions ----------------------------------------------------------------------

git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=hmic", "-c", "user.email=hmic@example.org", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@git
def test_a_git_revision_against_the_working_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = _copy(repo / "reports")  # the project is a sub-folder of the repository
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")
    _edit(root, "public-contact.yaml", *EDITS)
    _git(repo, "commit", "-qam", "second")
    _edit(root, "vulnerable-people.yaml", ("grade: Requires improvement", "grade: Inadequate"))
    r = runner.invoke(app, ["diff", f"HEAD~1:{FORCE}", "HEAD:testshire-2024", "--root", str(root)])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(f"HEAD~1:{FORCE} → HEAD:{FORCE}\n")
    assert "Good → Outstanding" in r.stdout and "Inadequate" not in r.stdout
    for working in (FORCE, str(root / FORCE), "testshire-2024"):  # relative to --root, absolute, a force
        r = runner.invoke(app, ["diff", f"HEAD:{FORCE}", working, "--root", str(root)])
        assert r.exit_code == 0, r.output
        assert "Requires improvement → Inadequate" in r.stdout and "Good → Outstanding" not in r.stdout


@git
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no-such-rev:evidence/testshire-2024", "error: unknown git revision 'no-such-rev'"),
        ("HEAD:evidence/elsewhere-2024", "error: 'evidence/elsewhere-2024' does not exist at HEAD"),
    ],
)
def test_git_errors_are_usage_errors(tmp_path: Path, spec: str, message: str) -> None:
    root = _copy(tmp_path / "repo")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "first")
    r = runner.invoke(app, ["diff", spec, "testshire-2024", "--root", str(root)])
    assert r.exit_code == 2, r.output
    assert message in r.output


def test_rev_path_outside_a_repository(tmp_path: Path) -> None:
    root = _copy(tmp_path / "p")
    r = runner.invoke(app, ["diff", "HEAD:evidence/testshire-2024", "testshire-2024", "--root", str(root)])
    assert r.exit_code == 2
    assert "is not in a git repository" in r.output
