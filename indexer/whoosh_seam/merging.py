"""Merging segments: a segment's posting lists read as arrays, streamed into the merged one.

A merge (Whoosh's SegmentWriter.add_reader, called by the merge policy at commit) copies a
segment's stored fields and columns document by document (Whoosh), then its postings: Whoosh
reads them through its matcher, one Python step per posting, into its pool. Here add_reader
only remembers the segment and its documents' new numbers (Merged); the writer's flush reads
each merged segment's lists field by field in term order (its term table a window of entries
at a time, heads and short inlined lists decoded with NumPy: tablescan.py; long lists from its
side file when it has one, else its postings), deleted documents dropped and the others
renumbered with one array lookup, and merges them with the pool's new lists in term order
(merged_slabs), a slab of lists at a time: memory for one slab per source, not for the merged
documents.

The policy: a first import commits a segment per chunk and process (18 of 25,000 documents at
450,000 articles). Every query pays per segment, and each segment repeats the term tables.
`tiered(tier)` merges the segments under `tier` documents into one as soon as they hold `tier`
live documents together; below that, Whoosh's MERGE_SMALL (the small segments of nightly
imports). TIER (200,000: a 450,000 import in chunks of 50,000 and two processes ends with
200,000 + 200,000 + 2 × 25,000 documents, bench/SCALE.md §9); TRACUU_MERGE_TIER sets another.
In a multi-process write the tier's merge starts when the writer opens, in a process of its own
(workers.BackgroundMerge, §12), and is collected by whichever commit finds it done (§14).
"""

from __future__ import annotations

import mmap
import os
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.reading import SegmentReader
from whoosh.writing import MERGE_SMALL

from indexer.errors import ConfigError, IndexFormatError
from indexer.whoosh_seam import tablescan
from indexer.whoosh_seam.files import SegmentFiles
from indexer.whoosh_seam.pool import SortedPostings
from indexer.whoosh_seam.sidefile import SIDE_EXT, SideFile
from indexer.whoosh_seam.terms import _EXTENT, TermInfo, TermTable, read_postings

TIER = 200_000  # live documents of a merged segment (TRACUU_MERGE_TIER; 0: MERGE_SMALL only)
SLAB = 1 << 18  # postings read from each source of a streamed merge at a time


@dataclass
class Lists:
    """Posting lists of one field, in term order: term i holds counts[i] postings of docs."""

    field: str
    terms: list[bytes]
    counts: np.ndarray  # int64, each ≥ 1
    docs: np.ndarray  # new docnums (int64), ascending within a term
    weights: np.ndarray  # float32


def tier_size(env: Any = None) -> int:
    """Documents of a merged segment: TRACUU_MERGE_TIER when set, else TIER (0: no tier)."""
    raw = (os.environ if env is None else env).get("TRACUU_MERGE_TIER", "")
    try:
        return max(0, int(raw)) if raw else TIER
    except ValueError:
        raise ConfigError(f"TRACUU_MERGE_TIER={raw!r}: not a number of documents") from None


def tiered(tier: int) -> Callable[[Any, list[Any]], list[Any]]:
    """A merge policy (Whoosh's `mergetype`): the segments under `tier` documents merged into
    one when they hold `tier` live documents together, else MERGE_SMALL among them (tier 0:
    MERGE_SMALL alone)."""

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        if tier <= 0:
            return list(MERGE_SMALL(writer, segments))
        small = [s for s in segments if s.doc_count_all() < tier]
        big = [s for s in segments if s.doc_count_all() >= tier]
        if tier_group(segments, tier):
            for segment in small:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                try:
                    writer.add_reader(reader)
                finally:
                    reader.close()
            return big
        return big + list(MERGE_SMALL(writer, small))

    return policy


def tier_group(segments: list[Any], tier: int) -> list[Any]:
    """The segments `tiered(tier)` merges into one (those under `tier` documents, when they
    hold `tier` live documents together), or none."""
    if tier <= 0:
        return []
    small = [s for s in segments if s.doc_count_all() < tier]
    return small if len(small) > 1 and sum(s.doc_count() for s in small) >= tier else []


def new_numbers(count: int, startdoc: int, docmap: dict[int, int] | None) -> np.ndarray:
    """Each document's number in the merged segment (-1: deleted), from add_reader's docmap
    (live documents only, None when there are no deletions)."""
    if docmap is None:
        return np.arange(startdoc, startdoc + count, dtype=np.int64)
    out = np.full(count, -1, dtype=np.int64)
    if docmap:
        old = np.fromiter(docmap.keys(), np.int64, len(docmap))
        out[old] = np.fromiter(docmap.values(), np.int64, len(docmap))
    return out


def _renumbered(
    field: str,
    terms: list[bytes],
    ids: list[np.ndarray],
    weights: list[np.ndarray],
    numbers: np.ndarray,
    counts: np.ndarray | None = None,
) -> Lists:
    if counts is None:  # one array per term
        counts = np.fromiter(map(len, ids), np.int64, len(ids))
    docs = numbers[np.concatenate(ids)]
    w = np.concatenate(weights)
    live = docs >= 0
    if not live.all():
        term_of = np.repeat(np.arange(len(terms)), counts)
        counts = np.bincount(term_of[live], minlength=len(terms))
        docs, w = docs[live], w[live]
        kept = np.flatnonzero(counts)
        if len(kept) < len(terms):
            terms = [terms[k] for k in kept.tolist()]
            counts = counts[kept]
    return Lists(field, terms, counts, docs, w)


# -- the streamed merge ---------------------------------------------------------------------------


@dataclass
class Merged:
    """A segment merged into the one being written (add_reader): its Segment, and each of its
    documents' number in the new segment (new_numbers, -1: deleted)."""

    segment: Any
    numbers: np.ndarray


@dataclass
class Piece:
    """Consecutive posting lists of one field, in term order: term i holds counts[i] (≥ 1) of
    docs (ascending within a term), weights and values (fixed-size, None when empty)."""

    terms: list[bytes]
    counts: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    values: np.ndarray | None

    def split(self, k: int) -> tuple[Piece, Piece]:
        """The first k terms' lists, and the rest."""
        p = int(self.counts[:k].sum())
        v = self.values
        return (
            Piece(self.terms[:k], self.counts[:k], self.docs[:p], self.weights[:p],
                  None if v is None else v[:p]),
            Piece(self.terms[k:], self.counts[k:], self.docs[p:], self.weights[p:],
                  None if v is None else v[p:]),
        )


def pieces_of(postings: SortedPostings, slab: int | None = None) -> Iterator[Piece]:
    """A field's sorted pool postings as pieces of about `slab` postings."""
    starts = postings.starts
    for t0, t1 in postings.slabs(SLAB if slab is None else slab):
        a, b = int(starts[t0]), int(starts[t1])
        v = postings.values
        yield Piece(postings.terms[t0:t1], np.diff(starts[t0 : t1 + 1]), postings.docs[a:b],
                    postings.weights[a:b], None if v is None else v[a:b])


class MergedSegment:
    """A merged segment opened at flush: its lists read a field at a time, in term order."""

    def __init__(self, folder: Path, storage: Any, merged: Merged) -> None:
        self.numbers = merged.numbers
        self.files = SegmentFiles(folder, storage, merged.segment)
        try:
            table = self.files.part(".trm")
            postings = self.files.part(".pst")
            if table is None or postings is None:
                raise IndexFormatError(
                    f"segment {merged.segment.segment_id()}: no term table or postings"
                )
            self.table = TermTable(table)
            self.postings = tablescan.ReadAhead(postings)  # read in order, a span at a time
            side = self.files.part(SIDE_EXT)
            self.side = SideFile(side) if side is not None else None
        except BaseException:
            self.files.close()
            raise

    @property
    def fieldnames(self) -> set[str]:
        return set(self.table.fieldmap)

    def pieces(
        self, field: str, fixed: int, field_boost: float, batch: int | None = None
    ) -> Iterator[Piece]:
        """The field's live lists, renumbered, in pieces of about `batch` postings; values
        rebuilt from weights: pack_uint(freq), freq = weight / field_boost (fixed 4), or
        none (fixed 0) — see BulkWriter.add_postings_to_pool."""
        for lists in self.lists(field, SLAB if batch is None else batch):
            values = None
            if fixed:
                freqs = np.rint(lists.weights.astype(np.float64) / field_boost)
                values = freqs.astype(">u4").view(f"V{fixed}")
            yield Piece(lists.terms, lists.counts, lists.docs, lists.weights, values)

    def lists(self, field: str, batch: int) -> Iterator[Lists]:
        """The field's live lists, renumbered, a batch of about `batch` postings at a time."""
        for entries in tablescan.field_entries(self.table, field):
            cum = np.cumsum(entries.heads["df"].astype(np.int64))
            if not len(cum):
                continue
            # Cut after the term that reaches each multiple of `batch` postings.
            cuts = np.searchsorted(cum, np.arange(batch, int(cum[-1]), batch), "left") + 1
            bounds = np.unique(np.concatenate([[0], cuts, [len(cum)]])).tolist()
            for a, b in pairwise(bounds):
                lists = self._lists_of(field, entries, a, b)
                if lists.terms:
                    yield lists
        if self.side is not None:
            # Its pages were read once: out of this process's memory (the OS cache keeps them).
            self.side._map.madvise(mmap.MADV_DONTNEED)

    def _lists_of(self, field: str, entries: tablescan.Entries, a: int, b: int) -> Lists:
        """Entries a..b-1's lists, renumbered: the inlined ones parsed at once, the others (and
        inlined ones of another layout) one by one."""
        heads = entries.heads[a:b]
        df = heads["df"].astype(np.int64)
        starts = np.zeros(b - a + 1, dtype=np.int64)
        np.cumsum(df, out=starts[1:])
        ids = np.empty(int(starts[-1]), dtype=np.int64)
        weights = np.empty(int(starts[-1]), dtype=np.float32)
        inl = np.flatnonzero(heads["inlined"] != 0)
        parsed, inl_ids, inl_weights = tablescan.inlined(entries, inl + a)
        done = inl[parsed]
        held = np.arange(tablescan.MAX_INLINED) < df[done][:, None]
        at = (starts[done][:, None] + np.arange(tablescan.MAX_INLINED))[held]
        ids[at] = inl_ids[parsed][held]
        weights[at] = inl_weights[parsed][held]
        rest = np.ones(b - a, dtype=bool)
        rest[done] = False
        where = self.table.part.name
        for t in np.flatnonzero(rest).tolist():
            i = a + t
            if heads["inlined"][t]:
                i_ids, i_w = tablescan.inlined_list(entries, i)
            else:
                i_ids, i_w = self._long_list(entries, i, where)
            s, e = int(starts[t]), int(starts[t + 1])
            if len(i_ids) != e - s:
                raise IndexFormatError(f"{where}: a list of {len(i_ids)} says {e - s} documents")
            ids[s:e] = i_ids
            weights[s:e] = i_w
        return _renumbered(field, entries.terms[a:b], [ids], [weights], self.numbers, df)

    def _long_list(self, entries: tablescan.Entries, i: int, where: str) -> tuple[Any, Any]:
        """A list in the postings part: from the side file when it holds it, else its blocks."""
        head = entries.heads[i]
        tail = entries.tail(i)
        if len(tail) < _EXTENT.size:
            raise IndexFormatError(f"{where}: a terminfo without postings extent")
        offset, length = _EXTENT.unpack_from(tail)
        df, first, last = int(head["df"]), int(head["first"]), int(head["last"])
        side = self.side
        at = side.lookup(offset, df, first, last) if side is not None else None
        if at is not None:
            assert side is not None
            return side.ids[at], side.weights[at].astype(np.float32)
        return read_postings(TermInfo(df, None, offset, length, first, last), self.postings)

    def close(self) -> None:
        self.files.close()


def merged_slabs(streams: list[Iterator[Piece]], fixed: int) -> Iterator[SortedPostings]:
    """One field's lists from several sources merged in term order, a slab at a time: a term's
    list is its lists in the order of `streams` (documents ascending from one to the next)."""
    heads = [next(s, None) for s in streams]
    while True:
        live = [i for i, h in enumerate(heads) if h is not None]
        if not live:
            return
        # Every term up to the smallest last term of the pieces at hand is complete.
        bound = min(heads[i].terms[-1] for i in live)  # type: ignore[union-attr]
        taken: list[Piece] = []
        for i in live:
            piece = heads[i]
            assert piece is not None
            k = bisect_right(piece.terms, bound)
            if k == len(piece.terms):
                taken.append(piece)
                heads[i] = next(streams[i], None)
            elif k:
                first, heads[i] = piece.split(k)
                taken.append(first)
        yield _joined(taken, fixed)


def _joined(pieces: list[Piece], fixed: int) -> SortedPostings:
    """Pieces of lists as one SortedPostings: each term's lists one after another."""
    if len(pieces) == 1:
        p = pieces[0]
        starts = np.zeros(len(p.terms) + 1, dtype=np.int64)
        np.cumsum(p.counts, out=starts[1:])
        return SortedPostings(
            p.terms, starts, p.docs.astype(np.uint32, copy=False), p.weights, p.values, fixed
        )
    terms = sorted(set().union(*(p.terms for p in pieces)))
    rank = dict(zip(terms, range(len(terms)), strict=True))
    keys = np.concatenate(
        [np.repeat(np.fromiter(map(rank.__getitem__, p.terms), np.int64, len(p.terms)), p.counts)
         for p in pieces]
    )
    order = np.argsort(keys, kind="stable")  # keeps each term's lists in the pieces' order
    starts = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=len(terms)), out=starts[1:])
    docs = np.concatenate([p.docs.astype(np.uint32, copy=False) for p in pieces])[order]
    weights = np.concatenate([p.weights for p in pieces])[order]
    values = None
    if fixed:
        values = np.concatenate([p.values for p in pieces if p.values is not None])[order]
    return SortedPostings(terms, starts, docs, weights, values, fixed)
