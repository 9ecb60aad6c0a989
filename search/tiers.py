"""Ranking tiers of a query (issue 11): which documents hold it the way it was typed. Pure.

BM25F alone lets a title holding the syllables scattered, or another accenting of them, outrank
a body holding the very phrase typed. Tiers come first and BM25F orders within a tier:

1. strict: each typed run of syllables adjacent and in order with the diacritics typed (for
   syllables typed without diacritics: the accented pairs the index says were likely meant, see
   search.vocab.Vocabulary.likely); an accented single word as typed; an abbreviation as itself
   or its expansion adjacent; a partial document number in a number field;
2. folded: the same runs adjacent with any accenting;
3. the rest of the matches (syllables anywhere).

Before 1, for syllables typed without diacritics, the single likeliest accenting of each pair.

The index keeps no positions, so "adjacent" is an indexed pair of one clause (text_bi, title_bi);
"all syllables in one clause" cannot be told from the index and is not a tier.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from indexer.lexicon import syllables
from indexer.mapping import CAPS_FIELD, NUMBER_FIELD
from indexer.text import fold, has_diacritics

# Syllables: a query this short typed without diacritics is ranked for the accenting it likely
# means. Three-syllable ones are left out: on the bench they are as often fragments ('cac loai
# vat': các loài vật) as words, and guessing their pairs one by one cost more than it gained.
SHORT = 2


if TYPE_CHECKING:
    from search.query import Alternative, ParsedQuery, Term, Unit, _Pairs

    Requirement = tuple[Alternative, ...]  # met when one alternative is


def abbreviation_terms(token: str) -> tuple[Term, ...]:
    """Documents holding an abbreviation's one-token form as itself: written in capitals when
    it is also a syllable (HU, TU, ĐU: never 'hủ', 'tu', 'Đu đủ'), else as indexed ('ubnd')."""
    if token in syllables():
        return ((CAPS_FIELD, token),)
    return (("text", token), ("title", token))


def _pair_list(tokens: tuple[str, ...]) -> list[str]:
    return [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def _exact(tok: str) -> Alternative:
    return ((("text", tok), ("title", tok)),)


def _adjacent(
    tokens: tuple[str, ...], pairs: _Pairs, strict: bool, short: bool = True, best: bool = False
) -> Alternative:
    """Every pair of the tokens adjacent: as typed (strict) or with any accenting. Syllables
    typed without diacritics count as typed in their likely accenting in a short query (each
    pair's choice following the one before it: 'căng thẳng' then 'thẳng trước'); a longer one
    says enough by itself (its pairs are often not words: 'đầu tiên vào')."""
    out = []
    after: frozenset[str] = frozenset()
    for pair in _pair_list(tokens):
        if strict:
            typed = pairs.likely(pair, after) if short else pairs.consistent(pair)
            if best:
                typed = typed[:1] if short else []
            after = frozenset(p.split(" ")[1] for p in typed)
            found = [("text_bi", p) for p in typed] + [("title_bi", pair)]
        else:
            found = [("text_bi", p) for p, _ in pairs.terms(pair)] + [("title_bi_f", fold(pair))]
        out.append(tuple(found))
    return tuple(out)


def _unit(unit: Unit, pairs: _Pairs, strict: bool, alone: bool = False) -> Requirement | None:
    """What one unit asks of a document in the strict or the folded tier (None: nothing more)."""
    if unit.keys:
        return ((tuple((NUMBER_FIELD, k) for k in unit.keys),),)
    if unit.kind == "abbr":
        return tuple(
            (abbreviation_terms(alt[0]),) if len(alt) == 1 else _adjacent(alt, pairs, strict)
            for alt in unit.alternatives
        )
    word = unit.alternatives[0][0]
    if unit.kind in ("word", "quoted") and strict and has_diacritics(word):
        return (_exact(word),)
    if unit.kind == "word" and strict and alone:
        # One syllable without diacritics: documents holding a real word it folds from first
        # ('ta': tà, tạ, tả before the pronoun ta; 'bit': bịt before the English bit).
        forms = pairs.word_forms(word)
        return (
            (((tuple(t for f in forms for t in (("text", f), ("title", f)))),),) if forms else None
        )
    return None


def _beside_abbreviations(pq: ParsedQuery) -> list[Requirement]:
    """'TPHCM cho biết', 'UBND tỉnh': the word right after (or before) an abbreviation, adjacent
    to it in one of its forms ('tphcm cho', 'minh cho'; 'ubnd tỉnh', 'dân tỉnh')."""
    out: list[Requirement] = []
    for left, right in itertools.pairwise(pq.units):
        if "abbr" not in (left.kind, right.kind) or not {left.kind, right.kind} <= {"word", "abbr"}:
            continue
        found = tuple(
            (("text_bi", f"{a[-1]} {b[0]}"), ("title_bi", f"{a[-1]} {b[0]}"))
            for a in left.alternatives
            for b in right.alternatives
        )
        out.append(tuple((part,) for part in found))
    return out


def build(pq: ParsedQuery, pairs: _Pairs) -> tuple[tuple[Requirement, ...], ...]:
    """The tiers of a parsed query, best first (empty when every match ranks alike)."""
    # Pairs inside an abbreviation's expansion are asked by the abbreviation's own requirement
    # (a document saying 'HU' holds 'huyện ủy' as far as ranking goes).
    # So are the pairs joining it to the words around it: 'tại thành phố hồ chí minh' is met
    # by '… tại TP.HCM'.
    expansions = [u.alternatives[0] for u in pq.units if u.kind == "abbr"]
    inside = {p for e in expansions for p in _pair_list(e)}
    edges = {e[0] for e in expansions if len(e) > 1}, {e[-1] for e in expansions if len(e) > 1}
    out: list[tuple[Requirement, ...]] = []
    short = sum(len(u.alternatives[0]) for u in pq.units) <= SHORT
    for strict, best in ((True, True), (True, False), (False, False)):
        reqs: list[Requirement] = []
        for unit in pq.units:
            req = _unit(unit, pairs, strict, alone=short and len(pq.units) == 1)
            if req is not None:
                reqs.append(req)
        quoted = {u.alternatives[0] for u in pq.units if u.kind == "phrase"}
        for run in pq.runs:
            # A quoted phrase typed without diacritics means any accenting: no likely one.
            likely = short and run not in quoted
            # One requirement per pair (a document may hold the run split by a clause break),
            # the likely accentings chosen along the whole run.
            for pair, found in zip(
                _pair_list(run), _adjacent(run, pairs, strict, likely, best), strict=True
            ):
                left, right = pair.split(" ")
                if pair not in inside and right not in edges[0] and left not in edges[1]:
                    reqs.append(((found,),))
        reqs += _beside_abbreviations(pq)
        out.append(tuple(reqs))
    tiers: list[tuple[Requirement, ...]] = []
    for level in out:  # an empty tier is met by every match: it and those after it add nothing
        if not level:
            break
        if not tiers or level != tiers[-1]:
            tiers.append(level)
    return tuple(tiers)
