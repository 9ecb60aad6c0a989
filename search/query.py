"""User text → a search plan (what must match, what scores). Pure: no index access.

Every query syllable must match in the folded field (so 'dan van' finds 'dân vận'); the score adds
exact-form matches, title matches and adjacent-pair (bigram) matches on top, so exact beats folded,
title beats body and 'dân vận' together beats 'dân' … 'vận' apart. Whoosh syntax typed by users
(title:, *, ?, ~2, ^3, AND, parentheses) is plain text here: nothing is parsed as an operator but
"quoted phrases" and -exclusions.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from indexer.lexicon import Abbreviations, abbreviations, syllables
from indexer.text import canonical, fold, has_diacritics, normalize, spans
from search.weights import DEFAULT_WEIGHTS, Weights

if TYPE_CHECKING:
    from search.vocab import Vocabulary

MAX_QUERY_CHARS = 500
MAX_UNITS = 24


@dataclass(frozen=True)
class Unit:
    """One thing the query requires: alternatives, each a sequence of exact tokens.

    A plain syllable has one alternative of length one; a quoted phrase one longer alternative;
    an abbreviation its own form plus its expansions (UBND | ủy ban nhân dân).
    """

    alternatives: tuple[tuple[str, ...], ...]
    kind: str = "word"  # word, phrase, abbr, docnum, date


@dataclass(frozen=True)
class ParsedQuery:
    """The query as units, in order, plus exclusions."""

    units: tuple[Unit, ...]
    excluded: tuple[str, ...] = ()
    # Consecutive plain syllables (exact tokens) used for adjacency boosts.
    runs: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.units

    def highlight_terms(self) -> frozenset[str]:
        """Exact tokens worth marking in a snippet."""
        return frozenset(t for u in self.units for alt in u.alternatives for t in alt)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_QUOTED = re.compile(r'"([^"]*)"?')
_EXCLUDE = re.compile(r"(?:^|\s)-(\S+)")


def clean(q: str) -> str:
    """NFC, no control characters, single spaces, at most MAX_QUERY_CHARS."""
    q = unicodedata.normalize("NFC", q[: MAX_QUERY_CHARS * 4])
    q = _CONTROL.sub(" ", q)
    return " ".join(q.split())[:MAX_QUERY_CHARS]


def _word_units(text: str, abbr: Abbreviations) -> tuple[list[Unit], list[tuple[str, ...]]]:
    """Units and adjacency runs of unquoted text."""
    norm = normalize(text)
    sp = spans(norm.lower())
    units: list[Unit] = []
    runs: list[tuple[str, ...]] = []
    run: list[str] = []
    known = syllables()
    longest = abbr.longest_expansion()
    i = 0

    def close_run() -> None:
        nonlocal run
        if len(run) > 1:
            runs.append(tuple(run))
        run = []

    while i < len(sp):
        s = sp[i]
        if s.kind != "word":
            close_run()
            units.append(Unit(((s.text,),), s.kind))
            i += 1
            continue
        # An abbreviation typed as one or a few joined tokens: UBND, KT-XH, TP.HCM.
        matched = False
        for k in (3, 2, 1):
            if i + k > len(sp):
                continue
            group = sp[i : i + k]
            if k > 1 and any(
                group[j + 1].start - group[j].end != 1 or norm[group[j].end] not in "-.&"
                for j in range(k - 1)
            ):
                continue
            key = fold("".join(g.text for g in group))
            if key not in abbr.expansions:
                continue
            raw = norm[group[0].start : group[-1].end]
            # A two-letter key that is also a syllable (HU / hư) counts only typed in capitals.
            if k == 1 and s.text in known and not raw.isupper():
                continue
            typed = tuple(g.text for g in group)
            alts = tuple(dict.fromkeys((typed, *abbr.forms[key], *abbr.expansions[key])))
            close_run()
            units.append(Unit(alts, "abbr"))
            i += k
            matched = True
            break
        if matched:
            continue
        # An expansion typed in full: ủy ban nhân dân → also UBND.
        for k in range(min(longest, len(sp) - i), 1, -1):
            group = sp[i : i + k]
            if any(g.kind != "word" for g in group) or group[-1].clause != group[0].clause:
                continue
            found = abbr.abbr_of.get(tuple(fold(g.text) for g in group))
            if found is None:
                continue
            key = found
            phrase = tuple(g.text for g in group)
            run.extend(phrase)
            units.append(Unit(tuple(dict.fromkeys((phrase, *abbr.forms[key]))), "abbr"))
            i += k
            matched = True
            break
        if matched:
            continue
        if run and sp[i - 1].clause != s.clause:
            close_run()
        run.append(s.text)
        units.append(Unit(((s.text,),), "word"))
        i += 1
    close_run()
    return units, runs


def parse(q: str, abbr: Abbreviations | None = None) -> ParsedQuery:
    """Read what the user typed."""
    abbr = abbr or abbreviations()
    q = clean(q)
    excluded = tuple(
        t for m in _EXCLUDE.finditer(q) for t in (s.text for s in spans(canonical(m.group(1))))
    )
    q = _EXCLUDE.sub(" ", q)
    units: list[Unit] = []
    runs: list[tuple[str, ...]] = []
    pos = 0
    for m in _QUOTED.finditer(q):
        u, r = _word_units(q[pos : m.start()], abbr)
        units += u
        runs += r
        phrase = tuple(s.text for s in spans(canonical(m.group(1))))
        if len(phrase) == 1:
            units.append(Unit((phrase,), "word"))
        elif phrase:
            units.append(Unit((phrase,), "phrase"))
            runs.append(phrase)
        pos = m.end()
    u, r = _word_units(q[pos:], abbr)
    units += u
    runs += r
    return ParsedQuery(tuple(units[:MAX_UNITS]), excluded, tuple(runs))


def _pairs(tokens: tuple[str, ...]) -> list[str]:
    return [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


Term = tuple[str, str]  # (field, text)
# A unit matches when one of its alternatives matches; an alternative when each of its parts
# matches; a part when any of its terms is in the document.
Alternative = tuple[tuple[Term, ...], ...]


@dataclass(frozen=True)
class Plan:
    """What to match and how to score it, as plain data (executed by search.ranking)."""

    units: tuple[tuple[Alternative, ...], ...]
    excluded: tuple[Term, ...]
    scoring: tuple[tuple[str, str, float], ...]  # (field, text, weight)


class _Pairs:
    """The exact pairs to look for for each typed pair, looked up once per query."""

    def __init__(self, vocab: Vocabulary | None) -> None:
        self.vocab = vocab
        self._seen: dict[str, list[tuple[str, bool]]] = {}

    def terms(self, pair: str) -> list[tuple[str, bool]]:
        """The typed pair (True), and the index's pairs folding like it (False)."""
        found = self._seen.get(pair)
        if found is None:
            found = [(pair, True)]
            if self.vocab is not None:
                a, b = pair.split(" ", 1)
                found += [(p, False) for p, _ in self.vocab.pair_variants(a, b) if p != pair]
            self._seen[pair] = found
        return found


def _alternative(alt: tuple[str, ...], pairs: _Pairs) -> Alternative:
    """Documents holding this token sequence, accents optional (adjacent pairs for a phrase)."""
    if len(alt) == 1:
        return ((("text_f", fold(alt[0])),),)
    return tuple(tuple(("text_bi", p) for p, _ in pairs.terms(pair)) for pair in _pairs(alt))


def _scoring(pq: ParsedQuery, pairs: _Pairs, w: Weights) -> list[tuple[str, str, float]]:
    out: dict[Term, float] = {}

    def add(field: str, text: str, weight: float) -> None:
        out[(field, text)] = max(out.get((field, text), 0.0), weight)

    def scale(text: str) -> float:
        return w.accented_fold_scale if has_diacritics(text) else 1.0

    def add_pair(pair: str) -> None:
        sc = scale(pair)
        add("title_bi", pair, w.title_bi)
        add("title_bi_f", fold(pair), w.title_bi_f * sc)
        for p, typed in pairs.terms(pair):
            add("text_bi", p, w.bigram if typed else w.bigram_f * sc)

    for unit in pq.units:
        longest = max(len(alt) for alt in unit.alternatives)
        for alt in unit.alternatives:
            # 'ubnd' stands for the four syllables of 'ủy ban nhân dân': weigh it like them, or
            # a title with only 'nhân dân' would outrank one that says UBND.
            k = float(longest) if unit.kind == "abbr" and len(alt) == 1 else 1.0
            for tok in alt:
                add("text_f", fold(tok), w.fold * k)
                add("text", tok, w.exact * k)
                add("title", tok, w.title * k)
                add("title_f", fold(tok), w.title_f * scale(tok) * k)
            for pair in _pairs(alt):
                add_pair(pair)
    for run in pq.runs:
        for pair in _pairs(run):
            add_pair(pair)
    # Adjacency across an abbreviation: 'yêu cầu UBND' also scores the pair 'cầu ubnd' and
    # 'cầu ủy' (runs of plain words stop at an abbreviation).
    for left, right in itertools.pairwise(pq.units):
        if "abbr" in (left.kind, right.kind) and {left.kind, right.kind} <= {"word", "abbr"}:
            for a in left.alternatives[:3]:
                for b in right.alternatives[:3]:
                    add_pair(f"{a[-1]} {b[0]}")
    return [(f, t, wt) for (f, t), wt in out.items()]


def plan(
    pq: ParsedQuery, vocab: Vocabulary | None = None, weights: Weights = DEFAULT_WEIGHTS
) -> Plan:
    """The plan of a parsed query (without a vocabulary, accent-free pairs match only
    pairs indexed without accents)."""
    pairs = _Pairs(vocab)
    return Plan(
        units=tuple(tuple(_alternative(a, pairs) for a in u.alternatives) for u in pq.units),
        excluded=tuple(("text_f", fold(t)) for t in pq.excluded),
        scoring=tuple(_scoring(pq, pairs, weights)),
    )
