"""A segment's term table in memory, and its posting lists decoded into NumPy arrays.

The term table (`.trm`) is Whoosh's ordered hash file: length-prefixed (key, terminfo) entries
in key order (a key is the field's number, 2 bytes, then the term), 256 hash tables of (hash,
entry position) slots, a directory, pickled extras (field numbers, the ordered index's type and
length), and the ordered index: each entry's position, in key order. Here every used slot is
read once, sorted by hash and kept as two arrays (8 bytes per term): a lookup is a binary search
in memory plus, only when the hash is present, one pread to compare the key and read its
terminfo. Listing a field's terms (or those with a prefix) binary-searches the ordered index on
disk, then reads the entries in one sweep.

Terminfo (whoosh3 W3TermInfo): struct !BfIBBfII (inlined flag, total weight, doc frequency,
min/max length bytes, max weight, min/max id), then either the pickled (ids, weights, values) of
an inlined list or the (offset !q, length !i) of the list in the postings part. A posting list:
b"W3Bl", then blocks of int32 length (negative on the last), a pickled info tuple (count, last
id, max weight, compression, min/max length bytes) and the pickled (delta ids, weights, values),
a zlib stream when compression > 0: whoosh3 writes it with zlib, termfile.py with ISA-L; either
is read here by ISA-L's inflate (about a quarter less time a block than zlib's:
bench.compression).
"""

from __future__ import annotations

import io
import pickle
import struct
import sys
import zlib
from collections.abc import Iterator, Sequence
from hashlib import md5
from typing import NamedTuple

import numpy as np
from isal import isal_zlib

from indexer.errors import IndexFormatError
from indexer.whoosh_seam.files import Part

HASH_MAGIC = b"HSH3"
POSTINGS_MAGIC = b"W3Bl"
_LENGTHS = struct.Struct("!ii")  # key length, value length before each entry
_TERMINFO = struct.Struct("!BfIBBfII")
_EXTENT = struct.Struct("!qi")
_INT = struct.Struct("!i")
_DIRECTORY = np.dtype([("pos", ">i8"), ("slots", ">i4")])
_SLOT = np.dtype([("hash", ">u4"), ("pos", ">i8")])
_DF = struct.Struct("!I")  # the doc frequency, 5 bytes into a terminfo
_PEEK = 96  # bytes read past a key: the terminfo, or most of an inlined list
_SWEEP = 1 << 18  # bytes read at a time when listing terms
_HEADER = 13  # a hash file's magic, hash type and two ints before its first entry
_FIRST_SWEEP = 1 << 13  # the first read of a prefix's listing
_ORDER_TYPES = {"B": "u1", "H": ">u2", "i": ">i4", "I": ">u4", "q": ">i8"}
EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)


def _md5_hash(key: bytes) -> int:
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")


def _crc_hash(key: bytes) -> int:
    return zlib.crc32(key) & 0xFFFFFFFF


_HASHES = {0: _md5_hash, 1: _crc_hash}  # Whoosh's hash types 0 and 1 (2, cdb, is never used)


class TermInfo(NamedTuple):
    """What the term table says about one term of one segment."""

    doc_frequency: int
    inlined: tuple[tuple[int, ...], tuple[float, ...]] | None  # (ids, weights) when inlined
    offset: int  # of the posting list in the postings part (when not inlined)
    length: int
    first: int = 0  # the list's first and last document
    last: int = 0


class TermTable:
    """The term table of one segment: lookups by (field, term bytes), nothing else in memory."""

    def __init__(self, part: Part) -> None:
        self.part = part
        head = part.read(0, 13)
        if head[:4] != HASH_MAGIC or head[4] not in _HASHES:
            raise IndexFormatError(f"{part.name}: not a hash file Whoosh 2.7 writes ({head!r})")
        self._hash = _HASHES[head[4]]
        (exlen,) = _INT.unpack(part.read(part.length - 4, 4))
        expos = part.length - 4 - exlen
        dirpos = expos - 256 * _DIRECTORY.itemsize
        extras_file = io.BytesIO(part.read(expos, exlen))
        extras = pickle.Unpickler(extras_file).load()
        self.fieldmap: dict[str, int] = dict(extras["fieldmap"])
        if extras.get("indextype") not in _ORDER_TYPES:
            raise IndexFormatError(f"{part.name}: no ordered index ({extras.get('indextype')})")
        self._order = np.dtype(_ORDER_TYPES[extras["indextype"]])
        self._order_pos = expos + extras_file.tell()
        self._count = int(extras["indexlen"])
        directory = np.frombuffer(part.read(dirpos, 256 * _DIRECTORY.itemsize), dtype=_DIRECTORY)
        start = int(directory["pos"][0])
        ends = directory["pos"].astype(np.int64) + directory["slots"].astype(np.int64) * 12
        if start <= 0 or int(ends[-1]) != dirpos or (directory["pos"][1:] != ends[:-1]).any():
            raise IndexFormatError(f"{part.name}: hash tables are not where Whoosh 2.7 puts them")
        self._end_of_data = start
        # The slots are read a few MB at a time into one reused buffer and packed as one uint64
        # per term (hash above, position below), sorted in place: reading all of them at once
        # and sorting with an index (~50 + 16 MB on 45,000 articles) left the process that much
        # bigger after they were freed.
        if part.length >= 2**32:
            raise IndexFormatError(f"{part.name}: a term table over 4 GB")
        packed = np.zeros(self._count, dtype=np.uint64)
        buf = np.empty((1 << 22) // _SLOT.itemsize, dtype=_SLOT)
        filled = 0
        for lo in range(start, dirpos, buf.nbytes):
            slots = buf[: min(buf.nbytes, dirpos - lo) // _SLOT.itemsize]
            part.read_into(lo, slots.view(np.uint8))
            used = slots[slots["pos"] != 0]
            if filled + len(used) > self._count:
                raise IndexFormatError(f"{part.name}: more slots than the {self._count} keys")
            out = packed[filled : filled + len(used)]
            np.left_shift(used["hash"], 32, out=out, dtype=np.uint64, casting="unsafe")
            out |= used["pos"].astype(np.uint64)
            filled += len(used)
        packed = packed[:filled]
        packed.sort()
        halves = packed.view(np.uint32)  # (low, high) of each uint64 on a little-endian machine
        low, high = (0, 1) if sys.byteorder == "little" else (1, 0)
        self.hashes = halves[high::2].copy()
        self.positions = halves[low::2].copy()
        del packed, halves
        if len(self.hashes) != self._count:
            raise IndexFormatError(f"{part.name}: {len(self.hashes)} slots, {self._count} keys")

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def nbytes(self) -> int:
        return int(self.hashes.nbytes + self.positions.nbytes)

    def key(self, field: str, tbytes: bytes) -> bytes | None:
        """The table's key of a term, or None when this segment has no such field."""
        num = self.fieldmap.get(field)
        return None if num is None else num.to_bytes(2, "big") + tbytes

    def _entry(self, key: bytes, lo: int, hi: int) -> bytes | None:
        """The terminfo bytes of `key` among the slots [lo, hi) holding its hash, or None."""
        n = len(key)
        for i in range(lo, hi):
            pos = int(self.positions[i])
            data = self.part.read(pos, _LENGTHS.size + n + _PEEK)
            keylen, vallen = _LENGTHS.unpack_from(data)
            if keylen != n or data[_LENGTHS.size : _LENGTHS.size + n] != key:
                continue  # another key with the same 32-bit hash
            start = _LENGTHS.size + n
            value = data[start : start + vallen]
            if len(value) < vallen:
                value = self.part.read(pos + start, vallen)
            return value
        return None

    def info(self, key: bytes) -> TermInfo | None:
        """The terminfo of a key, or None when the term is not in this segment."""
        h = np.uint32(self._hash(key))  # a Python int would make NumPy convert the whole array
        lo = int(self.hashes.searchsorted(h, "left"))
        hi = int(self.hashes.searchsorted(h, "right"))
        value = self._entry(key, lo, hi) if hi > lo else None
        return None if value is None else _terminfo(value, self.part.name)

    def doc_frequencies(self, keys: Sequence[bytes]) -> list[int]:
        """Doc frequency of each key (0 when absent): one vectorized search for all of them."""
        if not keys:
            return []
        hs = np.fromiter((self._hash(k) for k in keys), dtype=np.uint32, count=len(keys))
        lo = self.hashes.searchsorted(hs, "left")
        hi = self.hashes.searchsorted(hs, "right")
        out = [0] * len(keys)
        for i in np.flatnonzero(hi > lo).tolist():
            value = self._entry(keys[i], int(lo[i]), int(hi[i]))
            if value is not None:
                out[i] = _TERMINFO.unpack_from(value)[2]
        return out

    # -- listing, in key order --------------------------------------------------------------------

    def _position(self, i: int) -> int:
        """Where the i-th key (in key order) is."""
        size = self._order.itemsize
        raw = self.part.read(self._order_pos + i * size, size)
        return int(np.frombuffer(raw, dtype=self._order)[0])

    def _key_at(self, pos: int) -> bytes:
        head = self.part.read(pos, _LENGTHS.size + 64)
        keylen, _ = _LENGTHS.unpack_from(head)
        if keylen > 64:
            head = self.part.read(pos, _LENGTHS.size + keylen)
        return head[_LENGTHS.size : _LENGTHS.size + keylen]

    def index_at_least(self, key: bytes) -> int:
        """The rank (in key order) of the first entry whose key is >= key (len(self) if none)."""
        lo, hi = 0, self._count
        while lo < hi:
            mid = (lo + hi) // 2
            if self._key_at(self._position(mid)) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _first_at_least(self, key: bytes) -> int:
        """The position of the first entry whose key is >= key (end of data if none)."""
        lo = self.index_at_least(key)
        return self._position(lo) if lo < self._count else self._end_of_data

    def positions_of(self, lo: int, hi: int) -> np.ndarray:
        """Where the entries of ranks lo..hi-1 (key order) are, and where the next one starts
        (the end of the entries when hi is the last): hi - lo + 1 positions (int64)."""
        size = self._order.itemsize
        raw = self.part.read(self._order_pos + lo * size, (hi - lo) * size)
        out = np.empty(hi - lo + 1, dtype=np.int64)
        out[:-1] = np.frombuffer(raw, dtype=self._order)
        out[-1] = self._position(hi) if hi < self._count else self._end_of_data
        return out

    def items(self, field: str, prefix: bytes = b"", limit: int = -1) -> list[tuple[bytes, int]]:
        """(term bytes, doc frequency) of a field's terms starting with prefix, in term order."""
        num = self.fieldmap.get(field)
        if num is None or limit == 0:
            return []
        head = num.to_bytes(2, "big") + prefix
        pos = self._first_at_least(head)
        end = self._end_of_data
        if not prefix and limit < 0 and num + 1 < 1 << 16:  # a whole field: one read
            end = self._first_at_least((num + 1).to_bytes(2, "big"))
        out: list[tuple[bytes, int]] = []
        # A prefix usually holds few terms: read a little first, more as the listing goes on.
        sweep = _SWEEP if not prefix and limit < 0 else _FIRST_SWEEP
        for key, value in self.entries(pos, end, sweep):
            if not key.startswith(head):
                break
            out.append((key[2:], _DF.unpack_from(value, 5)[0]))
            if len(out) == limit:
                break
        return out

    def entries(
        self, pos: int = _HEADER, end: int | None = None, sweep: int = _SWEEP
    ) -> Iterator[tuple[bytes, bytes]]:
        """(key, term info bytes) of the entries from `pos` to `end` (all: the whole table), in
        key order, read `sweep` bytes at a time (growing to _SWEEP)."""
        end = self._end_of_data if end is None else end
        buf, off = b"", 0
        while pos < end:
            if off + _LENGTHS.size > len(buf):
                buf, off = buf[off:] + self.part.read(pos + len(buf) - off, sweep), 0
                sweep = min(sweep * 4, _SWEEP)
            keylen, vallen = _LENGTHS.unpack_from(buf, off)
            size = _LENGTHS.size + keylen + vallen
            if off + size > len(buf):
                more = max(sweep, size)
                sweep = min(sweep * 4, _SWEEP)
                buf, off = buf[off:] + self.part.read(pos + len(buf) - off, more), 0
                if size > len(buf):
                    raise IndexFormatError(f"{self.part.name}: an entry runs past the data")
            start = off + _LENGTHS.size
            yield buf[start : start + keylen], buf[start + keylen : start + keylen + vallen]
            off += size
            pos += size


def _terminfo(value: bytes, where: str) -> TermInfo:
    flags, _, df, _, _, _, first, last = _TERMINFO.unpack_from(value)
    tail = value[_TERMINFO.size :]
    if flags:
        ids, weights, _values = pickle.loads(tail)
        return TermInfo(df, (tuple(ids), tuple(weights)), 0, 0)
    if len(tail) < _EXTENT.size:
        raise IndexFormatError(f"{where}: a terminfo without postings extent")
    offset, length = _EXTENT.unpack_from(tail)
    return TermInfo(df, None, offset, length, first, last)


def read_postings(info: TermInfo, postings: Part) -> tuple[np.ndarray, np.ndarray]:
    """Segment-local docnums (sorted, int64) and weights (float32) of one posting list."""
    if info.inlined is not None:
        inlined_ids, inlined_weights = info.inlined
        return np.asarray(inlined_ids, dtype=np.int64), np.asarray(inlined_weights, np.float32)
    blocks = _blocks(info, postings)
    parts = [_decode(raw, count, compression, postings.name) for raw, count, _, compression in
             blocks]
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def read_postings_at(
    info: TermInfo, postings: Part, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which of `docs` (segment-local, sorted) hold the term, and their weights: only the
    blocks whose range of ids can hold one of them are decoded."""
    found = np.zeros(len(docs), dtype=bool)
    weights = np.zeros(len(docs), dtype=np.float32)
    if info.inlined is not None:
        spans = [(b"", 0, 0, 0)]
        which = np.zeros(len(docs), dtype=np.int64)
    else:
        spans = _blocks(info, postings)
        last_ids = np.array([s[2] for s in spans], dtype=np.int64)
        which = np.searchsorted(last_ids, docs)  # the block that would hold each doc
    for i in np.unique(which[which < len(spans)]).tolist():
        raw, count, _, compression = spans[i]
        ids, w = (read_postings(info, postings) if info.inlined is not None
                  else _decode(raw, count, compression, postings.name))
        sel = np.flatnonzero(which == i)
        at = np.searchsorted(ids, docs[sel])
        at[at == len(ids)] = 0
        hit = ids[at] == docs[sel]
        found[sel[hit]] = True
        weights[sel[hit]] = w[at[hit]]
    return found, weights[found]


def _blocks(info: TermInfo, postings: Part) -> list[tuple[bytes, int, int, int]]:
    """The blocks of a posting list: (data, count, last id, compression), not decoded."""
    buf = postings.read(info.offset, info.length)
    if buf[:4] != POSTINGS_MAGIC:
        raise IndexFormatError(f"{postings.name}: no posting list at {info.offset}")
    out = []
    pos, last = 4, False
    while not last:
        (length,) = _INT.unpack_from(buf, pos)
        last = length < 0
        start, end = pos + 4, pos + 4 + abs(length)
        header = io.BytesIO(buf[start : min(end, start + 256)])
        count, last_id, _, compression, _, _ = pickle.Unpickler(header).load()
        out.append((buf[start + header.tell() : end], count, last_id, compression))
        pos = end
        if pos > len(buf):
            raise IndexFormatError(f"{postings.name}: a block runs past its posting list")
    return out


def _decode(data: bytes, count: int, compression: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Local docnums and weights of one block."""
    raw = isal_zlib.decompress(data) if compression else data
    plain = _plain_block(raw, count)
    if plain is not None:
        return np.cumsum(plain[0], dtype=np.int64), plain[1]
    deltas, w_d = pickle.loads(raw)[:2]
    ids = np.cumsum(np.asarray(deltas, dtype=np.int64))  # ids are delta-encoded
    if len(ids) != count:
        raise IndexFormatError(f"{where}: a block of {len(ids)} ids says {count}")
    if w_d is None:  # every weight 1.0
        return ids, np.ones(len(ids), dtype=np.float32)
    if isinstance(w_d, float):  # every weight the same
        return ids, np.full(len(ids), w_d, dtype=np.float32)
    return ids, np.asarray(w_d, dtype=np.float32)


# Opcodes of the pickle (protocol 2) of a block's (delta ids, weights, values): '(' marks a tuple,
# 't' closes it, 'q'/'r' memoize it; K and M are 1- and 2-byte unsigned ints, G a float64.
_TUPLE_START = b"\x80\x02("
_CLOSE, _PUT, _LONG_PUT, _MARK = ord("t"), ord("q"), ord("r"), ord("(")
_INTS = ((ord("K"), 1, np.dtype(np.uint8)), (ord("M"), 2, np.dtype("<u2")))
_FLOAT = ord("G")


def _plain_block(raw: bytes, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Delta ids and weights of a block read straight from its pickle, when the ids are all
    one-byte or all two-byte ints and the weights a tuple of floats (common terms' blocks: the
    long lists); None for any other layout (pickle reads those).

    Each check is on the opcode every item must start with at its fixed stride: a block with
    one item of another width fails it there, so a wrong layout is never read as this one.
    """
    if count <= 0 or not raw.startswith(_TUPLE_START):
        return None
    b = np.frombuffer(raw, dtype=np.uint8)
    for op, width, dtype in _INTS:
        step = width + 1
        end = 3 + step * count
        if len(b) > end and b[end] == _CLOSE and (b[3:end:step] == op).all():
            deltas = np.ndarray((count,), dtype=dtype, buffer=raw, offset=4, strides=(step,))
            break
    else:
        return None
    pos = end + 1
    if len(b) > pos + 5 and b[pos] == _PUT:
        pos += 2
    elif len(b) > pos + 5 and b[pos] == _LONG_PUT:
        pos += 5
    else:
        return None
    wend = pos + 1 + 9 * count
    if b[pos] != _MARK or len(b) <= wend or b[wend] != _CLOSE:
        return None
    if not (b[pos + 1 : wend : 9] == _FLOAT).all():
        return None
    weights = np.ndarray((count,), dtype=">f8", buffer=raw, offset=pos + 2, strides=(9,))
    return deltas, weights.astype(np.float32)
