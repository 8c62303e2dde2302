"""Pairing old and new evidence items for `hmic diff`: by id, then identical text, then similar words, in near-linear time.

Comparing every unmatched old item with every unmatched new one is quadratic: 4,000 items made 16
million comparisons. Two items can only be SIMILAR if they share a good part of their words, and
then (prefix filtering, as similarity joins do) they share one of their rarer words: each item is
compared only with the items that share one of its rarest words, at most MAX_CANDIDATES of them
(fewer than that share its rarest words in any real report), and difflib's cheap upper bounds go
first. Items longer than MAX_WORDS are compared by their word counts alone, and shown whole.
"""

from __future__ import annotations

import difflib
import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from fractions import Fraction

from msgspec import Struct

SIMILAR = 0.6  # word-level similarity above which an unmatched item counts as reworded rather than removed and added
MAX_CANDIDATES = 32  # items compared with each unmatched item
MAX_WORDS = 1_000  # longer items are compared by their words' counts (difflib's matching is quadratic at worst)


class Entry(Struct, frozen=True):
    """An evidence item or recommendation as compared: the list it is in, its id and its text."""

    kind: str
    id: str | None
    text: str


class ItemChange(Struct, frozen=True):
    change: str  # added | removed | reworded | moved | renamed
    old: Entry | None
    new: Entry | None


def words(text: str) -> list[str]:
    return text.split()


def _ratio(a: list[str], b: list[str]) -> float:
    if len(a) + len(b) > 2 * MAX_WORDS:
        return difflib.SequenceMatcher(None, a, b).quick_ratio() if a and b else 0.0
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if sm.real_quick_ratio() < SIMILAR or sm.quick_ratio() < SIMILAR:
        return 0.0  # cheap upper bounds: never similar
    return sm.ratio()


def similarity(a: str, b: str) -> float:
    return _ratio(words(a), words(b))


def _tokens(ws: list[str]) -> set[tuple[str, int]]:
    """A text's words as a set, each repeat of a word its own element ("the" twice: (the, 1), (the, 2))."""
    seen: Counter[str] = Counter()
    out = set()
    for w in ws:
        seen[w] += 1
        out.add((w, seen[w]))
    return out


_S = Fraction(SIMILAR).limit_denominator(1000)


def _min_overlap(n: int) -> int:
    """Words an item of n words must share with any item it is SIMILAR to: 2M/(n+m) >= s with M <= min(n, m) gives M >= s*n/(2-s)."""
    return max(1, math.ceil(_S * n / (2 - _S)))


def similar_pairs(old: Sequence[str], new: Sequence[str]) -> list[tuple[float, int, int]]:
    """(-similarity, i, j) for every old[i], new[j] at least SIMILAR, best first (ties by position)."""
    ow, nw = [words(t) for t in old], [words(t) for t in new]
    ot, nt = [_tokens(w) for w in ow], [_tokens(w) for w in nw]
    df: Counter[tuple[str, int]] = Counter()
    for toks in (*ot, *nt):
        df.update(toks)

    def prefix(toks: set[tuple[str, int]]) -> list[tuple[str, int]]:
        rarest = sorted(toks, key=lambda t: (df[t], t))
        return rarest[: len(rarest) - _min_overlap(len(rarest)) + 1]

    index: defaultdict[tuple[str, int], list[int]] = defaultdict(list)
    for j, toks in enumerate(nt):
        for tok in prefix(toks):
            index[tok].append(j)
    scored = []
    for i, toks in enumerate(ot):
        shared: Counter[int] = Counter()
        for tok in prefix(toks):  # rarest first; a word many items share adds no more than MAX_CANDIDATES of them
            shared.update(index.get(tok, ())[:MAX_CANDIDATES])
        chosen = shared if len(shared) <= MAX_CANDIDATES else heapq.nsmallest(MAX_CANDIDATES, shared, key=lambda j: (-shared[j], j))
        for j in chosen:
            # difflib's quick_ratio, from the word sets already made: the words both share bound the matches
            if 2 * len(toks & nt[j]) < SIMILAR * (len(toks) + len(nt[j])):
                continue
            r = _ratio(ow[i], nw[j])
            if r >= SIMILAR:
                scored.append((-r, i, j))
    return sorted(scored)


def match_items(old: list[Entry], new: list[Entry], order: Sequence[str]) -> list[ItemChange]:
    """Pair old and new items by id, then by identical text, then by similar text; the rest are added or removed.

    `order` is the order of the lists (kinds) in which the changes are reported."""
    changes: list[ItemChange] = []
    left = dict(enumerate(old))  # unmatched, by position: insertion order kept
    right = dict(enumerate(new))

    def pair(i: int, j: int) -> None:
        o, n = left.pop(i), right.pop(j)
        if o.text != n.text:
            changes.append(ItemChange("reworded", o, n))
        elif o.kind != n.kind:
            changes.append(ItemChange("moved", o, n))
        elif o.id and n.id and o.id != n.id:
            changes.append(ItemChange("renamed", o, n))

    by_id: dict[str, int] = {}
    for j, n in right.items():
        if n.id:
            by_id[n.id] = j  # the last with an id wins, as a dict built in order does
    for i, o in list(left.items()):
        k = by_id.get(o.id) if o.id else None
        if k is not None and k in right:
            pair(i, k)
    by_text: defaultdict[str, list[int]] = defaultdict(list)
    for j, n in right.items():
        by_text[n.text].append(j)
    for i, o in list(left.items()):
        same = [j for j in by_text.get(o.text, ()) if j in right]
        if same:
            pair(i, next((j for j in same if right[j].kind == o.kind), same[0]))
    li, ri = list(left), list(right)
    taken_o: set[int] = set()
    taken_n: set[int] = set()
    for _, a, b in similar_pairs([left[i].text for i in li], [right[j].text for j in ri]):
        if a not in taken_o and b not in taken_n:
            taken_o.add(a)
            taken_n.add(b)
            pair(li[a], ri[b])
    changes += [ItemChange("removed", o, None) for o in left.values()]
    changes += [ItemChange("added", None, n) for n in right.values()]
    rank = {k: i for i, k in enumerate(order)}
    return sorted(changes, key=lambda c: rank[c.new.kind if c.new else c.old.kind])  # type: ignore[union-attr]
