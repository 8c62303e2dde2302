#!/usr/bin/env python3
"""Time hmic against the bare import floor on a synthetic national project (issue 6), and issue 18's targets.

    python bench/run.py            # 7 runs per single-force command, 3 per all-forces command
    python bench/run.py --quick    # 3 and 1

Generates bench/out/ (git-ignored) with bench/generate.py when it is absent, then times each command as
the median wall time of fresh subprocesses of the venv's python, after one untimed warm-up run
(bytecode, page cache, and hmic's cache of compiled templates and parsed YAML, kept in a folder of
the run), in interleaved rounds; one row builds every force with the cache off, as a first run does.
Prints each median, its ratio to the floor and the target, with PASS/MISS; the per-force cost for one
force and for all; and the machine. Then issue 18's targets (bench/targets.py), each with its ratio and
PASS/MISS: against F1 (bench/f1.py, a one-option typer app) and pandoc and WeasyPrint alone, timed in
the same interleaved rounds on the repository's norfolk-2007; the live preview's save-to-served
latency (`hmic serve` on a copy, `--no-serve` skips it); and the per-force cost of building
bench/out-430/ (generated once; `--scale-forces 0` skips it). It is a measurement, not a test: it
exits 0 unless a command fails to run.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from targets import ensure_generated, issue18_commands, print_targets, scale, serve_latency

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
VENV_PY = REPO / ".venv" / "bin" / "python"
FLOOR_IMPORTS = "import typer, yaml, jinja2, markdown_it"
# For reference, not a target: the floor plus pydantic with one model built, which the design card's stack
# (typer 0.2x coerces every CLI parameter through pydantic; hmic's models are pydantic) costs any command.
STACK_FLOOR = FLOOR_IMPORTS + ", pydantic\nclass M(pydantic.BaseModel):\n    a: str"


def python() -> str:
    return str(VENV_PY) if VENV_PY.exists() else sys.executable


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def ensure_project(seed: int, forces: int, regenerate: bool) -> list[str]:
    evidence = OUT / "evidence"
    if regenerate or not (OUT / "criteria").is_dir() or not evidence.is_dir() or not any(evidence.iterdir()):
        print(f"generating {OUT} (seed {seed}, {forces} forces) ...", file=sys.stderr)
        subprocess.run([python(), str(BENCH / "generate.py"), "--seed", str(seed), "--forces", str(forces), "--out", str(OUT)], check=True)
    return sorted(p.name for p in evidence.iterdir() if p.is_dir())


class Failed(Exception):
    pass


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)  # every waited-for descendant, build workers included
    return r.ru_utime + r.ru_stime


def time_once(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one run."""
    cpu0, start = _cpu(), time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip().splitlines()[-10:]
        raise Failed(f"{' '.join(argv)} exited {proc.returncode}:\n  " + "\n  ".join(tail))
    return elapsed, cpu


def rounds_written(tmp: Path, keys: list[str]) -> None:
    """Every build of all the forces timed wrote each framework's round too (OUT/<framework>/): what is timed is the
    whole publication, end to end."""
    frameworks = sorted(p.name for p in (OUT / "criteria").iterdir() if p.is_dir())
    for out in sorted(tmp.glob("build-*")):
        if all((out / k).is_dir() for k in keys):
            missing = [f for f in frameworks if not all((out / f / name).is_file() for name in ("index.html", "data/datapackage.json"))]
            if missing:
                raise Failed(f"hmic build of every force wrote no round of {', '.join(missing)} in {out}")


def measure(commands: list, cwd: Path, env: dict[str, str] | None) -> dict[str, tuple[float, list[float], float]]:
    """label -> (median wall, all walls, median CPU). One untimed warm-up run of each command, then rounds
    that run each command in turn (while it still needs runs), so that a burst of other work on the
    machine falls on all the commands alike rather than on one of them."""
    for label, argv, _, _, _, extra in commands:
        print(f"warm-up: {label}", file=sys.stderr)
        time_once(argv(), cwd, {**(env or {}), **extra})
    samples: dict[str, list[tuple[float, float]]] = {c[0]: [] for c in commands}
    rounds = max(c[2] for c in commands)
    for i in range(rounds):
        print(f"round {i + 1} of {rounds}", file=sys.stderr)
        for label, argv, runs, _, _, extra in commands:
            if i < runs:
                samples[label].append(time_once(argv(), cwd, {**(env or {}), **extra}))
    out = {}
    for label, got in samples.items():
        walls = [w for w, _ in got]
        out[label] = (statistics.median(walls), walls, statistics.median(c for _, c in got))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (3 per single-force command, 1 per all-forces)")
    ap.add_argument("--runs", type=int, help="repetitions per single-force command (default 7, or 3 with --quick)")
    ap.add_argument("--runs-all", type=int, help="repetitions per all-forces command (default 3, or 1 with --quick)")
    ap.add_argument("--seed", type=int, default=2007, help="generator seed when bench/out/ is generated")
    ap.add_argument("--forces", type=int, default=43, help="forces to generate when bench/out/ is generated")
    ap.add_argument("--regenerate", action="store_true", help="regenerate bench/out/ even if present")
    ap.add_argument(
        "--src",
        type=Path,
        help="time the hmic_compile package under this folder instead of the installed one "
        "(put first on PYTHONPATH), e.g. a snapshot: git archive HEAD src templates | tar -x -C /tmp/head; --src /tmp/head/src",
    )
    ap.add_argument("--scale-forces", type=int, default=430, help="forces of the scale measurement (bench/out-<n>/); 0 skips it")
    ap.add_argument("--no-serve", action="store_true", help="skip the live preview's save-to-served latency")
    args = ap.parse_args()
    runs = args.runs or (3 if args.quick else 7)
    runs_all = args.runs_all or (1 if args.quick else 3)

    try:
        keys = ensure_project(args.seed, args.forces, args.regenerate)
    except subprocess.CalledProcessError as e:
        print(f"error: generating the project failed ({e})", file=sys.stderr)
        return 1
    if not keys:
        print(f"error: no forces under {OUT / 'evidence'}", file=sys.stderr)
        return 1
    one, n = keys[0], len(keys)
    py = python()
    hmic = [py, "-m", "hmic_compile"]
    root = ["--root", str(OUT.relative_to(REPO))]  # commands run from the repository
    tmp = Path(tempfile.mkdtemp(prefix="hmic-bench-"))
    counter = iter(range(10**6))

    def fresh_out() -> str:
        return str(tmp / f"build-{next(counter)}")

    # The cache (compiled templates, parsed YAML) in a folder of this run, filled by the warm-up runs as
    # by a user's first run; the "no cache" rows show a first run, or HMIC_CACHE_DIR=off.
    warm = {"HMIC_CACHE_DIR": str(tmp / "cache")}
    cold = {"HMIC_CACHE_DIR": "off"}
    # (label, argv factory, runs, target ratio or None, forces covered, environment)
    commands = [
        ("import floor", lambda: [py, "-c", FLOOR_IMPORTS], runs, None, 0, {}),
        ("floor + pydantic", lambda: [py, "-c", STACK_FLOOR], runs, None, 0, {}),
        (f"validate {one}", lambda: [*hmic, "validate", one, *root], runs, None, 1, warm),
        (f"build {one}", lambda: [*hmic, "build", one, *root, "--out", fresh_out()], runs, None, 1, warm),
        (f"validate (all {n})", lambda: [*hmic, "validate", *root], runs_all, None, n, warm),
        (f"build (all {n})", lambda: [*hmic, "build", *root, "--out", fresh_out()], runs_all, 5.0, n, warm),
        (f"build (all {n}), no cache", lambda: [*hmic, "build", *root, "--out", fresh_out()], runs_all, None, n, cold),
    ]
    # Time an installed tool as users run it: with its bytecode cached (pip writes .pyc files for what it
    # installs; the warm-up run writes hmic's, which an editable install would otherwise compile every run
    # where PYTHONDONTWRITEBYTECODE is set, as on some CI machines).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if args.src:
        env["PYTHONPATH"] = os.pathsep.join([str(args.src.resolve()), *filter(None, [os.environ.get("PYTHONPATH")])])
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    big_out = BENCH / f"out-{args.scale_forces}"
    try:
        if args.scale_forces:
            ensure_generated(py, big_out, args.scale_forces, args.seed)
        commands += issue18_commands(py, tmp, fresh_out, runs, warm)
        results = measure(commands, REPO, env)
        rounds_written(tmp, keys)
        print("live preview: timing saves ...", file=sys.stderr)
        served = None if args.no_serve else serve_latency(py, tmp)
        print("scale: building every force of the larger project ...", file=sys.stderr)
        big = scale(py, tmp, OUT, big_out, runs_all, {**env, **warm}) if args.scale_forces else None
    except (Failed, subprocess.CalledProcessError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    floor = results["import floor"][0]
    print()
    where = subprocess.run(
        [py, "-c", "import hmic_compile; print(hmic_compile.__file__)"], env=env, capture_output=True, text=True
    ).stdout.strip()
    print(f"hmic benchmark: {n} synthetic forces in {OUT.relative_to(REPO)}/, one force = {one}; hmic_compile from {where}")
    print(f"build (all {n}) writes every report and the round (OUT/<framework>/: its pages, open data and manifest), checked")
    print()
    w = max(len(c[0]) for c in commands)
    floor_cpu = results["import floor"][2]
    print(f"{'command':<{w}}  {'median s':>8}  {'min s':>7}  {'x floor':>7}  {'target':>7}  result  {'cpu s':>6}  {'cpu x':>6}")
    print(f"{'-' * w}  {'-' * 8}  {'-' * 7}  {'-' * 7}  {'-' * 7}  ------  {'-' * 6}  {'-' * 6}")
    for label, _, _, target, _, _ in commands:
        med, times, cpu = results[label]
        ratio = med / floor
        tgt = f"<= {target:g}x" if target else "-"
        verdict = ("PASS" if ratio <= target else "MISS") if target else ""
        print(f"{label:<{w}}  {med:8.3f}  {min(times):7.3f}  {ratio:6.2f}x  {tgt:>7}  {verdict:<6}  {cpu:6.3f}  {cpu / floor_cpu:5.2f}x")
    stack = results["floor + pydantic"][0]
    print(
        "over floor + pydantic (reference, no target): "
        + ", ".join(f"{c[0]} {results[c[0]][0] / stack:.2f}x" for c in commands if c[4])
    )
    print(
        "median, min: wall seconds; x floor: median / the floor's median (the PASS/MISS ratio);\n"
        "cpu: median user+sys seconds of the process and its build workers, and its ratio to the floor's: steadier than\n"
        "wall time when other work shares the machine, and for a parallel build the sum over its workers"
    )

    print()
    print("per-force cost (seconds above the import floor):")
    for verb in ("validate", "build"):
        t1 = results[f"{verb} {one}"][0]
        tn = results[f"{verb} (all {n})"][0]
        marginal = (tn - t1) / (n - 1) if n > 1 else float("nan")
        print(
            f"  {verb:<8}  1 force: {t1 - floor:.3f}   {n} forces: {tn - floor:.3f} = {(tn - floor) / n:.3f}/force"
            f"   marginal force: {marginal:.3f}   fixed (1 force - marginal): {t1 - floor - marginal:.3f}"
        )

    print_targets(results, n, floor, served, big)

    ver = subprocess.run(
        [py, "-c", "import sys; print(sys.version.split()[0], sys.implementation.name)"], capture_output=True, text=True
    ).stdout.strip()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    print()
    print(
        f"machine: {cpu_model()}; {os.cpu_count()} cores"
        + (f" ({affinity} usable)" if affinity and affinity != os.cpu_count() else "")
        + f"; Python {ver} ({py}); {platform.system()} {platform.release()}"
    )
    print(f"runs: median of {runs} per single-force command, {runs_all} per all-forces command, after one warm-up each")
    if load_before is not None:
        print(
            f"load average (1 min) at the start: {load_before:.2f}"
            + (
                " - other work was running; wall times may be inflated (compare the cpu column, or re-run on a quiet machine)"
                if load_before > 0.7
                else ""
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
