"""The text of a new force's files: commented YAML for the force, each area of its framework, and the glossary. Pure."""

from __future__ import annotations

import json
from pathlib import Path

from msgspec import Struct, field

from ..checks.printed import printed_strings
from ..checks.words import candidates
from ..derive.national import Shape, picture
from ..inputs import models as m
from ..inputs.loader import parse
from ..inputs.project import FrameworkBundle
from .schema import BY_NAME, modeline_to
from .schema_framework import schema_in
from .yaml_text import comment, join, lines, scalar


class Sibling(Struct, frozen=True):
    """What a scaffold may borrow from another force's evidence: title-page patterns and glossary meanings."""

    key: str
    force: m.Force | None
    meanings: dict[str, str]
    unexpanded: frozenset[str] = frozenset()


class Previous(Struct, frozen=True):
    """The same force's most recent earlier evidence, for previous_grades."""

    key: str
    year: int
    grades: dict[str, str]


class Scaffold(Struct):
    key: str
    files: dict[str, str]  # file name -> content
    notes: list[str] = field(default_factory=list)


def abbreviations(texts: list[str]) -> list[str]:
    """Upper-case abbreviations in `texts`, in first-use order (the words `hmic validate` wants in the glossary)."""
    seen: dict[str, None] = {}
    for text in texts:
        for word, _ in candidates(text):
            if word.isupper():
                seen.setdefault(word, None)
    return list(seen)


def framework_prose(fb: FrameworkBundle) -> list[str]:
    """The framework's text every force's report prints (mirrors checks.glossary.framework_words)."""
    printed = {"framework": ("grades",), "introduction": None}
    out = []
    for role, doc in fb.docs.items():
        if role == "national":
            continue
        only = printed.get(role, ("national_context",))
        out += [text for path, text in printed_strings(doc.data) if only is None or path[:1] == only]
    return out


def _national_line(fb: FrameworkBundle, area: str, key: str) -> list[str]:
    if fb.national is None:
        return []
    rel = fb.docs["national"].rel if "national" in fb.docs else f"criteria/{fb.key}/national-results.yaml"
    results = picture(fb).area(area)
    if results is None:
        return comment(f"{rel} gives nothing for this area: the report says that no national comparison is published.")
    if results.shape is not Shape.FORCES:
        counts = join([f"{g} {n}" for g, n in results.counts])
        if results.not_inspected:
            counts += f"; not inspected {results.not_inspected}"
        text = (
            f"The national totals ({rel}) count forces at: {counts}. A grade they count no force at is an error "
            "(E506): check the totals first."
        )
        return comment(text)
    slug = key.rsplit("-", 1)[0]
    return comment(
        f"{rel} lists the forces' grades for this area: the grade here must match this force's row there, "
        f"under '{slug}' (the folder's name less its year), or validation reports it (E507)."
    )


def force_yaml(
    fb: FrameworkBundle, key: str, name: str, year: int, sibling: Sibling | None, previous: Previous | None, header: list[str]
) -> str:
    fw = fb.framework
    sf = sibling.force if sibling else None
    publisher = sf.publisher if sf and sf.publisher != fw.publisher else None
    month = sf.month if sf else "January"
    # The pattern of another report of the framework when there is one (2007: "HMIC Inspection Report <force> October 2007").
    title = sf.title.replace(sf.name, name) if sf and sf.name in sf.title else f"{fw.title}: {name}"
    borrowed = f"copied from evidence/{sibling.key}/force.yaml" if sibling and sf else "placeholders"
    grades = join([g.name for g in fw.grades])
    graded = [a for a in fw.areas if a.graded]
    prev_lines: list[str]
    if previous and previous.grades:
        prev_lines = ["previous_grades:"]
        for a in graded:
            if a.id in previous.grades:
                prev_lines += [
                    f"  {a.id}:",
                    f"    grade: {scalar(previous.grades[a.id])}",
                    f"    assessment: {scalar(f'{previous.year} inspection')}",
                ]
        prev_source = comment(f"Taken from evidence/{previous.key}: check each grade, and word the assessment as the report should.")
    else:
        prev_lines = ["previous_grades: {}"]
        if graded:
            prev_lines += [
                f"#   {graded[0].id}:",
                f"#     grade: {fw.grades[-1].name}",
                f"#     assessment: {year - 1} inspection",
            ]
        prev_source = []
    overview_title = sf.overview.title if sf else "Force overview"
    return lines(
        header,
        comment(f"{name}, {fw.title}: the title page, the force overview and earlier grades. Every key is described in docs/format.md."),
        "",
        comment("The force's full name as the report prints it, e.g. 'Thames Valley Police'."),
        f"name: {scalar(name)}",
        comment("The year of the inspection; it must be the framework's year."),
        f"year: {year}",
        comment("The framework folder under criteria/ that holds this year's areas, criteria and grade scale."),
        f"framework: {json.dumps(fb.key)}",
        "",
        comment(f"The title page ({borrowed}): check each line."),
        _publisherlines(fw, publisher),
        f"title: {scalar(title)}",
        f"month: {scalar(month)}  # the month of publication",
        f"# publication_year: {year + 1}  # optional: the year of publication, when it is not {year}",
        "# isbn: 978-...                      # optional",
        "# copyright: CROWN COPYRIGHT         # optional",
        f"# first_published: FIRST PUBLISHED {year}  # optional",
        "",
        comment(
            "The force overview and context: a title, paragraphs and lists under 'body', and sub-sections, each "
            "{title, body, sections}, under 'sections'."
        ),
        "overview:",
        f"  title: {scalar(overview_title)}",
        "  body: []",
        "  #   - >-",
        "  #     The force serves ...",
        "  # sections:",
        "  #   - title: The force's area",
        "  #     body:",
        "  #       - ...",
        "",
        comment(
            f"The grades of the previous inspection, per graded area (optional): the report shows the direction of "
            f"travel. Grades on this framework's scale, best first: {grades}."
        ),
        prev_source,
        prev_lines,
    )


def _publisherlines(fw: m.Framework, publisher: str | None) -> list[str]:
    if publisher is not None:
        return [f"publisher: {scalar(publisher)}"]
    if fw.publisher is not None:
        return [f"# publisher: ...  # optional: the framework's publisher, {fw.publisher}, unless given here"]
    return comment("Who publishes the report, as its title page names them (without it, W340):") + ["# publisher: ..."]


def area_yaml(fb: FrameworkBundle, ad: m.AreaDef, key: str, name: str, year: int, header: list[str]) -> str:
    fw = fb.framework
    crit = fb.areas.get(ad.id)
    criteria = crit.criteria if crit else []
    crit_rel = f"criteria/{fb.key}/areas/{ad.id}.yaml"
    status = (
        "This area is graded. Until it has judgements and a grade it is a draft: `hmic validate` reports it, `hmic grade` cannot grade it."
        if ad.graded
        else "This area is not graded: it takes no grade, judgements or factors."
    )
    parts: list[str | list[str]] = [
        header,
        comment(f"{name}, {year}: {ad.title}."),
        comment(status),
        f"area: {ad.id}",
        "",
    ]
    if ad.graded:
        parts += [
            comment(
                f"The grade awarded, one of the scale (best first): {join([g.name for g in fw.grades])}. `hmic grade` "
                "derives a grade from the judgements below; if the one awarded differs, grade_rationale gives the "
                "professional judgement, which the report prints."
            ),
            _national_line(fb, ad.id, key),
            "# inspected: false  # only if the force was not inspected in this area: then no grade or judgements",
            f"# grade:  # {' | '.join(g.name for g in fw.grades)}",
            "# grade_rationale: >-",
            "#   ...",
            "",
        ]
    parts += [
        comment("The force's own context for this area: paragraphs (plain text), bullets, numbered lists or tables."),
        "contextual_factors: []",
        "",
        comment(
            "The findings. An item is text, or {id, text, items}: give it an id (lower-case letters, digits and "
            "hyphens, unique in the force) when a judgement cites it."
        ),
        "#   - id: " + _prefix(ad.id) + "-example",
        "#     text: >-",
        "#       What the inspection found.",
        "strengths: []",
        "work_in_progress: []",
        "areas_for_improvement: []",
        "",
        comment("Case studies: inspection_area, title, problem, solution, outcomes (numbered) and contact."),
        "developing_practice: []",
        "",
        comment("Recommendations: {id, text}."),
        "recommendations: []",
    ]
    if ad.graded:
        parts += ["", *_judgements(fw, criteria, crit_rel)]
    return lines(*parts)


def _prefix(area: str) -> str:
    words = area.split("-")
    return "".join(w[0] for w in words) if len(words) > 1 else area[:4]


def _judgements(fw: m.Framework, criteria: list[m.Criterion], crit_rel: str) -> list[str]:
    if not criteria:
        return comment(f"{crit_rel} sets no criteria for this area yet, so its grade cannot be derived.")
    out = comment(
        f"One judgement per criterion of {crit_rel}: met, partly met or not met, citing under 'evidence' the "
        "ids of the items that support it. A criterion met cites at least one strength; one not met cites at "
        "least one area for improvement. Uncomment the block (Ctrl+/ in VS Code) as you judge."
    )
    out.append("# judgements:")
    for level in fw.levels:
        for c in (c for c in criteria if c.level == level):
            flags = "".join(f", {f}" for f, on in (("significant", c.significant), ("dominant", c.dominant)) if on)
            out += comment(c.text, indent="#   ", first=f"{c.id} ({c.level}{flags}): ")
            out += [f"#   - criterion: {c.id}", "#     judgement:  # met | partly met | not met", "#     evidence: []"]
    if fw.factors:
        out += [""]
        out += comment("The framework's further factors, judged like criteria: " + "; ".join(f"{f.id}: {f.text}" for f in fw.factors))
        out.append("# factors:")
        for f in fw.factors:
            out += [f"#   - factor: {f.id}", "#     judgement:  # met | partly met | not met", "#     evidence: []"]
    return out


def glossary_yaml(
    name: str, year: int, used: list[str], meanings: dict[str, tuple[str, str]], left_out: dict[str, str], header: list[str]
) -> str:
    known = sorted((w for w in used if w in meanings), key=str.lower)
    kept_out = [w for w in used if w not in meanings and w in left_out]
    unknown = [w for w in used if w not in meanings and w not in left_out]
    sources = sorted({meanings[w][1] for w in known})
    parts: list[str | list[str]] = [
        header,
        comment(
            f"{name}, {year}: the glossary of terms and abbreviations, in the order printed. Every abbreviation the "
            "report prints needs an entry; an entry the report never uses is a warning."
        ),
    ]
    if known:
        parts.append(
            comment(
                "These are the abbreviations the framework's shared text and this scaffold use, with the meanings "
                f"given in {join(f'evidence/{s}/glossary.yaml' for s in sources)}. Add the force's own."
            )
        )
        parts.append("terms:")
        for w in known:
            parts += [f"  - term: {scalar(w)}", f"    meaning: {scalar(meanings[w][0])}"]
    else:
        parts += ["terms: []  # {term, meaning}, in the order printed"]
    if kept_out or unknown:
        parts += [
            "",
            comment(
                "Abbreviations the report uses that the printed glossary leaves out: move one to 'terms', with its meaning, to print it."
            ),
            "unexpanded:",
        ]
        if kept_out:
            sources = sorted({left_out[w] for w in kept_out})
            parts += comment(f"left out of {join(f'evidence/{s}/glossary.yaml' for s in sources)} too:", indent="  ")
            parts += [f"  - {scalar(w)}" for w in kept_out]
        if unknown:
            parts += comment(
                "no other force's glossary explains these: give each a meaning under 'terms', or confirm "
                "that the glossary should leave it out",
                indent="  ",
            )
            parts += [f"  - {scalar(w)}" for w in unknown]
    return lines(*parts)


def scaffold(
    fb: FrameworkBundle,
    key: str,
    name: str,
    year: int,
    siblings: list[Sibling],
    previous: Previous | None,
    schemas: Path | None,
    folder: Path,
) -> Scaffold:
    """Every file of the new force's folder, as text. Pure apart from the relative schema paths."""
    fw = fb.framework
    sibling = next((s for s in siblings if s.force is not None and s.force.framework == fb.key), None)

    def header(kind: str, filename: str) -> list[str]:
        # The framework's own schema, as `hmic schema --annotate` would point the file at (fb loaded without errors).
        own = schemas / schema_in(fb, BY_NAME[kind], filename.removesuffix(".yaml")) if schemas is not None else None
        return [modeline_to(folder / filename, own)] if own is not None else []

    files = {"force.yaml": force_yaml(fb, key, name, year, sibling, previous, header("force", "force.yaml"))}
    for ad in fw.areas:
        files[f"{ad.id}.yaml"] = area_yaml(fb, ad, key, name, year, header("area-evidence", f"{ad.id}.yaml"))
    # The glossary must cover the abbreviations of everything the report prints.
    texts = framework_prose(fb)
    for fname, text in files.items():
        texts += [t for _, t in printed_strings(_data(text, fname))]
    used = abbreviations(texts)
    meanings: dict[str, tuple[str, str]] = {}
    left_out: dict[str, str] = {}
    for s in sorted(siblings, key=lambda s: (s.force is None or s.force.framework != fb.key, s.key)):
        for term, meaning in s.meanings.items():
            meanings.setdefault(term, (meaning, s.key))
        for term in sorted(s.unexpanded):
            left_out.setdefault(term, s.key)
    files["glossary.yaml"] = glossary_yaml(name, year, used, meanings, left_out, header("glossary", "glossary.yaml"))
    notes = _notes(fb, key, used, meanings, left_out, siblings)
    return Scaffold(key, files, notes)


def _data(text: str, fname: str) -> object:
    return parse(text, fname).data


def _notes(
    fb: FrameworkBundle, key: str, used: list[str], meanings: dict[str, tuple[str, str]], left_out: dict[str, str], siblings: list[Sibling]
) -> list[str]:
    notes = []
    nat = fb.national
    slug = key.rsplit("-", 1)[0]
    rel = f"criteria/{fb.key}/national-results.yaml"
    needs_row = any(r.shape is Shape.FORCES for r in picture(fb).areas.values())
    if nat is not None and needs_row and slug not in nat.forces:
        notes.append(
            f"{rel} lists {len(nat.forces)} forces' grades and not '{slug}': once its areas are graded, add "
            f"forces.{slug} there (E507); the framework counts {fb.framework.number_of_forces} forces"
        )
    if fb.framework.publisher is None and not any(s.force and s.force.framework == fb.key and s.force.publisher for s in siblings):
        notes.append("force.yaml: no publisher is known for this framework; give 'publisher:' there or in its framework.yaml (W340)")
    unknown = [w for w in used if w not in meanings and w not in left_out]
    if unknown:
        notes.append(f"glossary.yaml: no other force's glossary explains {join(unknown)}; they are listed under 'unexpanded'")
    if not any(w in meanings for w in used):
        notes.append("glossary.yaml has no terms yet, so the report would have no glossary (W341)")
    return notes
