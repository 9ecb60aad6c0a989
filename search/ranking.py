"""Where a query becomes a score: a plan executed with NumPy — match, count, score, sort, page.

Whoosh's matchers walk postings one document at a time in Python (is_active, skip_to, score per
posting); on 45,000 articles a six-word query spent most of its time there. Here each posting
list arrives as arrays from the index view (indexer.whoosh_seam), sets are intersected and BM25F
is computed with array operations, so the cost follows the number of postings read, not Python
steps per posting. Scores are Whoosh's BM25F (B 0.75, K1 1.2, its idf and length encoding) with
the plan's weights as query boosts; tests/indexer/test_whoosh_seam.py compares them to Whoosh's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from indexer.whoosh_seam import IndexView, Postings, date_value
from search.caches import DOCSET_SHARE, DocSets, PostingsCache
from search.errors import SearchTimeout
from search.query import Alternative, Plan, Term
from search.sets import EMPTY_IDS, in_bits, intersect, member, union

K1 = 1.2
B = 0.75
PROBE_MAX = 512  # candidates looked up block by block in a list not in the cache
# The body-syllable fields: their terms are in most articles and bounded in two-phase ranking.
BODY_FIELDS = frozenset({"text", "text_f"})


@dataclass
class Ranked:
    """A page of results: global docnums, their scores, and the total."""

    docnums: list[int]
    scores: list[float | None]
    total: int


class Ranker:
    """Plan execution over one index generation (shared by threads: it holds no cursor)."""

    def __init__(
        self, view: IndexView, cache: PostingsCache | None = None, prune: bool = True
    ) -> None:
        self.view = view
        self.prune = prune  # two-phase (MaxScore) top-k; False scores every candidate fully
        self.doc_count = view.doc_count_all
        self.cache = cache if cache is not None else PostingsCache()
        self.docsets = DocSets()
        self._avg: dict[str, float] = {}
        # time.monotonic() past which a search stops (set by the engine, under its lock).
        self.deadline = math.inf

    def check_time(self) -> None:
        """Raise SearchTimeout once the current search is past its deadline."""
        if time.monotonic() > self.deadline:
            raise SearchTimeout("the search ran past its time limit")

    # -- reading --------------------------------------------------------------------------------

    def postings(self, field: str, text: str) -> Postings:
        """Live documents holding the term, the term's frequencies, its doc frequency."""
        key = (field, text)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        found = self.view.postings(field, text)
        frequent = len(found.ids) * DOCSET_SHARE >= self.doc_count
        if not (frequent and field in BODY_FIELDS):
            # A common body syllable's list (up to 12 bytes an article) would push out dozens of
            # others: it is matched from its bit set and scored mostly for a few candidates.
            self.cache.put(key, found)
        if frequent:
            mask = np.zeros(self.doc_count, dtype=bool)
            mask[found.ids] = True
            self.docsets.put(key, np.packbits(mask))
        return found

    def term_docs(self, field: str, text: str) -> np.ndarray:
        """Live documents holding the term (from a cached list or bit set when there is one)."""
        key = (field, text)
        hit = self.cache.get(key)
        if hit is not None:
            return hit.ids
        bits = self.docsets.get(key)
        if bits is not None:
            return np.flatnonzero(np.unpackbits(bits, count=self.doc_count))
        return self.postings(field, text).ids

    def docs(self, terms: tuple[Term, ...]) -> np.ndarray:
        """Documents holding any of the terms."""
        arrays = [self.term_docs(f, t) for f, t in terms]
        arrays = [a for a in arrays if len(a)]
        return union(arrays, self.doc_count)

    def live_docs(self) -> np.ndarray:
        return self.view.live_docs()

    # -- matching -------------------------------------------------------------------------------

    def match(self, p: Plan, require_all: bool = True) -> np.ndarray:
        """Sorted global docnums matching the plan (all units, or any for the fallback).

        With every unit required, the unit likely to match fewest documents is read whole and
        the others are only tested for its documents (holds): a frequent syllable's bit set is
        probed, not expanded into its list of every document.
        """
        if not p.units:
            return EMPTY_IDS
        if require_all:
            units = sorted(p.units, key=self._estimate)
            result = self.unit_docs(units[0])
            for unit in units[1:]:
                if not len(result):
                    break
                self.check_time()
                result = result[self.holds(result, unit)]
        else:
            result = union([self.unit_docs(unit) for unit in p.units], self.doc_count)
        if p.excluded and len(result):
            result = result[~member(self.docs(p.excluded), result)]
        return result

    def unit_docs(self, unit: tuple[Alternative, ...]) -> np.ndarray:
        """Sorted docnums meeting one unit (one of its alternatives: every part)."""
        alt_sets = []
        for alt in unit:
            docs: np.ndarray | None = None
            for part in alt:
                self.check_time()
                found = self.docs(part)
                docs = found if docs is None else intersect(docs, found)
                if not len(docs):
                    break
            if docs is not None and len(docs):
                alt_sets.append(docs)
        return union(alt_sets, self.doc_count)

    def _estimate(self, unit: tuple[Alternative, ...]) -> int:
        """At most how many documents a unit matches (from doc frequencies: no list read)."""
        total = 0
        for alt in unit:
            sizes = [
                sum(self.view.doc_frequency(field, text) for field, text in part) for part in alt
            ]
            total += min(sizes, default=0)
        return total

    def holds(
        self,
        candidates: np.ndarray,
        req: tuple[Alternative, ...],
        seen: dict[Term, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Which candidates meet one tier requirement or unit (one of its alternatives: every
        part); `seen` keeps each term's answer for the same candidates between calls."""
        seen = {} if seen is None else seen
        out = np.zeros(len(candidates), dtype=bool)
        for alt in req:
            ok = np.ones(len(candidates), dtype=bool)
            for part in alt:
                found = np.zeros(len(candidates), dtype=bool)
                for term in part:
                    has = seen.get(term)
                    if has is None:
                        seen[term] = has = self.contains(term, candidates)
                    found |= has
                ok &= found
                if not ok.any():
                    break
            out |= ok
        return out

    def contains(self, term: Term, docs: np.ndarray) -> np.ndarray:
        """Which of `docs` (sorted, unique) hold the term: tested in its bit set when there is
        one (a step per document), else looked up in its list."""
        bits = self.docsets.get(term)
        if bits is not None:
            return in_bits(bits, docs)
        return member(self.term_docs(*term), docs)

    def tiers(self, candidates: np.ndarray, p: Plan) -> np.ndarray:
        """Each candidate's tier (search.tiers): len(p.tiers) for the best, 0 for none."""
        level = np.zeros(len(candidates), dtype=np.int64)
        seen: dict[Term, np.ndarray] = {}  # the tiers repeat terms: each is tested once
        for value, tier in enumerate(reversed(p.tiers), 1):
            ok = np.ones(len(candidates), dtype=bool)
            for req in tier:
                ok &= self.holds(candidates, req, seen)
                if not ok.any():
                    break
            level[ok] = value
        return level

    def filter_docs(
        self, terms: list[Term], date_from: datetime | None, date_to: datetime | None
    ) -> np.ndarray | None:
        """Documents passing the filters, or None when there is no filter."""
        result: np.ndarray | None = None
        for term in terms:
            found = self.docs((term,))
            result = found if result is None else intersect(result, found)
        if date_from is not None or date_to is not None:
            dates = self.view.dates()
            ok = dates != 0
            if date_from is not None:
                ok &= dates >= date_value(date_from)
            if date_to is not None:
                ok &= dates <= date_value(date_to)
            ok_docs = np.flatnonzero(ok & self.view.live).astype(np.int64)
            result = ok_docs if result is None else intersect(result, ok_docs)
        return result

    # -- scoring --------------------------------------------------------------------------------

    def _avg_length(self, field: str) -> float:
        avg = self._avg.get(field)
        if avg is None:
            total = self.view.field_total(field)
            avg = total / self.doc_count if self.doc_count else 1.0
            self._avg[field] = avg = avg or 1.0
        return avg

    def _term_part(
        self, field: str, text: str, candidates: np.ndarray, where: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Where a term's documents are among the (sorted) candidates, and the BM25F part each
        gets from it (unweighted); None when no candidate holds the term.

        `where` (positions()) maps docnums to positions of many candidates; else a short
        candidate list is looked up in the posting list, a long one the other way round: any
        way each candidate's part is the same number (the arithmetic is per element).
        """
        if not len(candidates):
            return None
        key = (field, text)
        if len(candidates) <= PROBE_MAX and self.cache.get(key) is None:
            # A few candidates (two-phase ranking's): read only the blocks that can hold them.
            ids, tf, df = self.view.postings_at(field, text, candidates)
        else:
            ids, tf, df = self.postings(field, text)
        if not len(ids):
            return None
        if where is not None:
            pos = where[ids]
            hit = pos >= 0
            if not hit.any():
                return None
            pos, docs, t = pos[hit], ids[hit], tf[hit]
        elif len(candidates) < len(ids):
            at = np.searchsorted(ids, candidates)
            at[at == len(ids)] = 0
            found = ids[at] == candidates
            if not found.any():
                return None
            pos, docs, t = np.flatnonzero(found), candidates[found], tf[at[found]]
        else:
            pos = np.searchsorted(candidates, ids)
            pos[pos == len(candidates)] = 0
            hit = candidates[pos] == ids
            if not hit.any():
                return None
            pos, docs, t = pos[hit], ids[hit], tf[hit]
        idf = math.log(self.doc_count / (df + 1)) + 1.0
        dl = self.view.lengths_at(field, docs)
        part = idf * (t * (K1 + 1)) / (t + K1 * ((1 - B) + B * dl / self._avg_length(field)))
        return pos, part

    def positions(self, candidates: np.ndarray) -> np.ndarray | None:
        """Each docnum's position among many (sorted) candidates, -1 for the others: a term's
        documents are then found among them in one step each, not a binary search; None for
        a few candidates (a map of the index would cost more than it saves)."""
        if len(candidates) <= PROBE_MAX:
            return None
        where = np.full(self.doc_count, -1, dtype=np.int32)
        where[candidates] = np.arange(len(candidates), dtype=np.int32)
        return where

    def score(self, candidates: np.ndarray, p: Plan) -> np.ndarray:
        """BM25F of each candidate over the plan's scoring terms (weights as query boosts).

        The body-syllable terms are added last (in plan order, like the others): two-phase
        ranking adds them to its partial scores in the same order, so both give the same float.
        """
        rest = tuple(t for t in p.scoring if t[0] not in BODY_FIELDS)
        body = tuple(t for t in p.scoring if t[0] in BODY_FIELDS)
        return self._score(candidates, body, self._score(candidates, rest))

    def _score(
        self,
        candidates: np.ndarray,
        scoring: tuple[tuple[str, str, float], ...],
        scores: np.ndarray | None = None,
    ) -> np.ndarray:
        """`scores` (zeros when None) plus each term's part, term after term."""
        if scores is None:
            scores = np.zeros(len(candidates), dtype=np.float32)
        where = self.positions(candidates) if scoring else None
        for field, text, weight in scoring:
            self.check_time()
            found = self._term_part(field, text, candidates, where)
            if found is not None:
                np.add.at(scores, found[0], weight * found[1])
        return scores

    def bound(self, field: str, text: str, weight: float) -> float:
        """The most a term can add to a score: weight × idf × (k1 + 1) (tf / (tf + k1 × norm)
        is below 1 for any frequency and length)."""
        df = self.view.doc_frequency(field, text)
        return weight * (math.log(self.doc_count / (df + 1)) + 1.0) * (K1 + 1) if df else 0.0

    def top(self, candidates: np.ndarray, p: Plan, need: int) -> tuple[np.ndarray, np.ndarray]:
        """The `need` best candidates (best tier, highest score, lowest docnum), in order, with
        their scores: what scoring every candidate on every term would give, computed in two
        phases (MaxScore).

        The body-syllable terms (BODY_FIELDS) hold nine postings in ten of a query yet decide
        little: every candidate is scored on the other terms, the best `need` of them fully,
        and the body terms are then evaluated only for candidates whose partial score plus the
        most the body terms can add still reaches the `need`-th best full score.
        """
        level = self.tiers(candidates, p)
        body = tuple(t for t in p.scoring if t[0] in BODY_FIELDS)
        rest = tuple(t for t in p.scoring if t[0] not in BODY_FIELDS)
        partial = self._score(candidates, rest)
        if not self.prune or not body or need >= len(candidates):
            scores = self._score(candidates, body, partial)
            pick = best(candidates, level, scores, need)
            return pick, scores[pick]
        first = np.sort(best(candidates, level, partial, need))  # scored in docnum order
        exact = self._score(candidates[first], body, partial[first])
        order = best(candidates[first], level[first], exact, need)
        floor_level, floor = int(level[first[order[-1]]]), float(exact[order[-1]])
        reach = sum(self.bound(*t) for t in body)
        slack = 1e-4 * (abs(floor) + reach + 1.0)  # float32 sums against a float64 bound
        alive = (level > floor_level) | (
            (level == floor_level) & (partial.astype(np.float64) + reach >= floor - slack)
        )
        alive[first] = True
        survivors = np.flatnonzero(alive)
        scores = self._score(candidates[survivors], body, partial[survivors])
        pick = best(candidates[survivors], level[survivors], scores, need)
        return survivors[pick], scores[pick]

    def rank(
        self, candidates: np.ndarray, p: Plan | None, offset: int, size: int, sort: str
    ) -> Ranked:
        """One page of candidates by score, or by date for sort=newest|oldest."""
        total = len(candidates)
        if offset >= total:
            return Ranked([], [], total)
        need = min(total, offset + size)
        if sort == "relevance" and p is not None:
            # Best tier first, then highest score; equal scores in index order (stable pages).
            top, scores = self.top(candidates, p, need)
            return Ranked(
                [int(d) for d in candidates[top[offset:]]],
                [float(s) for s in scores[offset:]],
                total,
            )
        dates = self.view.dates()[candidates]
        keys = -dates if sort != "oldest" else np.where(dates == 0, np.iinfo(np.int64).max, dates)
        order = np.lexsort((candidates, keys))[offset:need]
        return Ranked([int(d) for d in candidates[order]], [None] * len(order), total)


def best(docs: np.ndarray, level: np.ndarray, scores: np.ndarray, need: int) -> np.ndarray:
    """Positions of the `need` best documents, best first: highest level, then highest score,
    then lowest docnum (exact comparisons, no combined key that could round)."""
    n = len(docs)
    if need >= n:
        return np.lexsort((docs, -scores, -level))
    if need <= 0:
        return np.zeros(0, dtype=np.int64)
    # The level of the need-th best: every document above it is in, those at it compete on score.
    kth_level = -np.partition(-level, need - 1)[need - 1]
    above = np.flatnonzero(level > kth_level)
    at = np.flatnonzero(level == kth_level)
    left = need - len(above)
    if left < len(at):
        floor = -np.partition(-scores[at], left - 1)[left - 1]
        at = at[scores[at] >= floor]  # ties at the floor are ordered by docnum below
    pick = np.concatenate((above, at))
    pick = pick[np.lexsort((docs[pick], -scores[pick], -level[pick]))]
    return pick[:need]
