"""Issue 18's targets for bench/run.py: the rows they time, the live-preview and scale measurements, the verdicts.

Self-contained so that run.py only adds `issue18_commands(...)` to its interleaved rows and calls
`serve_latency`, `scale` and `print_targets` after them. Each target is a ratio of two medians timed in
the same run (interleaved rounds, so a burst of other work falls on both alike), or a latency in ms.

  F1       a one-option typer app (bench/f1.py): what any typer command costs before doing anything
  pandoc   `pandoc -s -f gfm -t html5` on the report.md hmic writes for norfolk-2007
  weasy    WeasyPrint alone (same PDF variant) on hmic's print HTML of norfolk-2007
"""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
FORCE = "norfolk-2007"
F1 = BENCH / "f1.py"

# Writes hmic's print HTML (the HTML WeasyPrint lays out for `--format pdf`) of one force to argv[3].
PRINT_HTML = r"""
import sys
from pathlib import Path
from hmic_compile.checks.project import check_project
from hmic_compile.diagnostics import Diagnostics
from hmic_compile.inputs.project import load_project
from hmic_compile.report.render import make_environment, render
from hmic_compile.report.view import build_report
root, key, dest = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
project, diags = load_project(root, [key])
check_project(project, diags)
html = render(build_report(project, project.forces[key]), make_environment(None, root), "pdf")
dest.write_text(html, encoding="utf-8")
"""
WEASY = (
    "import sys, weasyprint\n"
    "from hmic_compile.report.pdf import PDF_VARIANT\n"
    "f = weasyprint.URLFetcher(allowed_protocols=('data',))\n"
    "weasyprint.HTML(string=open(sys.argv[1], encoding='utf-8').read(), url_fetcher=f).write_pdf(sys.argv[2], pdf_variant=PDF_VARIANT)\n"
)


def pdf_available(py: str) -> bool:
    probe = "from hmic_compile.report.pdf import unavailable; import sys; sys.exit(1 if unavailable() else 0)"
    return subprocess.run([py, "-c", probe], capture_output=True).returncode == 0


def issue18_commands(py: str, tmp: Path, fresh_out: Callable[[], str], runs: int, warm: dict[str, str]) -> list[tuple]:
    """Rows for run.py's interleaved measurement, on the repository's own norfolk-2007 (run from REPO).

    The no-op build writes into one folder, built by its warm-up run, so every timed run finds its
    outputs up to date. Pandoc's input is the report.md hmic writes (built here once)."""
    hmic = [py, "-m", "hmic_compile"]
    once = tmp / "reference"
    subprocess.run([*hmic, "build", FORCE, "--out", str(once)], cwd=REPO, check=True, capture_output=True)
    report_md = once / FORCE / "report.md"
    noop = str(tmp / "noop")
    # The same commands on a copy of the project whose evidence is saved anew before each run (one more
    # blank line each time): nothing can be told from the last run, so every file is checked in full (only
    # the edited one parsed again), and a build renders and writes the report and round again.
    edited = tmp / "edited-project"
    shutil.copytree(REPO / "criteria", edited / "criteria")
    shutil.copytree(REPO / "evidence" / FORCE, edited / "evidence" / FORCE)
    saved = edited / "evidence" / FORCE / "glossary.yaml"
    edited_out = str(tmp / "edited-noop")
    subprocess.run([*hmic, "build", FORCE, "--root", str(edited), "--out", edited_out], cwd=REPO, check=True, capture_output=True)

    def after_an_edit(*argv: str) -> list[str]:
        with saved.open("a", encoding="utf-8") as f:
            f.write("\n")
        return [*hmic, *argv, "--root", str(edited)]

    rows: list[tuple] = [
        ("F1 (one-option typer app)", lambda: [py, str(F1), "--name", "x"], runs, None, 0, {}),
        (f"hmic validate {FORCE}", lambda: [*hmic, "validate", FORCE], runs, None, 1, warm),
        (f"hmic build {FORCE} (empty folder)", lambda: [*hmic, "build", FORCE, "--out", fresh_out()], runs, None, 1, warm),
        (f"hmic build {FORCE} (no-op)", lambda: [*hmic, "build", FORCE, "--out", noop], runs, None, 1, warm),
        (f"hmic validate {FORCE}, after an edit", lambda: after_an_edit("validate", FORCE), runs, None, 1, warm),
        (f"hmic build {FORCE}, after an edit", lambda: after_an_edit("build", FORCE, "--out", edited_out), runs, None, 1, warm),
    ]
    if shutil.which("pandoc"):
        rows.append(
            (
                "pandoc -s -f gfm -t html5",
                lambda: ["pandoc", "-s", "-f", "gfm", "-t", "html5", str(report_md), "-o", str(tmp / "pandoc.html")],
                runs,
                None,
                1,
                {},
            )
        )
    if pdf_available(py):
        print_html = tmp / "print.html"
        subprocess.run([py, "-c", PRINT_HTML, str(REPO), FORCE, str(print_html)], cwd=REPO, check=True)
        pdf_runs = max(1, (runs + 1) // 2)
        rows.append(
            ("WeasyPrint alone, print HTML", lambda: [py, "-c", WEASY, str(print_html), str(tmp / "weasy.pdf")], pdf_runs, None, 1, {})
        )
        rows.append(
            (
                f"hmic build {FORCE} --format pdf",
                lambda: [*hmic, "build", FORCE, "--format", "pdf", "--out", fresh_out()],
                pdf_runs,
                None,
                1,
                warm,
            )
        )
    return rows


# --- the live preview: save -> the served report has the change -----------------------------------------


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@dataclass
class Serve:
    latencies_ms: list[float]
    pushes: bool  # the page is told of a change by the server (SSE or long-poll), not by its own timer


def serve_latency(py: str, tmp: Path, edits: int = 15) -> Serve | None:
    """Start `hmic serve norfolk-2007` on a copy of the project, then save a one-word change to an evidence
    file `edits` times; each time, the ms until GET report.html holds the new word (polled every 2 ms).
    None when the server could not be started."""
    project = tmp / "serve-project"
    shutil.copytree(REPO / "criteria", project / "criteria")
    shutil.copytree(REPO / "evidence" / FORCE, project / "evidence" / FORCE)
    edited = project / "evidence" / FORCE / "domestic-violence.yaml"
    original = edited.read_text(encoding="utf-8")
    assert " gathered;" not in original and "information is gathered," in original
    argv = [py, "-m", "hmic_compile", "serve", FORCE, "--root", str(project), "--port", "0"]
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        assert proc.stderr is not None
        for line in proc.stderr:
            m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            return None
        path = f"/{FORCE}/report.html"
        deadline = time.monotonic() + 60
        while _get(port, path)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        wrapper = _get(port, f"/{FORCE}/")[1] + _get(port, "/_hmic/live.js")[1]
        pushes = b"EventSource" in wrapper
        out: list[float] = []
        for i in range(edits):
            word = "gathered" + "".join("abcdefghij"[int(c)] for c in f"{i:03d}")
            time.sleep(0.6)  # the previous rebuild has settled; the edits are a person's saves, not a burst
            start = time.perf_counter()
            edited.write_text(original.replace("information is gathered,", f"information is {word},"), encoding="utf-8")
            while time.perf_counter() - start < 10:
                if word.encode() in _get(port, path)[1]:
                    out.append((time.perf_counter() - start) * 1000)
                    break
                time.sleep(0.002)
        return Serve(out, pushes)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- scale: per-force cost at 10x the forces ----------------------------------------------------------


def ensure_generated(py: str, out: Path, forces: int, seed: int) -> None:
    evidence = out / "evidence"
    if (out / "criteria").is_dir() and evidence.is_dir() and sum(1 for p in evidence.iterdir() if p.is_dir()) == forces:
        return
    print(f"generating {out} (seed {seed}, {forces} forces) ...", file=sys.stderr)
    subprocess.run([py, str(BENCH / "generate.py"), "--seed", str(seed), "--forces", str(forces), "--out", str(out)], check=True)


@dataclass
class Scale:
    forces: tuple[int, int]  # (small, big)
    wall: tuple[float, float]  # median wall seconds of building every force of each
    cpu: tuple[float, float]  # median CPU seconds (the process and its workers)


def _forces(root: Path) -> int:
    return sum(1 for p in (root / "evidence").iterdir() if p.is_dir())


def scale(py: str, tmp: Path, small: Path, big: Path, runs: int, env: dict[str, str]) -> Scale:
    """`hmic build` of every force of `small` (bench/out/) and of `big` (ten times the forces), in
    interleaved rounds after a warm-up of each (page and parse caches), so that other work on the machine
    falls on both alike."""
    from run import time_once  # bench/run.py's timer: wall, and CPU of the process and its workers

    got: dict[Path, list[tuple[float, float]]] = {small: [], big: []}
    for i in range(runs + 1):
        for root in (small, big):
            out = tmp / f"scale-{root.name}-{i}"
            wall, cpu = time_once([py, "-m", "hmic_compile", "build", "--root", str(root), "--out", str(out)], REPO, env)
            if i:
                got[root].append((wall, cpu))
            shutil.rmtree(out, ignore_errors=True)

    def med(root: Path, k: int) -> float:
        return statistics.median(x[k] for x in got[root])

    return Scale((_forces(small), _forces(big)), (med(small, 0), med(big, 0)), (med(small, 1), med(big, 1)))


# --- the verdicts --------------------------------------------------------------------------------------


def print_targets(
    results: dict[str, tuple[float, list[float], float]], n: int, floor: float, serve: Serve | None, big: Scale | None
) -> None:
    med = {k: v[0] for k, v in results.items()}
    f1 = med["F1 (one-option typer app)"]
    lines: list[tuple[str, str, str, bool | None]] = []  # (target, measured, limit, passed)

    def ratio(name: str, num: str, den: float | None, limit: float) -> None:
        if num not in med or den is None:
            lines.append((name, "not measured", f"<= {limit:g}x", None))
            return
        r = med[num] / den
        lines.append((name, f"{r:.2f}x", f"<= {limit:g}x", r <= limit))

    if serve is None or not serve.latencies_ms:
        lines.append(("1 live preview: save -> served, median", "not measured", "<= 150 ms", None))
    else:
        lat = sorted(serve.latencies_ms)
        p90 = lat[min(len(lat) - 1, int(round(0.9 * (len(lat) - 1))))]
        lines.append(
            (
                f"1 live preview: save -> served, median of {len(lat)}",
                f"{statistics.median(lat):.0f} ms",
                "<= 150 ms",
                statistics.median(lat) <= 150,
            )
        )
        lines.append(("1 live preview: save -> served, p90", f"{p90:.0f} ms", "<= 300 ms", p90 <= 300))
        lines.append(
            ("1 live preview: the page is pushed the change (no poll)", "yes" if serve.pushes else "no (polls)", "yes", serve.pushes)
        )
    ratio(f"2 validate {FORCE} / F1", f"hmic validate {FORCE}", f1, 1.2)
    ratio(f"2 build {FORCE} / F1", f"hmic build {FORCE} (empty folder)", f1, 1.5)
    ratio(f"3 no-op build {FORCE} / F1", f"hmic build {FORCE} (no-op)", f1, 1.1)
    # What a run costs when nothing can be told from the last one (every file checked in full): no target.
    refs = [(label, med[label] / f1) for label in (f"hmic validate {FORCE}, after an edit", f"hmic build {FORCE}, after an edit")]
    ratio(f"4 build {FORCE} (empty folder) / pandoc", f"hmic build {FORCE} (empty folder)", med.get("pandoc -s -f gfm -t html5"), 1.0)
    if big is None:
        lines.append(("5 per-force build cost, 430 / 43 forces", "not measured", "<= 1.10x", None))
    else:
        (sn, bn), (sw, bw), (sc, bc) = big.forces, big.wall, big.cpu
        small, large = (sw - f1) / sn, (bw - f1) / bn
        r = large / small
        what = f"5 per-force build cost, {bn} / {sn} forces ({large * 1000:.1f} / {small * 1000:.1f} ms wall"
        lines.append((f"{what}, {bc / bn * 1000:.1f} / {sc / sn * 1000:.1f} ms cpu)", f"{r:.2f}x", "<= 1.10x", r <= 1.10))
    ratio(f"5 build all {n} forces / import floor", f"build (all {n})", floor, 5.0)
    ratio(f"5 PDF build {FORCE} / WeasyPrint alone", f"hmic build {FORCE} --format pdf", med.get("WeasyPrint alone, print HTML"), 1.0)

    print()
    print("issue 18's targets (ratios of medians timed in this run):")
    w = max(len(t) for t, _, _, _ in lines)
    for target, measured, limit, passed in lines:
        verdict = "-" if passed is None else ("PASS" if passed else "MISS")
        print(f"  {target:<{w}}  {measured:>12}  {limit:>9}  {verdict}")
    done = [p for _, _, _, p in lines if p is not None]
    print(f"  {sum(done)} of {len(lines)} pass" + (f" ({len(lines) - len(done)} not measured)" if len(done) < len(lines) else ""))
    print("  for reference, with nothing to be told from the last run: " + "; ".join(f"{label} / F1 {r:.2f}x" for label, r in refs))
