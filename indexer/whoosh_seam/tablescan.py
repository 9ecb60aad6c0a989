"""A field's term table entries read in bulk: a window of entries in one read, every head
decoded at once, and the short inlined lists parsed from their pickles with NumPy.

A merge reads every entry of every field of the segments it merges (millions for the syllable
pairs, most of them an inlined list of one or two documents): a struct unpack and a
pickle.loads per entry were a third of a merge's time. Here a window of entries is one pread;
its lengths, heads (W3TermInfo's !BfIBBfII) and inlined lists are arrays. An inlined list is
the pickle (protocol 2) of (ids, weights, values) whoosh3 writes; the parser checks every
opcode it reads (ids as 1-, 2- or 4-byte ints, weights as 8-byte floats, tuples of 1 to 4) and
leaves any other layout to pickle.loads.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from indexer.errors import IndexFormatError
from indexer.whoosh_seam.files import Part
from indexer.whoosh_seam.termfile import TERMINFO_DTYPE
from indexer.whoosh_seam.terms import TermTable

WINDOW = 1 << 15  # entries read at a time
SPAN = 1 << 20  # bytes of posting lists read at a time (ReadAhead)
MAX_INLINED = 4  # the longest inlined list the parser reads (termfile.INLINE_LIMIT)
HEAD = TERMINFO_DTYPE  # whoosh3 W3TermInfo, packed: 23 bytes
_LENGTHS = 8  # key length and value length (!ii) before each entry
_KEY_PREFIX = 2  # the field's number before the term in each key
_WIDTH = np.zeros(256, dtype=np.int64)
_WIDTH[ord("K")], _WIDTH[ord("M")], _WIDTH[ord("J")] = 1, 2, 4  # BININT1, BININT2, BININT
_CLOSE = np.array([-1, 0x85, 0x86, 0x87, ord("t")], dtype=np.int64)  # TUPLE1..3; MARK … TUPLE
_MARK, _BINPUT, _BINFLOAT, _PROTO = ord("("), ord("q"), ord("G"), 0x80


@dataclass
class Entries:
    """Consecutive entries of one field: terms (the field's number cut off), heads, and where
    each entry's bytes after its head (an inlined pickle or a postings extent) are in buf."""

    terms: list[bytes]
    heads: np.ndarray  # HEAD
    buf: bytes
    tails: np.ndarray  # int64 offsets into buf
    tail_lengths: np.ndarray  # int64

    def tail(self, i: int) -> bytes:
        at = int(self.tails[i])
        return self.buf[at : at + int(self.tail_lengths[i])]


def field_entries(table: TermTable, field: str, window: int = WINDOW) -> Iterator[Entries]:
    """The entries of `field` in key (term) order, `window` at a time."""
    num = table.fieldmap.get(field)
    if num is None:
        return
    lo = table.index_at_least(num.to_bytes(2, "big"))
    hi = table.index_at_least((num + 1).to_bytes(2, "big")) if num + 1 < 1 << 16 else len(table)
    for a in range(lo, hi, window):
        pos = table.positions_of(a, min(a + window, hi))
        buf = table.part.read(int(pos[0]), int(pos[-1] - pos[0]))
        yield _decoded(buf, pos - pos[0], table.part.name)


def _decoded(buf: bytes, rel: np.ndarray, where: str) -> Entries:
    u = np.frombuffer(buf, dtype=np.uint8)
    starts = rel[:-1]
    if len(buf) != int(rel[-1]) or (np.diff(rel) < _LENGTHS + _KEY_PREFIX + HEAD.itemsize).any():
        raise IndexFormatError(f"{where}: term table entries are not where its index says")
    lengths = _gather(u, starts, _LENGTHS).view(">i4").astype(np.int64)
    keylen, vallen = lengths[:, 0], lengths[:, 1]
    values = starts + _LENGTHS + keylen
    if (values + vallen != rel[1:]).any() or (keylen < _KEY_PREFIX).any() or (
        vallen < HEAD.itemsize
    ).any():
        raise IndexFormatError(f"{where}: a term table entry of the wrong length")
    heads = _gather(u, values, HEAD.itemsize).view(HEAD)[:, 0]
    terms = [buf[a:b] for a, b in zip((starts + _LENGTHS + _KEY_PREFIX).tolist(),
                                      values.tolist(), strict=True)]
    return Entries(terms, heads, buf, values + HEAD.itemsize, vallen - HEAD.itemsize)


def _gather(u: np.ndarray, at: np.ndarray, width: int) -> np.ndarray:
    """The `width` bytes at each of `at`: an (n, width) array."""
    out: np.ndarray = u[at[:, None] + np.arange(width)]
    return out


def inlined(entries: Entries, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inlined lists of entries `which`: (parsed, ids, weights), ids and weights (n, 4)
    arrays, a list's df first of its row filled; `parsed` False where the pickle is not the
    layout read here (pickle.loads it: inlined_list)."""
    n = len(which)
    ids = np.zeros((n, MAX_INLINED), dtype=np.int64)
    weights = np.zeros((n, MAX_INLINED), dtype=np.float64)
    if not n:
        return np.zeros(0, dtype=bool), ids, weights
    u = np.frombuffer(entries.buf, dtype=np.uint8)
    last = len(u) - 1

    def op(at: np.ndarray) -> np.ndarray:
        out: np.ndarray = u[np.minimum(at, last)].astype(np.int64)
        return out

    t = entries.tails[which]
    df = entries.heads["df"][which].astype(np.int64)
    ok = (df >= 1) & (df <= MAX_INLINED) & (entries.heads["inlined"][which] != 0)
    ok &= (op(t) == _PROTO) & (op(t + 1) == 2)
    close = _CLOSE[np.clip(df, 0, MAX_INLINED)]
    marked = df == MAX_INLINED  # four items: MARK, the items, TUPLE
    o = t + 2
    ok &= ~marked | (op(o) == _MARK)
    o = o + marked
    for k in range(MAX_INLINED):
        m = k < df
        width = _WIDTH[op(o)]
        ok &= ~m | (width > 0)
        v = op(o + 1) | np.where(width >= 2, op(o + 2) << 8, 0)
        v |= np.where(width == 4, (op(o + 3) << 16) | (op(o + 4) << 24), 0)
        ids[:, k] = np.where(m, v, 0)
        o = np.where(m, o + 1 + width, o)
    ok &= op(o) == close
    ok &= op(o + 1) == _BINPUT  # the ids tuple's memo entry
    o = o + 3
    ok &= ~marked | (op(o) == _MARK)
    o = o + marked
    for k in range(MAX_INLINED):
        m = k < df
        ok &= ~m | (op(o) == _BINFLOAT)
        raw = u[np.minimum((o + 1)[:, None] + np.arange(8), last)]
        weights[:, k] = np.where(m, raw.copy().view(">f8")[:, 0], 0.0)
        o = np.where(m, o + 9, o)
    ok &= op(o) == close
    ok &= o < t + entries.tail_lengths[which]
    return ok, ids, weights


def inlined_list(entries: Entries, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Entry i's inlined list by pickle.loads: ids (int64) and weights (float32)."""
    list_ids, list_weights = pickle.loads(entries.tail(i))[:2]
    return np.asarray(list_ids, dtype=np.int64), np.asarray(list_weights, dtype=np.float32)


class ReadAhead(Part):
    """A part read SPAN bytes at a time: the posting lists of a merge are read in the order they
    were written, most of them a few hundred bytes (a pread each, before)."""

    def __init__(self, part: Part, span: int = SPAN) -> None:
        super().__init__(part.name, part.fd, part.offset, part.length)
        self._span = span
        self._at = 0
        self._buf = b""

    def read(self, pos: int, size: int) -> bytes:
        end = pos + size
        if pos < self._at or end > self._at + len(self._buf):
            self._buf = super().read(pos, max(size, self._span))
            self._at = pos
        return self._buf[pos - self._at : end - self._at]
