"""The glossary check: every abbreviation the report prints has an entry, and every entry is used."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from msgspec import Struct

from ..diagnostics import Diagnostics, Loc
from ..inputs.loader import Document
from ..inputs.project import ForceBundle, FrameworkBundle
from .printed import Printed, printed, printed_strings, printed_texts
from .words import candidates

# Documents whose printed text is scanned: each with the top-level key it is limited to, or None for all of it.
Scanned = tuple[tuple[Document, "str | None"], ...]


class PrintedWords(Struct, frozen=True):
    """The candidate abbreviations in some documents' printed text, as distinct (word, whole) pairs
    (see words.candidates), and the documents, to find where a word is used when one is reported."""

    pairs: frozenset[tuple[str, str]]
    scanned: Scanned

    def places(self) -> Iterator[tuple[Document, tuple, str, str]]:
        """Every use, in document order, as (document, path to the string, word, whole)."""
        for doc, only in self.scanned:
            for path, text in printed_strings(doc.data):
                if only is None or path[:1] == (only,):
                    for word, whole in candidates(text):
                        yield doc, path, word, whole


def printed_words(scanned: Iterable[tuple[Document, str | None]], of: Callable[[Document], Printed] = printed) -> PrintedWords:
    """The candidate abbreviations of the documents' printed text, each limited to its top-level key when it names
    one; a whole document's as `of` gives them (checks/printed.py: kept between runs by the file's SHA-256). The
    words of several texts are those of each: no capitalised word runs from one string into the next."""
    scanned = tuple(scanned)
    pairs: set[tuple[str, str]] = set()
    partial: list[str] = []
    for doc, only in scanned:
        if only is None:
            pairs |= of(doc).words
        else:
            printed_texts(doc.data.get(only) if isinstance(doc.data, dict) else None, partial)
    if partial:
        pairs.update(candidates("\n".join(partial)))
    return PrintedWords(frozenset(pairs), scanned)


def framework_words(fb: FrameworkBundle) -> PrintedWords:
    """Candidate abbreviations in what every force's report prints from the framework: the grade
    definitions, the introduction, each area's national context (not the criteria)."""
    printed = {"framework": "grades", "introduction": None}
    return printed_words((d, printed.get(role, "national_context")) for role, d in fb.docs.items() if role != "national")


def check_glossary(
    fo: ForceBundle, shared: PrintedWords, diags: Diagnostics, shared_incomplete: bool = False, of: Callable[[Document], Printed] = printed
) -> None:
    """Every abbreviation in the report's text has a glossary entry; every entry is used. `of`: each of the
    force's documents' printed text (checks/printed.py), when worked out already."""
    gdoc = fo.docs.get("glossary")
    if gdoc is None or fo.glossary_file is None:  # missing, unreadable or nothing valid in it (already reported)
        diags.warning(
            gdoc.loc(()) if gdoc else Loc(f"evidence/{fo.key}/glossary.yaml", 1, 1),
            "W803",
            f"abbreviations of {fo.key} not checked: its glossary could not be read"
            if gdoc is None
            else f"abbreviations of {fo.key} not checked: its glossary has errors",
            "fix glossary.yaml, and every abbreviation is checked",
        )
        return
    g = fo.glossary_file
    terms = [t.term for t in g.terms]
    if not terms and "glossary" not in fo.broken:  # with errors, its terms may all be entries in error
        diags.warning(
            gdoc.loc(("terms",), key=True),
            "W341",
            "the glossary has no terms, so the report has no glossary",
            "add the report's terms and abbreviations under 'terms', each {term, meaning}",
        )
    known = set(terms) | set(g.unexpanded)
    known |= fo.as_read("glossary", "terms", "*", "term") | fo.as_read("glossary", "unexpanded", "*")  # entries in error count
    first: dict[str, int] = {}
    for i, t in enumerate(terms):
        if t in first:
            diags.error(
                gdoc.loc(("terms", i, "term")),
                "E307",
                f"glossary term '{t}' appears twice (first at line {gdoc.loc(('terms', first[t])).line})",
                "keep one entry",
            )
        first.setdefault(t, i)
    own = printed_words(((d, None) for role, d in fo.docs.items() if role != "glossary"), of)
    used: set[str] = set()
    missing = False
    for word, whole in shared.pairs | own.pairs:
        hit = word if word in known else whole if whole in known else None
        if hit:
            used.add(hit)
        elif word.isupper():
            missing = True
    if missing:  # report each missing word once, at its first use (rare: only now are paths walked)
        reported: set[str] = set()
        for doc, path, word, whole in [*shared.places(), *own.places()]:
            if word in known or whole in known or not word.isupper() or word in reported:
                continue
            reported.add(word)
            diags.error(
                doc.loc(path),
                "E603",
                f"abbreviation '{word}' is not in the glossary",
                f"add it to {gdoc.rel} under 'terms' (or under 'unexpanded' if the glossary deliberately leaves it out)",
            )
    if shared_incomplete or fo.broken:
        return  # some printed text failed to load or is in error: "never used" could be wrong, so say nothing
    for i, t in enumerate(terms):
        if t not in used:
            diags.warning(
                gdoc.loc(("terms", i, "term")),
                "W604",
                f"glossary term '{t}' is never used in the report",
                "remove the entry, or check its spelling",
            )
    for i, t in enumerate(g.unexpanded):
        if t not in used:
            diags.warning(
                gdoc.loc(("unexpanded", i)),
                "W604",
                f"'{t}' is listed as unexpanded but never used in the report",
                "remove it from 'unexpanded'",
            )
