"""The in-memory inverted lists of one segment being written: flat arrays, sorted once at flush.

Whoosh's pool takes one (field, term, docnum, weight, value) tuple per posting. Here a document's
field arrives as a Counter of its terms (C), its terms become integer ids through a dict (C map,
a Python call only for a term never seen), and ids, weights and values are appended with one
array.extend each: Python work per document and field, never per posting. flush() sorts each
field's postings by term with one NumPy stable argsort and hands them over in term order.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import count
from typing import Any

import numpy as np


class _Column:
    """A growable NumPy array, filled a document's field at a time."""

    __slots__ = ("buf", "n")

    def __init__(self, dtype: Any) -> None:
        self.buf = np.empty(4096, dtype=dtype)
        self.n = 0

    def _reserve(self, k: int) -> int:
        n = self.n
        if n + k > len(self.buf):
            grown = np.empty(max(n + k, len(self.buf) * 3 // 2), dtype=self.buf.dtype)
            grown[:n] = self.buf[:n]
            self.buf = grown
        self.n = n + k
        return n

    def put(self, values: Any, k: int) -> None:
        start = self._reserve(k)
        self.buf[start : start + k] = values

    def array(self) -> np.ndarray:
        return self.buf[: self.n]


class FieldPostings:
    """One field's postings in the order they came: term ids, weights, frequencies (a counted
    field's values are pack_uint(freq)) or values, and runs of one document's postings."""

    __slots__ = (
        "counted",
        "field_boost",
        "fixed",
        "freqs",
        "ids",
        "merged",
        "numbers",
        "runs",
        "tids",
        "values",
        "weights",
    )

    def __init__(self, fixed: int, counted: bool) -> None:
        self.fixed = fixed  # bytes of value per posting
        self.counted = counted
        # term → id: str terms (counted fields) or bytes (any other field). A new term takes
        # the next number of `numbers`, which every posting advances: ids are unique, not
        # dense, and setdefault() through map() assigns them without a Python call.
        self.ids: dict[Any, int] = {}
        self.numbers = count()
        self.tids = _Column(np.int32)
        # A counted field's weights are freq × field_boost until a posting comes with another
        # (a document boost, a merge): then every posting has its weight here.
        self.weights = _Column(np.float32)
        self.field_boost: float | None = None
        self.freqs = _Column(np.uint32)  # counted fields
        self.values = bytearray()  # other fields
        self.runs = array("I")  # (docnum, postings) of each document's run, flat
        self.merged = False  # postings came from a merge too: docnums may not ascend in order

    def add_counts(
        self, docnum: int, counts: Mapping[str, int], field_boost: float, boost: float
    ) -> None:
        """A document's terms of a counted field: weight freq × field_boost × the document's
        boost, value pack_uint(freq) (indexer.analysis.VnText), as Whoosh computes them."""
        n = len(counts)
        if not n:
            return
        self.tids.put(np.fromiter(map(self.ids.setdefault, counts, self.numbers), np.int32, n), n)
        if self.field_boost is None:
            self.field_boost = field_boost
        weighed = boost != 1.0 or field_boost != self.field_boost or self.weights.n > 0
        if weighed:
            self._weigh()  # the postings so far, before this document's
        freqs = np.fromiter(counts.values(), np.uint32, n)
        self.freqs.put(freqs, n)
        if weighed:
            weights = freqs * field_boost  # float64, then rounded to float32 as array("f")
            if boost != 1.0:
                weights *= boost
            self.weights.put(weights, n)
        self.runs.append(docnum)
        self.runs.append(n)

    def _weigh(self) -> None:
        """Give the postings so far their weights (freq × field_boost), as add() needs."""
        if self.counted and self.weights.n < self.freqs.n:
            fb = 1.0 if self.field_boost is None else self.field_boost
            done = self.weights.n
            self.weights.put(self.freqs.array()[done:] * fb, self.freqs.n - done)

    def add(self, docnum: int, term: Any, weight: float, value: bytes) -> None:
        """One posting (field.index() of other fields, and merged segments)."""
        self._weigh()
        self.tids.put(self.ids.setdefault(term, next(self.numbers)), 1)
        self.weights.put(weight, 1)
        if self.counted:
            self.freqs.put(int.from_bytes(value, "big"), 1)  # value is pack_uint(freq)
        elif value:  # a merge gives '' or None for an empty value
            self.values += value
        self.runs.append(docnum)
        self.runs.append(1)

    def __len__(self) -> int:
        return self.tids.n

    def sorted(self, to_bytes: Any) -> SortedPostings:
        """Every posting in term order (terms by their bytes), documents ascending in each."""
        n = len(self.ids)
        encoded = list(map(to_bytes, self.ids))
        by_bytes = sorted(range(n), key=encoded.__getitem__)  # bytes compare as memcmp
        terms = list(map(encoded.__getitem__, by_bytes))
        tid_of = np.fromiter(self.ids.values(), np.int64, n)[by_bytes]
        rank = np.zeros(int(tid_of.max()) + 1 if n else 0, dtype=np.int32)
        rank[tid_of] = np.arange(n, dtype=np.int32)
        del tid_of
        keys = rank[self.tids.array()]  # each posting's term, numbered in term order
        del rank
        counts = np.bincount(keys, minlength=n)
        runs = np.frombuffer(self.runs, dtype=np.uint32).reshape(-1, 2)
        docs = np.repeat(runs[:, 0], runs[:, 1])
        # Documents come in docnum order (a stable sort keeps them so), unless a merge added
        # postings of other segments: then order by docnum within each term.
        order = np.lexsort((docs, keys)) if self.merged else np.argsort(keys, kind="stable")
        del keys
        docs = docs[order]
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        values: np.ndarray | None = None
        if self.counted:
            freqs = self.freqs.array()[order]
            values = freqs.astype(">u4").view(f"V{self.fixed}")
            if self.weights.n:
                weights = self.weights.array()[order]
            else:  # every weight is freq × field_boost (float64, then float32 as array("f"))
                fb = 1.0 if self.field_boost is None else self.field_boost
                weights = freqs.astype(np.float32) if fb == 1.0 else (freqs * fb).astype(np.float32)
            del freqs
        else:
            weights = self.weights.array()[order]
            if self.fixed:
                values = np.frombuffer(self.values, dtype=f"V{self.fixed}")[order]
        return SortedPostings(terms, starts, docs, weights, values, self.fixed)


@dataclass
class SortedPostings:
    """A field's postings in term order: term i holds postings starts[i]:starts[i + 1]."""

    terms: list[bytes]
    starts: np.ndarray
    docs: np.ndarray  # uint32
    weights: np.ndarray  # float32
    values: np.ndarray | None  # fixed-size values (void dtype), None when values are empty
    fixed: int

    def slabs(self, postings: int = 1 << 18) -> Iterator[tuple[int, int]]:
        """Ranges of terms [t0, t1) of about `postings` postings each (at least one term)."""
        n = len(self.terms)
        t0 = 0
        while t0 < n:
            t1 = int(np.searchsorted(self.starts, self.starts[t0] + postings, side="right")) - 1
            t1 = min(max(t1, t0 + 1), n)
            yield t0, t1
            t0 = t1


class BulkPool:
    """In-memory inverted lists of one segment: field name → FieldPostings."""

    def __init__(self) -> None:
        self.fields: dict[str, FieldPostings] = {}
        self.schema: Any = None  # set by the writer: add() needs each field's value size

    def field(self, name: str, fieldtype: Any) -> FieldPostings:
        postings = self.fields.get(name)
        if postings is None:
            fixed = fieldtype.format.fixed_value_size()
            if fixed is None or fixed < 0:
                raise ValueError(f"{name}: the bulk writer needs fixed-size values")
            if counted(fieldtype) and fixed != 4:
                raise ValueError(f"{name}: a counted field's values are pack_uint(freq)")
            postings = self.fields[name] = FieldPostings(fixed, counted(fieldtype))
        return postings

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        """Whoosh's pool interface, one posting (BulkWriter's merges do not come this way)."""
        fieldname, tbytes, docnum, weight, vbytes = item
        fieldtype = self.schema[fieldname]
        postings = self.field(fieldname, fieldtype)
        term: Any = fieldtype.from_bytes(tbytes) if counted(fieldtype) else tbytes
        postings.add(docnum, term, weight, vbytes)
        postings.merged = True

    @property
    def fieldnames(self) -> set[str]:
        return set(self.fields)

    def cleanup(self) -> None:
        self.fields = {}


def counted(fieldtype: Any) -> bool:
    """A field indexed from term counts (str terms in the pool), not from field.index()."""
    return hasattr(fieldtype, "term_counts")


def counts_of(fieldtype: Any, value: Any) -> Mapping[str, int] | None:
    """The term counts of a value of a counted field (None for any other field)."""
    term_counts = getattr(fieldtype, "term_counts", None)
    return None if term_counts is None else term_counts(value)
