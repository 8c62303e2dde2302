#!/usr/bin/env python3
"""Where the time of `hmic validate <force>` and `hmic build <force>` goes: imports, phases, functions.

    python bench/profile.py                 # both commands, on the first force of bench/out/
    python bench/profile.py build --runs 9  # one command, more runs (minimum taken)
    python bench/profile.py --src /tmp/head/src   # profile another copy of the package

Three views, each from fresh subprocesses of the venv's python:
  1. imports: `-X importtime`, each module's own (self) time as the minimum over the runs, summed per
     top-level package, with what the command imports beyond the benchmark's floor
     (`import typer, yaml, jinja2, markdown_it`) and the hmic_compile modules;
  2. phases: the pipeline driven in-process (imports, load, check, render...), minimum wall time
     of each step over the runs (uses hmic_compile's internal functions; a step that no longer
     exists is skipped);
  3. functions: one cProfile run of the real command, the top entries by cumulative time under
     hmic_compile and the libraries' entry points, and the top by own time.
cProfile roughly doubles the cost of Python-heavy code; read its numbers as shares, the first two
views as times. Run bench/run.py first (or this script generates bench/out/ the same way).
"""

from __future__ import annotations

import argparse
import collections
import os
import pstats
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
VENV_PY = REPO / ".venv" / "bin" / "python"
FLOOR = "import typer, yaml, jinja2, markdown_it"
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")

PHASES = r"""
import sys, time
D = []  # (step, ms)
_t = [time.perf_counter()]
def mark(name):
    now = time.perf_counter()
    D.append((name, (now - _t[0]) * 1000))
    _t[0] = now
mode, root_s, key, out_s = sys.argv[1:5]
import typer; mark("import typer")
import yaml; mark("import yaml")
from pydantic import BaseModel; mark("import pydantic (BaseModel)")
import hmic_compile.inputs.models; mark("import hmic_compile.inputs.models (builds the pydantic models)")
import hmic_compile.cli; mark("import hmic_compile.cli")
import hmic_compile.inputs.project, hmic_compile.checks.project; mark("import hmic_compile.inputs.project, .checks (the rest)")
import typer._adapters; mark("import typer._adapters (typer's per-parameter pydantic coercion)")
import contextlib, io
from pathlib import Path
from hmic_compile.cli import app
from hmic_compile.inputs.project import load_project
from hmic_compile.checks.project import check_project
root = Path(root_s)
from hmic_compile.inputs.environment import parse_cache as _parse_cache
cache = _parse_cache()  # as the command's: warm after the first run
project, diags = load_project(root, [key], cache); mark("load_project: read, parse or take cached, validate framework and force")
check_project(project, diags); mark("check_project: cross-checks, grading, glossary")
t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        app(["validate", key, "--root", root_s], standalone_mode=False, prog_name="hmic")
    except SystemExit:
        pass
t1 = time.perf_counter()
p2, d2 = load_project(root, [key], cache); check_project(p2, d2)
t2 = time.perf_counter()
D.append(("=run `hmic validate` in-process through typer (load + check included)", (t1 - t0) * 1000))
D.append(("=load_project + check_project again, to subtract", (t2 - t1) * 1000))
_t[0] = time.perf_counter()
if mode == "build":
    import jinja2; mark("import jinja2")
    import markdown_it; mark("import markdown_it")
    import hmic_compile.report.view, hmic_compile.report.render, hmic_compile.report.build; mark("import hmic_compile.report.view, .render, .build")
    from hmic_compile.report.render import make_environment, render
    from hmic_compile.report.view import build_report
    from hmic_compile.inputs.environment import cache_dir as _cache_dir
    c = _cache_dir()  # the command's compiled-template cache, warm after its first run
    env = make_environment(None, root, c); mark("make_environment")
    fo = project.forces[key]
    report = build_report(project, fo); mark("build_report: the view model")
    render(report, env, "md"); mark("render md, first (loads the compiled templates)")
    render(report, env, "html"); mark("render html, first (loads the compiled templates)")
    render(report, env, "md"); mark("render md again (templates loaded, prose rendered)")
    render(report, env, "html"); mark("render html again (templates loaded, prose rendered)")
    try:
        from hmic_compile.report.build import build_force, BuildOptions
        build_force(project, fo, env, BuildOptions()); mark("build_force again (view model, md, html, manifest; templates compiled)")
    except Exception as e:  # the internal API moved on
        print(f"# build_force skipped: {e}", file=sys.stderr)
    try:
        from hmic_compile.inputs.environment import git_commit as _git_commit
        _git_commit(root); mark("_git_commit (git rev-parse HEAD)")
    except Exception as e:
        print(f"# _git_commit skipped: {e}", file=sys.stderr)
for name, ms in D:
    print(f"{ms:.3f}\t{name}")
"""


def python() -> str:
    return str(VENV_PY) if VENV_PY.exists() else sys.executable


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(argv)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return proc


def importtimes(argv: list[str], env: dict[str, str], runs: int) -> dict[str, tuple[int, int, int]]:
    """module -> (min self us, min cumulative us, depth) over `runs` runs of `python -X importtime ...`."""
    best: dict[str, list[int]] = {}
    for _ in range(runs):
        err = run([python(), "-X", "importtime", *argv], env).stderr
        for line in err.splitlines():
            mt = IMPORT_LINE.match(line)
            if mt:
                self_us, cum_us, depth, mod = int(mt[1]), int(mt[2]), len(mt[3]) // 2, mt[4]
                if mod in best:
                    best[mod] = [min(best[mod][0], self_us), min(best[mod][1], cum_us), depth]
                else:
                    best[mod] = [self_us, cum_us, depth]
    return {k: (v[0], v[1], v[2]) for k, v in best.items()}


def top_package(mod: str) -> str:
    top = mod.split(".")[0]
    return "(stdlib and other)" if top in STDLIB else top


STDLIB = set(getattr(sys, "stdlib_module_names", ())) | {"_frozen_importlib_external", "_frozen_importlib"}


def show_imports(label: str, argv: list[str], env: dict[str, str], runs: int) -> None:
    cmd = importtimes(argv, env, runs)
    floor = importtimes(["-c", FLOOR], env, runs)
    print(f"\n## imports: {label}  (minimum over {runs} runs of -X importtime; ms)\n")
    total = sum(v[0] for v in cmd.values()) / 1000
    ftotal = sum(v[0] for v in floor.values()) / 1000
    print(f"all imports: {total:.1f} ms   (the floor's imports: {ftotal:.1f} ms)")
    per: collections.Counter[str] = collections.Counter()
    beyond: collections.Counter[str] = collections.Counter()
    for mod, (s, _, _) in cmd.items():
        per[top_package(mod)] += s
        if mod not in floor:
            beyond[top_package(mod)] += s
    unused: collections.Counter[str] = collections.Counter()
    for mod, (s, _, _) in floor.items():
        if mod not in cmd:
            unused[top_package(mod)] += s
    print(f"\n{'package':<22} {'self ms':>8} {'not in floor':>13}")
    for pkg, us in per.most_common():
        if us >= 300:
            print(f"{pkg:<22} {us / 1000:8.1f} {beyond[pkg] / 1000:13.1f}")
    print(f"{'total':<22} {total:8.1f} {sum(beyond.values()) / 1000:13.1f}")
    if unused:
        print(
            "\nin the floor but not imported by this command: "
            + ", ".join(f"{p} {us / 1000:.1f} ms" for p, us in unused.most_common() if us >= 300)
        )
    hmic = sorted(((m, v) for m, v in cmd.items() if m.startswith("hmic_compile")), key=lambda kv: -kv[1][0])
    print(
        "\nhmic_compile modules (self ms, cumulative ms):  "
        + ", ".join(f"{m.removeprefix('hmic_compile.') or m} {v[0] / 1000:.1f}/{v[1] / 1000:.1f}" for m, v in hmic)
    )
    tops = sorted(((m, v) for m, v in cmd.items() if v[2] == 0 and v[1] >= 1500), key=lambda kv: -kv[1][1])
    print("top-level imports by cumulative ms (where each chain starts):  " + ", ".join(f"{m} {v[1] / 1000:.1f}" for m, v in tops))


def show_phases(mode: str, key: str, env: dict[str, str], runs: int) -> None:
    best: dict[str, float] = {}
    order: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hmic-prof-") as tmp:
        for _ in range(runs):
            out = run([python(), "-c", PHASES, mode, str(OUT.relative_to(REPO)), key, tmp], env).stdout
            for line in out.splitlines():
                ms, name = line.split("\t", 1)
                if name not in best:
                    order.append(name)
                    best[name] = float(ms)
                else:
                    best[name] = min(best[name], float(ms))
    print(f"\n## phases: {mode} {key}, in-process (minimum over {runs} runs; ms)\n")
    run_name = next((n for n in order if n.startswith("=run")), None)
    again = next((n for n in order if n.startswith("=load_project")), None)
    for name in order:
        if name.startswith("="):
            if name == again and run_name:
                print(
                    f"{best[run_name] - best[again]:8.1f}  typer's own share of running `hmic validate` (the in-process run, "
                    f"{best[run_name]:.1f}, less a second load + check, {best[again]:.1f})"
                )
            continue
        print(f"{best[name]:8.1f}  {name}")
    print("(interpreter start-up, ~10 ms, comes on top; rows after the typer row are outside the real command's sequence)")


def show_cprofile(label: str, argv: list[str], env: dict[str, str], top: int) -> None:
    with tempfile.TemporaryDirectory(prefix="hmic-prof-") as tmp:
        prof = str(Path(tmp) / "run.prof")
        run([python(), "-m", "cProfile", "-o", prof, *argv], env)
        stats = pstats.Stats(prof)
    total = max(v[3] for v in stats.stats.values())  # type: ignore[attr-defined]
    print(f"\n## functions: {label}  (one cProfile run, {total:.3f} s under the profiler)\n")
    rows = []
    for (path, line, fn), (_, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((ct, tt, nc, f"{short(path)}:{line}({fn})"))
    keep = re.compile(
        r"hmic_compile/|typer/core|typer/_adapters|_model_construction.py.*__new__|jinja2/environment.py.*(compile|render)\)"
        r"|markdown_it/main.py.*parse\)|yaml/__init__.py.*parse|pydantic/main.py.*model_validate\)"
    )
    print(f"{'cum s':>7} {'own s':>7} {'calls':>7}  by cumulative time (hmic_compile and library entry points)")
    for ct, tt, nc, name in sorted((r for r in rows if keep.search(r[3])), reverse=True)[:top]:
        print(f"{ct:7.3f} {tt:7.3f} {nc:7d}  {name}")
    print(f"\n{'own s':>7} {'cum s':>7} {'calls':>7}  by own time")
    for ct, tt, nc, name in sorted(rows, key=lambda r: -r[1])[:top]:
        print(f"{tt:7.3f} {ct:7.3f} {nc:7d}  {name}")


def short(path: str) -> str:
    for marker in ("site-packages/", "/src/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("commands", nargs="*", metavar="COMMAND", help="validate and/or build (default both)")
    ap.add_argument("--force", help="the force to profile (default: the first under bench/out/evidence)")
    ap.add_argument("--runs", type=int, default=5, help="runs per measurement; the minimum is taken (default 5)")
    ap.add_argument("--top", type=int, default=25, help="rows per cProfile table (default 25)")
    ap.add_argument("--src", type=Path, help="profile the hmic_compile package under this folder (put first on PYTHONPATH)")
    ap.add_argument("--skip", action="append", default=[], choices=["imports", "phases", "functions"], help="leave out a view")
    args = ap.parse_args()
    commands = args.commands or ["validate", "build"]
    if set(commands) - {"validate", "build"}:
        ap.error("commands are: validate, build")
    if not (OUT / "evidence").is_dir():
        subprocess.run([python(), str(BENCH / "generate.py"), "--out", str(OUT)], check=True)
    key = args.force or sorted(p.name for p in (OUT / "evidence").iterdir() if p.is_dir())[0]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # with bytecode, as bench/run.py times it
    if args.src:
        env["PYTHONPATH"] = os.pathsep.join([str(args.src.resolve()), *filter(None, [os.environ.get("PYTHONPATH")])])
    where = run([python(), "-c", "import hmic_compile; print(hmic_compile.__file__)"], env).stdout.strip()
    print(f"# hmic profile: force {key} of {OUT.relative_to(REPO)}/; hmic_compile from {where}")
    with tempfile.TemporaryDirectory(prefix="hmic-prof-out-") as out:
        for mode in commands:
            argv = ["-m", "hmic_compile", mode, key, "--root", str(OUT.relative_to(REPO))]
            if mode == "build":
                argv += ["--out", out]
            label = " ".join(["hmic", *argv[2:]]).replace(out, "TMP")
            if "imports" not in args.skip:
                show_imports(label, argv, env, args.runs)
            if "phases" not in args.skip:
                show_phases(mode, key, env, args.runs)
            if "functions" not in args.skip:
                show_cprofile(label, argv, env, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
