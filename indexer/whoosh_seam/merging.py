"""Merging segments: a segment's posting lists read as arrays, and the policy of what to merge.

A merge (Whoosh's SegmentWriter.add_reader, called by the merge policy at commit) copies a
segment's stored fields and columns document by document, then its postings: Whoosh reads them
through its matcher, one Python step per posting. Here the term table is read in sweeps, each
list decoded into arrays (terms.read_postings), deleted documents dropped and the others
renumbered with one array lookup, and a batch of lists handed to the pool at once.

The policy: a first import commits a segment per chunk and process (18 of 25,000 documents
at 450,000 articles). Every query pays per segment, and each segment repeats the term tables.
`tiered(tier)` merges the segments under `tier` documents into one as soon as they hold `tier`
live documents together; below that, Whoosh's MERGE_SMALL (the small segments of nightly
imports). The merge's pool holds every posting of the merged documents in memory (46 KB a
document at its peak, sorting included: `python -m bench.merge_memory`): a tier of 100,000
would take ~4.6 GB in the parent process, above the 2.6 GB a 450,000 import peaks at today. So
no tier by default (MERGE_SMALL alone, as before); TRACUU_MERGE_TIER sets one (bench/SCALE.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.reading import SegmentReader
from whoosh.writing import MERGE_SMALL

from indexer.errors import ConfigError, IndexFormatError
from indexer.whoosh_seam.files import SegmentFiles
from indexer.whoosh_seam.terms import TermTable, _terminfo, read_postings

TIER = 0  # live documents of a merged segment; 0: MERGE_SMALL only (TRACUU_MERGE_TIER sets one)
_BATCH = 1 << 17  # postings handed to the pool at a time


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
        if len(small) > 1 and sum(s.doc_count() for s in small) >= tier:
            for segment in small:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                try:
                    writer.add_reader(reader)
                finally:
                    reader.close()
            return big
        return big + list(MERGE_SMALL(writer, small))

    return policy


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


def segment_lists(
    folder: Path, storage: Any, segment: Any, numbers: np.ndarray
) -> Iterator[Lists]:
    """Every live posting of a segment, a field's lists at a time in batches, renumbered
    (`numbers` from new_numbers: deleted documents are dropped, and terms left without any)."""
    files = SegmentFiles(folder, storage, segment)
    try:
        table = files.part(".trm")
        postings = files.part(".pst")
        if table is None or postings is None:
            raise IndexFormatError(f"segment {segment.segment_id()}: no term table or postings")
        terms_table = TermTable(table)
        names = {num: name for name, num in terms_table.fieldmap.items()}
        field: str | None = None
        terms: list[bytes] = []
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        held = 0
        for key, value in terms_table.entries():
            name = names.get(int.from_bytes(key[:2], "big"))
            if name is None:
                raise IndexFormatError(f"{table.name}: a term of an unknown field number")
            if name != field or held >= _BATCH:
                if terms:
                    assert field is not None
                    yield _renumbered(field, terms, ids, weights, numbers)
                field, terms, ids, weights, held = name, [], [], [], 0
            i, w = read_postings(_terminfo(value, table.name), postings)
            terms.append(key[2:])
            ids.append(i)
            weights.append(w)
            held += len(i)
        if terms:
            assert field is not None
            yield _renumbered(field, terms, ids, weights, numbers)
    finally:
        files.close()


def _renumbered(
    field: str,
    terms: list[bytes],
    ids: list[np.ndarray],
    weights: list[np.ndarray],
    numbers: np.ndarray,
) -> Lists:
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
