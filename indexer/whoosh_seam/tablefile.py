"""The term table's file (whoosh.filedb.filetables.OrderedHashWriter) written a field at a time.

What OrderedHashWriter.add and HashWriter._write_hashes do per key — an entry (lengths, key,
value) appended, its position to the ordered index, (md5 hash, position) to one of 256
open-addressing tables — done for all keys of a field at once: the same bytes
(tests/indexer/test_whoosh_seam.py compares the term file with Whoosh's writer's).
"""

from __future__ import annotations

import struct
from array import array
from functools import partial
from hashlib import md5
from itertools import chain
from operator import methodcaller
from typing import Any

import numpy as np

_LENGTHS = struct.Struct("!ii")  # key and value length before each term table entry


def append_table(tindex: Any, keys: list[bytes], values: list[bytes]) -> None:
    """OrderedHashWriter.add (whoosh.filedb.filetables) of keys known to come in order, all
    at once: the entries (lengths, key, value) in one write, their positions to the ordered
    index, (hash, position) kept for write_hashes as arrays instead of one tuple per key."""
    if tindex.hashtype != 0:
        raise ValueError("the term table writer hashes keys with md5 (hash type 0)")
    if not keys:
        return
    dbfile = tindex.dbfile
    start = dbfile.tell()
    klens = np.fromiter(map(len, keys), np.int64, len(keys))
    vlens = np.fromiter(map(len, values), np.int64, len(values))
    heads = np.empty(len(keys), dtype=_LENGTHS_DTYPE)
    heads["key"] = klens
    heads["value"] = vlens
    raw = heads.tobytes()
    size = _LENGTHS.size
    dbfile.write(
        b"".join(
            chain.from_iterable(
                zip(
                    (raw[i : i + size] for i in range(0, len(raw), size)),
                    keys,
                    values,
                    strict=True,
                )
            )
        )
    )
    ends = np.cumsum(klens + vlens + size)
    positions = start + np.concatenate(([0], ends[:-1]))
    digests = b"".join(map(_DIGEST, map(_MD5, keys)))
    hashes = np.frombuffer(digests, dtype=">u4").reshape(-1, 4)[:, 3].astype(np.int64)
    pointers = tindex.__dict__.setdefault("tracuu_pointers", [])
    pointers.append((hashes, positions))
    _extend_index(tindex.index, positions.tolist())
    tindex.lastkey = keys[-1]


_MD5 = partial(md5, usedforsecurity=False)
_DIGEST = methodcaller("digest")
_LENGTHS_DTYPE = np.dtype([("key", ">i4"), ("value", ">i4")])  # _LENGTHS "!ii"


def _extend_index(index: Any, positions: list[int]) -> None:
    """GrowableArray.extend (whoosh.util.numlists) for increasing positions: the array type it
    would have grown to, filled at once."""
    if not positions:
        return
    top = positions[-1]
    code = "H" if top < 2**16 else "i" if top < 2**31 else "I" if top < 2**32 else "q"
    if isinstance(index.array, array) and index.array.typecode == code:
        index.array.extend(positions)
    else:
        index.array = array(code, list(index.array) + positions)


def write_hashes(tindex: Any) -> None:
    """HashWriter._write_hashes (whoosh.filedb.filetables) of what _append_table added: the
    256 open-addressing tables of (hash, position) pointers, the same slots, each table
    written with one write."""
    if any(tindex.buckets):
        raise ValueError("the term table holds entries the bulk writer did not add")
    pointers = tindex.__dict__.get("tracuu_pointers", [])
    hashes = np.concatenate([h for h, _ in pointers]) if pointers else np.zeros(0, np.int64)
    positions = np.concatenate([p for _, p in pointers]) if pointers else np.zeros(0, np.int64)
    bucket = hashes & 255
    order = np.argsort(bucket, kind="stable")  # each bucket in the order keys were added
    hashes, positions = hashes[order], positions[order]
    bounds = np.zeros(257, dtype=np.int64)
    np.cumsum(np.bincount(bucket, minlength=256), out=bounds[1:])
    dbfile = tindex.dbfile
    for b in range(256):
        lo, hi = int(bounds[b]), int(bounds[b + 1])
        pos = dbfile.tell()
        numslots = 2 * (hi - lo)
        tindex.directory.append((pos, numslots))
        if not numslots:
            continue
        table = np.zeros(numslots, dtype=_POINTER_DTYPE)
        taken = [False] * numslots
        slots = []
        for home in ((hashes[lo:hi] >> 8) % numslots).tolist():
            slot = home
            while taken[slot]:
                slot = (slot + 1) % numslots
            taken[slot] = True
            slots.append(slot)
        table["hash"][slots] = hashes[lo:hi]
        table["pos"][slots] = positions[lo:hi]
        dbfile.write(table.tobytes())


_POINTER_DTYPE = np.dtype([("hash", ">u4"), ("pos", ">i8")])  # filetables._pointer "!Iq"
