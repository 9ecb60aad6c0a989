"""Executes a search plan over a Whoosh index with NumPy: match, count, score, sort, page.

Whoosh's matchers walk postings one document at a time in Python (is_active, skip_to, score per
posting); on 45,000 articles a six-word query spent most of its time there. Here each posting
list is decoded block by block into arrays, sets are intersected and BM25F is computed with array
operations, so the cost follows the number of blocks, not of postings. The index on disk is
still Whoosh's; only reading is done here, through the pinned whoosh-reloaded 2.7.5 internals
(W3LeafMatcher blocks, length and sort columns), which is why that version is pinned.
"""

from __future__ import annotations

import io
import math
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pickle import Unpickler, loads
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import _lenfield
from whoosh.columns import NumericColumn
from whoosh.matching.mcore import ListMatcher
from whoosh.util.numeric import byte_to_length
from whoosh.util.times import datetime_to_long

from search.query import Plan, Term

K1 = 1.2
B = 0.75
_LENGTH_OF_BYTE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_W = np.zeros(0, dtype=np.float32)
_INT = struct.Struct("!i")
CACHE_BYTES = 32 * 1024 * 1024  # decoded posting lists kept per index generation, per process
CACHE_MIN_POSTINGS = 2048  # only long lists are worth keeping


def _block_arrays(m: Any) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, weight) of a W3LeafMatcher, decoded block by block.

    Block layout (whoosh3): int32 length (negative on the last block), a pickled info tuple
    (count, max id, max weight, compression, min length, max length), then the block data:
    a pickled (delta-encoded ids, weights, values) tuple, zlib-compressed when compression > 0.
    The first block's header was read by the matcher; the others are read here from the
    buffer directly (Whoosh's own _goto reads the header through a file object, byte by byte).
    """
    ids_parts: list[np.ndarray] = []
    w_parts: list[np.ndarray] = []
    pf = m._postfile
    dataoffset, nextoffset = m._dataoffset, m._nextoffset
    compression, last = m._compression, m._lastblock
    while True:
        b = pf.get(dataoffset, nextoffset - dataoffset)
        if compression:
            b = zlib.decompress(b)
        ids_d, w_d = loads(b)[:2]
        ids = np.cumsum(np.asarray(ids_d, dtype=np.int64))  # ids are delta-encoded
        ids_parts.append(ids)
        if w_d is None:
            w_parts.append(np.ones(len(ids), dtype=np.float32))
        elif isinstance(w_d, float):
            w_parts.append(np.full(len(ids), w_d, dtype=np.float32))
        else:
            w_parts.append(np.asarray(w_d, dtype=np.float32))
        if last:
            break
        pos = nextoffset
        (length,) = _INT.unpack(pf.get(pos, 4))
        last = length < 0
        length = abs(length)
        nextoffset = pos + 4 + length
        header = io.BytesIO(pf.get(pos + 4, min(length, 256)))
        compression = Unpickler(header).load()[3]
        dataoffset = pos + 4 + header.tell()
    if len(ids_parts) == 1:
        return ids_parts[0], w_parts[0]
    return np.concatenate(ids_parts), np.concatenate(w_parts)


class Leaf:
    """One segment: its postings, field lengths, dates and deletions as arrays."""

    def __init__(self, reader: Any, base: int) -> None:
        self.reader = reader
        self.base = base
        self.n = reader.doc_count_all()
        live = np.ones(self.n, dtype=bool)
        deleted = list(reader.deleted_docs_set)
        if deleted:
            live[np.array(deleted, dtype=np.int64)] = False
        self.live = live
        self._lengths: dict[str, np.ndarray] = {}
        self._dates: np.ndarray | None = None

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Local docnums (sorted, deleted ones included) and weights (term frequencies)."""
        try:
            tbytes = self.reader._text_to_bytes(field, text)
            fmt = self.reader.schema[field].format
            m = self.reader._terms.matcher(field, tbytes, fmt)
        except Exception:  # TermNotFound, or a field this index does not have
            return _EMPTY_IDS, _EMPTY_W
        if isinstance(m, ListMatcher):  # inlined short list
            ids = np.asarray(m._ids, dtype=np.int64)
            ws = m._weights
            w = (
                np.ones(len(ids), dtype=np.float32)
                if ws is None
                else np.asarray(ws, dtype=np.float32)
            )
            return ids, w
        if not m.is_active():
            return _EMPTY_IDS, _EMPTY_W
        return _block_arrays(m)

    def lengths(self, field: str) -> np.ndarray:
        """Decoded length of `field` in every document of the segment."""
        arr = self._lengths.get(field)
        if arr is None:
            arr = np.zeros(self.n, dtype=np.float32)
            perdoc = self.reader._perdoc
            col = perdoc._cached_reader(_lenfield(field), NumericColumn("B"))
            if col is not None:
                raw = np.frombuffer(col._dbfile.get(col._basepos, col._count), dtype=np.uint8)
                arr[: len(raw)] = _LENGTH_OF_BYTE[raw]
            self._lengths[field] = arr
        return arr

    def dates(self) -> np.ndarray:
        """Publication time of every document (int64, whoosh long form; 0 = none)."""
        if self._dates is None:
            arr = np.zeros(self.n, dtype=np.int64)
            if self.reader.has_column("date"):
                col = self.reader.column_reader("date", translate=False)
                raw = col._dbfile.get(col._basepos, col._count * col._fixedlen)
                vals = np.frombuffer(raw, dtype=">" + col._typecode).astype(np.int64)
                arr[: len(vals)] = vals
                arr[arr == col._default] = 0
            self._dates = arr
        return self._dates


@dataclass
class Ranked:
    """A page of results: global docnums, their scores, and the total."""

    docnums: list[int]
    scores: list[float | None]
    total: int


class PostingsCache:
    """Decoded long posting lists of one index generation, shared by threads (LRU by bytes)."""

    def __init__(self, generation: Any, limit: int = CACHE_BYTES) -> None:
        self.generation = generation
        self.limit = limit
        self._items: OrderedDict[Term, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Term) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: Term, value: tuple[np.ndarray, np.ndarray]) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self._bytes += value[0].nbytes + value[1].nbytes
            while self._bytes > self.limit and self._items:
                _, (a, b) = self._items.popitem(last=False)
                self._bytes -= a.nbytes + b.nbytes


class Ranker:
    """Plan execution over one searcher (one thread's view of one index generation)."""

    def __init__(self, searcher: Any, cache: PostingsCache | None = None) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self.reader = reader
        leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
        self.leaves = [Leaf(r, base) for r, base in leaves]
        self.n = sum(leaf.n for leaf in self.leaves)
        self.doc_count = reader.doc_count_all()
        self.cache = cache or PostingsCache(None)
        self._avg: dict[str, float] = {}

    # -- reading --------------------------------------------------------------------------------

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Global docnums of live documents holding the term, and the term's frequencies."""
        key = (field, text)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        parts = []
        for leaf in self.leaves:
            ids, w = leaf.postings(field, text)
            if len(ids):
                keep = leaf.live[ids]
                parts.append((ids[keep] + leaf.base, w[keep]))
        if not parts:
            return _EMPTY_IDS, _EMPTY_W
        ids = np.concatenate([p[0] for p in parts])
        w = np.concatenate([p[1] for p in parts])
        if len(ids) >= CACHE_MIN_POSTINGS:
            self.cache.put(key, (ids, w))
        return ids, w

    def docs(self, terms: tuple[Term, ...]) -> np.ndarray:
        """Documents holding any of the terms."""
        arrays = [self.postings(f, t)[0] for f, t in terms]
        arrays = [a for a in arrays if len(a)]
        if not arrays:
            return _EMPTY_IDS
        return arrays[0] if len(arrays) == 1 else np.unique(np.concatenate(arrays))

    def lengths(self, field: str) -> np.ndarray:
        if len(self.leaves) == 1:
            return self.leaves[0].lengths(field)
        return np.concatenate([leaf.lengths(field) for leaf in self.leaves])

    def dates(self) -> np.ndarray:
        if len(self.leaves) == 1:
            return self.leaves[0].dates()
        return np.concatenate([leaf.dates() for leaf in self.leaves])

    def live_docs(self) -> np.ndarray:
        return np.concatenate(
            [np.flatnonzero(leaf.live).astype(np.int64) + leaf.base for leaf in self.leaves]
        )

    # -- matching -------------------------------------------------------------------------------

    def match(self, p: Plan, require_all: bool = True) -> np.ndarray:
        """Sorted global docnums matching the plan (all units, or any for the fallback)."""
        unit_sets = []
        for unit in p.units:
            alt_sets = []
            for alt in unit:
                docs: np.ndarray | None = None
                for part in alt:
                    found = self.docs(part)
                    docs = found if docs is None else np.intersect1d(docs, found, True)
                    if not len(docs):
                        break
                if docs is not None and len(docs):
                    alt_sets.append(docs)
            if not alt_sets:
                unit_docs = _EMPTY_IDS
            elif len(alt_sets) == 1:
                unit_docs = alt_sets[0]
            else:
                unit_docs = np.unique(np.concatenate(alt_sets))
            unit_sets.append(unit_docs)
        if not unit_sets:
            return _EMPTY_IDS
        if require_all:
            unit_sets.sort(key=len)
            result = unit_sets[0]
            for other in unit_sets[1:]:
                if not len(result):
                    break
                result = np.intersect1d(result, other, True)
        else:
            result = np.unique(np.concatenate(unit_sets))
        if p.excluded and len(result):
            result = np.setdiff1d(result, self.docs(p.excluded), True)
        return result

    def filter_docs(
        self, terms: list[Term], date_from: datetime | None, date_to: datetime | None
    ) -> np.ndarray | None:
        """Documents passing the filters, or None when there is no filter."""
        result: np.ndarray | None = None
        for term in terms:
            found = self.docs((term,))
            result = found if result is None else np.intersect1d(result, found, True)
        if date_from is not None or date_to is not None:
            dates = self.dates()
            ok = dates != 0
            if date_from is not None:
                ok &= dates >= datetime_to_long(date_from)
            if date_to is not None:
                ok &= dates <= datetime_to_long(date_to)
            ok_docs = np.flatnonzero(ok).astype(np.int64)
            result = ok_docs if result is None else np.intersect1d(result, ok_docs, True)
        return result

    # -- scoring --------------------------------------------------------------------------------

    def _avg_length(self, field: str) -> float:
        avg = self._avg.get(field)
        if avg is None:
            total = self.reader.field_length(field)
            avg = total / self.doc_count if self.doc_count else 1.0
            self._avg[field] = avg = avg or 1.0
        return avg

    def score(self, candidates: np.ndarray, p: Plan) -> np.ndarray:
        """BM25F of each candidate over the plan's scoring terms (weights as query boosts)."""
        scores = np.zeros(len(candidates), dtype=np.float32)
        if not len(candidates):
            return scores
        n = self.doc_count
        for field, text, weight in p.scoring:
            ids, tf = self.postings(field, text)
            if not len(ids):
                continue
            pos = np.searchsorted(candidates, ids)
            pos[pos == len(candidates)] = 0
            hit = candidates[pos] == ids
            if not hit.any():
                continue
            df = int(self.reader.doc_frequency(field, text))
            idf = math.log(n / (df + 1)) + 1.0
            t = tf[hit]
            dl = self.lengths(field)[ids[hit]]
            part = idf * (t * (K1 + 1)) / (t + K1 * ((1 - B) + B * dl / self._avg_length(field)))
            np.add.at(scores, pos[hit], weight * part)
        return scores

    def rank(
        self, candidates: np.ndarray, p: Plan | None, offset: int, size: int, sort: str
    ) -> Ranked:
        """One page of candidates by score, or by date for sort=newest|oldest."""
        total = len(candidates)
        if offset >= total:
            return Ranked([], [], total)
        need = min(total, offset + size)
        if sort == "relevance" and p is not None:
            scores = self.score(candidates, p)
            top = np.argpartition(-scores, need - 1)[:need] if need < total else np.arange(total)
            # Highest score first; equal scores in index order (stable pages).
            top = top[np.lexsort((candidates[top], -scores[top]))]
            page = top[offset:need]
            return Ranked(
                [int(d) for d in candidates[page]], [float(s) for s in scores[page]], total
            )
        dates = self.dates()[candidates]
        keys = -dates if sort != "oldest" else np.where(dates == 0, np.iinfo(np.int64).max, dates)
        order = np.lexsort((candidates, keys))[offset:need]
        return Ranked([int(d) for d in candidates[order]], [None] * len(order), total)
