"""What one segment holds, as arrays: postings, field lengths, dates (immutable once written).

A segment's files never change after Whoosh writes them (only its deletions do, and those live
in the index's table of contents): a SegmentData is reused by every later generation that still
holds the segment.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from whoosh.fields import FieldType
from whoosh.util.numeric import byte_to_length
from whoosh.util.times import datetime_to_long

from indexer.errors import IndexFormatError
from indexer.whoosh_seam.files import SegmentFiles
from indexer.whoosh_seam.sidefile import SIDE_EXT, SideFile
from indexer.whoosh_seam.terms import (
    EMPTY_IDS,
    EMPTY_WEIGHTS,
    TermInfo,
    TermTable,
    read_postings,
    read_postings_at,
)

TERMS_EXT = ".trm"  # whoosh3 W3Codec.TERMS_EXT
POSTINGS_EXT = ".pst"  # W3Codec.POSTS_EXT
_LENGTH_OF_BYTE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)


class Place(NamedTuple):
    """Where one segment keeps a term's list: its term info and, when the list is in the side
    file, its slice of the side file's arrays."""

    info: TermInfo
    side: slice | None


def date_value(dt: datetime) -> int:
    """The number a date column holds for a (naive) datetime: what dates() compares with."""
    return int(datetime_to_long(dt))


def column_ext(name: str) -> str:
    """whoosh3's file extension of a per-document column (W3Codec.column_filename)."""
    return f".{name}.col"


def length_column(field: str) -> str:
    """whoosh3's name of a field's length column (whoosh.codec.whoosh3._lenfield)."""
    return f"_{field}_len"


class SegmentData:
    """The immutable content of one segment, read with pread."""

    def __init__(self, folder: Path, storage: Any, segment: Any, schema: Any) -> None:
        self.segment_id: str = segment.segment_id()
        self.n: int = segment.doc_count_all()
        self.schema = schema
        self.files = SegmentFiles(folder, storage, segment)
        try:
            terms = self.files.part(TERMS_EXT)
            postings = self.files.part(POSTINGS_EXT)
            if terms is None or postings is None:
                raise IndexFormatError(f"segment {self.segment_id} has no term table or postings")
            self.table = TermTable(terms)
            self._postings = postings
            side = self.files.part(SIDE_EXT)  # absent in segments written before it existed
            self.side = SideFile(side) if side is not None else None
        except BaseException:
            self.files.close()
            raise
        self._lengths: dict[str, np.ndarray] = {}
        self._dates: np.ndarray | None = None
        self._lock = threading.Lock()  # guards the two caches above

    def place(self, field: str, text: str) -> Place | None:
        """Where a term's list is (its term info, its slice of the side file if there), or None
        when the segment does not hold the term."""
        key = self.table.key(field, self.schema[field].to_bytes(text))
        info = None if key is None else self.table.info(key)
        return None if info is None else Place(info, self._side_lookup(info))

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray, int]:
        """Local docnums (deleted ones included), weights and the doc frequency of a term."""
        return self.read(self.place(field, text), f"{field}:{text!r}")

    def read(self, place: Place | None, name: str = "") -> tuple[np.ndarray, np.ndarray, int]:
        """postings() of a term at a place found before."""
        if place is None:
            return EMPTY_IDS, EMPTY_WEIGHTS, 0
        info, at = place
        if at is not None:
            assert self.side is not None
            ids = self.side.ids[at].astype(np.int64)
            return ids, self.side.weights[at].astype(np.float32), info.doc_frequency
        ids, weights = read_postings(info, self._postings)
        if len(ids) != info.doc_frequency:
            raise IndexFormatError(
                f"{name} has {len(ids)} postings, doc frequency {info.doc_frequency}"
            )
        return ids, weights, info.doc_frequency

    def postings_at(
        self, field: str, text: str, docs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Which of `docs` (local, sorted) hold a term, their weights, its doc frequency:
        only the blocks of the posting list that can hold them are decoded."""
        return self.read_at(self.place(field, text), docs)

    def read_at(
        self, place: Place | None, docs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """postings_at() of a term at a place found before."""
        if place is None:
            return np.zeros(len(docs), dtype=bool), EMPTY_WEIGHTS, 0
        info, at = place
        if at is not None:
            assert self.side is not None
            ids = self.side.ids[at]
            where = ids.searchsorted(docs)
            where[where == len(ids)] = 0
            found = ids[where] == docs
            weights = self.side.weights[at][where[found]].astype(np.float32)
            return found, weights, info.doc_frequency
        found, weights = read_postings_at(info, self._postings, docs)
        return found, weights, info.doc_frequency

    def _side_lookup(self, info: TermInfo) -> slice | None:
        """Where a list is in the side file, or None when it is to be read from Whoosh's."""
        if self.side is None or info.inlined is not None:
            return None
        return self.side.lookup(info.offset, info.doc_frequency, info.first, info.last)

    def margin(self, field: str, word: str) -> int:
        """The summed doc frequency of the field's terms starting with `word` and a space: from
        the side file when it has them, else by a scan of the term table."""
        if self.side is not None:
            found = self.side.margin(field, self.schema[field].to_bytes(word))
            if found is not None:
                return found
        return sum(df for _, df in self.terms(field, f"{word} "))

    def doc_frequencies(self, field: str, texts: list[str]) -> list[int]:
        """The doc frequency of each term of one field in this segment."""
        to_bytes = self.schema[field].to_bytes
        keys = [self.table.key(field, to_bytes(t)) for t in texts]
        if keys and keys[0] is None:  # the segment has no such field
            return [0] * len(texts)
        return self.table.doc_frequencies([k for k in keys if k is not None])

    def terms(self, field: str, prefix: str = "", limit: int = -1) -> list[tuple[str, int]]:
        """(term, doc frequency) of a field's terms starting with prefix, in term order."""
        fieldtype = self.schema[field]
        # A whole field of UTF-8 terms (the vocabulary): from the side file when it has it.
        utf8 = getattr(fieldtype.from_bytes, "__func__", None) is FieldType.from_bytes
        if self.side is not None and utf8 and not prefix and limit < 0:
            whole = self.side.vocabulary(field)
            if whole is not None:
                return whole
        items = self.table.items(field, fieldtype.to_bytes(prefix), limit)
        return [(fieldtype.from_bytes(t), df) for t, df in items]

    def lengths(self, field: str) -> np.ndarray:
        """The (byte-encoded, decoded) length of `field` in each document, as Whoosh keeps it."""
        with self._lock:
            arr = self._lengths.get(field)
            if arr is None:
                arr = np.zeros(self.n, dtype=np.float32)
                part = self.files.part(column_ext(length_column(field)))
                if part is not None:  # a column of one byte per document, absent at the end
                    raw = np.frombuffer(part.read_all(), dtype=np.uint8)[: self.n]
                    arr[: len(raw)] = _LENGTH_OF_BYTE[raw]
                self._lengths[field] = arr
            return arr

    def dates(self, field: str = "date") -> np.ndarray:
        """A sortable datetime column as int64 Whoosh longs (0 where a document has none)."""
        with self._lock:
            if self._dates is None:
                arr = np.zeros(self.n, dtype=np.int64)
                column = self.schema[field].column_type
                part = self.files.part(column_ext(field))
                if part is not None:
                    # A NumericColumn: one big-endian value per document, its default where the
                    # document has none (and nothing for trailing documents without a value).
                    code, default = column._typecode, column._default
                    raw = np.frombuffer(part.read_all(), dtype=">" + code)[: self.n]
                    missing = raw == np.array(default, dtype=raw.dtype)
                    arr[: len(raw)] = np.where(missing, 0, raw).astype(np.int64)
                self._dates = arr
            return self._dates

    @property
    def nbytes(self) -> int:
        """Memory held in arrays (term table and the columns read so far)."""
        cols = sum(a.nbytes for a in self._lengths.values())
        return self.table.nbytes + cols + (self._dates.nbytes if self._dates is not None else 0)

    def close(self) -> None:
        self.files.close()
