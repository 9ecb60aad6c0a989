"""One generation of the index opened for reading: postings, statistics and columns as arrays.

Everything search/ needs from the index goes through an IndexView: it never sees a Whoosh
object. Postings, doc frequencies, term listings, lengths and dates are read by the seam itself
(segment.py, terms.py: pread, thread-safe); stored fields and field totals come from Whoosh's
public reader API under the view's lock (Whoosh readers keep a file position).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from whoosh.fields import FieldType
from whoosh.filedb.filetables import FileFormatError

from indexer.errors import IndexFormatError, IndexMissing
from indexer.whoosh_seam.segment import Place, SegmentData
from indexer.whoosh_seam.storage import open_index
from indexer.whoosh_seam.terms import EMPTY_IDS, EMPTY_WEIGHTS


class Postings(NamedTuple):
    """A term's live documents (global docnums, sorted), their weights, and its doc frequency.

    The doc frequency is Whoosh's: postings of every segment, deleted documents included.
    """

    ids: np.ndarray  # int64
    weights: np.ndarray  # float32 (term frequency × field boost)
    doc_frequency: int


DF_KEPT = 200_000  # doc frequencies a view remembers (~150 bytes each: ~30 MB)
PLACES_KEPT = 2_048  # terms whose places a view remembers (~4.6 KB each at 19 segments: ~10 MB)


class IndexView:
    """A consistent, read-only view of one index generation."""

    def __init__(self, folder: Path, reuse: dict[str, SegmentData] | None = None) -> None:
        if not folder.is_dir():
            raise IndexMissing(str(folder))
        self.folder = folder
        self._ix = open_index(folder)
        try:
            self._reader = self._ix.reader()
        except FileFormatError as exc:  # Whoosh's own check of a file's magic bytes
            self._ix.close()
            raise IndexFormatError(str(exc)) from exc
        self._lock = threading.RLock()  # Whoosh's reader is used by one thread at a time
        self.generation: int = self._reader.generation()
        self.schema = self._ix.schema
        reuse = reuse or {}
        self.segments: list[SegmentData] = []
        self.bases: list[int] = []
        lives: list[np.ndarray] = []
        try:
            leaves = self._reader.leaf_readers() if self._reader.doc_count_all() else []
            for leaf, base in leaves:
                seg = leaf.segment()
                data = reuse.pop(seg.segment_id(), None)
                if data is None:
                    data = SegmentData(folder, self._ix.storage, seg, self.schema)
                live = np.ones(data.n, dtype=bool)
                live[np.fromiter(seg.deleted_docs(), dtype=np.int64)] = False
                self.segments.append(data)
                self.bases.append(base)
                lives.append(live)
        except BaseException:
            self.close()
            raise
        base = sum(s.n for s in self.segments)
        self.doc_count_all = base  # N of BM25F (deleted documents count, as in Whoosh)
        self.live = np.concatenate(lives) if lives else np.zeros(0, dtype=bool)
        self._whole = [bool(live.all()) for live in lives]  # segments without deletions
        self.doc_count = int(self.live.sum())
        self._totals: dict[str, float] = {}
        self._dfs: dict[tuple[str, str], int] = {}  # (field, term) → doc frequency
        self._places: dict[tuple[str, str], list[Place | None]] = {}  # by segment

    # -- freshness --------------------------------------------------------------------------------

    def latest_generation(self) -> int:
        """The newest generation on disk (differs from self.generation after a commit)."""
        with self._lock:
            return int(self._ix.latest_generation())

    def reopen(self) -> IndexView:
        """A view of the newest generation of the same folder; reuses unchanged segments and
        closes this view."""
        reuse = {s.segment_id: s for s in self.segments}
        try:
            fresh = IndexView(self.folder, reuse)
        except BaseException:
            self.close()  # the segments not handed over are closed with it
            raise
        self.segments = [s for s in self.segments if s.segment_id in reuse]  # not taken
        self.close()
        return fresh

    # -- postings and statistics ------------------------------------------------------------------

    def _check_field(self, field: str) -> None:
        if field not in self.schema:
            raise KeyError(f"no field {field!r} in the index schema")

    def places(self, field: str, text: str) -> list[Place | None]:
        """Where each segment keeps the term's list (None where it has none).

        Remembered per view for the last terms asked: a request reads the same term more than
        once (to match, to rank its tiers, to score a few candidates, then a few more), and
        finding it costs a hash lookup and a side-file search in every segment.
        """
        self._check_field(field)
        key = (field, text)
        found = self._places.get(key)
        if found is None:
            found = [seg.place(field, text) for seg in self.segments]
            if len(self._places) >= PLACES_KEPT:
                self._places.clear()  # a bound, not an LRU: the next requests refill it
            self._places[key] = found
        return found

    def postings(self, field: str, text: str) -> Postings:
        """The live documents holding a term, with its weights and doc frequency."""
        id_parts, w_parts, df = [], [], 0
        name = f"{field}:{text!r}"
        places = self.places(field, text)
        for seg, base, whole, place in zip(
            self.segments, self.bases, self._whole, places, strict=True
        ):
            ids, weights, seg_df = seg.read(place, name)
            df += seg_df
            if len(ids) and whole:  # no deletions in the segment: nothing to drop
                id_parts.append(ids + base)
                w_parts.append(weights)
            elif len(ids):
                keep = self.live[base + ids]
                id_parts.append(ids[keep] + base)
                w_parts.append(weights[keep])
        if not id_parts:
            return Postings(EMPTY_IDS, EMPTY_WEIGHTS, df)
        if len(id_parts) == 1:
            return Postings(id_parts[0], w_parts[0], df)
        return Postings(np.concatenate(id_parts), np.concatenate(w_parts), df)

    def postings_at(self, field: str, text: str, docs: np.ndarray) -> Postings:
        """The term's postings among `docs` (global docnums, sorted, live): the same as
        postings() restricted to them, reading only the blocks that can hold them."""
        id_parts, w_parts, df = [], [], 0
        places = self.places(field, text)
        cuts = np.searchsorted(docs, [*self.bases[1:], self.doc_count_all])
        lo = 0
        for seg, base, hi, place in zip(
            self.segments, self.bases, cuts.tolist(), places, strict=True
        ):
            local = docs[lo:hi] - base
            lo = hi
            if not len(local):
                df += place.info.doc_frequency if place is not None else 0
                continue
            found, weights, seg_df = seg.read_at(place, local)
            df += seg_df
            if found.any():
                id_parts.append(local[found] + base)
                w_parts.append(weights)
        if not id_parts:
            return Postings(EMPTY_IDS, EMPTY_WEIGHTS, df)
        if len(id_parts) == 1:
            return Postings(id_parts[0], w_parts[0], df)
        return Postings(np.concatenate(id_parts), np.concatenate(w_parts), df)

    def doc_frequencies(self, field: str, texts: list[str]) -> list[int]:
        """Whoosh's doc frequency of each term (0 when absent), looked up in memory.

        Remembered per view (a generation never changes): a plan asks for the doc frequency of
        every accented variant of every pair typed, one lookup per segment each, and the same
        common pairs come back request after request.
        """
        self._check_field(field)
        known = self._dfs
        found: list[int | None] = [known.get((field, t)) for t in texts]
        missing = [t for t, df in zip(texts, found, strict=True) if df is None]
        if not missing:
            return found  # type: ignore[return-value]  # no None left
        total = [0] * len(missing)
        for seg in self.segments:
            for i, df in enumerate(seg.doc_frequencies(field, missing)):
                total[i] += df
        if len(known) + len(missing) > DF_KEPT:
            known.clear()  # a bound, not an LRU: the next requests refill it
        fresh = dict(zip(missing, total, strict=True))
        known.update(((field, t), df) for t, df in fresh.items())
        return [fresh[t] if df is None else df for t, df in zip(texts, found, strict=True)]

    def margin(self, field: str, word: str) -> int:
        """The summed doc frequency of the field's terms starting with `word` and a space."""
        self._check_field(field)
        return sum(seg.margin(field, word) for seg in self.segments)

    def doc_frequency(self, field: str, text: str) -> int:
        return self.doc_frequencies(field, [text])[0]

    def field_total(self, field: str) -> float:
        """The summed length of a field over all documents (Whoosh's field_length)."""
        self._check_field(field)
        with self._lock:
            if field not in self._totals:
                self._totals[field] = float(self._reader.field_length(field))
            return self._totals[field]

    def lengths(self, field: str) -> np.ndarray:
        """Each document's length of `field` (float32, Whoosh's one-byte approximation)."""
        self._check_field(field)
        parts = [seg.lengths(field) for seg in self.segments]
        return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else EMPTY_WEIGHTS

    def lengths_at(self, field: str, docs: np.ndarray) -> np.ndarray:
        """lengths(field)[docs] for sorted global docnums, gathered segment by segment (the
        whole column of the index is not put together for a few documents)."""
        self._check_field(field)
        out = np.empty(len(docs), dtype=np.float32)
        cuts = np.searchsorted(docs, [*self.bases[1:], self.doc_count_all]).tolist()
        lo = 0
        for seg, base, hi in zip(self.segments, self.bases, cuts, strict=True):
            if hi > lo:
                out[lo:hi] = seg.lengths(field)[docs[lo:hi] - base]
            lo = hi
        return out

    def dates(self) -> np.ndarray:
        """Each document's publication time (int64 Whoosh long; 0 when it has none)."""
        parts = [seg.dates() for seg in self.segments]
        return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else EMPTY_IDS

    def live_docs(self) -> np.ndarray:
        """Global docnums of the documents not deleted."""
        return np.flatnonzero(self.live).astype(np.int64)

    @property
    def nbytes(self) -> int:
        """Memory held in arrays by this view (term tables, columns read, deletion mask)."""
        return sum(s.nbytes for s in self.segments) + int(self.live.nbytes)

    # -- stored fields and vocabulary (Whoosh's public reader API) ---------------------------------

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._reader.stored_fields(docnum))

    def terms(self, field: str, prefix: str = "", limit: int = -1) -> list[tuple[str, int]]:
        """(term, doc frequency) of a field's terms starting with `prefix`, in term order; at
        most `limit` of them (all when negative). Doc frequencies are Whoosh's."""
        self._check_field(field)
        per_segment = [seg.terms(field, prefix, limit) for seg in self.segments]
        if len(per_segment) == 1:
            return per_segment[0]
        merged: dict[str, int] = {}
        for items in per_segment:
            for term, df in items:
                merged[term] = merged.get(term, 0) + df
        to_bytes = self.schema[field].to_bytes
        # UTF-8 orders text like its code points: sort the strings themselves when that is the
        # field's encoding (the vocabulary lists every term of 'text' at each generation).
        plain = getattr(to_bytes, "__func__", None) is FieldType.to_bytes
        order = sorted(merged) if plain else sorted(merged, key=to_bytes)
        return [(t, merged[t]) for t in (order if limit < 0 else order[:limit])]

    def close(self) -> None:
        for seg in self.segments:
            seg.close()
        self.segments = []
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._ix.close()
                self._reader = None
