#!/usr/bin/env python3
"""Generate a synthetic national project for the benchmark: the 2007 framework and N forces at Norfolk's size.

    python bench/generate.py --seed 2007 --forces 43 --out bench/out

Writes OUT/criteria/2007/ (a copy of criteria/2007/, with national-results.yaml rewritten to per-force
grades under `forces:`) and OUT/evidence/<force>-2007/ for N forces. Each force is derived from
evidence/norfolk-2007: the same files, ids, judgements and grades (so every force validates and its
derived grades equal the awarded ones), with its own name and title and with its prose perturbed
deterministically (a share of the lower-case words replaced by other lower-case words of the report),
so that the content differs per force while the size stays that of the Norfolk report. Only lower-case
words are touched, so no abbreviation appears or disappears and the glossary check still holds.

The same seed and N give byte-identical output. The output folder is replaced.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from hmic_compile.checks.printed import NOT_PROSE  # noqa: E402  (the keys the checks of printed text skip)
from hmic_compile.inputs.loader import load  # noqa: E402  (the project's own strict reader: every scalar text)

YEAR = "2007"
SOURCE_FORCE = "norfolk-2007"
SOURCE_NAME = "Norfolk"

# Keys whose values are ids, codes, references or title-page facts: never perturbed. (The glossary
# check's own list, plus a few keys whose text other files or the renderer match on.)
FIXED_KEYS = NOT_PROSE | {"publisher", "assessment", "name", "title", "inspection_area", "contact", "header"}
# Lower-case words of three letters or more that stand alone: not part of a hyphenated word, a
# possessive, a domain name or a word with capitals.
WORD = re.compile(r"(?<![\w'’.\-/@])[a-z]{3,}(?![\w'’\-/@]|\.\w)")
SHARE = 0.3  # share of the candidate words replaced

ONSETS = [
    "Ash",
    "Bram",
    "Cal",
    "Dun",
    "El",
    "Fen",
    "Glen",
    "Hol",
    "Ives",
    "Kest",
    "Lang",
    "Mar",
    "Nor",
    "Oak",
    "Pen",
    "Ros",
    "Sal",
    "Thorn",
    "Ux",
    "Vale",
    "Wen",
    "Yar",
    "Brock",
    "Cran",
    "Dray",
    "Har",
    "Ling",
    "Mere",
]
CODAS = [
    "bridge",
    "by",
    "combe",
    "dale",
    "den",
    "field",
    "ford",
    "ham",
    "hurst",
    "ley",
    "mere",
    "moor",
    "stead",
    "stow",
    "thorpe",
    "ton",
    "well",
    "wick",
    "worth",
    "shire",
    "land",
    "mouth",
    "holme",
    "gate",
]


def force_names(rng: random.Random, n: int) -> list[str]:
    """n distinct place-like names with one capital each (so never an abbreviation)."""
    pool = [o + c for o in ONSETS for c in CODAS if (o + c).lower() != SOURCE_NAME.lower()]
    if n <= len(pool):
        return sorted(rng.sample(pool, n))
    names = list(pool)
    i = 2
    while len(names) < n:
        names += [f"{p}{'e' * (i - 1)}" for p in pool][: n - len(names)]
        i += 1
    return sorted(names)


def vocabulary(docs: list[Any]) -> list[str]:
    words: set[str] = set()
    for data in docs:
        for text in _strings(data):
            words.update(WORD.findall(text))
    return sorted(words)


def _strings(data: Any, key: str | None = None):
    if isinstance(data, dict):
        for k, v in data.items():
            if k not in FIXED_KEYS:
                yield from _strings(v, k)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v, key)
    elif isinstance(data, str):
        yield data


def perturb(data: Any, rng: random.Random, vocab: list[str], name: str) -> Any:
    """A copy of `data` with the force's name put in and a share of the prose's lower-case words replaced."""
    return _perturb(data, rng, vocab, name, True)


def _perturb(data: Any, rng: random.Random, vocab: list[str], name: str, prose: bool) -> Any:
    if isinstance(data, dict):
        return {k: _perturb(v, rng, vocab, name, prose and k not in FIXED_KEYS) for k, v in data.items()}
    if isinstance(data, list):
        return [_perturb(v, rng, vocab, name, prose) for v in data]
    if isinstance(data, str):
        text = data.replace(SOURCE_NAME, name)  # ids are lower-case, so never renamed
        if not prose:
            return text
        return WORD.sub(lambda mt: rng.choice(vocab) if rng.random() < SHARE else mt.group(0), text)
    return data


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # libyaml's emitter when built
    pass


def _none(dumper: yaml.SafeDumper, _: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "")  # `key:` with nothing after it, as hmic reads it


_Dumper.add_representer(type(None), _none)


def dump(data: Any, path: Path, header: str) -> None:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    path.write_text(header + text, encoding="utf-8")


def national_results(
    names: list[str], grades: dict[str, str], published: dict[str, dict[str, str]], number_of_forces: int, rng: random.Random
) -> dict[str, Any]:
    """Per-force grades: every generated force with its own (Norfolk's) grades, and, when there are fewer
    generated forces than the framework counts, filler forces taking the rest of the published
    distribution, so that every graded area's counts add up to the framework's number of forces."""
    slugs = [n.lower() for n in names]
    fillers = [f"force-{i + 1:02d}" for i in range(max(0, number_of_forces - len(slugs)))]
    rows: dict[str, dict[str, str]] = {s: {} for s in slugs + fillers}
    for area, grade in grades.items():
        for s in slugs:
            rows[s][area] = grade
        pool = [g for g, n in published.get(area, {}).items() for _ in range(int(n))]
        for _ in slugs:  # each generated force takes one of the published places, its own grade when it can
            if not pool:
                break
            pool.remove(grade if grade in pool else max(set(pool), key=pool.count))
        pool += [grade] * (len(fillers) - len(pool))  # only if the published totals fell short
        rng.shuffle(pool)
        for s, g in zip(fillers, pool, strict=True):
            rows[s][area] = g
    return {
        "source": f"Synthetic benchmark data (bench/generate.py): {len(slugs)} generated forces"
        + (f" and {len(fillers)} filler forces" if fillers else "")
        + ", per-force grades.",
        "forces": rows,
    }


def generate(seed: int, n: int, out: Path) -> list[str]:
    rng = random.Random(seed)
    crit_src = REPO / "criteria" / YEAR
    ev_src = REPO / "evidence" / SOURCE_FORCE
    if out.exists():
        shutil.rmtree(out)
    (out / "evidence").mkdir(parents=True)
    crit = out / "criteria" / YEAR
    shutil.copytree(crit_src, crit)

    fw = load(crit / "framework.yaml", out).data  # the copy, read inside the project generated
    number_of_forces = int(fw["number_of_forces"])
    if n > number_of_forces:  # more forces than the framework counts: let it count them all
        text = (crit / "framework.yaml").read_text(encoding="utf-8")
        text = re.sub(r"(?m)^number_of_forces: \d+$", f"number_of_forces: {n}", text)
        (crit / "framework.yaml").write_text(text, encoding="utf-8")
        number_of_forces = n

    files = sorted(ev_src.glob("*.yaml"))
    source = {p.name: load(p, REPO).data for p in files}
    vocab = vocabulary(list(source.values()))
    graded = {a["id"] for a in fw["areas"] if str(a.get("graded", "true")).lower() != "false"}
    grades = {
        d["area"]: d["grade"]
        for name, d in source.items()
        if name not in ("force.yaml", "glossary.yaml") and d.get("area") in graded and d.get("grade")
    }

    names = force_names(rng, n)
    for name in names:
        folder = out / "evidence" / f"{name.lower()}-{YEAR}"
        folder.mkdir()
        frng = random.Random(f"{seed}:{name}")
        for fname, data in source.items():
            header = f"# Synthetic evidence for {name} (bench/generate.py --seed {seed}), derived from {SOURCE_FORCE}/{fname}.\n"
            if fname == "glossary.yaml":
                new = data  # the same abbreviations, so the glossary check holds
            else:
                new = perturb(data, frng, vocab, name)
                if fname == "force.yaml":
                    new["name"] = f"{name} Constabulary"
                    new["title"] = data["title"].replace(SOURCE_NAME, name)
            dump(new, folder / fname, header)

    published = load(crit / "national-results.yaml", out).data.get("totals", {})
    nat = national_results(names, grades, published, number_of_forces, rng)
    dump(
        nat,
        crit / "national-results.yaml",
        "# Synthetic national results (bench/generate.py): per-force grades; the totals are counted from them.\n",
    )
    return [f"{nm.lower()}-{YEAR}" for nm in names]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=2007, help="random seed (default 2007)")
    ap.add_argument("--forces", type=int, default=43, help="number of forces to generate (default 43)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out", help="output folder, replaced (default bench/out)")
    args = ap.parse_args()
    if args.forces < 1:
        ap.error("--forces must be at least 1")
    keys = generate(args.seed, args.forces, args.out)
    print(f"wrote {args.out}: criteria/{YEAR} and {len(keys)} forces ({keys[0]} .. {keys[-1]})")


if __name__ == "__main__":
    main()
