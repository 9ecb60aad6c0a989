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

from indexer.document import DOC_TYPE_CODES
from indexer.lexicon import Abbreviations, abbreviations, syllables
from indexer.mapping import CAPS_FIELD, NUMBER_FIELD
from indexer.text import Span, canonical, fold, has_diacritics, normalize, spans
from search import tiers
from search.vocab import FUNCTION_SYLLABLES
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
    kind: str = "word"  # word, phrase, abbr, docnum, date, docpart
    # Partial document-number keys (indexer.mapping.number_parts) that also satisfy the unit.
    keys: tuple[str, ...] = ()


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
        """Exact tokens worth marking in a snippet. An abbreviation's expansion counts only as a
        whole phrase (highlight_phrases): 'UBND' never marks a lone 'ban' or 'dân'."""
        return frozenset(
            _as_marked(u, t)
            for u in self.units
            for alt in u.alternatives
            if u.kind != "abbr" or len(alt) == 1
            for t in alt
        )

    def highlight_phrases(self) -> frozenset[str]:
        """What a snippet marks first when the text holds it: the typed runs and their pairs,
        quoted phrases, abbreviations and their expansions (search.snippet)."""
        out = {
            alt[-1] if u.kind == "docpart" else _as_marked(u, " ".join(alt))  # 'quyết định 45'
            for u in self.units
            if u.kind != "word"
            for alt in u.alternatives
        }
        for run in self.runs:
            out.add(" ".join(run))
            out.update(f"{a} {b}" for a, b in itertools.pairwise(run))
        return frozenset(out)


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
        number = _number_unit(sp, norm, i, units)
        if number is not None:
            unit, used, merged = number
            for prev in units[len(units) - merged :]:
                toks = prev.alternatives[0]
                if tuple(run[-len(toks) :]) == toks:
                    del run[-len(toks) :]
            del units[len(units) - merged :]
            close_run()
            units.append(unit)
            i += used
            continue
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


# Document types as typed before a number: codes (QĐ, qd, NQ) and names (quyết định).
_TYPE_CODE = {fold(k): fold(k) for k in DOC_TYPE_CODES if "-" not in k}
_TYPE_NAME = {tuple(fold(v).split()): fold(k) for k, v in reversed(DOC_TYPE_CODES.items())}
_YEAR = re.compile(r"(?:19|20)\d\d")


def _number_unit(
    sp: list[Span], norm: str, i: int, units: list[Unit]
) -> tuple[Unit, int, int] | None:
    """A partial document number at sp[i]: (unit, spans used, preceding units merged), or None.

    '224/QĐ', '12/2005', 'QĐ 224', 'quyết định 224', 'số 224' and a bare '224' all look up
    the partial-number keys of the index (indexer.mapping.number_parts) besides their text.
    """
    s = sp[i]
    if s.kind == "docnum":
        parts = [p for p in re.split(r"[/\-]", fold(s.text)) if p]
        if len(parts) != 2 or not parts[0].isdecimal():
            return None  # a whole number is matched as written
        letters = re.match(r"[a-z]+", parts[1])
        key = f"{int(parts[0])}/{letters.group(0) if letters else parts[1]}"
        return Unit(((s.text,),), "docpart", (key,)), 1, 0
    if s.kind != "word" or not s.text.isdecimal() or len(s.text) > 6:
        return None
    n = str(int(s.text))
    nxt = sp[i + 1] if i + 1 < len(sp) else None
    if nxt is not None and _YEAR.fullmatch(nxt.text) and norm[s.end : nxt.start] == "/":
        return Unit(((s.text, nxt.text),), "docpart", (f"{n}/{nxt.text}",)), 2, 0
    for merged in (2, 1):
        if len(units) < merged:
            continue
        before = units[len(units) - merged :]
        toks = tuple(t for u in before for t in u.alternatives[0])
        folded = tuple(fold(t) for t in toks)
        code = _TYPE_NAME.get(folded)
        if code is None and merged == 1:
            code = _TYPE_CODE.get("".join(folded))
        if code is not None:
            return Unit(((*toks, s.text),), "docpart", (f"{n}/{code}",)), 1, merged
        if merged == 1 and folded == ("so",):
            return Unit(((*toks, s.text),), "docpart", (n,)), 1, 1
    return Unit(((s.text,),), "docpart", (n,)), 1, 0


def _as_marked(unit: Unit, token: str) -> str:
    """How a term is marked: an abbreviation that is also a syllable (HU, TU, ĐU) in capitals,
    which the page and snippets match case and all ('ĐU', never the 'đu' of 'đu quay')."""
    return token.upper() if unit.kind == "abbr" and token in syllables() else token


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
            units.append(Unit((phrase,), "quoted"))
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
    # Ranking tiers, best first (search.tiers): each a list of requirements shaped like units;
    # a document ranks in the first tier whose requirements it all meets, BM25F within a tier.
    tiers: tuple[tuple[tuple[Alternative, ...], ...], ...] = ()


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

    def consistent(self, pair: str) -> list[str]:
        """The index's pairs that keep every diacritic typed ('dân van' → 'dân vận', 'dân văn')."""
        typed = pair.split(" ")
        return [
            p
            for p, _ in self.terms(pair)
            if all(t == w or fold(t) == t for t, w in zip(typed, p.split(" "), strict=True))
        ]

    def word_forms(self, word: str) -> list[str]:
        """The accentings in the index of a syllable typed without diacritics that are
        Vietnamese syllables and not function words ('ta' → tà, tá, tạ; not 'ta' itself)."""
        if self.vocab is None:
            return []
        known = syllables()
        found = self.vocab.forms.get(word, [])
        return [w for w in found if w in known and w not in FUNCTION_SYLLABLES]

    def likely(self, pair: str, after: frozenset[str] = frozenset()) -> list[str]:
        """The consistent pairs the user most likely meant (all of them without a vocabulary);
        `after`: the likely forms of the first syllable, from the pair before it in the run."""
        found = self.consistent(pair)
        if after:
            found = [p for p in found if p.split(" ")[0] in after] or found
        if self.vocab is None or not any(fold(t) == t for t in pair.split(" ")):
            return found
        return self.vocab.likely(found) or found


def _alternative(alt: tuple[str, ...], pairs: _Pairs, kind: str = "word") -> Alternative:
    """Documents holding this token sequence, accents optional (adjacent pairs for a phrase).

    A quoted phrase keeps the diacritics typed; an abbreviation's own form matches as written
    (HU is not 'hủ', HĐND not 'hdnd' folded from something else).
    """
    if len(alt) == 1:
        if kind == "abbr":
            return (tiers.abbreviation_terms(alt[0]),)
        if kind == "quoted" and has_diacritics(alt[0]):
            return ((("text", alt[0]), ("title", alt[0])),)
        return ((("text_f", fold(alt[0])),),)
    if kind == "phrase":
        return tuple(
            (*(("text_bi", p) for p in pairs.consistent(pair)), ("title_bi", pair))
            for pair in _pairs(alt)
        )
    return tuple(tuple(("text_bi", p) for p, _ in pairs.terms(pair)) for pair in _pairs(alt))


def _unit_alternatives(unit: Unit, pairs: _Pairs) -> tuple[Alternative, ...]:
    """A unit's alternatives as terms, with its partial-number keys."""
    alts = [_alternative(a, pairs, unit.kind) for a in unit.alternatives]
    alts += [(((NUMBER_FIELD, k),),) for k in unit.keys]
    return tuple(alts)


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
            if unit.kind == "abbr" and len(alt) == 1 and alt[0] in syllables():
                add(CAPS_FIELD, alt[0], (w.fold + w.exact + w.title) * k)  # 'ĐU', not 'Đu đủ'
                continue
            for tok in alt:
                add("text_f", fold(tok), w.fold * k)
                add("text", tok, w.exact * k)
                add("title", tok, w.title * k)
                add("title_f", fold(tok), w.title_f * scale(tok) * k)
            for pair in _pairs(alt):
                add_pair(pair)
        for key in unit.keys:
            add(NUMBER_FIELD, key, w.number)
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
        units=tuple(_unit_alternatives(u, pairs) for u in pq.units),
        excluded=tuple(("text_f", fold(t)) for t in pq.excluded),
        scoring=tuple(_scoring(pq, pairs, weights)),
        tiers=tiers.build(pq, pairs),
    )
