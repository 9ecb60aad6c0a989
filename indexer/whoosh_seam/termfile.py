"""A field's posting lists and term table entries, written as whoosh3 writes them (W3 codec).

What W3FieldWriter, W3PostingsWriter, W3TermInfo and OrderedHashWriter do per posting and per
term, done per list and, where it can be, for all terms of a field at once in NumPy: the same
term table bytes and the same blocks (tests/indexer/test_whoosh_seam.py compares them with
Whoosh's own writer's), a few microseconds per term instead of a few dozen. One difference: a
block's pickle is compressed by ISA-L (isal_zlib), not by zlib, so the compressed bytes (and the
lists' offsets after them) differ from Whoosh's; the stream is a standard zlib stream, which
Whoosh's zlib.decompress reads unchanged.
"""

from __future__ import annotations

import struct
from operator import sub
from pickle import dumps
from typing import Any

import numpy as np
from isal import isal_zlib

from indexer.whoosh_seam.pool import SortedPostings
from indexer.whoosh_seam.tablefile import append_table

INLINE_LIMIT = 4  # posting lists of up to this many documents live in the term table
BLOCK_LIMIT = 1024  # postings per block (search decodes whole lists and pays per block)
# ISA-L level of posting blocks (whoosh3's W3PostingsWriter compresses every block; its zlib level
# 3 took ~16 µs a block, ISA-L's 1 takes ~8 µs for 7 % more bytes: bench.compression, bench/
# SCALE.md §13). Also the compression field of a block's head: truthy, so readers decompress.
COMPRESSION = 1
_TERMINFO = struct.Struct("!BfIBBfII")  # whoosh3 W3TermInfo
_EXTENT = struct.Struct("!qi")
_INT = struct.Struct("!i")
_POSTINGS_MAGIC = b"W3Bl"
_NO_LENGTH = 256  # above every length byte: "no length seen yet"


def write_terms(
    fw: Any, postings: SortedPostings, lengths: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Every term of one field: its posting list and its term table entry, as whoosh3 writes them;
    returns the terms whose lists went to the postings part, and where each starts there.

    What W3FieldWriter, W3PostingsWriter and W3TermInfo do per term and per posting, done once
    per list, the statistics of short lists for all terms at once in NumPy: the same term
    table and blocks, compressed by ISA-L (tests/indexer/test_whoosh_seam.py compares them with
    Whoosh's own writer's).
    """
    n_terms = len(postings.terms)
    if not n_terms:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts, docs, weights = postings.starts, postings.docs, postings.weights
    values = postings.values
    fixed = postings.fixed
    counts = np.diff(starts)
    heads = _inline_infos(postings, lengths)
    infos: list[bytes] = heads  # each term's head, completed below
    # Lists of more than INLINE_LIMIT postings, in blocks, in term order (as the file wants).
    lbytes = lengths[docs] if lengths is not None else None
    postfile = fw._postfile
    long_terms = np.flatnonzero(counts > INLINE_LIMIT)
    if _whole(weights):
        _write_lists(postfile, postings, lbytes, long_terms, infos)
    else:  # sums of weights in Python's order, list by list
        for t in long_terms.tolist():
            a, b = int(starts[t]), int(starts[t + 1])
            infos[t] = _write_list(
                postfile,
                docs[a:b].tolist(),
                weights[a:b].tolist(),
                values[a:b].tobytes() if values is not None else b"",
                fixed,
                lbytes[a:b].tolist() if lbytes is not None else None,
            )
    pickler = _InlinePickler(fixed)
    # Lists of one posting (most terms): gathered at once, their tails looked up by key.
    one = np.flatnonzero(counts == 1)
    if len(one) and fixed in (0, 4):
        at = starts[one]
        keys = weights[at].view(np.uint32).astype(np.uint64) << np.uint64(32)
        if fixed:
            assert values is not None
            keys |= values[at].view(">u4").astype(np.uint64)
        tails = {  # TUPLE1 and memo of the ids, then the pickled weight and value
            k: b"\x85q\x00"
            + pickler.tail((float(np.uint32(k >> 32).view(np.float32)),), _value(k, fixed))
            for k in np.unique(keys).tolist()
        }
        ids = _IdPickles()
        for t, d, k in zip(one.tolist(), docs[at].tolist(), keys.tolist(), strict=True):
            infos[t] += ids[d] + tails[k]
        short = (counts > 1) & (counts <= INLINE_LIMIT)
    else:
        short = counts <= INLINE_LIMIT
    for t in np.flatnonzero(short).tolist():
        a, b = int(starts[t]), int(starts[t + 1])
        vb = values[a:b].tobytes() if values is not None else b""
        infos[t] += pickler(docs[a:b].tolist(), weights[a:b].tolist(), vb)
    prefix = fw._fieldid.to_bytes(2, "big")
    append_table(fw._tindex, [prefix + term for term in postings.terms], infos)
    size = _TERMINFO.size  # the extent (offset, length) follows the head of a list's entry
    offsets = [_EXTENT.unpack_from(infos[t], size)[0] for t in long_terms.tolist()]
    return long_terms.astype(np.int64), np.array(offsets, dtype=np.int64)


def _value(key: int, fixed: int) -> bytes:
    """The value bytes kept in the low 32 bits of a one-posting key (see write_terms)."""
    return (key & 0xFFFFFFFF).to_bytes(4, "big") if fixed else b""


class _IdPickles(dict[int, bytes]):
    """Document number → the pickle protocol header and the number, made once per number."""

    def __missing__(self, i: int) -> bytes:
        b = self[i] = b"\x80\x02" + _pickle_int(i)
        return b


def _inline_infos(postings: SortedPostings, lengths: np.ndarray | None) -> list[bytes]:
    """The W3TermInfo bytes (before the inlined postings) of every term, computed for all at
    once: weight sum, doc frequency, min and max length byte, max weight, first and last id."""
    starts, docs, weights = postings.starts, postings.docs, postings.weights
    n = len(postings.terms)
    head = starts[:-1]
    info = np.zeros(n, dtype=TERMINFO_DTYPE)
    info["inlined"] = 1
    if _whole(weights):  # every order of summing is exact
        info["weight"] = np.add.reduceat(weights.astype(np.float64), head)
    else:  # sum() in Python's order, as Whoosh does
        wl = weights.tolist()
        bounds = starts.tolist()
        info["weight"] = [sum(wl[bounds[i] : bounds[i + 1]]) for i in range(n)]
    info["df"] = np.diff(starts)
    if lengths is not None:
        lb = lengths[docs]
        info["maxlen"] = np.maximum.reduceat(lb, head)
        # Whoosh's minimum skips lengths of byte 0 (`if length:`), and is 0 when all are.
        lb16 = lb.astype(np.uint16)
        lb16[lb16 == 0] = _NO_LENGTH
        mins = np.minimum.reduceat(lb16, head)
        mins[mins == _NO_LENGTH] = 0
        info["minlen"] = mins
    info["maxweight"] = np.maximum.reduceat(weights, head)
    info["first"] = docs[head]
    info["last"] = docs[starts[1:] - 1]
    raw = info.tobytes()
    size = _TERMINFO.size
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def _whole(weights: np.ndarray) -> bool:
    """Whole weights below 2**24 (term frequencies × 1.0): sums exact in any order."""
    if not len(weights):
        return True
    return bool(np.all(weights == np.floor(weights)) and weights.max() < 2**24)


def _write_lists(
    postfile: Any,
    postings: SortedPostings,
    lbytes: np.ndarray | None,
    terms: np.ndarray,
    infos: list[bytes],
) -> None:
    """_write_list for every term in `terms` (of whole weights), the statistics of every block
    (max and min weight, weight sum, min and max length byte, deltas) computed at once."""
    if not len(terms):
        return
    starts, docs, weights = postings.starts, postings.docs, postings.weights
    values = postings.values
    n_t = np.diff(starts)[terms]
    s_t = starts[terms]
    nblocks = (n_t + BLOCK_LIMIT - 1) // BLOCK_LIMIT
    first_block = np.cumsum(nblocks) - nblocks
    block_term = np.repeat(np.arange(len(terms)), nblocks)
    block_start = s_t[block_term] + (np.arange(len(block_term)) - first_block[block_term]) * (
        BLOCK_LIMIT
    )
    block_end = np.minimum(block_start + BLOCK_LIMIT, (s_t + n_t)[block_term])
    # Every term's list and every block: segments partitioning the postings, for reduceat.
    bounds = np.union1d(starts[:-1], block_start)
    seg = np.searchsorted(bounds, block_start)
    wmax = np.maximum.reduceat(weights, bounds)[seg].tolist()
    wmin = np.minimum.reduceat(weights, bounds)[seg].tolist()
    wsum = np.add.reduceat(weights.astype(np.float64), bounds)[seg].tolist()
    if lbytes is not None:
        lmax = np.maximum.reduceat(lbytes, bounds)[seg].tolist()
        lb16 = lbytes.astype(np.uint16)
        lb16[lb16 == 0] = _NO_LENGTH  # Whoosh's minimum skips length byte 0
        lmin = np.minimum.reduceat(lb16, bounds)[seg]
        lmin[lmin == _NO_LENGTH] = 0
        lmins = lmin.tolist()
    else:
        lmax = lmins = [0] * len(block_start)
    deltas = docs.copy()
    deltas[1:] -= docs[:-1]  # wraps where a list starts: every list starts a block, set below
    deltas[block_start] = docs[block_start]  # a block's first id is whole
    last = docs[block_end - 1].tolist()
    bs, be = block_start.tolist(), block_end.tolist()
    blocks = nblocks.tolist()
    for j, t in enumerate(terms.tolist()):
        start = postfile.tell()
        out = [_POSTINGS_MAGIC]
        b0 = int(first_block[j])
        total, maxweight, minlen, maxlen = 0.0, 0.0, _NO_LENGTH, 0
        for k in range(b0, b0 + blocks[j]):
            a, e = bs[k], be[k]
            bmax = wmax[k]
            if bmax == 1.0 and wmin[k] == 1.0:
                mini_weights: Any = None
            elif bmax == wmin[k]:
                mini_weights = bmax
            else:
                mini_weights = tuple(weights[a:e].tolist())
            mini_values = values[a:e].tobytes() if values is not None else None
            raw = dumps((tuple(deltas[a:e].tolist()), mini_weights, mini_values), 2)
            data = isal_zlib.compress(raw, COMPRESSION)
            head = dumps((e - a, last[k], bmax, COMPRESSION, lmins[k], lmax[k]), 2)
            size = len(head) + len(data)
            out += (_INT.pack(-size if k == b0 + blocks[j] - 1 else size), head, data)
            total += wsum[k]
            maxweight = max(maxweight, bmax)
            if lmins[k]:
                minlen = min(minlen, lmins[k])
            maxlen = max(maxlen, lmax[k])
        body = b"".join(out)
        postfile.write(body)
        minbyte = minlen if minlen != _NO_LENGTH else 0
        first_id, last_id = int(docs[starts[t]]), int(docs[starts[t + 1] - 1])
        infos[t] = _TERMINFO.pack(
            0, total, int(n_t[j]), minbyte, maxlen, maxweight, first_id, last_id
        ) + _EXTENT.pack(start, len(body))


def _write_list(
    postfile: Any,
    ids: list[int],
    weights: list[float],
    values: bytes,
    fixed: int,
    lens: list[int] | None,
) -> bytes:
    """One term's posting list in blocks to the postings file; its term table entry."""
    start = postfile.tell()
    out = [_POSTINGS_MAGIC]
    n = len(ids)
    total, maxweight, minlen, maxlen = 0.0, 0.0, _NO_LENGTH, 0
    for b in range(0, n, BLOCK_LIMIT):
        chunk, wchunk = ids[b : b + BLOCK_LIMIT], weights[b : b + BLOCK_LIMIT]
        if wchunk.count(1.0) == len(wchunk):
            mini_weights: Any = None
        elif wchunk.count(wchunk[0]) == len(wchunk):
            mini_weights = wchunk[0]
        else:
            mini_weights = tuple(wchunk)
        deltas = (chunk[0], *map(sub, chunk[1:], chunk))
        mini_values = values[b * fixed : (b + len(chunk)) * fixed] if fixed else None
        raw = dumps((deltas, mini_weights, mini_values), 2)
        data = isal_zlib.compress(raw, COMPRESSION)
        bmax = max(wchunk)
        if lens is not None:
            lchunk = lens[b : b + BLOCK_LIMIT]
            bmax_len = max(lchunk)
            # Whoosh's minimum skips lengths of byte 0 (`if length:`), and is 0 when all are.
            bmin_len = min(lchunk) or min((x for x in lchunk if x), default=0)
            if bmin_len:
                minlen = min(minlen, bmin_len)
        else:
            bmin_len, bmax_len = 0, 0  # length_to_byte(None), length_to_byte(0)
        head = dumps((len(chunk), chunk[-1], bmax, COMPRESSION, bmin_len, bmax_len), 2)
        size = len(head) + len(data)
        out += (_INT.pack(-size if b + BLOCK_LIMIT >= n else size), head, data)
        total += sum(wchunk)
        maxweight = max(maxweight, bmax)
        maxlen = max(maxlen, bmax_len)
    body = b"".join(out)
    postfile.write(body)
    minbyte = minlen if minlen != _NO_LENGTH else 0
    return _TERMINFO.pack(0, total, n, minbyte, maxlen, maxweight, ids[0], ids[-1]) + (
        _EXTENT.pack(start, len(body))
    )


class _InlinePickler:
    """What whoosh3 inlines for a short posting list: pickle.dumps((tuple(ids), tuple(weights),
    tuple(values)), 2), values one bytes object per posting (W3TermInfo.set_inlined).

    The ids are assembled from their opcodes; what follows them (weights and values, with the
    pickler's memo numbers, which ints never take) is pickled once per distinct pair and
    reused: a posting list of text terms is mostly frequencies of 1.
    """

    def __init__(self, fixed: int) -> None:
        self.fixed = fixed
        self._tails: dict[tuple[tuple[float, ...], bytes], bytes] = {}

    def __call__(self, ids: list[int], weights: list[float], values: bytes) -> bytes:
        key = (tuple(weights), values)
        tail = self._tails.get(key)
        if tail is None:
            tail = self._tails[key] = self.tail(key[0], values)
        return b"\x80\x02" + _tuple(b"".join(map(_pickle_int, ids)), len(ids)) + b"q\x00" + tail

    def tail(self, weights: tuple[float, ...], values: bytes) -> bytes:
        """The pickle after the ids tuple: weights and values, and the end."""
        f = self.fixed
        # Distinct bytes objects, as Whoosh's list of values holds (equal objects would be
        # pickled once and referred to).
        vals = tuple(values[i : i + f] for i in range(0, len(values), f)) if f else ()
        raw = dumps(((0,), weights, vals), 2)
        if not raw.startswith(_ONE_ID):
            raise ValueError("pickle protocol 2 wrote an unexpected prefix")
        return raw[len(_ONE_ID) :]


_ONE_ID = b"\x80\x02K\x00\x85q\x00"  # protocol 2, the tuple (0,), its memo entry


def _pickle_int(i: int) -> bytes:
    """An int as pickle's BININT1 / BININT2 / BININT opcode."""
    if i < 256:
        return _BININT1[i]
    if i < 65536:
        return b"M" + i.to_bytes(2, "little")
    if i < 2**31:
        return b"J" + i.to_bytes(4, "little")
    raise ValueError(f"document number {i} is beyond a pickled BININT")


def _tuple(items: bytes, n: int) -> bytes:
    """Pickled items made a tuple: TUPLE1/2/3 after them, or MARK before and TUPLE after."""
    if 1 <= n <= 3:
        return items + _TUPLE_N[n]
    return b"(" + items + b"t" if n else b")"


_BININT1 = [b"K" + bytes((i,)) for i in range(256)]
_TUPLE_N = {1: b"\x85", 2: b"\x86", 3: b"\x87"}


TERMINFO_DTYPE = np.dtype(
    [
        ("inlined", "u1"),
        ("weight", ">f4"),
        ("df", ">u4"),
        ("minlen", "u1"),
        ("maxlen", "u1"),
        ("maxweight", ">f4"),
        ("first", ">u4"),
        ("last", ">u4"),
    ]
)  # _TERMINFO "!BfIBBfII", packed: 23 bytes (tablescan.py reads them with it too)
